import { buildMessage, registerDecorator, ValidationOptions } from "class-validator";

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

/** Largest money amount accepted: what numeric(19,4) holds, with room to spare. */
export const MAX_MONEY_AMOUNT = 999_999_999_999_999;

/**
 * A money amount: a finite number, 0 or more, at most MAX_MONEY_AMOUNT, with at most four
 * decimals (the column's scale), so what is stored is exactly what was sent.
 */
export function IsMoneyAmount(options?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: "isMoneyAmount",
      target: target.constructor,
      propertyName: propertyName as string,
      options: {
        message: `${String(propertyName)} must be a finite amount from 0 to ${MAX_MONEY_AMOUNT} with at most 4 decimals`,
        ...options,
      },
      validator: {
        validate: (value: unknown) =>
          typeof value === "number" &&
          Number.isFinite(value) &&
          value >= 0 &&
          value <= MAX_MONEY_AMOUNT &&
          /^\d+(\.\d{1,4})?$/.test(String(value)),
      },
    });
}

/**
 * At most `max` characters, counted as PostgreSQL counts them: in code points. class-validator's
 * own MaxLength leaves out variation selectors (U+FE0E/U+FE0F), so "a\uFE0F" x 200 passed a
 * 200-character rule and then broke the column's limit. Same name and constraint as before.
 */
export function MaxLength(max: number, options?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: "maxLength",
      target: target.constructor,
      propertyName: propertyName as string,
      constraints: [max],
      options,
      validator: {
        validate: (value: unknown) => typeof value === "string" && codePoints(value) <= max,
        // class-validator's own message, "each value in" included for `each: true`.
        defaultMessage: buildMessage((each) => `${each}$property must be shorter than or equal to $constraint1 characters`, options),
      },
    });
}

function codePoints(text: string): number {
  let count = 0;
  for (const _ of text) count++;
  return count;
}
