import { validate } from "class-validator";
import { getNamedType, GraphQLResolveInfo } from "graphql";
import { InputError } from "../errors/errors";
import { toFieldErrors } from "../errors/field-errors";
import { MutationInput } from "./mutation-input";

/**
 * Validates every argument against its class-validator rules before the resolver runs and
 * reports each offending field with its full path (`filter.companyId`, `first`).
 */
export async function validateArgs(
  value: unknown,
  type: unknown,
  resolverData: { info: GraphQLResolveInfo },
): Promise<void> {
  if (value === null || typeof value !== "object" || value instanceof MutationInput) return;
  const errors = await validate(value, {
    skipMissingProperties: true,
    forbidUnknownValues: false,
    validationError: { target: false, value: false },
  });
  if (errors.length > 0) throw new InputError(toFieldErrors(errors, argumentName(type, resolverData.info)));
}

/** The argument a validated class stands for; "" for @Args() classes, whose fields are arguments themselves. */
function argumentName(type: unknown, info: GraphQLResolveInfo): string {
  const typeName = typeof type === "function" ? type.name : undefined;
  const field = info.parentType.getFields()[info.fieldName];
  return field?.args.find((arg) => getNamedType(arg.type).name === typeName)?.name ?? "";
}
