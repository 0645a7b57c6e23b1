import { RewardsError } from "./errors";
import { DEFAULT_POLICY, type SettlementPolicy } from "./policy";
import { DUTY_TYPES, type DutyParticipation, type DutyType } from "./types";

/** One member's participation over the period, aggregated. */
export interface MemberParticipationSummary {
  shareIndex: number;
  /** Duties it was expected to sign. */
  expected: number;
  /** Of those, the ones it contributed to. */
  contributed: number;
  /** Failed duties it was expected to sign and did not (it is among their culprits). */
  failedMissed: number;
  /**
   * Its share of the losses: Σ over the failed duties it missed of value ÷ (number of expected members
   * that missed that duty), in gwei, scaled by the summary's `liabilityScale` to stay an integer.
   */
  liabilityScaledGwei: bigint;
}

/** The period's participation, aggregated per member: all `allocatePeriod` needs from the duties. */
export interface ParticipationSummary {
  /** Sorted by share index. */
  members: MemberParticipationSummary[];
  duties: number;
  succeeded: number;
  failed: number;
  /** Failed duties with at least one expected member that did not contribute, and their value. */
  attributedFailed: number;
  attributedLossGwei: bigint;
  /** Failed duties every expected member contributed to (e.g. not included): nobody to charge. */
  unattributedFailed: number;
  unattributedLossGwei: bigint;
  /** Failed duties whose value was unknown and had no policy default (valued 0, so not charged). */
  failedWithoutValue: number;
  /** lcm(1..n): the denominator of every member's `liabilityScaledGwei`. */
  liabilityScale: bigint;
}

export interface AccumulatorOptions {
  /** For `failedDutyValueGwei` (the value of failed duties whose value is unknown). */
  policy?: SettlementPolicy;
  /** Refuse a duty given twice (default true; costs one key per duty). */
  checkDuplicates?: boolean;
  /**
   * The value of a failed duty that carries no `valueGwei`, e.g. from the beacon rewards records
   * (`missedValueLookup`); `undefined` falls back to the policy's per-type default.
   */
  dutyValueGwei?: (duty: DutyParticipation) => bigint | undefined;
}

const gcd = (a: bigint, b: bigint): bigint => {
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
};

const DUTY_TYPE_INDEX: ReadonlyMap<string, number> = new Map(DUTY_TYPES.map((t, i) => [t, i]));
/** slot × 16 + type stays a safe integer. */
const MAX_SLOT = 2 ** 48;

/**
 * Streams a period's duties into per-member aggregates, so a period of millions of duties needs
 * memory per member only (plus one key per duty for the duplicate check, which can be turned off when
 * the caller guarantees unique duties). The result depends only on the set of duties added, not on
 * their order.
 *
 * @example
 * const acc = new ParticipationAccumulator([1, 2, 3, 4]);
 * for (const duty of duties) acc.add(duty);
 * const summary = acc.summary();
 */
export class ParticipationAccumulator {
  readonly #shareIndices: number[];
  readonly #position = new Map<number, number>();
  readonly #expected: number[];
  readonly #contributed: number[];
  readonly #failedMissed: number[];
  readonly #liability: bigint[];
  readonly #stamp: number[];
  /** validator → slot × 16 + duty type index, for the duplicate check. */
  readonly #seen: Map<number, Set<number>> | null;
  readonly #defaultValue: Partial<Record<DutyType, bigint>>;
  readonly #valueOf: ((duty: DutyParticipation) => bigint | undefined) | undefined;
  /** lcm(1..n), and lcm(1..n) ÷ k for k culprits. */
  readonly #scale: bigint;
  readonly #perCulprit: bigint[];
  #duties = 0;
  #succeeded = 0;
  #attributedFailed = 0;
  #attributedLoss = 0n;
  #unattributedFailed = 0;
  #unattributedLoss = 0n;
  #failedWithoutValue = 0;

  constructor(shareIndices: readonly number[], options: AccumulatorOptions = {}) {
    this.#shareIndices = [...shareIndices].sort((a, b) => a - b);
    this.#shareIndices.forEach((s, i) => {
      if (!Number.isSafeInteger(s) || s < 1) {
        throw new RewardsError("ERR_INVALID_MEMBERS", `member share index ${s} is not a positive integer`);
      }
      if (this.#position.has(s)) throw new RewardsError("ERR_INVALID_MEMBERS", `duplicate share index ${s}`);
      this.#position.set(s, i);
    });
    const n = this.#shareIndices.length;
    this.#expected = new Array(n).fill(0);
    this.#contributed = new Array(n).fill(0);
    this.#failedMissed = new Array(n).fill(0);
    this.#liability = new Array(n).fill(0n);
    this.#stamp = new Array(n).fill(-1);
    this.#seen = options.checkDuplicates === false ? null : new Map();
    this.#defaultValue = (options.policy ?? DEFAULT_POLICY).failedDutyValueGwei;
    this.#valueOf = options.dutyValueGwei;
    let scale = 1n;
    for (let k = 2n; k <= BigInt(n); k++) scale = (scale * k) / gcd(scale, k);
    this.#scale = scale;
    this.#perCulprit = Array.from({ length: n + 1 }, (_, k) => (k === 0 ? 0n : scale / BigInt(k)));
  }

  /** Adds one duty. Throws on an unknown member, a member listed twice, or a duty added twice. */
  add(duty: DutyParticipation): void {
    const name = () => `${duty.slot}/${duty.dutyType}/${duty.validator}`;
    const type = DUTY_TYPE_INDEX.get(duty.dutyType);
    if (type === undefined) {
      throw new RewardsError("ERR_INVALID_PARTICIPATION", `duty ${name()}: unknown duty type`);
    }
    if (!Number.isSafeInteger(duty.slot) || duty.slot < 0 || duty.slot > MAX_SLOT) {
      throw new RewardsError("ERR_INVALID_PARTICIPATION", `duty ${name()}: bad slot`);
    }
    if (this.#seen) {
      let slots = this.#seen.get(duty.validator);
      if (!slots) {
        slots = new Set();
        this.#seen.set(duty.validator, slots);
      }
      const key = duty.slot * 16 + type;
      if (slots.has(key)) throw new RewardsError("ERR_DUPLICATE_DUTY", `duty ${name()} was given twice`);
      slots.add(key);
    }
    const failed = duty.outcome === "failed";
    if (!failed && duty.outcome !== "succeeded") {
      throw new RewardsError(
        "ERR_INVALID_PARTICIPATION",
        `duty ${name()}: unknown outcome "${duty.outcome}"`,
      );
    }
    const id = this.#duties++;
    let missing = 0;
    for (const m of duty.members) {
      const i = this.#position.get(m.shareIndex);
      if (i === undefined) {
        throw new RewardsError("ERR_INVALID_PARTICIPATION", `duty ${name()}: unknown member ${m.shareIndex}`);
      }
      if (this.#stamp[i] === id) {
        throw new RewardsError(
          "ERR_INVALID_PARTICIPATION",
          `duty ${name()}: member ${m.shareIndex} listed twice`,
        );
      }
      this.#stamp[i] = id;
      this.#expected[i]!++;
      if (m.contributed) this.#contributed[i]!++;
      else missing++;
    }
    if (!failed) {
      this.#succeeded++;
      return;
    }
    let value = duty.valueGwei ?? this.#valueOf?.(duty) ?? this.#defaultValue[duty.dutyType];
    if (value === undefined) {
      this.#failedWithoutValue++;
      value = 0n;
    } else if (value < 0n) {
      throw new RewardsError("ERR_INVALID_PARTICIPATION", `duty ${name()}: negative value ${value}`);
    }
    if (missing === 0) {
      this.#unattributedFailed++;
      this.#unattributedLoss += value;
      return;
    }
    this.#attributedFailed++;
    this.#attributedLoss += value;
    const share = value * this.#perCulprit[missing]!;
    for (const m of duty.members) {
      if (m.contributed) continue;
      const i = this.#position.get(m.shareIndex)!;
      this.#failedMissed[i]!++;
      this.#liability[i]! += share;
    }
  }

  summary(): ParticipationSummary {
    return {
      members: this.#shareIndices.map((shareIndex, i) => ({
        shareIndex,
        expected: this.#expected[i]!,
        contributed: this.#contributed[i]!,
        failedMissed: this.#failedMissed[i]!,
        liabilityScaledGwei: this.#liability[i]!,
      })),
      duties: this.#duties,
      succeeded: this.#succeeded,
      failed: this.#duties - this.#succeeded,
      attributedFailed: this.#attributedFailed,
      attributedLossGwei: this.#attributedLoss,
      unattributedFailed: this.#unattributedFailed,
      unattributedLossGwei: this.#unattributedLoss,
      failedWithoutValue: this.#failedWithoutValue,
      liabilityScale: this.#scale,
    };
  }
}

/** Aggregates an iterable of duties in one pass. */
export function summariseParticipation(
  shareIndices: readonly number[],
  duties: Iterable<DutyParticipation>,
  options: AccumulatorOptions = {},
): ParticipationSummary {
  const acc = new ParticipationAccumulator(shareIndices, options);
  for (const d of duties) acc.add(d);
  return acc.summary();
}
