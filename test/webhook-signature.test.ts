import { createHmac, timingSafeEqual } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { signatureHeader, verifySignature } from "../src/modules/webhook/webhook.signature";
import { isPrivateAddress, urlProblem } from "../src/modules/webhook/webhook.url";

/**
 * The receiver's check exactly as the README shows it (section "Events"), with nothing from
 * dealgraph: a receiver in another code base can copy it.
 */
function verifyDealgraphSignature(secret: string, rawBody: string, header: string, toleranceSeconds = 300): boolean {
  const parts = Object.fromEntries(header.split(",").map((part) => part.split("=", 2)));
  const timestamp = Number(parts.t);
  if (!Number.isInteger(timestamp) || Math.abs(Date.now() / 1000 - timestamp) > toleranceSeconds) return false;
  const expected = createHmac("sha256", secret).update(`${timestamp}.${rawBody}`).digest();
  const given = Buffer.from(parts.v1 ?? "", "hex");
  return given.length === expected.length && timingSafeEqual(given, expected);
}

describe("webhook signatures", () => {
  const secret = "whsec_test";
  const body = JSON.stringify({ id: "e1", type: "deal.created", data: { deal: { name: "Ünïcode → deal" } } });
  const now = Math.floor(Date.now() / 1000);

  it("signs t.body with HMAC-SHA256, in Stripe's t=…,v1=… form", () => {
    const expected = createHmac("sha256", secret).update(`${now}.${body}`).digest("hex");
    expect(signatureHeader(secret, body, now)).toBe(`t=${now},v1=${expected}`);
  });

  it("is checked here by the very function the README shows", () => {
    const functionIn = (file: string) => /^function verifyDealgraphSignature[\s\S]*?^}$/m.exec(fs.readFileSync(path.join(__dirname, "..", file), "utf8"))?.[0];
    expect(functionIn("README.md")).toBeDefined();
    expect(functionIn("README.md")).toBe(functionIn("test/webhook-signature.test.ts"));
  });

  it("is accepted by the README's receiver check, and by verifySignature", () => {
    const header = signatureHeader(secret, body, now);
    expect(verifyDealgraphSignature(secret, body, header)).toBe(true);
    expect(verifySignature(secret, body, header)).toBe(true);
  });

  it("is refused with another secret, another body, an old timestamp or a mangled header", () => {
    const header = signatureHeader(secret, body, now);
    for (const check of [verifyDealgraphSignature, verifySignature]) {
      expect(check("whsec_other", body, header)).toBe(false);
      expect(check(secret, body + " ", header)).toBe(false);
      expect(check(secret, body, signatureHeader(secret, body, now - 301))).toBe(false);
      expect(check(secret, body, header.replace(/v1=(.)/, (_, c: string) => `v1=${c === "0" ? "1" : "0"}`))).toBe(false);
      expect(check(secret, body, `t=${now}`)).toBe(false);
    }
    expect(verifySignature(secret, body, undefined)).toBe(false);
  });
});

describe("webhook URLs", () => {
  it("knows private, loopback and link-local addresses, IPv4 mapped into IPv6 too", () => {
    for (const address of ["127.0.0.1", "10.0.0.8", "172.16.4.1", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0", "::1", "fd00::1", "fe80::1", "::ffff:127.0.0.1"]) {
      expect([address, isPrivateAddress(address)]).toEqual([address, true]);
    }
    for (const address of ["93.184.216.34", "8.8.8.8", "2606:4700::1111", "::ffff:8.8.8.8"]) {
      expect([address, isPrivateAddress(address)]).toEqual([address, false]);
    }
  });

  it("takes only absolute http(s) URLs without credentials; private hosts only when allowed", async () => {
    const strict = { allowPrivate: false };
    expect(await urlProblem("https://93.184.216.34/hook", strict)).toBeNull();
    expect(await urlProblem("ftp://example.com", strict)).toBe("url must be an http or https URL");
    expect(await urlProblem("/hook", strict)).toBe("url must be an absolute http or https URL");
    expect(await urlProblem("https://user:pw@example.com/", strict)).toBe("url must not contain credentials");
    expect(await urlProblem("http://127.0.0.1:4000/", strict)).toMatch(/private or loopback/);
    expect(await urlProblem("http://localhost:4000/", strict)).toMatch(/private or loopback/);
    expect(await urlProblem("http://127.0.0.1:4000/", { allowPrivate: true })).toBeNull();
  });
});
