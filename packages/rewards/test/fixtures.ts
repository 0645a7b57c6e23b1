import type { DutyParticipation, MemberInput } from "../src/index";

/** Builds a duty: `contributors` contributed, every other listed member was expected and did not. */
export function duty(
  slot: number,
  validator: number,
  expected: readonly number[],
  contributors: readonly number[],
  outcome: "succeeded" | "failed",
  valueGwei?: bigint,
): DutyParticipation {
  return {
    slot,
    dutyType: "ATTESTER",
    validator,
    outcome,
    members: expected.map((shareIndex) => ({ shareIndex, contributed: contributors.includes(shareIndex) })),
    ...(valueGwei === undefined ? {} : { valueGwei }),
  };
}

/** The worked example of docs/rewards.md. */
export const EXAMPLE_MEMBERS: MemberInput[] = [
  { shareIndex: 1, baseWeight: 1 },
  { shareIndex: 2, baseWeight: 1 },
  { shareIndex: 3, baseWeight: 1 },
  { shareIndex: 4, baseWeight: 2 },
];
const ALL = [1, 2, 3, 4];
export const EXAMPLE_DUTIES: DutyParticipation[] = [
  duty(100, 7, ALL, [1, 2], "failed", 30_000n),
  duty(100, 8, ALL, [1, 3], "failed", 10_000n),
  duty(101, 7, ALL, [1, 2, 4], "succeeded"),
  duty(101, 8, ALL, [1, 2, 3, 4], "succeeded"),
  ...[102, 103, 104].flatMap((slot) => [7, 8].map((v) => duty(slot, v, ALL, [1, 2, 3], "succeeded"))),
];
/** 100,000 gwei received by the splitter. */
export const EXAMPLE_AMOUNT_WEI = 100_000n * 1_000_000_000n;
