import { ValidationError, validate } from "class-validator";
import { FieldError, InputError } from "./errors";

/** Turns class-validator's tree of errors into flat field errors with dotted paths. */
export function toFieldErrors(errors: ValidationError[], prefix: string): FieldError[] {
  return errors.flatMap((error) => {
    const path = prefix ? `${prefix}.${error.property}` : error.property;
    // A required field sent as null says so once, not once more for every rule a null breaks.
    const constraints = error.constraints?.isDefined ? { isDefined: error.constraints.isDefined } : (error.constraints ?? {});
    const own = Object.entries(constraints).map(([constraint, message]) => ({ path, message, constraint }));
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
    this.addAt(this.pathOf(field), message, constraint);
  }

  /** A problem at a full path (the input itself, when it is not an object at all). */
  addAt(path: string, message: string, constraint: string): void {
    this.fields.push({ path, message, constraint });
  }

  /** The field's only problem from now on: a value of the wrong type makes its other rules moot. */
  replace(field: string, message: string, constraint: string): void {
    const path = this.pathOf(field);
    for (let i = this.fields.length - 1; i >= 0; i--) if (this.fields[i].path === path) this.fields.splice(i, 1);
    this.add(field, message, constraint);
  }

  /** True when the field already has a problem, so later checks on it can be skipped. */
  has(field: string): boolean {
    const path = this.pathOf(field);
    return this.fields.some((f) => f.path === path);
  }

  /** `input.name` for an input's field; just `stageId` for a top-level argument (no prefix). */
  private pathOf(field: string): string {
    return this.prefix ? `${this.prefix}.${field}` : field;
  }

  throwIfAny(): void {
    if (this.fields.length > 0) throw new InputError(this.fields);
  }
}
