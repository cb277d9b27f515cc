import { AsyncLocalStorage } from "node:async_hooks";
import { AbstractLogger, LogLevel, LogMessage, QueryRunner } from "typeorm";

/** How many SQL statements one unit of work (a request, a test) has sent. */
export class SqlStats {
  statements = 0;
}

const current = new AsyncLocalStorage<SqlStats>();

/** Runs `work` with its own statement counter; every query it sends, however deep, is counted. */
export function withSqlStats<T>(stats: SqlStats, work: () => T): T {
  return current.run(stats, work);
}

/**
 * TypeORM calls logQuery for every statement it sends (BEGIN and COMMIT included), so this
 * logger is where statements are counted. Errors are printed; queries only on request.
 */
export class CountingLogger extends AbstractLogger {
  /** `verbose` adds the schema and migration messages the TypeORM CLI prints. */
  constructor(
    private readonly printQueries = false,
    verbose = false,
  ) {
    super([...(printQueries ? (["query"] as const) : []), "error", ...(verbose ? (["warn", "info", "log", "schema", "migration"] as const) : [])]);
  }

  logQuery(query: string, parameters?: unknown[], queryRunner?: QueryRunner): void {
    const stats = current.getStore();
    if (stats) stats.statements++;
    if (this.printQueries) super.logQuery(query, parameters, queryRunner);
  }

  /**
   * A failed statement surfaces as an error to its caller, and the request observer logs an
   * unexpected one once, with its request id; printing it here too would log it twice (and the SQL).
   */
  logQueryError(error: string, query: string, parameters?: unknown[], queryRunner?: QueryRunner): void {
    if (this.printQueries) super.logQueryError(error, query, parameters, queryRunner);
  }

  protected writeLog(level: LogLevel, message: LogMessage | LogMessage[]): void {
    for (const m of Array.isArray(message) ? message : [message]) {
      if (level === "error" || level === "warn") console.error(`[db] ${m.type ?? level}: ${m.message}`);
      else console.log(`[db] ${m.message}`);
    }
  }
}
