/**
 * Signature checks with a seen-cache, as a beacon node keeps one: in a distributed validator every
 * member submits the same combined signature to its beacon node, and in the simulator all of them
 * reach one process, so without the cache it verifies each message n times. Results (valid or not)
 * are deterministic in (public keys, message, signature), so caching them changes no outcome.
 */
import { fastAggregateVerify as fastAggregateVerifyRaw, verify as verifyRaw } from "@cohort/tbls";

const MAX_ENTRIES = 100_000;
const cache = new Map<string, boolean>();

const hex = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("hex");

function memo(key: string, compute: () => boolean): boolean {
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  const result = compute();
  if (cache.size >= MAX_ENTRIES) {
    // Drop the oldest eighth (Map iterates in insertion order).
    let drop = MAX_ENTRIES >> 3;
    for (const k of cache.keys()) {
      cache.delete(k);
      if (--drop === 0) break;
    }
  }
  cache.set(key, result);
  return result;
}

export function verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (!(message instanceof Uint8Array)) return false;
  return memo(`v:${hex(publicKey)}:${hex(message)}:${hex(signature)}`, () =>
    verifyRaw(publicKey, message, signature),
  );
}

export function fastAggregateVerify(
  publicKeys: readonly Uint8Array[],
  message: Uint8Array,
  signature: Uint8Array,
): boolean {
  if (!(message instanceof Uint8Array)) return false;
  return memo(`f:${publicKeys.map(hex).join(",")}:${hex(message)}:${hex(signature)}`, () =>
    fastAggregateVerifyRaw(publicKeys, message, signature),
  );
}
