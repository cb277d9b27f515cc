import { ValidationError, validate } from "class-validator";
import { FieldError, InputError } from "./errors";

/** Turns class-validator's tree of errors into flat field errors with dotted paths. */
export function toFieldErrors(errors: ValidationError[], prefix: string): FieldError[] {
  return errors.flatMap((error) => {
    const path = prefix ? `${prefix}.${error.property}` : error.property;
    const own = Object.entries(error.constraints ?? {}).map(([constraint, message]) => ({ path, message, constraint }));
    return [...own, ...toFieldErrors(error.children ?? [], path)];
  });
}

/**
 * Collects every problem with one input before anything is written: first the shape rules
 * declared on the input class, then whatever the service adds (unknown ids, cross-field rules).
 */
export class InputProblems {
  private readonly fields: FieldError[] = [];

  constructor(readonly prefix: string) {}

  /** Checks the class-validator rules of `input` (an instance of its input class). */
  static async of(input: object, prefix = "input"): Promise<InputProblems> {
    const problems = new InputProblems(prefix);
    const errors = await validate(input, { forbidUnknownValues: false, validationError: { target: false, value: false } });
    problems.fields.push(...toFieldErrors(errors, prefix));
    return problems;
  }

  add(field: string, message: string, constraint: string): void {
    this.fields.push({ path: `${this.prefix}.${field}`, message, constraint });
  }

  /** True when the field already has a problem, so later checks on it can be skipped. */
  has(field: string): boolean {
    const path = `${this.prefix}.${field}`;
    return this.fields.some((f) => f.path === path);
  }

  throwIfAny(): void {
    if (this.fields.length > 0) throw new InputError(this.fields);
  }
}
