import { ApolloServerPlugin, HTTPGraphQLRequest } from "@apollo/server";
import { unwrapResolverError } from "@apollo/server/errors";
import { DocumentNode, Kind, OperationDefinitionNode } from "graphql";
import { randomUUID } from "node:crypto";
import { isUnexpectedError } from "../errors/format-error";
import { Logger } from "./logger";
import { Metrics, OperationLabels, Outcome } from "./metrics";

/** What one GraphQL request over HTTP leaves in the log and the metrics. */
export interface RequestRecord {
  id: string;
  startedAt: bigint;
  operationName?: string;
  organizationId?: string;
  errorCodes: string[];
}

/** Request ids a client may choose: short and printable, so a log line cannot be forged with one. */
const CLIENT_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Follows each GraphQL request from the HTTP front through Apollo: one log line and one metrics
 * observation per request, and a single error-level line (with the stack) per unexpected error.
 * Apollo's plugin hooks find a request's record through the HTTPGraphQLRequest object the front
 * handed to Apollo, so the context (and executeOperation callers) need not know about any of it.
 */
export class RequestObserver {
  private readonly records = new WeakMap<HTTPGraphQLRequest, RequestRecord>();
  private readonly operations = new OperationLabels();

  constructor(
    readonly logger: Logger,
    readonly metrics: Metrics,
  ) {}

  /** Starts a request's record; `clientId` is the X-Request-Id header, kept when well-formed. */
  begin(clientId: string | undefined): RequestRecord {
    this.metrics.requestsInFlight.inc();
    return {
      id: clientId && CLIENT_REQUEST_ID.test(clientId) ? clientId : randomUUID(),
      startedAt: process.hrtime.bigint(),
      errorCodes: [],
    };
  }

  attach(request: HTTPGraphQLRequest, record: RequestRecord): void {
    this.records.set(request, record);
  }

  /** An error outside GraphQL execution (the context, the HTTP front) that nobody expected. */
  unexpected(record: RequestRecord | undefined, error: unknown): void {
    this.logger.error({ requestId: record?.id, err: error }, "unexpected error");
  }

  /**
   * Ends a request: its log line and metrics. `errorBody` is the response text of a failure Apollo
   * answered without running the operation (no plugin hook saw its errors), read for their codes.
   */
  finish(record: RequestRecord, status: number, errorBody?: string): void {
    if (record.errorCodes.length === 0 && status >= 400 && errorBody !== undefined) record.errorCodes = codesIn(errorBody);
    const seconds = Number(process.hrtime.bigint() - record.startedAt) / 1e9;
    const outcome: Outcome =
      status >= 500 || record.errorCodes.includes("INTERNAL_SERVER_ERROR")
        ? "server_error"
        : status >= 400 || record.errorCodes.length > 0
          ? "client_error"
          : "ok";
    this.metrics.requestsInFlight.dec();
    this.metrics.requestDuration.observe({ operation: this.operations.label(record.operationName), outcome }, seconds);
    for (const code of record.errorCodes) this.metrics.errors.inc({ code });
    this.logger.info(
      {
        requestId: record.id,
        operation: record.operationName ?? null,
        organizationId: record.organizationId ?? null,
        status,
        ...(record.errorCodes.length > 0 ? { errorCodes: record.errorCodes } : {}),
        durationMs: Math.round(seconds * 10_000) / 10,
      },
      "graphql request",
    );
  }

  /** The Apollo plugin that fills in the operation name, the error codes and logs unexpected errors. */
  plugin(): ApolloServerPlugin {
    const observer = this;
    return {
      async requestDidStart(start) {
        const record = start.request.http ? observer.records.get(start.request.http) : undefined;
        return {
          async didEncounterErrors({ errors }) {
            for (const error of errors) {
              if (isUnexpectedError(error)) observer.logger.error({ requestId: record?.id, err: unwrapResolverError(error) }, "unexpected error");
            }
          },
          async willSendResponse({ response, operationName, request, document }) {
            if (!record) return;
            // A document that failed validation has no resolved operation, but usually a name.
            record.operationName = operationName ?? request.operationName ?? nameInDocument(document);
            if (response.body.kind === "single") {
              record.errorCodes = (response.body.singleResult.errors ?? []).map((e) => String(e.extensions?.code ?? "UNKNOWN"));
            }
          },
        };
      },
    };
  }
}

function nameInDocument(document: DocumentNode | undefined): string | undefined {
  const operations = document?.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION) ?? [];
  return operations.length === 1 ? operations[0].name?.value : undefined;
}

function codesIn(body: string): string[] {
  try {
    const parsed = JSON.parse(body) as { errors?: Array<{ extensions?: { code?: unknown } }> };
    return (parsed.errors ?? []).map((e) => String(e.extensions?.code ?? "UNKNOWN"));
  } catch {
    return [];
  }
}
