import { createHash, randomBytes } from "node:crypto";

export const API_KEY_PREFIX = "dg_";
const KEY_PATTERN = /^dg_[A-Za-z0-9_-]{43}$/;
export const DEFAULT_KEY_LIFETIME_DAYS = 90;

/** A new key: `dg_` and 32 random bytes, base64url. Only its hash is ever stored. */
export function generateApiKey(): { key: string; hash: Buffer; prefix: string } {
  const key = API_KEY_PREFIX + randomBytes(32).toString("base64url");
  return { key, hash: hashApiKey(key), prefix: key.slice(0, 11) };
}

export function hashApiKey(key: string): Buffer {
  return createHash("sha256").update(key).digest();
}

export function isWellFormedApiKey(key: string): boolean {
  return KEY_PATTERN.test(key);
}

/** The key from an `Authorization: Bearer <key>` header, or null when the header is not that. */
export function bearerToken(header: string | undefined): string | null {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "");
  return match ? match[1] : null;
}
