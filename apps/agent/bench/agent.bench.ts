// Benchmarks of the node agent on this machine. Run: `npm run bench -w @cohort/agent`.
//
// a) Capacity: the most validators one 4-node 3-of-4 `cohort simnet` (4 agent processes, the
//    beacon-node simulator in this process) carries at 12 s slots with EVERY duty included
//    (summary.ok: attester, proposer, aggregator, sync message, sync contribution; nothing invalid or
//    slashable). The search starts at COHORT_BENCH_START_VALIDATORS (default 1,000, which b and c
//    need anyway), doubles while it passes and bisects once one fails, for at most
//    COHORT_BENCH_PROBES probes (default 3) and never above COHORT_BENCH_MAX_VALIDATORS (default
//    4,000). Each probe: genesis after a delay that grows with the validator count (the agents verify
//    the lock and decrypt their keystores first), COHORT_BENCH_SLOTS judged slots (default 6) + 4
//    grace slots. The result is a bracket: the largest count that passed and the smallest that failed.
// b) Duty latency (duty start → submission; attester and sync message start at ⅓ slot, aggregations
//    at ⅔) p50/p99 at 1,000 validators, from the probe at 1,000.
// c) Agent CPU per attestation: user+system CPU of the 4 agent processes (/proc/<pid>/stat) over
//    steady-state slots of the 1,000-validator probe, divided by the attestations the cluster
//    aggregated in those slots. That CPU also pays for every other duty in the window (sync
//    messages of the cluster's validators in the simulator's 512-seat sync committee every slot,
//    aggregations, contributions, proposals): the per-type counts are printed beside it. Beside it,
//    measured here with @cohort/tbls: what one attestation costs each node at minimum — 1 partial
//    sign + (t−1) partial verifies + 1 threshold recovery + 1 group verify (and with the t−1
//    verifies batched).
//
// COHORT_BENCH_QUICK=1: one probe at 128 validators, 4 slots (a smoke run, not a capacity figure).
import { readFileSync } from "node:fs";
import { cpus } from "node:os";
import {
  initTbls,
  partialSign,
  publicShares,
  type SignatureSet,
  secretToPublicKey,
  splitSecretKeyInsecureDeterministic,
  thresholdAggregate,
  verify,
  verifyMultipleSignatures,
} from "@cohort/tbls";
import type { AgentStatus } from "../src/agentRun";
import { runSimnet, SIMNET_DUTY_TYPES, type SimnetSummary } from "../src/simnet";

const env = (name: string, dflt: number) => Number(process.env[name] ?? dflt);
const QUICK = process.env.COHORT_BENCH_QUICK === "1";
const START = env("COHORT_BENCH_START_VALIDATORS", QUICK ? 128 : 1000);
const MAX = env("COHORT_BENCH_MAX_VALIDATORS", 4000);
const PROBES = env("COHORT_BENCH_PROBES", QUICK ? 1 : 3);
const SLOTS = env("COHORT_BENCH_SLOTS", QUICK ? 4 : 6);
const SLOT_TIME = 12;
const NODES = 4;
const T = 3;
const REFERENCE = 1000; // validators for b) and c)
const CLK_TCK = 100; // Linux USER_HZ

const ms = (v: number) => v.toFixed(3);
const pct = (xs: number[], p: number) => {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!);
};
const sleepUntil = (t: number) => new Promise((r) => setTimeout(r, Math.max(0, t - Date.now())));

/** utime + stime of a process, seconds (all its threads). */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" "); // fields from #3 (state) on
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK; // #14 utime, #15 stime
}

interface Window {
  fromSlot: number;
  toSlot: number; // exclusive
  agentCpuS: number[];
  benchCpuS: number;
  /** Duty type → (validator) signatures node 0 aggregated for slots in the window. */
  aggregated: Record<string, number>;
  /** Per duty type, submission latencies of the window's slots (all nodes). */
  latencies: Record<string, number[]>;
}

interface Probe {
  validators: number;
  summary: SimnetSummary | null;
  error: string | null;
  window: Window | null;
  seconds: number;
}

async function probe(validators: number): Promise<Probe> {
  const started = Date.now();
  // Agents verify the lock and decrypt N keystores (insecure fast KDF for interop keys) before they
  // answer /livez; 4 of them share this machine's cores.
  const genesisDelay = Math.max(15, Math.ceil(10 + validators * 0.03));
  let windowP: Promise<Window | null> = Promise.resolve(null);
  let summary: SimnetSummary | null = null;
  let error: string | null = null;
  try {
    summary = await runSimnet({
      nodes: NODES,
      threshold: T,
      validators,
      slots: SLOTS + 1,
      slotTime: SLOT_TIME,
      genesisDelay,
      onAgentsLive: ({ agents, slotStartMs }) => {
        windowP = (async () => {
          // Steady state: from the second slot after the agents are up to the last run slot.
          const now = Date.now();
          let from = 1;
          while (slotStartMs(from) < now + SLOT_TIME * 1000) from++;
          const total = SLOTS + 1;
          const to = total - 1; // exclusive: the window ends as the last judged slot starts
          if (to - from < 2) return null;
          await sleepUntil(slotStartMs(from));
          const pids = agents.map((a) => a.pid!);
          const cpu0 = pids.map(cpuSeconds);
          const bench0 = process.cpuUsage();
          await sleepUntil(slotStartMs(to));
          const cpu1 = pids.map(cpuSeconds);
          const bench1 = process.cpuUsage(bench0);
          // Let the window's last duties settle (aggregations at ⅔ slot), then read the trackers.
          await sleepUntil(slotStartMs(to) + SLOT_TIME * 1000);
          const statuses = await Promise.all(
            agents.map(async (a) => {
              const res = await fetch(`${a.monitoringUrl}/cohort/v1/status`, {
                signal: AbortSignal.timeout(30_000), // an overloaded agent answers late
              });
              return (await res.json()) as AgentStatus;
            }),
          );
          const inWin = (slot: number) => slot >= from && slot < to;
          const aggregated: Record<string, number> = {};
          for (const [type, bySlot] of Object.entries(statuses[0]!.aggregated))
            aggregated[type] = Object.entries(bySlot).reduce(
              (n, [slot, c]) => (inWin(Number(slot)) ? n + c : n),
              0,
            );
          const latencies: Record<string, number[]> = {};
          for (const s of statuses)
            for (const x of s.submissions) {
              if (!inWin(x.slot)) continue;
              const xs = latencies[x.type] ?? [];
              xs.push(x.latencyMs);
              latencies[x.type] = xs;
            }
          return {
            fromSlot: from,
            toSlot: to,
            agentCpuS: cpu1.map((c, i) => c - cpu0[i]!),
            benchCpuS: (bench1.user + bench1.system) / 1e6,
            aggregated,
            latencies,
          };
        })().catch((e) => {
          console.log(`  (window measurement failed: ${(e as Error).message})`);
          return null;
        });
      },
    });
  } catch (e) {
    error = (e as Error).message;
  }
  const window = await windowP;
  return { validators, summary, error, window, seconds: (Date.now() - started) / 1000 };
}

function probeRow(p: Probe) {
  const s = p.summary;
  const row: Record<string, string | number> = {
    validators: p.validators,
    ok: s ? (s.ok ? "yes" : "NO") : `error: ${p.error?.slice(0, 60)}`,
    slots: s ? `${s.window.from_slot}–${s.window.to_slot}` : "",
  };
  for (const t of SIMNET_DUTY_TYPES) {
    const d = s?.duties[t];
    row[t] = d ? `${d.included}/${d.expected}` : "";
  }
  row["p50 ms"] = s?.latencyMs.p50 ?? "";
  row["p99 ms"] = s?.latencyMs.p99 ?? "";
  row["invalid+late"] = s ? s.invalid + s.late : "";
  row["run s"] = Math.round(p.seconds);
  return row;
}

// ───────────────────────── a) capacity search ─────────────────────────

console.log(
  `@cohort/agent benchmarks — node ${process.version}, ${cpus()[0]?.model ?? "?"} ×${cpus().length}; ` +
    `${NODES} agents, t=${T}, ${SLOT_TIME} s slots, ${SLOTS} judged slots per probe${QUICK ? " (QUICK)" : ""}`,
);
const probes: Probe[] = [];
let best = 0; // largest that passed
let worst = Number.POSITIVE_INFINITY; // smallest that failed
let n = Math.min(START, MAX);
for (let i = 0; i < PROBES; i++) {
  console.log(`· probe ${i + 1}/${PROBES}: ${n} validators …`);
  const p = await probe(n);
  probes.push(p);
  const row = probeRow(p);
  console.log(
    `  ${Object.entries(row)
      .map(([k, v]) => `${k} ${v}`)
      .join(", ")}`,
  );
  if (p.summary?.ok) best = Math.max(best, n);
  else worst = Math.min(worst, n);
  const next = worst === Number.POSITIVE_INFINITY ? Math.min(n * 2, MAX) : Math.round((best + worst) / 2);
  if (next === n || (worst !== Number.POSITIVE_INFINITY && worst - best <= Math.max(16, best * 0.1))) break;
  if (best >= MAX) break;
  n = next;
}
console.log(
  "\na) Capacity probes (included/expected per duty type over the judged slots; latency: all duties)",
);
console.table(probes.map(probeRow));
console.log(
  best === 0
    ? `no probe passed (smallest failing: ${worst} validators)`
    : `most validators carried with every duty included: ≥ ${best}` +
        (worst === Number.POSITIVE_INFINITY
          ? ` (the search stopped there: limit ${MAX} or ${PROBES} probes)`
          : `, < ${worst}`),
);
for (const p of probes.filter((x) => x.summary && !x.summary.ok)) {
  const s = p.summary!;
  const missed = SIMNET_DUTY_TYPES.filter((t) => s.duties[t].included < s.duties[t].expected).map(
    (t) => `${t} ${s.duties[t].expected - s.duties[t].included} missed`,
  );
  console.log(
    `  ${p.validators}: ${missed.join(", ") || "all included"}; invalid ${s.invalid}, late ${s.late}, ` +
      `notIncluded ${s.notIncluded.length}, slashable ${s.slashable}`,
  );
}

// ───────────────────────── b) latency and c) CPU at 1,000 ─────────────────────────

let ref = probes.find((p) => p.validators === REFERENCE && p.window);
if (!ref && !QUICK) {
  console.log(`· one more simnet at ${REFERENCE} validators for b) and c) …`);
  ref = await probe(REFERENCE);
  console.log(
    `  ${Object.entries(probeRow(ref))
      .map(([k, v]) => `${k} ${v}`)
      .join(", ")}`,
  );
}
ref ??= probes.find((p) => p.window);

// The BLS floor per attestation per node, measured now (the simnet has stopped), interleaved.
await initTbls();
const groupSk = new Uint8Array(32).fill(7);
const shares = splitSecretKeyInsecureDeterministic(
  groupSk,
  T,
  NODES,
  new TextEncoder().encode("agent-bench"),
);
const pubShares = publicShares(shares);
const groupPk = secretToPublicKey(groupSk);
let counter = 0;
function floorOnce(batched: boolean): Promise<void> | void {
  const msg = new Uint8Array(32);
  new DataView(msg.buffer).setUint32(0, counter++);
  const others = [2, 3].map((i) => [i, partialSign(shares.get(i)!, msg)] as const); // the peers' (not timed)
  return (async () => {
    const t = performance.now();
    const mine = partialSign(shares.get(1)!, msg);
    if (batched) {
      const sets: SignatureSet[] = others.map(([i, sig]) => ({
        publicKey: pubShares.get(i)!,
        message: msg,
        signature: sig,
      }));
      if (!verifyMultipleSignatures(sets)) throw new Error("batch");
    } else {
      for (const [i, sig] of others) if (!verify(pubShares.get(i)!, msg, sig)) throw new Error("partial");
    }
    const group = await thresholdAggregate(new Map([[1, mine], ...others]));
    if (!verify(groupPk, msg, group)) throw new Error("group");
    samples[batched ? "batched" : "plain"].push(performance.now() - t);
  })();
}
const samples = { plain: [] as number[], batched: [] as number[] };
for (let r = 0; r < 300; r++) {
  await floorOnce(r % 2 === 0);
  await floorOnce(r % 2 === 1);
}
const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const floorMs = med(samples.plain);
const floorBatchedMs = med(samples.batched);

// b) and c) at 1,000, and c) again at the largest count that passed (a load the agents carry).
const fit = probes.filter((p) => p.summary?.ok && p.window).sort((a, b) => b.validators - a.validators)[0];
const reports = [ref, fit].filter((p, i, all): p is Probe => !!p?.window && all.indexOf(p) === i);
for (const ref of reports) {
  const w = ref.window!;
  const s = ref.summary;
  console.log(
    `\nb) Duty latency at ${ref.validators} validators (duty start → submission, all 4 nodes, slots ${w.fromSlot}–${w.toSlot - 1}; ` +
      `simnet summary over slots ${s?.window.from_slot}–${s?.window.to_slot}: p50 ${s?.latencyMs.p50} ms, p99 ${s?.latencyMs.p99} ms)`,
  );
  console.table(
    Object.entries(w.latencies).map(([type, xs]) => ({
      type,
      submissions: xs.length,
      "p50 ms": pct(xs, 50),
      "p99 ms": pct(xs, 99),
    })),
  );
  const attestations = w.aggregated.attester ?? 0;
  const agentCpu = w.agentCpuS.reduce((a, b) => a + b, 0);
  const seconds = (w.toSlot - w.fromSlot) * SLOT_TIME;
  console.log(
    `\nc) Agent CPU per attestation at ${ref.validators} validators, slots ${w.fromSlot}–${w.toSlot - 1} (${seconds} s):`,
  );
  console.table([
    {
      measure: "agent CPU, 4 processes",
      value: `${agentCpu.toFixed(2)} s`,
      detail: `per node ${w.agentCpuS.map((c) => c.toFixed(2)).join(" / ")} s = ${((100 * agentCpu) / seconds).toFixed(0)} % of one core in total`,
    },
    {
      measure: "beacon-sim + bench process (not counted)",
      value: `${w.benchCpuS.toFixed(2)} s`,
      detail: "",
    },
    {
      measure: "signatures aggregated in the window",
      value: attestations,
      detail: Object.entries(w.aggregated)
        .filter(([, c]) => c > 0)
        .map(([t, c]) => `${t} ${c}`)
        .join(", "),
    },
    {
      measure: "agent CPU per attestation, all 4 nodes",
      value: attestations ? `${ms((1000 * agentCpu) / attestations)} ms` : "n/a",
      detail: "includes every other duty's work in the window (see the line above)",
    },
    {
      measure: "… per node",
      value: attestations ? `${ms((1000 * agentCpu) / NODES / attestations)} ms` : "n/a",
      detail: "",
    },
    {
      measure: "… per node per signature of any type",
      value: `${ms((1000 * agentCpu) / NODES / Object.values(w.aggregated).reduce((a, b) => a + b, 0))} ms`,
      detail: "CPU divided over all aggregated signatures instead",
    },
    {
      measure: "BLS floor per attestation per node",
      value: `${ms(floorMs)} ms`,
      detail: `1 partial sign + ${T - 1} partial verifies + 1 recovery + 1 group verify (median, this process)`,
    },
    { measure: "… with the partial verifies batched", value: `${ms(floorBatchedMs)} ms`, detail: "" },
    {
      measure: "ratio agent / floor (per node, per attestation)",
      value: attestations ? ((1000 * agentCpu) / NODES / attestations / floorMs).toFixed(1) : "n/a",
      detail: attestations
        ? `over all signatures: ${((1000 * agentCpu) / NODES / Object.values(w.aggregated).reduce((a, b) => a + b, 0) / floorMs).toFixed(1)}×`
        : "",
    },
  ]);
}
if (reports.length === 0) {
  console.log(
    `\nb), c): no probe produced a measurement window; BLS floor per attestation per node ${ms(floorMs)} ms (batched ${ms(floorBatchedMs)} ms)`,
  );
}
process.exit(0);
