import {
  aggregateVerify as blstAggregateVerify,
  fastAggregateVerify as blstFastAggregateVerify,
  type PublicKey,
} from "@chainsafe/blst";
import { tryParsePublicKey, tryParseSignature } from "./decode";

/**
 * The spec's `FastAggregateVerify`: true iff `signature` is the aggregate of signatures of the same
 * `message` by every key in `publicKeys` (proof-of-possession scheme). False — never a throw — for an
 * empty key list or any invalid key (infinity included) or signature.
 *
 * @example fastAggregateVerify(committeePubkeys, attestationRoot, aggregateSig)
 */
export function fastAggregateVerify(
  publicKeys: readonly Uint8Array[],
  message: Uint8Array,
  signature: Uint8Array,
): boolean {
  if (publicKeys.length === 0 || !(message instanceof Uint8Array)) return false;
  const pks = parseAll(publicKeys);
  const sig = tryParseSignature(signature);
  if (pks === undefined || sig === undefined) return false;
  try {
    return blstFastAggregateVerify(message, pks, sig, false);
  } catch {
    return false;
  }
}

/**
 * The spec's `AggregateVerify`: true iff `signature` aggregates, for each i, a signature of
 * `messages[i]` by `publicKeys[i]`. False — never a throw — for empty or mismatched lists, or any
 * invalid key or signature. Works for a single key (where @chainsafe/bls 8 on blst 2 fails).
 *
 * @example aggregateVerify([pkA, pkB], [msgA, msgB], aggregateSig)
 */
export function aggregateVerify(
  publicKeys: readonly Uint8Array[],
  messages: readonly Uint8Array[],
  signature: Uint8Array,
): boolean {
  if (publicKeys.length === 0 || publicKeys.length !== messages.length) return false;
  if (!messages.every((m) => m instanceof Uint8Array)) return false;
  const pks = parseAll(publicKeys);
  const sig = tryParseSignature(signature);
  if (pks === undefined || sig === undefined) return false;
  try {
    return blstAggregateVerify([...messages], pks, sig, false, false);
  } catch {
    return false;
  }
}

function parseAll(publicKeys: readonly Uint8Array[]): PublicKey[] | undefined {
  const out: PublicKey[] = [];
  for (const bytes of publicKeys) {
    const pk = tryParsePublicKey(bytes);
    if (pk === undefined) return undefined;
    out.push(pk);
  }
  return out;
}
