import { buildMessage, IsDefined, registerDecorator, ValidateIf, ValidationOptions } from "class-validator";

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
  return `%${escapeLike(search.trim())}%`;
}

/** `text` with LIKE's wildcards and escape character escaped, to match literally. */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** Largest money amount accepted: what numeric(19,4) holds, with room to spare. */
export const MAX_MONEY_AMOUNT = 999_999_999_999_999;

/**
 * A money amount: a decimal string (what the Decimal scalar passes on) or a finite number, 0 or
 * more, at most MAX_MONEY_AMOUNT, with at most four decimals (the column's scale), so what is
 * stored is exactly what was sent.
 */
export function IsMoneyAmount(options?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: "isMoneyAmount",
      target: target.constructor,
      propertyName: propertyName as string,
      options: {
        message: `${String(propertyName)} must be a decimal from 0 to ${MAX_MONEY_AMOUNT} with at most 4 decimals, such as "50000.10"`,
        ...options,
      },
      validator: { validate: (value: unknown) => moneyText(value) !== null },
    });
}

/** The amount as the exact decimal text to store, or null when it is not a valid amount. */
export function moneyText(value: unknown): string | null {
  const text = typeof value === "number" && Number.isFinite(value) ? String(value) : typeof value === "string" ? value.trim() : null;
  if (text === null || !/^\d{1,15}(\.\d{1,4})?$/.test(text)) return null;
  return Number(text.split(".")[0]) <= MAX_MONEY_AMOUNT ? text : null;
}

/**
 * For patch inputs: the field may be left out (unchanged), but not sent as null, because the
 * deal cannot be without it. The field's other rules then apply only to a value.
 */
export function IsNotClearable(): PropertyDecorator {
  return (target, propertyName) => {
    ValidateIf((_object: object, value: unknown) => value !== undefined)(target, propertyName as string);
    IsDefined({
      message: `${String(propertyName)} cannot be cleared: leave it out to keep the current value`,
    })(target, propertyName as string);
  };
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
