import { registerDecorator, ValidationOptions } from "class-validator";

/** Rejects strings that are empty or only white space. */
export function IsNotBlank(options?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: "isNotBlank",
      target: target.constructor,
      propertyName: propertyName as string,
      options: { message: `${String(propertyName)} must not be blank`, ...options },
      validator: { validate: (value: unknown) => typeof value === "string" && value.trim().length > 0 },
    });
}

/** Escapes LIKE wildcards, so a search for "50%" finds "50%" and not everything. */
export function likePattern(search: string): string {
  return `%${search.trim().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}
