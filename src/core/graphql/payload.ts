import { ClassType, Field, ObjectType } from "type-graphql";

/**
 * The envelope every mutation answers with, as in the REST contract: { success, message, data }.
 * `name` says what `data` is in the field's description; it defaults to the type's name.
 */
export function PayloadType<T extends object>(dataType: ClassType<T>, name: string = dataType.name) {
  @ObjectType()
  abstract class Payload {
    @Field({
      description:
        "Always true: a mutation that fails answers with an error (extensions.code, and for bad input every offending field) " +
        "and no payload, and writes nothing.",
    })
    success: boolean;

    @Field({
      description: "A sentence for people saying what was done, such as \"Opportunity created successfully\" or \"Deal moved successfully\"; not meant to be parsed.",
    })
    message: string;

    @Field(() => dataType, { description: `The ${name} as stored after the change.` })
    data: T;
  }
  return Payload;
}

export function payload<T>(message: string, data: T): { success: true; message: string; data: T } {
  return { success: true, message, data };
}
