import Ajv2020 from "ajv/dist/2020";
import addFormats from "ajv-formats";
import { referralOpenApi } from "../../src/modules/referral/referral.openapi";

const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addSchema(referralOpenApi, "openapi");

type Operation = { responses: Record<string, { content?: { "application/json"?: { schema: { $ref?: string } } } }> };

/**
 * Checks an answer of the REST API against the OpenAPI document with a real validator: the route
 * and method must be described, the status among its responses, and the body valid against its
 * schema (which forbids unknown properties). Throws with Ajv's errors when it is not.
 */
export function expectDocumented(method: string, route: string, status: number, body: unknown): void {
  const operation = (referralOpenApi.paths as Record<string, Record<string, Operation>>)[route]?.[method.toLowerCase()];
  if (!operation) throw new Error(`${method} ${route} is not in the OpenAPI document`);
  const response = operation.responses[String(status)];
  if (!response) throw new Error(`${method} ${route} answered ${status}, which the OpenAPI document does not list`);
  const schema = response.content?.["application/json"]?.schema;
  if (!schema?.$ref) throw new Error(`${method} ${route} ${status} has no JSON schema`);
  const validate = ajv.getSchema(`openapi${schema.$ref}`)!;
  if (!validate(body)) {
    throw new Error(`${method} ${route} ${status} does not match the OpenAPI document: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(body, null, 2)}`);
  }
}
