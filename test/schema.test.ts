import fs from "node:fs";
import path from "node:path";
import { printedPossibleTypes, printedSchema } from "../src/schema";

describe("schema.graphql", () => {
  it("is what the code generates (run `npm run schema` and commit it when this fails)", async () => {
    const committed = fs.readFileSync(path.join(__dirname, "..", "schema.graphql"), "utf8");
    expect(committed).toBe(await printedSchema());
  });

  it("has possible-types.json beside it, as the code generates it (run `npm run schema` when this fails)", async () => {
    const committed = fs.readFileSync(path.join(__dirname, "..", "possible-types.json"), "utf8");
    expect(committed).toBe(await printedPossibleTypes());
    expect(JSON.parse(committed).PipelineDeal).toEqual(["Opportunity", "ReferralOpportunity"]);
  });

  it("names GraphQL enum values in UPPER_CASE", async () => {
    const values = [...(await printedSchema()).matchAll(/^enum \w+ \{([^}]*)\}/gm)].flatMap((m) =>
      m[1].split("\n").map((line) => line.trim()).filter((line) => /^[A-Za-z_]+$/.test(line)),
    );
    expect(values.length).toBeGreaterThan(10);
    for (const value of values) expect(value).toMatch(/^[A-Z][A-Z0-9_]*$/);
  });
});
