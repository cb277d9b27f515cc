import { FieldDef } from "pg";
import { AfterQueryEvent, BeforeQueryEvent, DataSource, EntitySubscriberInterface, QueryRunner } from "typeorm";
import { RunningApp, startApp } from "../src/app";
import { silentLogger } from "../src/core/observability/logger";
import { loadConfig } from "../src/config";
import { createDataSource } from "../src/core/db/data-source";
import { postGraphQL } from "./client";

/** One SQL statement the service sent, with its parameters and what PostgreSQL answered. */
export interface CapturedStatement {
  text: string;
  parameters: unknown[];
  /** The TypeORM query runner that sent it: one pooled connection for as long as the runner holds it. */
  runner: number;
  command: string;
  fields: FieldDef[];
  /** Rows as arrays, in `fields` order. */
  rows: unknown[][];
}

/** When each statement started and finished, in order: replaying this order reproduces the service's concurrency. */
export type StatementEvent = { type: "start" | "end"; statement: number };

export interface Capture {
  variables: Record<string, unknown>;
  statements: CapturedStatement[];
  events: StatementEvent[];
  /** The response body, as the service sent it. */
  body: string;
  /** The x-sql-statements header of the same request. */
  headerCount: number;
}

/**
 * The service's own code, running in this process on its own connection pool, with a TypeORM
 * subscriber that records every statement a request sends (parameters and results included).
 * Requests go over HTTP to the real HTTP front (src/core/http/server.ts), one at a time, so every
 * statement recorded during a request belongs to it.
 */
export class SqlRecorder {
  private constructor(
    private readonly db: DataSource,
    private readonly app: RunningApp,
    private readonly subscriber: RecordingSubscriber,
  ) {}

  static async start(databaseUrl: string, poolMax: number): Promise<SqlRecorder> {
    const db = createDataSource({ url: databaseUrl, poolMax });
    const subscriber = new RecordingSubscriber();
    await db.initialize();
    // After initialize(), which replaces the subscriber list with the configured ones (none).
    db.subscribers.push(subscriber);
    const defaults = loadConfig({});
    // No webhook worker: its statements would be recorded with the requests'.
    const config = { ...defaults, nodeEnv: "production", port: 0, host: "127.0.0.1", exposeSqlStats: true, webhooks: { ...defaults.webhooks, worker: false } };
    // The recorder's own requests are not what the bench reports on: no request log lines.
    const app = await startApp(config, db, { logger: silentLogger }).catch(async (error) => {
      await db.destroy();
      throw error;
    });
    return new SqlRecorder(db, app, subscriber);
  }

  async record(apiKey: string, query: string, variables: Record<string, unknown>): Promise<Capture> {
    const recording: Recording = { statements: [], events: [], pending: new Map() };
    this.subscriber.recording = recording;
    try {
      const response = await postGraphQL(this.app.url, apiKey, { query, variables });
      if (recording.pending.size > 0) throw new Error("a statement was still running when the response was sent");
      return {
        variables,
        statements: recording.statements,
        events: recording.events,
        body: response.text,
        headerCount: response.sqlStatements ?? recording.statements.length,
      };
    } finally {
      this.subscriber.recording = null;
    }
  }

  async stop(): Promise<void> {
    await this.app.stop();
    await this.db.destroy();
  }
}

interface Recording {
  statements: CapturedStatement[];
  events: StatementEvent[];
  /** Statements sent and not yet answered, per runner, oldest first: a runner's connection answers in order. */
  pending: Map<QueryRunner, number[]>;
}

class RecordingSubscriber implements EntitySubscriberInterface {
  recording: Recording | null = null;
  private readonly runners = new WeakMap<QueryRunner, number>();
  private nextRunner = 0;

  beforeQuery(event: BeforeQueryEvent): void {
    const recording = this.recording;
    if (!recording) return;
    const runner = event.queryRunner!;
    if (!this.runners.has(runner)) this.runners.set(runner, this.nextRunner++);
    const index = recording.statements.length;
    recording.statements.push({
      text: event.query,
      parameters: Array.isArray(event.parameters) ? [...event.parameters] : [],
      runner: this.runners.get(runner)!,
      command: "",
      fields: [],
      rows: [],
    });
    recording.events.push({ type: "start", statement: index });
    recording.pending.set(runner, [...(recording.pending.get(runner) ?? []), index]);
  }

  afterQuery(event: AfterQueryEvent): void {
    const recording = this.recording;
    const queue = recording?.pending.get(event.queryRunner!);
    if (!recording || !queue?.length) return;
    const index = queue.shift()!;
    if (queue.length === 0) recording.pending.delete(event.queryRunner!);
    const statement = recording.statements[index];
    const raw = event.rawResults as { command?: string; fields?: FieldDef[]; rows?: Array<Record<string, unknown>> } | undefined;
    statement.command = raw?.command ?? "";
    statement.fields = raw?.fields ?? [];
    statement.rows = (raw?.rows ?? []).map((row) => statement.fields.map((field) => row[field.name]));
    recording.events.push({ type: "end", statement: index });
  }
}
