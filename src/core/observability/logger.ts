import pino, { DestinationStream, Logger } from "pino";
import type { PrettyOptions } from "pino-pretty";

export type { Logger };

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface LoggerSettings {
  level: LogLevel;
  /** Human-readable lines (development) instead of one JSON object per line. */
  pretty: boolean;
  /** Where lines go; stdout unless a test captures them. */
  destination?: DestinationStream;
}

/**
 * The service's one logger. JSON lines for machines; in development, pino-pretty as a plain stream
 * in this thread (no worker transport), so a crash never loses the last lines.
 */
export function createLogger({ level, pretty, destination }: LoggerSettings): Logger {
  const options = {
    level,
    base: { service: "dealgraph" },
    timestamp: pino.stdTimeFunctions.isoTime,
    // A safety net behind the request logger, which never passes these in the first place.
    // A failed statement's parameters and the driver's detail carry the values of the input.
    redact: {
      paths: ["authorization", "headers.authorization", "variables", "apiKey", "req.headers.authorization", "err.parameters", "err.detail", "err.driverError.detail"],
      censor: "[redacted]",
    },
  };
  if (pretty) {
    // Loaded only when used: production never pays for it.
    const pinoPretty = (require("pino-pretty") as { default: (options: PrettyOptions) => DestinationStream }).default;
    return pino(
      options,
      pinoPretty({
        colorize: !destination && Boolean(process.stdout.isTTY),
        translateTime: "SYS:HH:MM:ss.l",
        ignore: "pid,hostname,service",
        sync: true,
        ...(destination ? { destination: destination as PrettyOptions["destination"] } : {}),
      }),
    );
  }
  return destination ? pino(options, destination) : pino(options);
}

/** A logger that writes nothing (tools and tests that do not look at logs). */
export const silentLogger: Logger = pino({ level: "silent" });

/**
 * Where work that belongs to no request (the webhook worker, the event feed) logs: the app's
 * logger once startApp has made it, so every line goes through the same pino output.
 */
let backgroundLogger: Logger = createLogger({ level: "error", pretty: false });

export function setBackgroundLogger(logger: Logger): void {
  backgroundLogger = logger;
}

/** An error of background work, once, with its stack. */
export function logBackgroundError(what: string, error: unknown): void {
  backgroundLogger.error({ err: error instanceof Error ? error : new Error(String(error)) }, what);
}
