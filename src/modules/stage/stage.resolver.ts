import { Arg, Args, Ctx, Field, Int, Mutation, ObjectType, Query, Resolver } from "type-graphql";
import type { Context } from "../../core/context/context";
import { payload, PayloadType } from "../../core/graphql/payload";
import { stageCommands } from "./stage.commands";
import { Pipeline, Stage } from "./stage.entity";
import { CreateStageArgs, DeleteStageArgs, ReorderStagesArgs, UpdateStageArgs } from "./stage.inputs";
import { stagesOf } from "./stage.service";

@ObjectType({ description: "The stage after the change." })
class StagePayload extends PayloadType(Stage) {}

@ObjectType({ description: "The pipeline's stages in their new order." })
class StagesPayload {
  @Field({ description: "Always true: a mutation that fails answers with an error and no payload, and writes nothing." })
  success: boolean;

  @Field({ description: "A sentence for people saying what was done; not meant to be parsed." })
  message: string;

  @Field(() => [Stage], { description: "Every live stage of the pipeline, in the new order." })
  data: Stage[];
}

@ObjectType({ description: "The deleted stage, and how many deals moved out of it." })
class DeleteStagePayload extends PayloadType(Stage) {
  @Field(() => Int, { description: "How many deals moved to moveDealsTo, each with its history entry and deal.stage_changed event." })
  movedDeals: number;
}

@Resolver(() => Stage)
export class StageResolver {
  @Query(() => [Stage], { description: "The live stages of one of your organization's pipelines, in order." })
  stages(@Arg("pipeline", () => Pipeline, { description: "REFERRAL or SALES." }) pipeline: Pipeline, @Ctx() ctx: Context): Promise<Stage[]> {
    return stagesOf(ctx, pipeline);
  }

  @Mutation(() => StagePayload, {
    description: "Adds an open stage to your organization's REFERRAL pipeline. Organization admins only.",
  })
  async createStage(@Args() args: CreateStageArgs, @Ctx() ctx: Context) {
    return payload("Stage created successfully", await stageCommands.create(ctx, { ...args }));
  }

  @Mutation(() => StagePayload, {
    description: "Changes a stage's label, colour, description or default probability, in either pipeline. Organization admins only.",
  })
  async updateStage(@Args() args: UpdateStageArgs, @Ctx() ctx: Context) {
    return payload("Stage updated successfully", await stageCommands.update(ctx, { ...args }));
  }

  @Mutation(() => StagesPayload, {
    description: "Puts the REFERRAL pipeline's stages in a new order: stageIds names every live stage once. Organization admins only.",
  })
  async reorderStages(@Args() args: ReorderStagesArgs, @Ctx() ctx: Context) {
    return payload("Stages reordered successfully", await stageCommands.reorder(ctx, { ...args }));
  }

  @Mutation(() => DeleteStagePayload, {
    description:
      "Deletes an open stage of the REFERRAL pipeline, first moving its deals to moveDealsTo (required when it holds any), in one transaction. " +
      "A pipeline keeps its won and lost stages and at least one open stage. Organization admins only.",
  })
  async deleteStage(@Args() args: DeleteStageArgs, @Ctx() ctx: Context) {
    const { stage, movedDeals } = await stageCommands.remove(ctx, { ...args });
    return { ...payload("Stage deleted successfully", stage), movedDeals };
  }
}
