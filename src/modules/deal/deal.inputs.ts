import { IsInt, IsOptional, IsString, IsUUID, Min } from "class-validator";
import { ArgsType, Field, ID, Int } from "type-graphql";
import { MutationInput } from "../../core/graphql/mutation-input";

/** What every write to one deal may name: the version it expects. */
@ArgsType()
export abstract class VersionedArgs extends MutationInput {
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
export class DealWriteArgs extends VersionedArgs {
  @Field(() => ID, { description: "The deal's id." })
  @IsString()
  id: string;
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
export class ShareDealArgs extends VersionedArgs {
  @Field(() => ID, { description: "The deal's id." })
  @IsString()
  dealId: string;

  @Field(() => ID, { description: "Another workspace of your organization." })
  @IsString()
  workspaceId: string;
}
