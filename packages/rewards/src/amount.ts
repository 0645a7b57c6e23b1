import { RewardsError } from "./errors";
import { type AmountSource, type DutyParticipation, GWEI, type ValidatorEpochRewardInput } from "./types";

export interface PeriodAmount {
  /** What this period's inputs bring (wei, ≥ 0). */
  wei: bigint;
  /** The signed net of the beacon rewards records (gwei), when that was the source. */
  beaconNetGwei?: bigint;
}

/**
 * The period's amount: what the splitter received, or the signed sum of the per-validator rewards and
 * penalties (a net loss distributes nothing: the amount is 0 and `beaconNetGwei` shows the loss).
 * Streams the records once.
 */
export function periodAmount(source: AmountSource): PeriodAmount {
  if (source.kind === "received") {
    if (source.wei < 0n) throw new RewardsError("ERR_INVALID_AMOUNT", "amount: received wei is negative");
    return { wei: source.wei };
  }
  let net = 0n;
  for (const r of source.records) net += r.attestationGwei + (r.proposerGwei ?? 0n) + (r.syncGwei ?? 0n);
  return { wei: net > 0n ? net * GWEI : 0n, beaconNetGwei: net };
}

/**
 * The cost of a failed attester duty from the validator's epoch record: the reward it would have
 * earned minus what it got (a penalty is negative, so it adds). Never negative.
 */
export function missedAttestationValueGwei(record: ValidatorEpochRewardInput): bigint {
  const cost = (record.idealGwei ?? 0n) - record.attestationGwei;
  return cost > 0n ? cost : 0n;
}

/**
 * A `dutyValueGwei` lookup from the beacon rewards records: a failed ATTESTER duty of validator v at
 * slot s costs `missedAttestationValueGwei` of v's record for epoch ⌊s / slotsPerEpoch⌋. Other duty
 * types, and duties without a record, get `undefined` (the policy's default then applies).
 */
export function missedValueLookup(
  records: Iterable<ValidatorEpochRewardInput>,
  slotsPerEpoch = 32,
): (duty: DutyParticipation) => bigint | undefined {
  const byKey = new Map<string, bigint>();
  for (const r of records) byKey.set(`${r.validator}/${r.epoch}`, missedAttestationValueGwei(r));
  return (duty) =>
    duty.dutyType === "ATTESTER"
      ? byKey.get(`${duty.validator}/${Math.floor(duty.slot / slotsPerEpoch)}`)
      : undefined;
}
