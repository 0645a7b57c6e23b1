import { randomBytes } from "node:crypto";
import { SecretKey } from "@chainsafe/blst";

/** Order r of the BLS12-381 scalar field Fr (the group order of G1 and G2). */
export const FR_ORDER = 0x73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001n;

const mod = (a: bigint) => ((a % FR_ORDER) + FR_ORDER) % FR_ORDER;

/** Modular inverse in Fr (Fermat: a^(r−2)). */
function inv(a: bigint): bigint {
  let result = 1n;
  let base = mod(a);
  let e = FR_ORDER - 2n;
  while (e > 0n) {
    if (e & 1n) result = (result * base) % FR_ORDER;
    base = (base * base) % FR_ORDER;
    e >>= 1n;
  }
  return result;
}

/**
 * A non-negative integer below 2^256 as 32 big-endian bytes (the secret-key encoding).
 *
 * @example scalarToBytes(0x42n) // 31 zero bytes, then 0x42
 */
export const scalarToBytes = (s: bigint): Uint8Array => {
  if (s < 0n || s >= 1n << 256n) throw new RangeError("scalar must be in [0, 2^256)");
  return Uint8Array.from(Buffer.from(s.toString(16).padStart(64, "0"), "hex"));
};

/** Big-endian bytes as a non-negative integer (the inverse of {@link scalarToBytes}). */
export const bytesToScalar = (b: Uint8Array): bigint =>
  b.length === 0 ? 0n : BigInt(`0x${Buffer.from(b).toString("hex")}`);

/** A uniformly random non-zero scalar (rejection sampling on 256-bit values). */
export function randomScalar(random: (n: number) => Uint8Array = randomBytes): bigint {
  for (;;) {
    const s = bytesToScalar(random(32));
    if (s > 0n && s < FR_ORDER) return s;
  }
}

/**
 * Shamir-splits `secret` into `n` shares with threshold `t` over Fr: a random polynomial f of degree
 * t−1 with f(0) = secret; share i (1-based, the x coordinate) is f(i).
 */
export function splitSecret(
  secret: bigint,
  t: number,
  n: number,
  random?: (n: number) => Uint8Array,
): bigint[] {
  if (!(Number.isInteger(t) && Number.isInteger(n) && t >= 1 && t <= n)) {
    throw new RangeError(`threshold ${t} must be an integer in [1, ${n}]`);
  }
  if (secret <= 0n || secret >= FR_ORDER) throw new RangeError("secret must be a non-zero scalar in Fr");
  const coefficients = [secret, ...Array.from({ length: t - 1 }, () => randomScalar(random))];
  return Array.from({ length: n }, (_, k) => {
    const x = BigInt(k + 1);
    // Horner's rule from the highest coefficient down.
    return coefficients.reduceRight((acc, c) => mod(acc * x + c), 0n);
  });
}

/** Lagrange coefficient λ_i(0) for share index `i` among `indices` (all 1-based, distinct). */
export function lagrangeAtZero(i: number, indices: readonly number[]): bigint {
  let num = 1n;
  let den = 1n;
  for (const j of indices) {
    if (j === i) continue;
    num = mod(num * BigInt(-j));
    den = mod(den * BigInt(i - j));
  }
  return mod(num * inv(den));
}

/** Recovers f(0) from t shares given as (index → share). */
export function recoverSecret(shares: ReadonlyMap<number, bigint>): bigint {
  const indices = [...shares.keys()];
  return indices.reduce((acc, i) => mod(acc + shares.get(i)! * lagrangeAtZero(i, indices)), 0n);
}

/** Compressed BLS public key (48 bytes, 0x-hex) of a scalar secret key. */
export const publicKeyHex = (secret: bigint) =>
  `0x${Buffer.from(SecretKey.fromBytes(scalarToBytes(secret)).toPublicKey().toBytes()).toString("hex")}`;
