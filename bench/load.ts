import autocannon from "autocannon";
import { Measurement, RunStats } from "./measurement";

export interface LoadOptions {
  url: string;
  /** Sent as a bearer token; none for an endpoint that needs none (the compared one). */
  apiKey: string | null;
  connections: number;
  seconds: number;
  /** The body of the i-th request (i counts across all connections). */
  body(i: number): string;
  /** Collects into these (several interleaved rounds into one set of figures); a fresh set by default. */
  stats?: RunStats;
}

/**
 * Drives the service over HTTP with autocannon: `connections` keep-alive connections, each
 * sending its next request as soon as the previous answer arrives, for `seconds`. Every answer's
 * body is checked for a GraphQL `errors` array.
 */
export function driveService({ url, apiKey, connections, seconds, body, stats = new RunStats() }: LoadOptions): Promise<Measurement> {
  let next = 0;
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const instance = autocannon(
      {
        url,
        method: "POST",
        headers: { "content-type": "application/json", ...(apiKey === null ? {} : { authorization: `Bearer ${apiKey}` }) },
        connections,
        duration: seconds,
        sampleInt: 100,
        timeout: 30,
        requests: [
          {
            setupRequest: (request) => ({ ...request, body: body(next++) }),
            onResponse: (status, text) => {
              if (status < 200 || status >= 300) stats.error(() => `HTTP ${status}: ${firstMessage(text)}`);
              // Only a GraphQL error list puts the key "errors" in a response: inside strings its quotes are escaped.
              else if (text.includes('"errors":')) stats.error(() => firstMessage(text));
            },
          },
        ],
      },
      (error, result) => {
        if (error) return reject(error);
        for (let i = 0; i < result.errors; i++) stats.error(() => "connection error");
        for (let i = 0; i < result.timeouts; i++) stats.error(() => "timeout");
        resolve(stats.finish((performance.now() - started) / 1000));
      },
    );
    instance.on("response", (_client: unknown, _status: number, _bytes: number, responseTime: number) => stats.latency(responseTime));
  });
}

function firstMessage(text: string): string {
  try {
    const parsed = JSON.parse(text) as { errors?: Array<{ message?: string; extensions?: { code?: string } }> };
    const error = parsed.errors?.[0];
    if (error) return `${error.extensions?.code ?? "ERROR"}: ${error.message ?? ""}`;
  } catch {
    // Not JSON: show the start of the text.
  }
  return text.slice(0, 200);
}
