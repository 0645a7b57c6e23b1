import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** Order r of the BLS12-381 scalar field. */
const FR = 0x73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001n;

export const scalarBytes = (s: bigint) =>
  Uint8Array.from(Buffer.from(s.toString(16).padStart(64, "0"), "hex"));

export function randomScalar(): bigint {
  for (;;) {
    const s = BigInt(`0x${randomBytes(32).toString("hex")}`);
    if (s > 0n && s < FR) return s;
  }
}

/** Shamir shares f(1..n) of `secret` with a random degree t-1 polynomial over Fr (test-only). */
export function shamirSplit(secret: bigint, t: number, n: number): bigint[] {
  const coeffs = [secret, ...Array.from({ length: t - 1 }, randomScalar)];
  return Array.from({ length: n }, (_, k) =>
    coeffs.reduceRight((acc, c) => (acc * BigInt(k + 1) + c) % FR, 0n),
  );
}

export const fromHex = (h: string) => Uint8Array.from(Buffer.from(h.replace(/^0x/, ""), "hex"));
export const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

/** A copy with one byte XOR-ed. */
export function flipByte(b: Uint8Array, index = 10, mask = 0x01): Uint8Array {
  const out = b.slice();
  out[index] = (out[index] ?? 0) ^ mask;
  return out;
}

const here = fileURLToPath(new URL(".", import.meta.url));
export const fixturePath = (name: string) => `${here}fixtures/${name}`;
export const readFixture = (name: string) => readFileSync(fixturePath(name), "utf8");

/** The shared spec vectors (../shared/vectors relative to the repository root). */
export const readVector = <T = unknown>(name: string): T =>
  JSON.parse(
    readFileSync(
      fileURLToPath(new URL(`../../../../shared/vectors/obol-dv-specs/${name}`, import.meta.url)),
      "utf8",
    ),
  ) as T;
