import { MigrationInterface, QueryRunner } from "typeorm";
import { createKeptCounts, dropKeptCounts, KeptCounts } from "./kept-counts";

/** People counted per organization and type (USER or CONTACT). */
export const PERSON_COUNTS: KeptCounts = {
  table: "person",
  counts: "person_count",
  column: "people",
  key: [
    { name: "organization_id", type: "uuid", of: "organization_id" },
    { name: "type", type: "text", of: "type" },
  ],
};

/**
 * How many people each organization has of each type, kept by triggers in the same transaction
 * as every write of a person (see kept-counts.ts). The people list's totalCount, when it is
 * filtered by nothing but the type, adds them up instead of counting the organization's people
 * one by one (0.3 ms for the bench's 10,000).
 */
export class PersonCounts1764892800000 implements MigrationInterface {
  name = "PersonCounts1764892800000";

  async up(q: QueryRunner): Promise<void> {
    await createKeptCounts(q, PERSON_COUNTS);
  }

  async down(q: QueryRunner): Promise<void> {
    await dropKeptCounts(q, PERSON_COUNTS);
  }
}
