import { getMetadataStorage as validationMetadata, ValidationTypes } from "class-validator";
import { ClassType, Field, getMetadataStorage as schemaMetadata, InputType } from "type-graphql";
import { IsNotClearable } from "../validation/rules";
import { MutationInput } from "./mutation-input";

export interface PatchOptions<T> {
  /**
   * Fields the deal cannot be without although the create lets them be left out or null (it
   * defaults them): null is refused (IsNotClearable). Fields the create requires are so already.
   */
  notClearable?: Array<keyof T & string>;
  /** Fields of the create that a patch does not take (the idempotency key). */
  omit?: Array<keyof T & string>;
  /** Descriptions that say what changing a field does, where the create's would mislead. */
  descriptions?: Partial<Record<keyof T & string, string>>;
}

/**
 * The patch input of a create input, as one mechanism instead of a near-copy per kind of deal:
 * every field of `create` (and the classes it extends), nullable and with no default, so that a
 * field left out means "unchanged" and null means "clear"; each keeps its create's rules, which
 * then apply to a value only. Fields in `notClearable` refuse null. Decorate the class that
 * extends the result with @InputType, and add patch-only fields (expectedVersion) there.
 */
export function PatchInput<T extends object>(create: ClassType<T>, options: PatchOptions<T>): ClassType<Partial<T>> {
  // Registered as an input type of its own (never referenced, so never in the schema) because
  // type-graphql takes inherited fields only from a registered parent.
  @InputType(`${create.name}Patch`)
  abstract class Patch extends MutationInput {}
  const omitted = new Set<string>(options.omit ?? []);
  const storage = validationMetadata();
  const rules = storage.getTargetValidationMetadatas(create, "", true, false).filter((rule) => !omitted.has(rule.propertyName));
  const optionalInCreate = new Set(rules.filter((rule) => rule.type === ValidationTypes.CONDITIONAL_VALIDATION).map((rule) => rule.propertyName));

  const fields = schemaMetadata().fields.filter(
    (field) => (field.target === create || create.prototype instanceof field.target) && !omitted.has(field.name),
  );
  for (const field of fields) {
    const type = field.getType();
    Field(() => (field.typeOptions.array ? [type] : type), {
      nullable: true,
      description: options.descriptions?.[field.name as keyof T & string] ?? field.description,
    })(Patch.prototype, field.name);
  }

  const notClearable = new Set<string>([
    ...(options.notClearable ?? []),
    ...fields.map((field) => field.name).filter((name) => !optionalInCreate.has(name)),
  ]);
  for (const rule of rules) {
    // A field that may not be cleared gets IsNotClearable instead of the create's "optional".
    if (notClearable.has(rule.propertyName) && rule.type === ValidationTypes.CONDITIONAL_VALIDATION) continue;
    storage.addValidationMetadata(Object.assign(Object.create(Object.getPrototypeOf(rule)), rule, { target: Patch }));
  }
  for (const name of notClearable) IsNotClearable()(Patch.prototype, name);
  return Patch as unknown as ClassType<Partial<T>>;
}
