// Benchmark for @cohort/rewards: one settlement period of 10,000 validators × 225 epochs of attester
// duties (2.25 M duties) in a 3-of-4 cluster, streamed through ParticipationAccumulator and allocated.
// Run: `npm run bench -w @cohort/rewards` (single-threaded; sizes via BENCH_VALIDATORS / BENCH_EPOCHS).
//
// Each member misses each duty with probability 2% (member 4: 10%); a duty fails when fewer than 3
// members contributed and then costs 14,000 gwei. Duties are generated on the fly (never held in
// memory); the generation-only pass is timed separately so the figures isolate the accounting.
import {
  allocatePeriod,
  type DutyMemberParticipation,
  type DutyParticipation,
  ParticipationAccumulator,
} from "../src/index";

const VALIDATORS = Number(process.env.BENCH_VALIDATORS ?? 10_000);
const EPOCHS = Number(process.env.BENCH_EPOCHS ?? 225);
const SLOTS_PER_EPOCH = 32;
const MEMBERS = [1, 2, 3, 4];
const MISS = [0.02, 0.02, 0.02, 0.1];
const THRESHOLD = 3;

/** The 16 contribution patterns of 4 members, built once (the accumulator never retains them). */
const PATTERNS: DutyMemberParticipation[][] = Array.from({ length: 16 }, (_, bits) =>
  MEMBERS.map((shareIndex, i) => ({ shareIndex, contributed: ((bits >> i) & 1) === 1 })),
);

/** mulberry32: small, fast, seedable. */
function rng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function* duties(seed: number): Generator<DutyParticipation> {
  const random = rng(seed);
  for (let epoch = 0; epoch < EPOCHS; epoch++) {
    for (let v = 0; v < VALIDATORS; v++) {
      let bits = 0;
      let count = 0;
      for (let i = 0; i < 4; i++) {
        if (random() >= MISS[i]!) {
          bits |= 1 << i;
          count++;
        }
      }
      const failed = count < THRESHOLD;
      yield {
        slot: epoch * SLOTS_PER_EPOCH + (v % SLOTS_PER_EPOCH),
        dutyType: "ATTESTER",
        validator: v,
        outcome: failed ? "failed" : "succeeded",
        members: PATTERNS[bits]!,
        ...(failed ? { valueGwei: 14_000n } : {}),
      };
    }
  }
}

function time<T>(label: string, fn: () => T): { result: T; ms: number } {
  const start = performance.now();
  const result = fn();
  const ms = performance.now() - start;
  console.log(`${label.padEnd(58)} ${ms.toFixed(0).padStart(7)} ms`);
  return { result, ms };
}

const total = VALIDATORS * EPOCHS;
console.log(
  `@cohort/rewards: ${VALIDATORS} validators × ${EPOCHS} epochs = ${total.toLocaleString("en")} duties, 4 members`,
);
time("generate only (baseline)", () => {
  let n = 0;
  for (const _ of duties(1)) n++;
  return n;
});
const strict = time("accumulate (with duplicate check)", () => {
  const acc = new ParticipationAccumulator(MEMBERS);
  for (const d of duties(1)) acc.add(d);
  return acc.summary();
});
const fast = time("accumulate (no duplicate check)", () => {
  const acc = new ParticipationAccumulator(MEMBERS, { checkDuplicates: false });
  for (const d of duties(1)) acc.add(d);
  return acc.summary();
});
const allocation = time("allocate from the summary", () =>
  allocatePeriod({
    amount: { kind: "received", wei: 10n ** 18n * 55n },
    members: MEMBERS.map((shareIndex) => ({ shareIndex, baseWeight: 1 })),
    participation: fast.result,
  }),
);
if (
  JSON.stringify(strict.result, (_, v) => (typeof v === "bigint" ? `${v}` : v)) !==
  JSON.stringify(fast.result, (_, v) => (typeof v === "bigint" ? `${v}` : v))
) {
  throw new Error("the two accumulations disagree");
}
const s = fast.result;
console.log(
  `period: ${s.succeeded.toLocaleString("en")} succeeded, ${s.failed.toLocaleString("en")} failed; ` +
    `allocated ${allocation.result.totals.allocatedWei} wei of ${allocation.result.totals.distributableWei}`,
);
for (const m of allocation.result.members) {
  console.log(
    `  member ${m.shareIndex}: ${m.contributed}/${m.expected}, penalty ${m.penaltyWei}, net ${m.netWei}`,
  );
}
console.log(
  `RESULT: one period (${total.toLocaleString("en")} duties) in ${(strict.ms + allocation.ms).toFixed(0)} ms with the ` +
    `duplicate check, ${(fast.ms + allocation.ms).toFixed(0)} ms without (generation included; baseline above)`,
);
