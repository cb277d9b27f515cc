import http from "node:http";
import { LOOPBACK_ORIGINS } from "../../config";

/** The request headers browsers may send: everything the API reads. */
const ALLOWED_HEADERS = [
  "authorization",
  "content-type",
  "x-workspace-id",
  "idempotency-key",
  "if-match",
  "apollo-require-preflight",
  "x-request-id",
].join(", ");
const ALLOWED_METHODS = "GET, POST, OPTIONS";
/** Response headers scripts may read (the rest stay hidden from cross-origin callers). */
const EXPOSED_HEADERS = "x-request-id, etag, retry-after";
/** How long a browser may reuse a preflight answer (Chromium caps this at 2 hours). */
const MAX_AGE_SECONDS = "7200";

const LOOPBACK = /^http:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d{1,5})?$/;

/**
 * Cross-origin access for browsers. Allowed origins are exact origins from CORS_ORIGINS, or
 * "localhost" for any loopback origin. A disallowed origin gets no CORS headers at all, so the
 * browser refuses to hand the answer to its script. Apollo's CSRF prevention still applies.
 */
export class CorsPolicy {
  private readonly exact: Set<string>;
  private readonly loopback: boolean;

  constructor(origins: string[]) {
    this.exact = new Set(origins.filter((o) => o !== LOOPBACK_ORIGINS));
    this.loopback = origins.includes(LOOPBACK_ORIGINS);
  }

  allows(origin: string): boolean {
    return this.exact.has(origin) || (this.loopback && LOOPBACK.test(origin));
  }

  /**
   * Sets the CORS headers of a response. Returns true when it answered the request itself
   * (a preflight), false when the request goes on to its handler.
   */
  handle(req: http.IncomingMessage, res: http.ServerResponse): boolean {
    const origin = req.headers.origin;
    // Answers differ by Origin, so caches must keep them apart.
    res.setHeader("vary", "Origin");
    const allowed = origin !== undefined && this.allows(origin);
    const preflight = req.method === "OPTIONS";
    if (allowed) {
      res.setHeader("access-control-allow-origin", origin);
      if (!preflight) res.setHeader("access-control-expose-headers", EXPOSED_HEADERS);
    }
    if (!preflight) return false;
    if (allowed) {
      res.setHeader("access-control-allow-methods", ALLOWED_METHODS);
      res.setHeader("access-control-allow-headers", ALLOWED_HEADERS);
      res.setHeader("access-control-max-age", MAX_AGE_SECONDS);
    }
    res.setHeader("allow", ALLOWED_METHODS);
    res.writeHead(204, { "content-length": 0 });
    res.end();
    return true;
  }
}
