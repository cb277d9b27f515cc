import { lookup } from "node:dns/promises";
import { BlockList, isIP } from "node:net";

/** Addresses a webhook may not reach in production: loopback, private, link-local, unspecified, CGNAT. */
const PRIVATE = new BlockList();
for (const [network, prefix] of [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.168.0.0", 16],
] as const) {
  PRIVATE.addSubnet(network, prefix, "ipv4");
}
for (const [network, prefix] of [
  ["::", 128],
  ["::1", 128],
  ["fc00::", 7],
  ["fe80::", 10],
] as const) {
  PRIVATE.addSubnet(network, prefix, "ipv6");
}

export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  // An IPv4 address mapped into IPv6 (::ffff:127.0.0.1) is the IPv4 address.
  const mapped = family === 6 ? /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1] : undefined;
  if (mapped) return PRIVATE.check(mapped, "ipv4");
  return PRIVATE.check(address, family === 4 ? "ipv4" : "ipv6");
}

/** Whether webhooks may reach private and loopback addresses: outside production, or WEBHOOK_ALLOW_PRIVATE=true. */
export interface UrlPolicy {
  allowPrivate: boolean;
}

/**
 * Why `url` cannot be a webhook endpoint, or null when it can: it must be an absolute http(s) URL
 * without credentials, and unless private addresses are allowed, its host must not be, or resolve
 * to, a loopback or private address (a webhook must not be a way into the service's network).
 * The worker checks again before every attempt, as DNS can change.
 */
export async function urlProblem(url: string, policy: UrlPolicy): Promise<string | null> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return "url must be an absolute http or https URL";
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") return "url must be an http or https URL";
  if (parsed.username || parsed.password) return "url must not contain credentials";
  if (url.length > 2000) return "url must be at most 2000 characters";
  if (policy.allowPrivate) return null;
  const host = parsed.hostname.replace(/^\[(.*)\]$/, "$1");
  const refused = "url must not point to a private or loopback address (set WEBHOOK_ALLOW_PRIVATE=true to allow it)";
  if (host === "localhost" || host.endsWith(".localhost")) return refused;
  let addresses: string[];
  try {
    addresses = isIP(host) ? [host] : (await lookup(host, { all: true })).map((entry) => entry.address);
  } catch {
    return `url's host ${host} could not be resolved`;
  }
  return addresses.some(isPrivateAddress) ? refused : null;
}
