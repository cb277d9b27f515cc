import fs from "node:fs";
import path from "node:path";
import { getNamedType, isInterfaceType, isObjectType, Kind, parse, TypeInfo, validate, visit, visitWithTypeInfo } from "graphql";
import { getSchema } from "../src/schema";
import { PLAYGROUND_QUERY } from "../src/core/http/playground";

const readme = fs.readFileSync(path.join(__dirname, "..", "README.md"), "utf8");
const examples = [...readme.matchAll(/```graphql\n([\s\S]*?)```/g)].map((match) => match[1]);

/**
 * The README's GraphQL examples are what a newcomer pastes first: each must be valid against the
 * schema, name its operation (so logs and Apollo's tooling can tell them apart) and select `id`
 * on every object that has one (so Apollo Client's cache can normalise it).
 */
describe("the README's GraphQL examples", () => {
  it("are there", () => {
    expect(examples.length).toBeGreaterThan(10);
  });

  it("open with the query the playground opens with", () => {
    expect(examples[0]).toBe(PLAYGROUND_QUERY);
  });

  it.each(examples.map((example) => [example.split("\n")[0], example]))("%s: valid, named, with id on every object", async (_first, example) => {
    const schema = await getSchema();
    const document = parse(example);
    expect(validate(schema, document).map((error) => error.message)).toEqual([]);
    const problems: string[] = [];
    const typeInfo = new TypeInfo(schema);
    visit(
      document,
      visitWithTypeInfo(typeInfo, {
        OperationDefinition(node) {
          if (!node.name) problems.push(`an unnamed ${node.operation}`);
        },
        Field(node) {
          const type = typeInfo.getType();
          const named = type && getNamedType(type);
          if (!node.selectionSet || !named || !(isObjectType(named) || isInterfaceType(named))) return;
          if (!("id" in named.getFields())) return;
          const selectsId = node.selectionSet.selections.some((s) => s.kind === Kind.FIELD && s.name.value === "id");
          if (!selectsId) problems.push(`${node.name.value} (${named.name}) without id`);
        },
      }),
    );
    expect(problems).toEqual([]);
  });
});
