/**
 * Consensus round deadlines of the eager double linear round timer (first expiry), in integer
 * nanoseconds:
 *
 *   deadline = genesis + slotDuration * slot + dutyStartDelay(dutyType) + roundTimeout(dutyType, round)
 *
 * Pure arithmetic on bigints: a float cannot hold a unix timestamp in nanoseconds. The duty type is
 * Charon's numeric `core.DutyType`; this module knows only the few types whose timing differs.
 */

/** Charon's numeric duty types that affect round timing. */
export const DutyTypeCode = {
  PROPOSER: 1,
  ATTESTER: 2,
  AGGREGATOR: 9,
  SYNC_MESSAGE: 10,
  SYNC_CONTRIBUTION: 12,
} as const;

const SECOND = 1_000_000_000n;
const MILLI = 1_000_000n;

/** The per-round increment of the linear timeout. */
export const ROUND_INCREMENT_NANOS = SECOND;
/** A proposer's first round gets extra time to build the block. */
export const PROPOSER_FIRST_ROUND_NANOS = 1500n * MILLI;

export interface RoundDeadlineInput {
  genesisTimeNanos: bigint;
  slotDurationNanos: bigint;
  slot: bigint | number;
  dutyType: number;
  /** 1-based consensus round. */
  round: number;
}

/**
 * Offset into the slot at which the duty (and so its consensus) starts: attestations at a third of
 * the slot, aggregations and sync contributions at two thirds (Go integer division on durations).
 */
export function dutyStartDelay(dutyType: number, slotDurationNanos: bigint): bigint {
  switch (dutyType) {
    case DutyTypeCode.ATTESTER:
      return slotDurationNanos / 3n;
    case DutyTypeCode.AGGREGATOR:
    case DutyTypeCode.SYNC_CONTRIBUTION:
      return (slotDurationNanos * 2n) / 3n;
    default:
      return 0n;
  }
}

/** Timeout of a round measured from the duty start: linear in the round, 1.5s for a proposer's round 1. */
export function roundTimeout(dutyType: number, round: number): bigint {
  if (!Number.isSafeInteger(round) || round < 1) throw new RangeError(`invalid round ${round}`);
  if (round === 1 && dutyType === DutyTypeCode.PROPOSER) return PROPOSER_FIRST_ROUND_NANOS;
  return BigInt(round) * ROUND_INCREMENT_NANOS;
}

/** Absolute deadline (unix nanoseconds) of the first expiry of the round's timer. */
export function roundDeadline(input: RoundDeadlineInput): bigint {
  const slot = BigInt(input.slot);
  if (slot < 0n) throw new RangeError(`invalid slot ${slot}`);
  if (input.slotDurationNanos <= 0n) throw new RangeError("slot duration must be positive");
  return (
    input.genesisTimeNanos +
    input.slotDurationNanos * slot +
    dutyStartDelay(input.dutyType, input.slotDurationNanos) +
    roundTimeout(input.dutyType, input.round)
  );
}
