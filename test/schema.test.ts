import fs from "node:fs";
import path from "node:path";
import { GraphQLEnumType, GraphQLObjectType } from "graphql";
import { getSchema, printedSchema } from "../src/schema";

describe("schema.graphql", () => {
  it("is what the code generates (run `npm run schema` and commit it when this fails)", async () => {
    const committed = fs.readFileSync(path.join(__dirname, "..", "schema.graphql"), "utf8");
    expect(committed).toBe(await printedSchema());
  });

  it("names GraphQL enum values in UPPER_CASE", async () => {
    const values = [...(await printedSchema()).matchAll(/^enum \w+ \{([^}]*)\}/gm)].flatMap((m) =>
      m[1].split("\n").map((line) => line.trim()).filter((line) => /^[A-Za-z_]+$/.test(line)),
    );
    expect(values.length).toBeGreaterThan(10);
    for (const value of values) expect(value).toMatch(/^[A-Z][A-Z0-9_]*$/);
  });
});

describe("the events API in the schema", () => {
  it("describes every type, field, argument and enum value it adds", async () => {
    const schema = await getSchema();
    const undescribed: string[] = [];
    const types = ["DealEvent", "DealEventKind", "WebhookEndpoint", "WebhookDelivery", "WebhookAttempt", "WebhookDeliveryStatus", "WebhookEndpointPayload", "WebhookEndpointWithSecretPayload"];
    for (const name of types) {
      const type = schema.getType(name)!;
      if (!type.description) undescribed.push(name);
      if (type instanceof GraphQLEnumType) {
        for (const value of type.getValues()) if (!value.description) undescribed.push(`${name}.${value.name}`);
      }
      if (type instanceof GraphQLObjectType) {
        for (const field of Object.values(type.getFields())) {
          if (!field.description) undescribed.push(`${name}.${field.name}`);
          for (const arg of field.args) if (!arg.description) undescribed.push(`${name}.${field.name}(${arg.name})`);
        }
      }
    }
    const roots = {
      Query: ["webhookEndpoints", "webhookDeliveries"],
      Mutation: ["createWebhookEndpoint", "updateWebhookEndpoint", "deleteWebhookEndpoint", "rollWebhookSecret"],
      Subscription: ["dealEvents"],
    };
    for (const [root, names] of Object.entries(roots)) {
      const fields = (schema.getType(root) as GraphQLObjectType).getFields();
      for (const name of names) {
        if (!fields[name].description) undescribed.push(`${root}.${name}`);
        for (const arg of fields[name].args) if (!arg.description) undescribed.push(`${root}.${name}(${arg.name})`);
      }
    }
    expect(undescribed).toEqual([]);
  });
});
