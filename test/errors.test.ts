import { GraphQLError } from "graphql";
import { loadConfig } from "../src/config";
import { createErrorFormatter } from "../src/core/errors/format-error";
import { createTenant, TestUser } from "./factories";
import { errorOf, useTestService } from "./support/harness";

describe("errors", () => {
  const service = useTestService();
  let user: TestUser;

  beforeAll(async () => {
    user = await createTenant(service.db);
  });

  it("reports a query that does not fit the schema as BAD_USER_INPUT", async () => {
    const unknownField = await service.http(`{ me { shoeSize } }`, {}, { key: user.apiKey });
    expect(unknownField.status).toBe(400);
    expect(errorOf(unknownField).extensions).toEqual({ code: "BAD_USER_INPUT", reason: "GRAPHQL_VALIDATION_FAILED" });
    const unparsable = await service.http(`{ me {`, {}, { key: user.apiKey });
    expect(errorOf(unparsable).extensions).toEqual({ code: "BAD_USER_INPUT", reason: "GRAPHQL_PARSE_FAILED" });
  });

  it("masks an unexpected failure as INTERNAL_SERVER_ERROR without internals", async () => {
    // A viewer the API would never build: its organization id is not a UUID, so PostgreSQL fails.
    const broken = { ...user.viewer, organizationId: "not-a-uuid" };
    const spy = jest.spyOn(console, "error").mockImplementation(() => undefined);
    const result = await service.exec(`query ($id: ID!) { person(id: $id) { id } }`, { id: user.userId }, broken);
    spy.mockRestore();
    const error = errorOf(result);
    expect(error).toEqual({ message: "Internal server error", locations: expect.any(Array), path: ["person"], extensions: { code: "INTERNAL_SERVER_ERROR" } });
    expect(JSON.stringify(result.body)).not.toMatch(/uuid|syntax|stack|select/i);
  });

  describe("the formatter", () => {
    const driverError = new Error('invalid input syntax for type uuid: "x" at SELECT "row"."id" FROM person');
    const formatted = { message: driverError.message, extensions: { code: "INTERNAL_SERVER_ERROR", stacktrace: ["at x"] } };

    it.each([
      ["production", "true"],
      ["test", "true"],
      ["development", undefined],
    ])("hides the message of an unexpected error in %s (EXPOSE_ERRORS=%s)", (env, expose) => {
      const { exposeErrors } = loadConfig({ NODE_ENV: env, EXPOSE_ERRORS: expose });
      const spy = jest.spyOn(console, "error").mockImplementation(() => undefined);
      const out = createErrorFormatter({ exposeErrors })(formatted, driverError);
      spy.mockRestore();
      expect(out).toEqual({ message: "Internal server error", extensions: { code: "INTERNAL_SERVER_ERROR" } });
    });

    it("shows it in development when EXPOSE_ERRORS=true", () => {
      const { exposeErrors } = loadConfig({ NODE_ENV: "development", EXPOSE_ERRORS: "true" });
      expect(createErrorFormatter({ exposeErrors })(formatted, driverError).message).toBe(driverError.message);
    });

    it("keeps the errors dealgraph means to show, minus any stack trace", () => {
      const error = new GraphQLError("Person x was not found.", { extensions: { code: "NOT_FOUND" } });
      const out = createErrorFormatter({ exposeErrors: false })({ message: error.message, extensions: { code: "NOT_FOUND", stacktrace: ["at y"] } }, error);
      expect(out).toEqual({ message: "Person x was not found.", extensions: { code: "NOT_FOUND" } });
    });

    it("reports a unique violation from PostgreSQL as CONFLICT, without the constraint's name", () => {
      const violation = Object.assign(new Error('duplicate key value violates unique constraint "person_user_email_key"'), { code: "23505" });
      const out = createErrorFormatter({ exposeErrors: false })({ message: violation.message, extensions: { code: "INTERNAL_SERVER_ERROR" } }, violation);
      expect(out).toEqual({ message: "This conflicts with a record that already exists.", extensions: { code: "CONFLICT" } });
    });

    it("gives an unknown code the INTERNAL_SERVER_ERROR treatment", () => {
      const spy = jest.spyOn(console, "error").mockImplementation(() => undefined);
      const out = createErrorFormatter({ exposeErrors: false })({ message: "secret", extensions: { code: "SOMETHING_ELSE" } }, new Error("secret"));
      spy.mockRestore();
      expect(out.extensions).toEqual({ code: "INTERNAL_SERVER_ERROR" });
      expect(out.message).toBe("Internal server error");
    });
  });
});
