import { createHash } from "node:crypto";

/** Order of the BLS12-381 scalar field. */
const R = 0x73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001n;

/**
 * INSECURE, PUBLIC keys: the deterministic "interop" validator keys consensus clients use for the
 * genesis validators of local devnets (`sk_i = le(sha256(le32(i))) mod r`). Anyone can derive them;
 * they exist for tests and demos on local devnets only.
 */
export function interopSecretKey(index: number): Uint8Array {
  if (!Number.isInteger(index) || index < 0)
    throw new RangeError(`interop index ${index} must be a non-negative integer`);
  const le = Buffer.alloc(32);
  le.writeUInt32LE(index, 0);
  const digest = createHash("sha256").update(le).digest();
  const scalar = BigInt(`0x${Buffer.from(digest).reverse().toString("hex")}`) % R;
  return Uint8Array.from(Buffer.from(scalar.toString(16).padStart(64, "0"), "hex"));
}

/** Parses `interop:<from>..<to>` (inclusive) into the list of indices. */
export function parseInteropRange(spec: string): number[] {
  const m = /^interop:(\d+)\.\.(\d+)$/.exec(spec.trim());
  if (!m)
    throw new Error(`--insecure-keys must look like interop:<from>..<to> (got ${JSON.stringify(spec)})`);
  const from = Number(m[1]);
  const to = Number(m[2]);
  if (to < from) throw new Error(`--insecure-keys: ${to} < ${from}`);
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}
