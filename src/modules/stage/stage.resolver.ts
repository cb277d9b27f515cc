import { Arg, Ctx, Query, Resolver } from "type-graphql";
import type { Context } from "../../core/context/context";
import { Pipeline, Stage } from "./stage.entity";
import { stagesOf } from "./stage.service";

@Resolver(() => Stage)
export class StageResolver {
  @Query(() => [Stage], { description: "The stages of a pipeline, in order." })
  stages(@Arg("pipeline", () => Pipeline, { description: "REFERRAL or SALES." }) pipeline: Pipeline, @Ctx() ctx: Context): Promise<Stage[]> {
    return stagesOf(ctx, pipeline);
  }
}
