import type { Context } from "../../core/context/context";
import { Pipeline, Stage } from "./stage.entity";

/** The stages of `pipeline` the viewer's organization works with, in order; each primed in the stage loader. */
export async function stagesOf({ db, loaders }: Context, pipeline: Pipeline): Promise<Stage[]> {
  const stages = await db
    .getRepository(Stage)
    .createQueryBuilder("stage")
    .where("stage.pipeline = :pipeline", { pipeline })
    .orderBy("stage.sort_order")
    .getMany();
  for (const stage of stages) loaders.stage.prime(stage.id, stage);
  return stages;
}
