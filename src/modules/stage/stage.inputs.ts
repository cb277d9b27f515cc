import { ArrayUnique, IsEnum, IsInt, IsOptional, IsString, IsUUID, Matches, Max, Min } from "class-validator";
import { ArgsType, Field, ID, Int } from "type-graphql";
import { MutationInput } from "../../core/graphql/mutation-input";
import { IsNotBlank, IsNotClearable, MaxLength } from "../../core/validation/rules";
import { Pipeline } from "./stage.entity";

const COLOR = /^#[0-9A-Fa-f]{6}$/;
const COLOR_MESSAGE = "color must be a hex colour such as #3B82F6";

@ArgsType()
export class CreateStageArgs extends MutationInput {
  @Field(() => Pipeline, { description: "The pipeline the stage joins: REFERRAL (the SALES pipeline's stages are fixed)." })
  @IsEnum(Pipeline)
  pipeline: Pipeline;

  @Field({ description: "The name people read, up to 60 characters." })
  @IsString()
  @IsNotBlank({ message: "label must not be blank" })
  @MaxLength(60)
  label: string;

  @Field(() => String, {
    nullable: true,
    description: "Stable machine name: lower-case letters, digits and _, starting with a letter, up to 40 characters. Left out, it is made from the label.",
  })
  @IsOptional()
  @IsString()
  @Matches(/^[a-z][a-z0-9_]{0,39}$/, { message: "key must be lower-case letters, digits and _, starting with a letter, up to 40 characters" })
  key?: string | null;

  @Field(() => String, { nullable: true, description: "Hex colour, such as #3B82F6 (stored upper case). Left out: #64748B." })
  @IsOptional()
  @Matches(COLOR, { message: COLOR_MESSAGE })
  color?: string | null;

  @Field(() => String, { nullable: true, description: "What a deal in this stage has reached, up to 500 characters." })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  description?: string | null;

  @Field(() => Int, { description: "Default win probability of a deal in this stage, 0 to 100." })
  @IsInt()
  @Min(0)
  @Max(100)
  probability: number;

  @Field(() => Int, {
    nullable: true,
    description: "Where the stage goes, from 1 (first) to one more than the pipeline's stages (last); the stages from there move one down. Left out: after the last open stage, before won and lost.",
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  position?: number | null;
}

@ArgsType()
export class UpdateStageArgs extends MutationInput {
  @Field(() => ID, { description: "The stage's id." })
  @IsUUID("all", { message: "id must be a UUID" })
  id: string;

  @Field(() => String, { nullable: true, description: "A new label; left out keeps it." })
  @IsNotClearable()
  @IsString()
  @IsNotBlank({ message: "label must not be blank" })
  @MaxLength(60)
  label?: string;

  @Field(() => String, { nullable: true, description: "A new hex colour; left out keeps it." })
  @IsNotClearable()
  @Matches(COLOR, { message: COLOR_MESSAGE })
  color?: string;

  @Field(() => String, { nullable: true, description: "A new description; null clears it, left out keeps it." })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  description?: string | null;

  @Field(() => Int, { nullable: true, description: "A new default win probability, 0 to 100; left out keeps it. Deals keep their own." })
  @IsNotClearable()
  @IsInt()
  @Min(0)
  @Max(100)
  probability?: number;
}

@ArgsType()
export class ReorderStagesArgs extends MutationInput {
  @Field(() => Pipeline, { description: "The pipeline to reorder: REFERRAL (the SALES pipeline's order is fixed)." })
  @IsEnum(Pipeline)
  pipeline: Pipeline;

  @Field(() => [ID], { description: "Every live stage of the pipeline, each once, in the new order." })
  @IsUUID("all", { each: true, message: "stageIds must be UUIDs" })
  // An id in upper case is the same stage.
  @ArrayUnique((id: unknown) => (typeof id === "string" ? id.toLowerCase() : id), { message: "stageIds must not name a stage twice" })
  stageIds: string[];
}

@ArgsType()
export class DeleteStageArgs extends MutationInput {
  @Field(() => ID, { description: "The stage to delete: an open stage of the REFERRAL pipeline." })
  @IsUUID("all", { message: "id must be a UUID" })
  id: string;

  @Field(() => ID, {
    nullable: true,
    description: "Where the stage's deals go (each move in its history), a live stage of the same pipeline. Required when the stage holds deals, archived ones included.",
  })
  @IsOptional()
  @IsUUID("all", { message: "moveDealsTo must be a UUID" })
  moveDealsTo?: string | null;
}
