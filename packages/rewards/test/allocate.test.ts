import { describe, expect, it } from "vitest";
import {
  allocatePeriod,
  DEFAULT_POLICY,
  largestRemainder,
  type MemberInput,
  missedAttestationValueGwei,
  missedValueLookup,
  ParticipationAccumulator,
  parseSettlementPolicy,
  RewardsError,
} from "../src/index";
import { duty, EXAMPLE_AMOUNT_WEI, EXAMPLE_DUTIES, EXAMPLE_MEMBERS } from "./fixtures";

const GWEI = 1_000_000_000n;
const received = (wei: bigint) => ({ kind: "received" as const, wei });
const members = (...bases: number[]): MemberInput[] =>
  bases.map((b, i) => ({ shareIndex: i + 1, baseWeight: b }));
const net = (r: ReturnType<typeof allocatePeriod>) => r.members.map((m) => m.netWei);

describe("the worked example of docs/rewards.md", () => {
  const result = allocatePeriod({
    amount: received(EXAMPLE_AMOUNT_WEI),
    members: EXAMPLE_MEMBERS,
    participation: EXAMPLE_DUTIES,
  });

  it("weights, gross, penalties, compensation and net match the document exactly", () => {
    const rows = result.members.map((m) => [
      m.shareIndex,
      `${m.weight.numerator}/${m.weight.denominator}`,
      `${m.share.numerator}/${m.share.denominator}`,
      m.expected,
      m.contributed,
      m.grossWei,
      m.penaltyWei,
      m.compensationWei,
      m.roundingWei,
      m.netWei,
      m.debtOutWei,
    ]);
    expect(rows).toEqual([
      [1, "1/1", "10/31", 10, 10, 32_258_064_516_129n, 0n, 10_613_943_808_532n, 1n, 42_872_008_324_662n, 0n],
      [
        2,
        "9/10",
        "9/31",
        10,
        9,
        29_032_258_064_516n,
        5_000_000_000_000n,
        9_552_549_427_679n,
        1n,
        33_584_807_492_196n,
        0n,
      ],
      [
        3,
        "4/5",
        "8/31",
        10,
        8,
        25_806_451_612_903n,
        15_000_000_000_000n,
        8_491_155_046_826n,
        0n,
        19_297_606_659_729n,
        0n,
      ],
      [
        4,
        "2/5",
        "4/31",
        10,
        2,
        12_903_225_806_451n,
        12_903_225_806_451n,
        4_245_577_523_413n,
        0n,
        4_245_577_523_413n,
        7_096_774_193_549n,
      ],
    ]);
  });

  it("totals: the amount is allocated exactly; the capped rest of member 4's penalty is carried", () => {
    expect(result.totals).toMatchObject({
      distributableWei: 100_000n * GWEI,
      allocatedWei: 100_000n * GWEI,
      carriedOverWei: 0n,
      grossWei: 99_999_999_999_999n,
      penaltyWei: 32_903_225_806_451n,
      compensationWei: 32_903_225_806_450n,
      roundingWei: 2n,
      attributedLossWei: 40_000n * GWEI,
      attributionResidueWei: 0n,
      uncoveredWei: 7_096_774_193_549n,
      debtOutWei: 7_096_774_193_549n,
      writtenOffWei: 0n,
    });
    expect(result.debtsOut).toEqual([{ shareIndex: 4, wei: 7_096_774_193_549n }]);
    expect(result.participation).toMatchObject({ duties: 10, succeeded: 8, failed: 2, attributedFailed: 2 });
    expect(result.members.map((m) => m.explanation.steps.find((s) => s.step === "penalty"))).toMatchObject([
      { liabilityGwei: "0", owedWei: "0", capped: false, uncovered: "none" },
      { failedDutiesMissed: 1, liabilityGwei: "5000", owedWei: "5000000000000", capped: false },
      { failedDutiesMissed: 1, liabilityGwei: "15000", owedWei: "15000000000000", capped: false },
      {
        failedDutiesMissed: 2,
        liabilityGwei: "20000",
        owedWei: "20000000000000",
        capped: true,
        uncovered: "carried",
      },
    ]);
    expect(result.members[3]!.explanation.summary).toBe(
      "Contributed to 2 of 10 expected duties: weight 2 × 2/10 = 2/5. Share 4/31 of the period: gross " +
        "0.000012903225806451 ETH. Owed 0.00002 ETH (missed 2 duties the cluster failed); charged " +
        "0.000012903225806451 ETH. Capped at its earnings: 0.000007096774193549 ETH carried to the next period. " +
        "Received 0.000004245577523413 ETH of the penalties by weight. Paid 0.000004245577523413 ETH.",
    );
  });

  it("next period: the carried debt is charged first (and is JSON-serialisable for the dashboard)", () => {
    const next = allocatePeriod({
      amount: received(EXAMPLE_AMOUNT_WEI),
      members: EXAMPLE_MEMBERS,
      participation: EXAMPLE_DUTIES.slice(2).map((d) => ({
        ...d,
        members: d.members.map((m) => ({ ...m, contributed: true })),
      })),
      debtsIn: result.debtsOut,
    });
    // Everyone contributed to all 8 duties: shares 1:1:1:2 of 1e14 (20,000 gwei each, 40,000 for member 4).
    const m4 = next.members[3]!;
    expect(m4.grossWei).toBe(40_000n * GWEI);
    expect(m4.penaltyWei).toBe(7_096_774_193_549n);
    expect(next.debtsOut).toEqual([]);
    expect(next.totals.allocatedWei).toBe(100_000n * GWEI);
    expect(() => JSON.stringify(next.members.map((m) => m.explanation))).not.toThrow();
  });

  it("socialise: the same payments, the uncovered rest written off instead of carried", () => {
    const s = allocatePeriod({
      amount: received(EXAMPLE_AMOUNT_WEI),
      members: EXAMPLE_MEMBERS,
      participation: EXAMPLE_DUTIES,
      policy: parseSettlementPolicy({ uncovered: "socialise" }),
    });
    expect(net(s)).toEqual(net(result));
    expect(s.totals).toMatchObject({ debtOutWei: 0n, writtenOffWei: 7_096_774_193_549n });
    expect(s.debtsOut).toEqual([]);
  });
});

describe("edge cases", () => {
  const ALL4 = [1, 2, 3, 4];
  const fullDuties = (n: number, expected = ALL4) =>
    Array.from({ length: n }, (_, i) => duty(i, 0, expected, expected, "succeeded"));

  it("everyone contributed everything: shares by base weight", () => {
    const r = allocatePeriod({
      amount: received(1000n),
      members: members(1, 2, 3, 4),
      participation: fullDuties(5),
    });
    expect(net(r)).toEqual([100n, 200n, 300n, 400n]);
    expect(r.members.every((m) => m.penaltyWei === 0n && m.roundingWei === 0n)).toBe(true);
  });

  it("equal members, indivisible amount: the leftover wei goes to the lower share indices", () => {
    const r = allocatePeriod({
      amount: received(10n),
      members: members(1, 1, 1),
      participation: fullDuties(3, [1, 2, 3]),
    });
    expect(net(r)).toEqual([4n, 3n, 3n]);
    expect(largestRemainder(5n, [5n, 5n, 5n], 3n)).toEqual([2n, 2n, 1n]);
    expect(() => largestRemainder(5n, [1n, 1n, 1n], 1n)).toThrow(/do not sum/);
  });

  it("one member absent all period: paid 0, its penalty capped at 0 and carried", () => {
    const duties = [
      ...Array.from({ length: 9 }, (_, i) => duty(i, 0, ALL4, [1, 2, 3], "succeeded")),
      duty(9, 0, ALL4, [1, 2], "failed", 12_000n), // member 3 and the absent member 4 missed it
    ];
    const r = allocatePeriod({
      amount: received(30n * 10n ** 15n),
      members: members(1, 1, 1, 1),
      participation: duties,
    });
    const [, , m3, m4] = r.members;
    expect(m4).toMatchObject({ expected: 10, contributed: 0, grossWei: 0n, penaltyWei: 0n, netWei: 0n });
    expect(m4!.debtOutWei).toBe(6_000n * GWEI);
    expect(m3!.penaltyWei).toBe(6_000n * GWEI);
    expect(r.totals.allocatedWei).toBe(30n * 10n ** 15n);
  });

  it("zero amount: nothing paid, nothing charged, what is owed is carried", () => {
    const r = allocatePeriod({
      amount: received(0n),
      members: EXAMPLE_MEMBERS,
      participation: EXAMPLE_DUTIES,
    });
    expect(net(r)).toEqual([0n, 0n, 0n, 0n]);
    expect(r.members.map((m) => m.penaltyWei)).toEqual([0n, 0n, 0n, 0n]);
    expect(r.totals.debtOutWei).toBe(40_000n * GWEI);
  });

  it("a single member gets everything, its own penalty coming back to it", () => {
    const r = allocatePeriod({
      amount: received(777n),
      members: members(3),
      participation: [duty(1, 0, [1], [], "failed", 1n), duty(2, 0, [1], [1], "succeeded")],
    });
    expect(r.members[0]).toMatchObject({
      netWei: 777n,
      penaltyWei: 777n,
      compensationWei: 777n,
      debtOutWei: 1n * GWEI - 777n,
    });
  });

  it("a member with base weight 0 is paid nothing, however much it contributed", () => {
    const r = allocatePeriod({
      amount: received(1001n),
      members: members(0, 1, 1, 1),
      participation: fullDuties(4),
    });
    expect(net(r)).toEqual([0n, 334n, 334n, 333n]);
  });

  it("no member has weight: nothing distributed, the whole amount carried over", () => {
    const r = allocatePeriod({
      amount: received(500n),
      carriedInWei: 20n,
      members: members(1, 1),
      participation: [duty(1, 0, [1, 2], [], "failed")],
    });
    expect(net(r)).toEqual([0n, 0n]);
    expect(r.totals).toMatchObject({ distributableWei: 520n, allocatedWei: 0n, carriedOverWei: 520n });
  });

  it("expected = 0: weight 0 by default, the base weight with idleWeight: base", () => {
    const duties = fullDuties(2, [1, 2]); // member 3 expected nowhere
    const zero = allocatePeriod({ amount: received(90n), members: members(1, 1, 1), participation: duties });
    expect(net(zero)).toEqual([45n, 45n, 0n]);
    const base = allocatePeriod({
      amount: received(90n),
      members: members(1, 1, 1),
      participation: duties,
      policy: parseSettlementPolicy({ idleWeight: "base" }),
    });
    expect(net(base)).toEqual([30n, 30n, 30n]);
    expect(base.members[2]!.explanation.steps[0]).toMatchObject({ step: "weight", idle: true, weight: "1" });
  });

  it("a failed duty every member contributed to is not charged to anyone", () => {
    const r = allocatePeriod({
      amount: received(100n),
      members: members(1, 1),
      participation: [duty(1, 0, [1, 2], [1, 2], "failed", 5n)],
    });
    expect(net(r)).toEqual([50n, 50n]);
    expect(r.totals).toMatchObject({ attributedLossWei: 0n, unattributedLossWei: 5n * GWEI });
  });

  it("a failed duty's value is split equally among the members that missed it (floored to wei)", () => {
    const r = allocatePeriod({
      amount: received(10n ** 18n),
      members: members(1, 1, 1, 1),
      participation: [
        duty(1, 0, [1, 2, 3, 4], [1], "failed", 10n), // 3 culprits: 10/3 gwei each
        duty(2, 0, [1, 2, 3, 4], [1, 2, 3], "failed", 6n), // 1 culprit: member 4 alone
        ...fullDuties(8).map((d) => ({ ...d, slot: d.slot + 10 })),
      ],
    });
    expect(r.members.map((m) => m.penaltyWei)).toEqual([0n, 3_333_333_333n, 3_333_333_333n, 9_333_333_333n]);
    expect(r.members[3]!.explanation.steps[2]).toMatchObject({
      liabilityGwei: "28/3",
      failedDutiesMissed: 2,
    });
    expect(r.totals).toMatchObject({ attributedLossWei: 16n * GWEI, attributionResidueWei: 1n });
  });

  it("monotonicity regression: a capped member that stops being a duty's only culprit is not paid less", () => {
    // Found by a search against the earlier pooled rule (one pot of losses charged pro rata to each
    // member's Σ missed value): there, member 4 contributing to duty 5 shrank the pot the others were
    // charged from, and with it member 4's compensation (3,453,883,673 → 3,283,166,565 wei).
    const bits = ["10101", "01110", "11011", "10100", "01001", "11101", "11110", "01011"];
    const values = [19n, 40n, 32n, 33n, 35n, 45n, 27n, 41n];
    const failed = [false, false, false, true, true, true, false, false];
    const build = (flip: boolean) =>
      bits.map((b, k) =>
        duty(
          k,
          0,
          [1, 2, 3, 4, 5],
          [1, 2, 3, 4, 5].filter((m) => b[m - 1] === "1" || (flip && k === 5 && m === 4)),
          failed[k] ? "failed" : "succeeded",
          values[k],
        ),
      );
    const pay = (flip: boolean) =>
      allocatePeriod({
        amount: received(91_791_415_214n),
        members: members(3, 3, 4, 1, 4),
        participation: build(flip),
      }).members[3]!;
    const before = pay(false);
    const after = pay(true);
    expect(before.uncoveredWei > 0n && after.uncoveredWei > 0n).toBe(true);
    expect(after.netWei >= before.netWei).toBe(true);
  });

  it("chargeFailedDuties: false only weighs by participation", () => {
    const r = allocatePeriod({
      amount: received(EXAMPLE_AMOUNT_WEI),
      members: EXAMPLE_MEMBERS,
      participation: EXAMPLE_DUTIES,
      policy: parseSettlementPolicy({ chargeFailedDuties: false }),
    });
    expect(r.members.map((m) => m.penaltyWei)).toEqual([0n, 0n, 0n, 0n]);
    expect(net(r)).toEqual([
      32_258_064_516_129n,
      29_032_258_064_516n,
      25_806_451_612_903n,
      12_903_225_806_452n,
    ]);
  });

  it("a failed duty of unknown value is valued by the policy's per-type default, else 0", () => {
    const duties = [duty(1, 0, [1, 2], [1], "failed"), duty(2, 0, [1, 2], [1, 2], "succeeded")];
    const plain = allocatePeriod({
      amount: received(10n ** 18n),
      members: members(1, 1),
      participation: duties,
    });
    expect(plain.members[1]!.penaltyWei).toBe(0n);
    expect(plain.participation.failedWithoutValue).toBe(1);
    const valued = allocatePeriod({
      amount: received(10n ** 18n),
      members: members(1, 1),
      participation: duties,
      policy: parseSettlementPolicy({ failedDutyValueGwei: { ATTESTER: "15000" } }),
    });
    expect(valued.members[1]!.penaltyWei).toBe(15_000n * GWEI);
  });

  it("the amount from beacon rewards records: the signed sum; a net loss distributes 0", () => {
    const records = [
      { validator: 1, epoch: 10, attestationGwei: 14_000n, proposerGwei: 50_000n },
      { validator: 2, epoch: 10, attestationGwei: -4_000n, syncGwei: 1_000n },
    ];
    const r = allocatePeriod({
      amount: { kind: "beaconRewards", records },
      members: members(1),
      participation: [duty(1, 0, [1], [1], "succeeded")],
    });
    expect(r.totals).toMatchObject({
      amountWei: 61_000n * GWEI,
      beaconNetGwei: 61_000n,
      allocatedWei: 61_000n * GWEI,
    });
    const loss = allocatePeriod({
      amount: { kind: "beaconRewards", records: [{ validator: 1, epoch: 1, attestationGwei: -3n }] },
      members: members(1),
      participation: [],
    });
    expect(loss.totals).toMatchObject({ amountWei: 0n, beaconNetGwei: -3n, carriedOverWei: 0n });
  });

  it("failed attester duties valued from the beacon rewards records (ideal − actual)", () => {
    const records = [
      { validator: 7, epoch: 3, attestationGwei: -2_000n, idealGwei: 12_000n }, // missed: 14,000 gwei
      { validator: 8, epoch: 3, attestationGwei: 12_000n, idealGwei: 12_000n },
    ];
    const r = allocatePeriod({
      amount: received(10n ** 18n),
      members: members(1, 1),
      participation: [
        duty(96, 7, [1, 2], [1], "failed"), // slot 96 = epoch 3
        duty(97, 8, [1, 2], [1, 2], "succeeded"),
        duty(98, 9, [1, 2], [1], "failed"), // no record: the policy default (0)
      ],
      dutyValueGwei: missedValueLookup(records),
    });
    expect(missedAttestationValueGwei(records[0]!)).toBe(14_000n);
    expect(r.members[1]!.penaltyWei).toBe(14_000n * GWEI);
    expect(r.participation).toMatchObject({ attributedLossGwei: 14_000n, failedWithoutValue: 1 });
  });

  it("refuses duplicate duties, unknown or repeated members, and bad weights", () => {
    const d = duty(1, 0, [1, 2], [1, 2], "succeeded");
    const run =
      (participation: Parameters<typeof allocatePeriod>[0]["participation"], ms = members(1, 1)) =>
      () =>
        allocatePeriod({ amount: received(1n), members: ms, participation });
    expect(run([d, d])).toThrow(/duty 1\/ATTESTER\/0 was given twice/);
    expect(run([duty(1, 0, [1, 3], [1], "succeeded")])).toThrow(/unknown member 3/);
    expect(run([duty(1, 0, [1, 1], [1], "succeeded")])).toThrow(/member 1 listed twice/);
    expect(run([], [{ shareIndex: 1, baseWeight: -1 }])).toThrow(/baseWeight -1/);
    expect(
      run(
        [],
        [
          { shareIndex: 1, baseWeight: 1 },
          { shareIndex: 1, baseWeight: 1 },
        ],
      ),
    ).toThrow(/duplicate share index 1/);
    const summary = new ParticipationAccumulator([1, 2, 3]).summary();
    expect(run(summary)).toThrow(/do not match the members/);
  });
});

describe("settlement policy (Cluster.settlementPolicy)", () => {
  it("defaults", () => {
    expect(parseSettlementPolicy(null)).toEqual(DEFAULT_POLICY);
    expect(DEFAULT_POLICY).toEqual({
      uncovered: "carry",
      idleWeight: "zero",
      chargeFailedDuties: true,
      failedDutyValueGwei: {},
    });
  });

  it("refuses unknown keys and bad values, naming the field", () => {
    const err = (json: unknown) => {
      try {
        parseSettlementPolicy(json);
      } catch (e) {
        expect(e).toBeInstanceOf(RewardsError);
        expect((e as RewardsError).code).toBe("ERR_INVALID_POLICY");
        return (e as Error).message;
      }
      throw new Error("accepted");
    };
    expect(err({ uncoverd: "carry" })).toBe('settlement policy: unknown field "uncoverd"');
    expect(err({ failedDutyValueGwei: { ATESTER: 1 } })).toBe(
      'settlement policy: unknown field "failedDutyValueGwei.ATESTER"',
    );
    expect(err({ uncovered: "burn" })).toMatch(/^settlement policy: field "uncovered": /);
    expect(err({ failedDutyValueGwei: { ATTESTER: -1 } })).toMatch(/field "failedDutyValueGwei.ATTESTER"/);
    expect(
      parseSettlementPolicy({ failedDutyValueGwei: { PROPOSER: "40000000" } }).failedDutyValueGwei,
    ).toEqual({
      PROPOSER: 40_000_000n,
    });
  });
});
