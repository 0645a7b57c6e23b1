import { createHash, randomBytes } from "node:crypto";
import { TblsError } from "./errors";
import { parseSecretKey } from "./secretKey";
import { bytesToScalar, scalarToBytes, splitSecret } from "./shamir";
import { assertThreshold, collectShares, type ShareEntries } from "./shares";

/**
 * Shamir-splits a secret key into `total` shares with threshold `threshold`: a fresh random polynomial
 * f of degree t−1 over Fr with f(0) = sk; share i (1..n) is f(i), 32 bytes big-endian — the sharing
 * Charon's tbls (herumi `SecretKey.Set`) produces, so any t shares recover sk and any t partial
 * signatures recover the group signature. Polynomials that would give a zero share (probability
 * ~n/2^255) are redrawn, so every share is a valid secret key.
 *
 * @example const shares = splitSecretKey(sk, 3, 4); // Map { 1 => Uint8Array(32), …, 4 => … }
 * @throws {TblsError} `INVALID_SECRET_KEY`, `INVALID_THRESHOLD` (need 1 ≤ t ≤ n)
 */
export function splitSecretKey(
  secretKey: Uint8Array,
  threshold: number,
  total: number,
): Map<number, Uint8Array> {
  return split(secretKey, threshold, total, randomBytes);
}

/**
 * INSECURE — tests and demos only. {@link splitSecretKey} with the polynomial's coefficients drawn from
 * a byte stream fixed by (`seed`, `secretKey`), so the same inputs always give the same shares.
 * Anyone who knows the seed and one share can compute the secret key.
 *
 * Stream: block k = SHA-256("cohort/tbls/insecure-deterministic-split/v1" ‖ u32be(len(seed)) ‖ seed ‖
 * sk ‖ u32be(k)), k = 0, 1, …; each coefficient a_1..a_{t−1} is the next 32 bytes read as a big-endian
 * integer, skipped unless in [1, r−1].
 *
 * @example splitSecretKeyInsecureDeterministic(sk, 3, 4, new TextEncoder().encode("simnet"))
 * @throws {TblsError} `INVALID_SECRET_KEY`, `INVALID_THRESHOLD`, `INVALID_SEED` (empty or not bytes)
 */
export function splitSecretKeyInsecureDeterministic(
  secretKey: Uint8Array,
  threshold: number,
  total: number,
  seed: Uint8Array,
): Map<number, Uint8Array> {
  if (!(seed instanceof Uint8Array) || seed.length === 0) {
    throw new TblsError("INVALID_SEED", "the seed is a non-empty Uint8Array");
  }
  parseSecretKey(secretKey);
  return split(secretKey, threshold, total, deterministicStream(seed, secretKey));
}

/**
 * The public share (compressed public key, 48 bytes) of every secret share, same indices.
 *
 * @example const pubShares = publicShares(splitSecretKey(sk, 3, 4));
 * @throws {TblsError} `INVALID_SECRET_KEY` (details.index), `INVALID_SHARE_INDEX`, `DUPLICATE_SHARE_INDEX`, `INSUFFICIENT_SHARES` (empty)
 */
export function publicShares(shares: ShareEntries<Uint8Array>): Map<number, Uint8Array> {
  return new Map(
    collectShares(shares).map(([index, share]) => [
      index,
      parseSecretKey(share, { index }).toPublicKey().toBytes(),
    ]),
  );
}

function split(
  secretKey: Uint8Array,
  threshold: number,
  total: number,
  random: (n: number) => Uint8Array,
): Map<number, Uint8Array> {
  parseSecretKey(secretKey);
  assertThreshold(threshold, total);
  const secret = bytesToScalar(secretKey);
  for (;;) {
    const shares = splitSecret(secret, threshold, total, random);
    if (shares.every((s) => s !== 0n)) return new Map(shares.map((s, k) => [k + 1, scalarToBytes(s)]));
  }
}

const STREAM_DOMAIN = Buffer.from("cohort/tbls/insecure-deterministic-split/v1");

function deterministicStream(seed: Uint8Array, secretKey: Uint8Array): (n: number) => Uint8Array {
  let block = 0;
  let buffered = Buffer.alloc(0);
  const u32be = (v: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(v);
    return b;
  };
  return (n) => {
    while (buffered.length < n) {
      const next = createHash("sha256")
        .update(STREAM_DOMAIN)
        .update(u32be(seed.length))
        .update(seed)
        .update(secretKey)
        .update(u32be(block++))
        .digest();
      buffered = Buffer.concat([buffered, next]);
    }
    const out = Uint8Array.from(buffered.subarray(0, n));
    buffered = buffered.subarray(n);
    return out;
  };
}
