import { type ParticipationSummary, summariseParticipation } from "./accumulate";
import { periodAmount } from "./amount";
import { RewardsError } from "./errors";
import { DEFAULT_POLICY, type SettlementPolicy } from "./policy";
import {
  type AmountSource,
  type DebtInput,
  type DutyParticipation,
  GWEI,
  type MemberInput,
  type Ratio,
} from "./types";

export interface AllocatePeriodParameters {
  /** What is being distributed (before `carriedInWei`). */
  amount: AmountSource;
  /** Wei a previous period left undistributed (its `carriedOverWei`); added to the amount. */
  carriedInWei?: bigint;
  members: readonly MemberInput[];
  /** The period's duties, or their per-member aggregate (`ParticipationAccumulator`). */
  participation: ParticipationSummary | Iterable<DutyParticipation>;
  /** Uncovered penalties carried in from the previous period (its `debtsOut`). */
  debtsIn?: readonly DebtInput[];
  /** A parsed `Cluster.settlementPolicy` (`parseSettlementPolicy`); defaults when absent. */
  policy?: SettlementPolicy;
  /** When `participation` is a list of duties: values of failed duties without one (`missedValueLookup`). */
  dutyValueGwei?: (duty: DutyParticipation) => bigint | undefined;
}

/** One step of a member's derivation, for the dashboard. Amounts are decimal strings of wei. */
export type ExplanationStep =
  | {
      step: "weight";
      baseWeight: number;
      expected: number;
      contributed: number;
      /** base × contributed ÷ expected, reduced, e.g. "9/10". */
      weight: string;
      /** This member's share of the total weight, e.g. "9/37". */
      share: string;
      idle: boolean;
    }
  | { step: "gross"; wei: string }
  | {
      step: "penalty";
      failedDutiesMissed: number;
      /** Σ value ÷ culprits over the failed duties it missed (exact, e.g. "40000/3"). */
      liabilityGwei: string;
      /** The same in wei, floored. */
      periodChargeWei: string;
      debtInWei: string;
      /** periodCharge + debtIn: what it owes. */
      owedWei: string;
      chargedWei: string;
      capped: boolean;
      uncoveredWei: string;
      uncovered: "carried" | "written off" | "none";
    }
  | { step: "compensation"; wei: string }
  | { step: "rounding"; wei: string }
  | { step: "net"; wei: string };

export interface MemberAllocation {
  shareIndex: number;
  baseWeight: number;
  expected: number;
  contributed: number;
  /** base × contributed ÷ expected (exact, reduced). */
  weight: Ratio;
  /** weight ÷ Σ weights (exact, reduced; 0/1 when nobody has weight). */
  share: Ratio;
  /** ⌊share × distributable⌋: its earnings before penalties. */
  grossWei: bigint;
  /** What it was charged for failed duties it missed (and carried-in debt), ≤ grossWei. */
  penaltyWei: bigint;
  /** ⌊its weight share of all charges⌋: the charges are redistributed, not burned. */
  compensationWei: bigint;
  /** 0–2 wei from the one largest-remainder rounding of the net amounts. */
  roundingWei: bigint;
  /** What it is paid: grossWei − penaltyWei + compensationWei + roundingWei. */
  netWei: bigint;
  /** What it owed and was not charged (carried as debt or written off per policy). */
  uncoveredWei: bigint;
  /** Debt carried to the next period (policy `carry`; 0 under `socialise`). */
  debtOutWei: bigint;
  explanation: { summary: string; steps: ExplanationStep[] };
}

export interface PeriodAllocation {
  policy: SettlementPolicy;
  members: MemberAllocation[];
  totals: {
    amountWei: bigint;
    /** Signed net of the beacon rewards records, when that was the source. */
    beaconNetGwei?: bigint;
    carriedInWei: bigint;
    /** amount + carriedIn. */
    distributableWei: bigint;
    /** Σ net. */
    allocatedWei: bigint;
    /** Undistributed wei for the next period (the whole distributable when no member has weight). */
    carriedOverWei: bigint;
    grossWei: bigint;
    penaltyWei: bigint;
    compensationWei: bigint;
    roundingWei: bigint;
    /** Σ value of failed duties with a culprit, in wei (what is charged to the culprits). */
    attributedLossWei: bigint;
    /** The < n wei of attributedLossWei left by flooring the members' parts (never charged). */
    attributionResidueWei: bigint;
    /** Σ value of failed duties nobody missed (not charged: shared by weight via the amount). */
    unattributedLossWei: bigint;
    debtInWei: bigint;
    uncoveredWei: bigint;
    debtOutWei: bigint;
    writtenOffWei: bigint;
  };
  /** Debts to pass as `debtsIn` next period (non-zero only). */
  debtsOut: DebtInput[];
  participation: ParticipationSummary;
}

const gcd = (a: bigint, b: bigint): bigint => {
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
};

function ratio(n: bigint, d: bigint): Ratio {
  if (n === 0n) return { numerator: 0n, denominator: 1n };
  const g = gcd(n, d);
  return { numerator: n / g, denominator: d / g };
}

/** `Math.min` for bigints. */
const minBig = (a: bigint, b: bigint): bigint => (a <= b ? a : b);

const ratioText = (r: Ratio) => (r.denominator === 1n ? `${r.numerator}` : `${r.numerator}/${r.denominator}`);

/**
 * Largest-remainder rounding: `nums[i] / den` summing exactly to `total`, each floored, and the
 * `total − Σ floors` (< count) leftover units given one each to the largest remainders, ties to the
 * lower position (positions are in share-index order). A zero quota never gets a unit.
 */
export function largestRemainder(total: bigint, nums: readonly bigint[], den: bigint): bigint[] {
  if (nums.reduce((a, b) => a + b, 0n) !== total * den || nums.some((n) => n < 0n)) {
    throw new Error(`largestRemainder: quotas do not sum to ${total}`);
  }
  const floors = nums.map((n) => n / den);
  let left = total - floors.reduce((a, b) => a + b, 0n);
  if (left < 0n || left >= BigInt(Math.max(nums.length, 1))) {
    throw new Error(`largestRemainder: quotas do not sum to ${total}`);
  }
  const order = nums
    .map((_, i) => i)
    .sort((a, b) => {
      const ra = nums[a]! % den;
      const rb = nums[b]! % den;
      return ra === rb ? a - b : ra > rb ? -1 : 1;
    });
  for (const i of order) {
    if (left === 0n) break;
    floors[i]!++;
    left--;
  }
  return floors;
}

/** 1 ETH = 10^18 wei, shown without trailing zeros ("0.5 ETH", "12 wei" below 1 gwei). */
export function formatWei(wei: bigint): string {
  if (wei < GWEI && wei > -GWEI) return `${wei} wei`;
  const sign = wei < 0n ? "-" : "";
  const abs = wei < 0n ? -wei : wei;
  const whole = abs / 10n ** 18n;
  const frac = (abs % 10n ** 18n).toString().padStart(18, "0").replace(/0+$/, "");
  return `${sign}${whole}${frac ? `.${frac}` : ""} ETH`;
}

function validateMembers(members: readonly MemberInput[]): MemberInput[] {
  if (members.length === 0) throw new RewardsError("ERR_INVALID_MEMBERS", "no members");
  const sorted = [...members].sort((a, b) => a.shareIndex - b.shareIndex);
  sorted.forEach((m, i) => {
    if (!Number.isSafeInteger(m.shareIndex) || m.shareIndex < 1) {
      throw new RewardsError(
        "ERR_INVALID_MEMBERS",
        `member share index ${m.shareIndex} is not a positive integer`,
      );
    }
    if (i > 0 && sorted[i - 1]!.shareIndex === m.shareIndex) {
      throw new RewardsError("ERR_INVALID_MEMBERS", `duplicate share index ${m.shareIndex}`);
    }
    if (!Number.isSafeInteger(m.baseWeight) || m.baseWeight < 0) {
      throw new RewardsError(
        "ERR_INVALID_MEMBERS",
        `member ${m.shareIndex}: baseWeight ${m.baseWeight} is not a non-negative integer`,
      );
    }
  });
  return sorted;
}

const isSummary = (p: AllocatePeriodParameters["participation"]): p is ParticipationSummary =>
  typeof (p as ParticipationSummary).duties === "number" &&
  Array.isArray((p as ParticipationSummary).members);

/**
 * The allocation of one settlement period (pure, deterministic). See docs/rewards.md for the policy
 * and the worked example; in short:
 *
 * 1. weight = base × contributed ÷ expected; gross = distributable × weight ÷ Σ weights;
 * 2. each failed duty's value is split equally among the expected members that missed it; a member
 *    owes the sum of its parts plus carried-in debt, charged up to its gross; the rest is carried as
 *    debt (`carry`) or written off (`socialise`);
 * 3. the charges are redistributed to all members by weight;
 * 4. net = gross − charge + compensation, computed exactly and rounded once by largest remainder
 *    (ties to the lower share index), so Σ net = distributable exactly (or 0 and the whole amount is
 *    carried over when no member has weight).
 *
 * @example
 * const result = allocatePeriod({
 *   amount: { kind: "received", wei: 10n ** 18n },
 *   members: [{ shareIndex: 1, baseWeight: 1 }, { shareIndex: 2, baseWeight: 1 }],
 *   participation: duties,
 *   policy: parseSettlementPolicy(cluster.settlementPolicy),
 * });
 */
export function allocatePeriod(params: AllocatePeriodParameters): PeriodAllocation {
  const policy = params.policy ?? DEFAULT_POLICY;
  const members = validateMembers(params.members);
  const indices = members.map((m) => m.shareIndex);
  const summary = isSummary(params.participation)
    ? params.participation
    : summariseParticipation(indices, params.participation, {
        policy,
        ...(params.dutyValueGwei ? { dutyValueGwei: params.dutyValueGwei } : {}),
      });
  const parts = new Map(summary.members.map((p) => [p.shareIndex, p]));
  if (parts.size !== members.length || indices.some((s) => !parts.has(s))) {
    throw new RewardsError(
      "ERR_INVALID_PARTICIPATION",
      `participation summary members [${[...parts.keys()].join(", ")}] do not match the members [${indices.join(", ")}]`,
    );
  }
  const carriedInWei = params.carriedInWei ?? 0n;
  if (carriedInWei < 0n) throw new RewardsError("ERR_INVALID_AMOUNT", "carriedInWei is negative");
  const amount = periodAmount(params.amount);
  const D = amount.wei + carriedInWei;

  const debtIn = new Map<number, bigint>();
  for (const d of params.debtsIn ?? []) {
    if (!parts.has(d.shareIndex)) {
      throw new RewardsError("ERR_INVALID_MEMBERS", `debt for unknown member ${d.shareIndex}`);
    }
    if (d.wei < 0n)
      throw new RewardsError("ERR_INVALID_AMOUNT", `debt of member ${d.shareIndex} is negative`);
    debtIn.set(d.shareIndex, (debtIn.get(d.shareIndex) ?? 0n) + d.wei);
  }

  // 1. Weights as integers over one common denominator L = lcm(expected counts).
  const rows = members.map((m) => {
    const p = parts.get(m.shareIndex)!;
    const base = BigInt(m.baseWeight);
    const idle = p.expected === 0;
    const weight =
      idle && policy.idleWeight === "zero"
        ? ratio(0n, 1n)
        : idle
          ? ratio(base, 1n)
          : ratio(base * BigInt(p.contributed), BigInt(p.expected));
    return { m, p, idle, weight };
  });
  let L = 1n;
  for (const r of rows) L = (L / gcd(L, r.weight.denominator)) * r.weight.denominator;
  const num = rows.map((r) => r.weight.numerator * (L / r.weight.denominator));
  const W = num.reduce((a, b) => a + b, 0n);

  // 2. What each member owes: each failed duty's value split equally among the expected members that
  //    missed it (floored to wei), plus carried-in debt.
  const charge = policy.chargeFailedDuties;
  const attributedLossWei = charge ? summary.attributedLossGwei * GWEI : 0n;
  const periodCharge = rows.map((r) =>
    charge ? (r.p.liabilityScaledGwei * GWEI) / summary.liabilityScale : 0n,
  );
  const attributionResidueWei = attributedLossWei - periodCharge.reduce((a, b) => a + b, 0n);
  const owed = rows.map((r, i) => periodCharge[i]! + (debtIn.get(r.m.shareIndex) ?? 0n));

  // 3–4. Exact gross, capped charge and compensation over W² (W > 0), one rounding at the end.
  let net: bigint[];
  let gross: bigint[];
  let penalty: bigint[];
  let compensation: bigint[];
  let carriedOverWei = 0n;
  if (W === 0n) {
    net = gross = penalty = compensation = rows.map(() => 0n);
    carriedOverWei = D;
  } else {
    const gNum = num.map((w) => D * w); // over W
    const cNum = gNum.map((g, i) => minBig(owed[i]! * W, g)); // over W: min(owed, gross)
    const C = cNum.reduce((a, b) => a + b, 0n); // over W
    const xNum = num.map((w, i) => (gNum[i]! - cNum[i]!) * W + C * w); // over W²
    net = largestRemainder(D, xNum, W * W);
    gross = gNum.map((g) => g / W);
    penalty = owed.map((o, i) => minBig(o, gross[i]!));
    compensation = num.map((w) => (C * w) / (W * W));
  }

  const allocations: MemberAllocation[] = rows.map((r, i) => {
    const uncoveredWei = owed[i]! - penalty[i]!;
    const debtOutWei = policy.uncovered === "carry" ? uncoveredWei : 0n;
    const roundingWei = net[i]! - gross[i]! + penalty[i]! - compensation[i]!;
    const share = W === 0n ? ratio(0n, 1n) : ratio(num[i]!, W);
    const capped = uncoveredWei > 0n;
    const steps: ExplanationStep[] = [
      {
        step: "weight",
        baseWeight: r.m.baseWeight,
        expected: r.p.expected,
        contributed: r.p.contributed,
        weight: ratioText(r.weight),
        share: ratioText(share),
        idle: r.idle,
      },
      { step: "gross", wei: `${gross[i]}` },
      {
        step: "penalty",
        failedDutiesMissed: r.p.failedMissed,
        liabilityGwei: ratioText(ratio(charge ? r.p.liabilityScaledGwei : 0n, summary.liabilityScale)),
        periodChargeWei: `${periodCharge[i]}`,
        debtInWei: `${debtIn.get(r.m.shareIndex) ?? 0n}`,
        owedWei: `${owed[i]}`,
        chargedWei: `${penalty[i]}`,
        capped,
        uncoveredWei: `${uncoveredWei}`,
        uncovered: !capped ? "none" : policy.uncovered === "carry" ? "carried" : "written off",
      },
      { step: "compensation", wei: `${compensation[i]}` },
      { step: "rounding", wei: `${roundingWei}` },
      { step: "net", wei: `${net[i]}` },
    ];
    return {
      shareIndex: r.m.shareIndex,
      baseWeight: r.m.baseWeight,
      expected: r.p.expected,
      contributed: r.p.contributed,
      weight: r.weight,
      share,
      grossWei: gross[i]!,
      penaltyWei: penalty[i]!,
      compensationWei: compensation[i]!,
      roundingWei,
      netWei: net[i]!,
      uncoveredWei,
      debtOutWei,
      explanation: {
        summary: explain(
          r,
          share,
          W,
          gross[i]!,
          penalty[i]!,
          owed[i]!,
          compensation[i]!,
          net[i]!,
          uncoveredWei,
          policy,
        ),
        steps,
      },
    };
  });

  const sum = (f: (a: MemberAllocation) => bigint) => allocations.reduce((a, m) => a + f(m), 0n);
  const uncoveredWei = sum((m) => m.uncoveredWei);
  return {
    policy,
    members: allocations,
    totals: {
      amountWei: amount.wei,
      ...(amount.beaconNetGwei === undefined ? {} : { beaconNetGwei: amount.beaconNetGwei }),
      carriedInWei,
      distributableWei: D,
      allocatedWei: sum((m) => m.netWei),
      carriedOverWei,
      grossWei: sum((m) => m.grossWei),
      penaltyWei: sum((m) => m.penaltyWei),
      compensationWei: sum((m) => m.compensationWei),
      roundingWei: sum((m) => m.roundingWei),
      attributedLossWei,
      attributionResidueWei,
      unattributedLossWei: summary.unattributedLossGwei * GWEI,
      debtInWei: [...debtIn.values()].reduce((a, b) => a + b, 0n),
      uncoveredWei,
      debtOutWei: sum((m) => m.debtOutWei),
      writtenOffWei: policy.uncovered === "socialise" ? uncoveredWei : 0n,
    },
    debtsOut: allocations
      .filter((m) => m.debtOutWei > 0n)
      .map((m) => ({ shareIndex: m.shareIndex, wei: m.debtOutWei })),
    participation: summary,
  };
}

function explain(
  r: { m: MemberInput; p: ParticipationSummary["members"][number]; idle: boolean; weight: Ratio },
  share: Ratio,
  W: bigint,
  gross: bigint,
  penalty: bigint,
  owed: bigint,
  compensation: bigint,
  net: bigint,
  uncovered: bigint,
  policy: SettlementPolicy,
): string {
  const parts: string[] = [];
  if (r.idle) {
    parts.push(
      `No expected duties: weight ${policy.idleWeight === "zero" ? "0" : `${r.m.baseWeight} (base)`}.`,
    );
  } else {
    parts.push(
      `Contributed to ${r.p.contributed} of ${r.p.expected} expected duties: weight ${r.m.baseWeight} × ${r.p.contributed}/${r.p.expected} = ${ratioText(r.weight)}.`,
    );
  }
  if (W === 0n) parts.push("No member had any weight: nothing was distributed; the amount is carried over.");
  else parts.push(`Share ${ratioText(share)} of the period: gross ${formatWei(gross)}.`);
  if (owed > 0n) {
    const n = r.p.failedMissed;
    const failed =
      n > 0 ? `missed ${n} ${n === 1 ? "duty" : "duties"} the cluster failed` : "carried-in debt";
    parts.push(`Owed ${formatWei(owed)} (${failed}); charged ${formatWei(penalty)}.`);
    if (uncovered > 0n) {
      parts.push(
        `Capped at its earnings: ${formatWei(uncovered)} ${policy.uncovered === "carry" ? "carried to the next period" : "written off (shared by all)"}.`,
      );
    }
  }
  if (compensation > 0n) parts.push(`Received ${formatWei(compensation)} of the penalties by weight.`);
  parts.push(`Paid ${formatWei(net)}.`);
  return parts.join(" ");
}
