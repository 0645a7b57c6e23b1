// Benchmarks for @cohort/tbls: raw blst, the validating facade, herumi interpolation, and the whole
// per-duty cost at a combining node. Run: `npm run bench -w @cohort/tbls`.
//
// The per-duty pipeline (what a node does when the t-th partial signature for a duty arrives):
//   verify each of the t partials against its public share → thresholdAggregate → verify the group
//   signature against the group key.
// It is compared with (t + 1) raw blst verifications measured in the same run — the floor set by the
// pairings alone — and again with the t partial checks batched via verifyMultipleSignatures.
// Target: at (3,4) the unbatched pipeline is within 1.5× of that floor.
import { createHash } from "node:crypto";
import { cpus } from "node:os";
import * as blst from "@chainsafe/blst";
import { Bench } from "tinybench";
import {
  initTbls,
  partialSign,
  publicShares,
  type SignatureSet,
  secretToPublicKey,
  sign,
  splitSecretKeyInsecureDeterministic,
  thresholdAggregate,
  verify,
  verifyMultipleSignatures,
} from "../src/index";

const TIME_MS = Number(process.env.BENCH_TIME_MS ?? 1000);
const SHAPES = [
  [3, 4],
  [5, 7],
  [7, 10],
] as const;
const BATCH = 64;

const seed = new TextEncoder().encode("tbls-bench");
const keyFromSeed = (label: string) => blst.SecretKey.fromKeygen(createHash("sha256").update(label).digest());
const message = new Uint8Array(32).fill(0xab);

// Raw blst operands, deserialised once.
const rawSk = keyFromSeed("raw");
const rawPk = rawSk.toPublicKey();
const rawSig = rawSk.sign(message);
const skBytes = rawSk.toBytes();
const pkBytes = rawPk.toBytes();
const sigBytes = rawSig.toBytes();

const batchSets: SignatureSet[] = Array.from({ length: BATCH }, (_, i) => {
  const sk = blst.SecretKey.fromKeygen(new Uint8Array(32).fill(i + 1));
  const msg = new Uint8Array(32).fill(i);
  return { publicKey: sk.toPublicKey().toBytes(), message: msg, signature: sk.sign(msg).toBytes() };
});
const rawBatchSets: blst.SignatureSet[] = batchSets.map((s) => ({
  pk: blst.PublicKey.fromBytes(s.publicKey, true),
  msg: s.message,
  sig: blst.Signature.fromBytes(s.signature, true),
}));

interface Cluster {
  t: number;
  n: number;
  groupPk: Uint8Array;
  pubShares: Map<number, Uint8Array>;
  /** The first t partials to arrive (indices 1..t). */
  quorum: Map<number, Uint8Array>;
  quorumSets: SignatureSet[];
}
const clusters: Cluster[] = SHAPES.map(([t, n]) => {
  const groupSk = keyFromSeed(`group-${t}-${n}`).toBytes();
  const shares = splitSecretKeyInsecureDeterministic(groupSk, t, n, seed);
  const pubShares = publicShares(shares);
  const quorum = new Map([...shares].slice(0, t).map(([i, sk]) => [i, partialSign(sk, message)] as const));
  const quorumSets = [...quorum].map(([i, signature]) => ({
    publicKey: pubShares.get(i)!,
    message,
    signature,
  }));
  return { t, n, groupPk: secretToPublicKey(groupSk), pubShares, quorum, quorumSets };
});

function floorName(c: Cluster): string {
  return `floor ${c.t}-of-${c.n}: ${c.t + 1}× raw blst verify`;
}

/** t + 1 raw blst verifications of pre-deserialised points: the pairing cost alone. */
function floorOnce(c: Cluster): void {
  for (let k = 0; k <= c.t; k++) check(blst.verify(message, rawPk, rawSig), "raw verify");
}

function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(`benchmark precondition failed: ${what}`);
}

async function perDuty(c: Cluster): Promise<void> {
  for (const [i, sig] of c.quorum) check(verify(c.pubShares.get(i)!, message, sig), `partial ${i}`);
  const group = await thresholdAggregate(c.quorum);
  check(verify(c.groupPk, message, group), "group signature");
}

async function perDutyBatched(c: Cluster): Promise<void> {
  check(verifyMultipleSignatures(c.quorumSets), "partials (batch)");
  const group = await thresholdAggregate(c.quorum);
  check(verify(c.groupPk, message, group), "group signature");
}

await initTbls();
for (const c of clusters) await perDuty(c); // sanity: every pipeline succeeds before timing

const bench = new Bench({ name: "@cohort/tbls", time: TIME_MS, warmupTime: 200 });
bench
  .add("raw blst sign", () => rawSk.sign(message))
  .add("raw blst verify", () => check(blst.verify(message, rawPk, rawSig), "raw verify"))
  .add("facade sign (bytes in/out)", () => sign(skBytes, message))
  .add("facade verify (bytes, validating)", () => check(verify(pkBytes, message, sigBytes), "verify"))
  .add(`raw blst batch verify ${BATCH} sets`, () =>
    check(blst.verifyMultipleAggregateSignatures(rawBatchSets), "raw batch"),
  )
  .add(`facade verifyMultipleSignatures ${BATCH} sets`, () =>
    check(verifyMultipleSignatures(batchSets), "batch"),
  );
for (const c of clusters) {
  bench.add(`thresholdAggregate ${c.t}-of-${c.n}`, () => thresholdAggregate(c.quorum));
}
// The floor is measured as its own task right beside the pipeline it is compared with, so both see
// the same machine state (this box's timings drift by ±20 % over seconds).
for (const c of clusters) {
  bench
    .add(floorName(c), () => floorOnce(c))
    .add(`per-duty ${c.t}-of-${c.n}`, () => perDuty(c))
    .add(`per-duty ${c.t}-of-${c.n} (batched partials)`, () => perDutyBatched(c));
}

console.log(
  `@cohort/tbls benchmarks — node ${process.version}, ${cpus()[0]?.model ?? "?"} ×${cpus().length}, ${TIME_MS} ms/task`,
);
await bench.run();

/** Median latency (ms) — robust to the GC pauses and scheduler hiccups that inflate the mean. */
const median = (name: string) => {
  const r = bench.getTask(name)?.result;
  if (r === undefined || (r.state !== "completed" && r.state !== "aborted-with-statistics")) {
    throw new Error(`task ${name} did not complete: ${r?.state}`);
  }
  return r.latency.p50;
};
const ms = (v: number) => v.toFixed(3);

console.table(
  bench.tasks.map((task) => {
    const r = task.result;
    const done = r.state === "completed" || r.state === "aborted-with-statistics";
    return {
      task: task.name,
      "median ms": done ? ms(r.latency.p50) : r.state,
      "mean ms": done ? ms(r.latency.mean) : "",
      "p99 ms": done ? ms(r.latency.p99) : "",
      "ops/s": done ? Math.round(r.throughput.mean) : "",
      "±%": done ? r.latency.rme.toFixed(1) : "",
      samples: done ? r.latency.samplesCount : "",
    };
  }),
);

const rawVerify = median("raw blst verify");
const batchPerSig = median(`raw blst batch verify ${BATCH} sets`) / BATCH;
console.log(
  `batch verify: ${ms(batchPerSig)} ms/signature vs ${ms(rawVerify)} ms single (${(rawVerify / batchPerSig).toFixed(1)}× cheaper per signature)`,
);

// Tinybench times tasks one after another, so a neighbour's load that comes and goes (this is a shared
// 2-core box) skews ratios between tasks. The verdict therefore uses an interleaved A/B/C measurement:
// floor, pipeline and batched pipeline run in rotating order, round after round, and medians compare.
async function interleaved(c: Cluster, rounds: number) {
  const runs: Array<[string, () => unknown]> = [
    ["floor", () => floorOnce(c)],
    ["full", () => perDuty(c)],
    ["batched", () => perDutyBatched(c)],
  ];
  const samples = new Map<string, number[]>(runs.map(([name]) => [name, []]));
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < runs.length; k++) {
      const [name, fn] = runs[(r + k) % runs.length]!;
      const start = performance.now();
      await fn();
      samples.get(name)!.push(performance.now() - start);
    }
  }
  const med = (name: string) => {
    const xs = [...samples.get(name)!].sort((a, b) => a - b);
    return xs[Math.floor(xs.length / 2)]!;
  };
  return { floor: med("floor"), full: med("full"), batched: med("batched") };
}

console.log(
  "\nPer-duty cost at the combining node = verify t partials + thresholdAggregate + verify group signature,\n" +
    "vs the floor = t × raw verify + 1 raw verify, both measured in this run (medians, ms):",
);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 150);
const rows = [];
for (const c of clusters) {
  const ab = await interleaved(c, ROUNDS);
  const floor = median(floorName(c));
  const full = median(`per-duty ${c.t}-of-${c.n}`);
  rows.push({
    "(t,n)": `(${c.t},${c.n})`,
    "recover ms": ms(median(`thresholdAggregate ${c.t}-of-${c.n}`)),
    "tinybench floor": ms(floor),
    "tinybench per-duty": ms(full),
    "tinybench ratio": (full / floor).toFixed(2),
    "A/B floor": ms(ab.floor),
    "A/B per-duty": ms(ab.full),
    "A/B ratio": (ab.full / ab.floor).toFixed(2),
    "A/B batched": ms(ab.batched),
    "A/B batched ratio": (ab.batched / ab.floor).toFixed(2),
  });
}
console.table(rows);
console.log(
  `(A/B = ${ROUNDS} interleaved rounds; batched = the t partial checks as one verifyMultipleSignatures)`,
);

const target = rows[0]!;
const ratio = Number(target["A/B ratio"]);
if (ratio <= 1.5) {
  console.log(`target met: per-duty (3,4) is ${target["A/B ratio"]}× the pairing floor (≤ 1.5×).`);
} else {
  console.log(
    [
      `target MISSED: per-duty (3,4) is ${target["A/B ratio"]}× the pairing floor (> 1.5×). Where the excess goes:`,
      `  - herumi interpolation in wasm: ${target["recover ms"]} ms (3 G2 scalar multiplications; blst's binding exposes none)`,
      "  - the facade validates every input from bytes (G2 decompression + subgroup check, ~0.06 ms per signature)",
      "  - wasm suffers more than native blst on a loaded or throttled core; re-run on an idle machine",
      "  Mitigation: batch the partial checks (see 'A/B batched ratio').",
    ].join("\n"),
  );
}
