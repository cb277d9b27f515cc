import fs from "node:fs";
import path from "node:path";
import {
  GraphQLSchema,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isObjectType,
  isSpecifiedDirective,
  isSpecifiedScalarType,
} from "graphql";
import { getSchema, printedPossibleTypes, printedSchema } from "../src/schema";

/** Every element of the schema without a description, named as `type X`, `X.field`, `X.field(arg)` or `Enum.VALUE`. */
function undescribed(schema: GraphQLSchema): string[] {
  const missing: string[] = [];
  const check = (description: string | null | undefined, name: string) => {
    if (!description?.trim()) missing.push(name);
  };
  for (const type of Object.values(schema.getTypeMap())) {
    if (type.name.startsWith("__") || isSpecifiedScalarType(type)) continue;
    check(type.description, `type ${type.name}`);
    if (isObjectType(type) || isInterfaceType(type)) {
      for (const field of Object.values(type.getFields())) {
        check(field.description, `${type.name}.${field.name}`);
        for (const arg of field.args) check(arg.description, `${type.name}.${field.name}(${arg.name})`);
      }
    } else if (isInputObjectType(type)) {
      for (const field of Object.values(type.getFields())) check(field.description, `${type.name}.${field.name}`);
    } else if (isEnumType(type)) {
      for (const value of type.getValues()) check(value.description, `${type.name}.${value.name}`);
    }
  }
  for (const directive of schema.getDirectives()) {
    if (isSpecifiedDirective(directive)) continue;
    check(directive.description, `directive @${directive.name}`);
    for (const arg of directive.args) check(arg.description, `@${directive.name}(${arg.name})`);
  }
  return missing.sort();
}

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

  it("describes every type, field, argument, input field and enum value", async () => {
    expect(undescribed(await getSchema())).toEqual([]);
  });

  it("names GraphQL enum values in UPPER_CASE", async () => {
    const values = [...(await printedSchema()).matchAll(/^enum \w+ \{([^}]*)\}/gm)].flatMap((m) =>
      m[1].split("\n").map((line) => line.trim()).filter((line) => /^[A-Za-z_]+$/.test(line)),
    );
    expect(values.length).toBeGreaterThan(10);
    for (const value of values) expect(value).toMatch(/^[A-Z][A-Z0-9_]*$/);
  });
});
