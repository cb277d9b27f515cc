import { Arg, Ctx, Query, Resolver } from "type-graphql";
import type { Context } from "../../core/context/context";
import { Pipeline, Stage } from "./stage.entity";

@Resolver(() => Stage)
export class StageResolver {
  @Query(() => [Stage], { description: "The stages of a pipeline, in order." })
  async stages(@Arg("pipeline", () => Pipeline, { description: "REFERRAL or SALES." }) pipeline: Pipeline, @Ctx() { db, loaders }: Context): Promise<Stage[]> {
    const stages = await db
      .getRepository(Stage)
      .createQueryBuilder("stage")
      .where("stage.pipeline = :pipeline", { pipeline })
      .orderBy("stage.sort_order")
      .getMany();
    for (const stage of stages) loaders.stage.prime(stage.id, stage);
    return stages;
  }
}
