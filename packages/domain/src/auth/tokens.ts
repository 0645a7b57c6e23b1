import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

/** Opaque bearer secrets. Only their SHA-256 is stored: they carry 256 bits, so no slow KDF is needed. */
export const newSecret = (bytes = 32) => randomBytes(bytes).toString("base64url");

export const sha256Hex = (value: string) => createHash("sha256").update(value).digest("hex");

export function sameHash(aHex: string, bHex: string): boolean {
  const a = Buffer.from(aHex, "hex");
  const b = Buffer.from(bHex, "hex");
  return a.length === b.length && timingSafeEqual(a, b);
}

export const SESSION_TOKEN_PREFIX = "cohort_s_";
export const API_KEY_PREFIX = "cohort_ak_";

/** Agent API key: `cohort_ak_<8 hex id>_<secret>`; the id part is looked up, the secret compared. */
export function newApiKey(): { key: string; prefix: string; secretHash: string } {
  const prefix = randomBytes(4).toString("hex");
  const secret = newSecret();
  return { key: `${API_KEY_PREFIX}${prefix}_${secret}`, prefix, secretHash: sha256Hex(secret) };
}

export function parseApiKey(key: string): { prefix: string; secret: string } | null {
  const m = /^cohort_ak_([0-9a-f]{8})_([A-Za-z0-9_-]{43})$/.exec(key);
  return m ? { prefix: m[1]!, secret: m[2]! } : null;
}
