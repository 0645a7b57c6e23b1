/**
 * Aggregator selection (consensus-specs `is_aggregator`, `is_sync_committee_aggregator`), applied to
 * the cluster's COMBINED selection proof: members partial-sign the selection data, exchange and
 * threshold-aggregate it (prepare duties), and every member then decides the same way from the same
 * group signature — so this works with beacon nodes lacking the DV selection endpoints.
 */
import { createHash } from "node:crypto";

/** The spec constants selection depends on (mainnet preset by default; read from `/eth/v1/config/spec`). */
export interface SelectionConstants {
  TARGET_AGGREGATORS_PER_COMMITTEE: number;
  SYNC_COMMITTEE_SIZE: number;
  SYNC_COMMITTEE_SUBNET_COUNT: number;
  TARGET_AGGREGATORS_PER_SYNC_SUBCOMMITTEE: number;
}

export const MAINNET_SELECTION_CONSTANTS: SelectionConstants = Object.freeze({
  TARGET_AGGREGATORS_PER_COMMITTEE: 16,
  SYNC_COMMITTEE_SIZE: 512,
  SYNC_COMMITTEE_SUBNET_COUNT: 4,
  TARGET_AGGREGATORS_PER_SYNC_SUBCOMMITTEE: 16,
});

/** Constants from a `/eth/v1/config/spec` response; missing or malformed values keep the mainnet ones. */
export function selectionConstantsFromSpec(spec: Record<string, string>): SelectionConstants {
  const out = { ...MAINNET_SELECTION_CONSTANTS };
  for (const key of Object.keys(out) as (keyof SelectionConstants)[]) {
    const v = spec[key];
    if (v !== undefined && /^\d+$/.test(v) && Number(v) > 0) out[key] = Number(v);
  }
  return out;
}

/** `bytes_to_uint64(sha256(proof)[0:8]) % modulo == 0` (little-endian). */
function selectedBy(proof: Uint8Array, modulo: number): boolean {
  const digest = createHash("sha256").update(proof).digest();
  return digest.readBigUInt64LE(0) % BigInt(modulo) === 0n;
}

/** `is_aggregator`: modulo = max(1, committee_length // TARGET_AGGREGATORS_PER_COMMITTEE). */
export function isAggregator(
  committeeLength: number,
  selectionProof: Uint8Array,
  c: SelectionConstants = MAINNET_SELECTION_CONSTANTS,
): boolean {
  return selectedBy(
    selectionProof,
    Math.max(1, Math.floor(committeeLength / c.TARGET_AGGREGATORS_PER_COMMITTEE)),
  );
}

/**
 * `is_sync_committee_aggregator`: modulo = max(1, SYNC_COMMITTEE_SIZE // SYNC_COMMITTEE_SUBNET_COUNT
 * // TARGET_AGGREGATORS_PER_SYNC_SUBCOMMITTEE).
 */
export function isSyncCommitteeAggregator(
  selectionProof: Uint8Array,
  c: SelectionConstants = MAINNET_SELECTION_CONSTANTS,
): boolean {
  const modulo = Math.floor(
    Math.floor(c.SYNC_COMMITTEE_SIZE / c.SYNC_COMMITTEE_SUBNET_COUNT) /
      c.TARGET_AGGREGATORS_PER_SYNC_SUBCOMMITTEE,
  );
  return selectedBy(selectionProof, Math.max(1, modulo));
}

/** The subcommittee of a sync committee position. */
export const syncSubcommitteeOf = (position: number, c: SelectionConstants = MAINNET_SELECTION_CONSTANTS) =>
  Math.floor(position / Math.floor(c.SYNC_COMMITTEE_SIZE / c.SYNC_COMMITTEE_SUBNET_COUNT));
