import { randomUUID } from "node:crypto";
import { ApolloServer } from "@apollo/server";
import { DataSource, QueryRunner } from "typeorm";
import { RunningApp, startApp } from "../../src/app";
import { Config, loadConfig, WebhookConfig } from "../../src/config";
import { AUTH_CHANGED_CHANNEL } from "../../src/core/auth/auth-cache";
import { Viewer } from "../../src/core/auth/viewer";
import { Context, createContext } from "../../src/core/context/context";
import { createDataSource } from "../../src/core/db/data-source";
import { SqlStats, withSqlStats } from "../../src/core/db/sql-stats";
import { createLogger } from "../../src/core/observability/logger";

export interface GraphQLResult<T = any> {
  status: number;
  body: { data?: T | null; errors?: Array<{ message: string; extensions?: Record<string, any>; path?: string[] }> };
  /** SQL statements the request sent, the API-key check included. */
  sql: number;
}

export interface RequestOptions {
  key?: string;
  workspaceId?: string;
  headers?: Record<string, string>;
}

/** How many services this test process has started: each names its sessions apart. */
let services = 0;

/**
 * The service running in this test file's process, on the run's test database: a real HTTP
 * server (`http`) and the same Apollo server for `executeOperation` (`exec`).
 * Call once at the top of a describe block; it starts before and stops after the file's tests.
 * The webhook worker is off unless `webhooks` turns it on.
 */
export function useTestService({ webhooks = {}, ...overrides }: Omit<Partial<Config>, "webhooks"> & { webhooks?: Partial<WebhookConfig> } = {}) {
  const service = {} as {
    db: DataSource;
    url: string;
    apollo: ApolloServer<Context>;
    app: RunningApp;
    stop: () => Promise<void>;
    /** Every log line the service wrote, parsed, oldest first. */
    logs: Array<Record<string, any>>;
    /** Its pool's sessions' application_name: this test file's own (files run side by side on one database). */
    applicationName: string;
  };
  service.logs = [];
  service.applicationName = `dealgraph-test-${process.pid}-${++services}`;

  beforeAll(async () => {
    service.db = createDataSource({
      url: process.env.DEALGRAPH_TEST_DATABASE_URL!,
      poolMax: process.env.DEALGRAPH_TEST_EMBEDDED === "true" ? 1 : 4,
      timeouts: overrides.databaseTimeouts,
      applicationName: service.applicationName,
    });
    await service.db.initialize();
    const config = loadConfig({});
    // The webhook worker runs only where a test file asks for it.
    const webhookConfig = { ...config.webhooks, worker: false, ...webhooks };
    // The logger writes into `logs`, where tests read it, instead of cluttering the test output.
    const logger = createLogger({ level: "info", pretty: false, destination: { write: (line: string) => void service.logs.push(JSON.parse(line)) } });
    const app = await startApp(
      { ...config, nodeEnv: "test", port: 0, host: "127.0.0.1", exposeSqlStats: true, ...overrides, webhooks: webhookConfig },
      service.db,
      { logger, embedded: process.env.DEALGRAPH_TEST_EMBEDDED === "true" },
    );
    service.app = app;
    service.url = app.url;
    service.apollo = app.apollo;
    service.stop = app.stop;
  });

  afterAll(async () => {
    await service.stop?.();
    await service.db?.destroy();
  });

  /** A GraphQL request over HTTP, as a client sends it. */
  async function http<T = any>(query: string, variables: Record<string, unknown> = {}, options: RequestOptions = {}): Promise<GraphQLResult<T>> {
    const headers: Record<string, string> = { "content-type": "application/json", ...options.headers };
    if (options.key) headers.authorization = `Bearer ${options.key}`;
    if (options.workspaceId) headers["x-workspace-id"] = options.workspaceId;
    const response = await fetch(service.url, { method: "POST", headers, body: JSON.stringify({ query, variables }) });
    return { status: response.status, body: (await response.json()) as GraphQLResult<T>["body"], sql: Number(response.headers.get("x-sql-statements")) };
  }

  /** The same request through Apollo's executeOperation, as `viewer` (no API key involved). */
  async function exec<T = any>(query: string, variables: Record<string, unknown>, viewer: Viewer): Promise<GraphQLResult<T>> {
    const stats = new SqlStats();
    const response = await withSqlStats(stats, () =>
      service.apollo.executeOperation({ query, variables }, { contextValue: createContext(service.db, viewer) }),
    );
    if (response.body.kind !== "single") throw new Error("expected a single result");
    const { data, errors } = response.body.singleResult;
    return { status: response.http.status ?? 200, body: { data: data as T, errors: errors as any }, sql: stats.statements };
  }

  /**
   * Makes `key` one the service answers from its auth cache, to stay so: first waits until the
   * service has heard every notification committed so far (a marker of its own, heard after
   * them), since one arriving late from the writes that made the key (a tenant's creation) would
   * empty the organization's cached keys; then uses the key once.
   */
  async function cacheKey(key: string): Promise<void> {
    const marker = `settled-${randomUUID()}`;
    let unsubscribe = () => undefined as void;
    const heard = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("the service did not hear its own notification within 5 s")), 5000);
      unsubscribe = service.app.notifications.subscribe(AUTH_CHANGED_CHANNEL, (payload) => {
        if (payload !== marker) return;
        clearTimeout(timer);
        resolve();
      });
    });
    try {
      await service.db.query(`SELECT pg_notify($1, $2)`, [AUTH_CHANGED_CHANNEL, marker]);
      await heard;
    } finally {
      unsubscribe();
    }
    dataOf(await http(`{ me { id } }`, {}, { key }));
  }

  return Object.assign(service, { http, exec, cacheKey });
}

/** Runs `work` in a transaction of its own on `db` that is rolled back, whatever it did. */
export async function rolledBack(db: DataSource, work: (runner: QueryRunner) => Promise<void>): Promise<void> {
  const runner = db.createQueryRunner();
  await runner.connect();
  await runner.startTransaction();
  try {
    await work(runner);
  } finally {
    await runner.rollbackTransaction();
    await runner.release();
  }
}

/** The data of a result that must have no errors, with the errors shown when it has. */
export function dataOf<T>(result: GraphQLResult<T>): T {
  if (result.body.errors?.length) throw new Error(`Unexpected errors: ${JSON.stringify(result.body.errors, null, 2)}`);
  return result.body.data as T;
}

/** The single error of a result that must have failed. */
export function errorOf(result: GraphQLResult): { message: string; extensions?: Record<string, any> } {
  expect(result.body.errors).toHaveLength(1);
  return result.body.errors![0];
}

/** The field paths of a BAD_USER_INPUT error, sorted. */
export function fieldPaths(result: GraphQLResult): string[] {
  const error = errorOf(result);
  expect(error.extensions?.code).toBe("BAD_USER_INPUT");
  return (error.extensions!.fields as Array<{ path: string }>).map((f) => f.path).sort();
}
