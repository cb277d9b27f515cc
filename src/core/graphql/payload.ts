import { ClassType, Field, ObjectType } from "type-graphql";

/** The envelope every mutation answers with, as in the REST contract: { success, message, data }. */
export function PayloadType<T extends object>(dataType: ClassType<T>) {
  @ObjectType()
  abstract class Payload {
    @Field({ description: "True: a mutation that fails answers errors instead." })
    success: boolean;

    @Field({ description: "What was done, for people." })
    message: string;

    @Field(() => dataType, { description: "What the mutation wrote, as it is now." })
    data: T;
  }
  return Payload;
}

export function payload<T>(message: string, data: T): { success: true; message: string; data: T } {
  return { success: true, message, data };
}
