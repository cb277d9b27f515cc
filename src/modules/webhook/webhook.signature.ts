import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

/** The header every delivery carries its signature in. */
export const SIGNATURE_HEADER = "dealgraph-signature";

/** A new signing secret: 32 random bytes, prefixed so it is recognisable in a config file. */
export function newWebhookSecret(): string {
  return "whsec_" + randomBytes(32).toString("base64url");
}

/**
 * The signature header of `body` sent at `timestamp` (unix seconds), as Stripe signs: HMAC-SHA256
 * over `${timestamp}.${body}`, hex. Signing the time with the body lets a receiver refuse old
 * replays.
 */
export function signatureHeader(secret: string, body: string, timestamp: number): string {
  return `t=${timestamp},v1=${hmac(secret, `${timestamp}.${body}`)}`;
}

/**
 * What a receiver does with a delivery: true when `header` holds a v1 signature of the raw `body`
 * made with `secret`, at most `toleranceSeconds` from now. Compare on the raw body, before
 * parsing it: JSON re-serialised may differ by a byte.
 */
export function verifySignature(
  secret: string,
  body: string,
  header: string | undefined,
  { toleranceSeconds = 300, now = Date.now() }: { toleranceSeconds?: number; now?: number } = {},
): boolean {
  if (!header) return false;
  const parts = header.split(",").map((part) => part.split("=", 2) as [string, string]);
  const timestamp = Number(parts.find(([name]) => name === "t")?.[1]);
  if (!Number.isInteger(timestamp) || Math.abs(now / 1000 - timestamp) > toleranceSeconds) return false;
  const expected = Buffer.from(hmac(secret, `${timestamp}.${body}`), "hex");
  return parts.some(([name, value]) => {
    if (name !== "v1" || !/^[0-9a-f]{64}$/.test(value ?? "")) return false;
    return timingSafeEqual(Buffer.from(value, "hex"), expected);
  });
}

function hmac(secret: string, text: string): string {
  return createHmac("sha256", secret).update(text, "utf8").digest("hex");
}
