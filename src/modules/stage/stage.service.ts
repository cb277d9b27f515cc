import type { Context } from "../../core/context/context";
import { Pipeline, Stage } from "./stage.entity";

/** The live stages of the viewer's organization's `pipeline`, in order; each primed in the stage loader. */
export async function stagesOf({ db, loaders, viewer }: Context, pipeline: Pipeline): Promise<Stage[]> {
  const stages = await db
    .getRepository(Stage)
    .createQueryBuilder("stage")
    .where("stage.organization_id = :organizationId AND stage.pipeline = :pipeline AND stage.deleted_at IS NULL", {
      organizationId: viewer.organizationId,
      pipeline,
    })
    .orderBy("stage.sort_order")
    .addOrderBy("stage.id")
    .getMany();
  for (const stage of stages) loaders.stage.prime(stage.id, stage);
  return stages;
}
