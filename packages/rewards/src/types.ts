/**
 * Inputs and outputs of one settlement period's allocation. Amounts are integers: `…Wei` and
 * `…Gwei` are bigints (1 gwei = 10^9 wei). Share indices are the 1-based positions in the lock.
 */

/** Matches the agent's / Prisma's `DutyType` (append-only). */
export const DUTY_TYPES = [
  "ATTESTER",
  "PROPOSER",
  "RANDAO",
  "AGGREGATOR",
  "PREPARE_AGGREGATOR",
  "SYNC_MESSAGE",
  "PREPARE_SYNC_CONTRIBUTION",
  "SYNC_CONTRIBUTION",
  "BUILDER_REGISTRATION",
  "VOLUNTARY_EXIT",
] as const;
export type DutyType = (typeof DUTY_TYPES)[number];

export const GWEI = 1_000_000_000n;

/** A member's seat for the period. */
export interface MemberInput {
  /** 1-based share index (unique in the cluster). */
  shareIndex: number;
  /** `ClusterMember.baseWeight`: a non-negative integer. */
  baseWeight: number;
}

/** One member's reconciled participation in one duty it was expected to sign. */
export interface DutyMemberParticipation {
  shareIndex: number;
  /** Counted by the receipt-quorum rule (`@cohort/evidence` reconcile). */
  contributed: boolean;
}

/**
 * One accountable duty of the period, for one validator: did the cluster succeed (≥ t partials,
 * aggregated and submitted/included) and which expected members contributed.
 */
export interface DutyParticipation {
  slot: number;
  dutyType: DutyType;
  /** Validator index (or any stable id of the validator within the cluster). */
  validator: number;
  outcome: "succeeded" | "failed";
  /** The members expected to sign this duty (normally all of them), each with its contribution. */
  members: readonly DutyMemberParticipation[];
  /**
   * For a failed duty: what the failure cost (missed reward + penalty), in gwei, when known.
   * Unknown → the policy's `failedDutyValueGwei[dutyType]` (default 0: not charged).
   */
  valueGwei?: bigint;
}

/** One validator-epoch from the beacon node's rewards endpoints (`ValidatorEpochReward`). */
export interface ValidatorEpochRewardInput {
  validator: number;
  epoch: number;
  /** head + target + source; negative for penalties. */
  attestationGwei: bigint;
  proposerGwei?: bigint;
  syncGwei?: bigint;
  /** What perfect participation would have earned (attestations), for the missed-reward cost. */
  idealGwei?: bigint;
}

/** Where the period's amount comes from. */
export type AmountSource =
  /** What the splitter received for the period (consensus + execution rewards). */
  | { kind: "received"; wei: bigint }
  /** The signed sum of per-validator per-epoch rewards and penalties; a net loss distributes 0. */
  | { kind: "beaconRewards"; records: Iterable<ValidatorEpochRewardInput> };

/** A member's uncovered penalty carried in from the previous period (policy `carry`). */
export interface DebtInput {
  shareIndex: number;
  wei: bigint;
}

/** Exact non-negative rational. */
export interface Ratio {
  numerator: bigint;
  denominator: bigint;
}
