import { IsInt, IsOptional, IsString, IsUUID, Min } from "class-validator";
import { ArgsType, Field, ID, Int } from "type-graphql";
import { MutationInput } from "../../core/graphql/mutation-input";

/** The arguments of a write to one deal that names the version it expects. */
@ArgsType()
export class DealWriteArgs extends MutationInput {
  @Field(() => ID, { description: "The deal's id." })
  @IsString()
  id: string;

  @Field(() => Int, {
    nullable: true,
    description: "The version you last read; another is CONFLICT (with the current one) and nothing is written.",
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  expectedVersion?: number | null;
}

@ArgsType()
export class MoveDealArgs extends DealWriteArgs {
  @Field(() => ID, { description: "A stage of the deal's own pipeline." })
  @IsUUID("all", { message: "stageId must be a UUID" })
  stageId: string;
}

@ArgsType()
export class RestoreDealArgs extends MutationInput {
  @Field(() => ID, { description: "The deal's id." })
  @IsString()
  id: string;
}

@ArgsType()
export class ShareDealArgs extends MutationInput {
  @Field(() => ID, { description: "The deal's id." })
  @IsString()
  dealId: string;

  @Field(() => ID, { description: "Another workspace of your organization." })
  @IsString()
  workspaceId: string;

  @Field(() => Int, {
    nullable: true,
    description: "The version you last read; another is CONFLICT (with the current one) and nothing is written.",
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  expectedVersion?: number | null;
}
