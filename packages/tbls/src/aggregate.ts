import {
  aggregatePublicKeys as blstAggregatePublicKeys,
  aggregateSignatures as blstAggregateSignatures,
} from "@chainsafe/blst";
import { parsePublicKey, parseSignature } from "./decode";
import { TblsError } from "./errors";

/**
 * The spec's `Aggregate`: the sum of the signatures in G2 (plain aggregation, no coefficients — for a
 * threshold group signature use `thresholdAggregate`). Every input is subgroup-checked.
 *
 * @example const agg = aggregateSignatures([sigA, sigB]);
 * @throws {TblsError} `EMPTY_INPUT` for an empty list, `INVALID_SIGNATURE` (details.index) for a bad one
 */
export function aggregateSignatures(signatures: readonly Uint8Array[]): Uint8Array {
  if (signatures.length === 0) throw new TblsError("EMPTY_INPUT", "cannot aggregate zero signatures");
  const parsed = signatures.map((sig, index) => parseSignature(sig, { index }));
  return blstAggregateSignatures(parsed, false).toBytes();
}

/**
 * The spec's `eth_aggregate_pubkeys`: the sum of the public keys in G1, each of which must pass
 * `KeyValidate` (so the infinity key is refused).
 *
 * @example const aggPk = aggregatePublicKeys(syncCommitteePubkeys);
 * @throws {TblsError} `EMPTY_INPUT` for an empty list, `INVALID_PUBLIC_KEY` (details.index) for a bad one
 */
export function aggregatePublicKeys(publicKeys: readonly Uint8Array[]): Uint8Array {
  if (publicKeys.length === 0) throw new TblsError("EMPTY_INPUT", "cannot aggregate zero public keys");
  const parsed = publicKeys.map((pk, index) => parsePublicKey(pk, { index }));
  return blstAggregatePublicKeys(parsed, false).toBytes();
}
