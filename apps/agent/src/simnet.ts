/**
 * `cohort simnet`: a whole local devnet in one command. Creates a cluster (public interop keys,
 * pbkdf2) in a temp dir, runs the beacon-node simulator in this process, runs every member as a
 * separate `cohort agent run` process (so `--kill` is a real SIGKILL; a restart reuses the data dir
 * and its slashing DB), optionally makes members byzantine (test-only `agent run --byzantine`),
 * and at the end summarises what the chain received (the simulator's stats) and what the agents'
 * trackers saw (`/cohort/v1/status` of each agent).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startBeaconSim, validatorSet } from "@cohort/beacon-sim";
import { devnetConfig, FORK_NAMES } from "@cohort/eth";
import type { AgentStatus } from "./agentRun";
import { BYZANTINE_MODES, type ByzantineMode, isByzantineMode } from "./byzantine";
import { CliError, createCluster } from "./cluster/create";
import { localAgentRunArgs } from "./devnet";

export const SIMNET_DUTY_TYPES = [
  "attester",
  "proposer",
  "aggregator",
  "sync_message",
  "sync_contribution",
] as const;
export type SimnetDutyType = (typeof SIMNET_DUTY_TYPES)[number];

export interface KillSpec {
  node: number;
  slot: number;
  restartSlot?: number;
}

export interface SimnetOptions {
  nodes: number;
  threshold?: number;
  validators: number;
  slots: number;
  slotTime: number;
  kills?: readonly KillSpec[];
  byzantine?: ReadonlyMap<number, ByzantineMode>;
  /** Seconds from now to genesis (default 15: agents start and connect before slot 0). */
  genesisDelay?: number;
  /** Slots waited after the last one before judging (default 4: duty deadlines are 3 slots). */
  graceSlots?: number;
  /** Public filler validators besides the cluster's (default 8). */
  fillers?: number;
  /** Keep the temp dir (cluster, agent logs) instead of removing it. */
  keep?: boolean;
  /**
   * Called once every agent answers /livez (benchmarks: sample the agents' CPU and status during
   * the run). `pid` is the agent process's, `slotStartMs(slot)` the wall-clock start of a slot.
   */
  onAgentsLive?: (info: {
    agents: { index: number; pid: number | undefined; monitoringUrl: string }[];
    slotStartMs: (slot: number) => number;
  }) => void;
  log?: (line: string) => void;
}

export interface DutySummary {
  expected: number;
  aggregated: number;
  submitted: number;
  included: number;
}

export interface SimnetSummary {
  duties: Record<SimnetDutyType, DutySummary>;
  invalid: number;
  /** Diagnostics: every refused submission naming one of the cluster's validators, with the wall-clock slot. */
  invalidSubmissions: { type: string; validator: number; atSlot: number }[];
  /** `invalid` by duty type (plus `unattributed`: invalid submissions naming no known validator). */
  invalidByType: Record<SimnetDutyType | "unattributed", number>;
  slashable: number;
  /** Submissions the beacon node refused for timing only (outside the propagation window): not invalid, not included. */
  late: number;
  nodes: {
    index: number;
    contributed: number;
    byzantine: ByzantineMode | null;
    restarts: number;
    /** Contributions in duties at or after its (last) restart slot; null if never restarted. */
    contributedAfterRestart: number | null;
  }[];
  latencyMs: { p50: number | null; p99: number | null };
  faulty: number[];
  /** The judged duty slots (inclusive). */
  window: { from_slot: number; to_slot: number };
  slashings: number;
  /**
   * Diagnostics: the cluster's sync messages and contributions that reached the simulator but will
   * not be included (late: after their slot, or for another block root).
   */
  notIncluded: {
    type: "sync_message" | "sync_contribution";
    validator: number;
    slot: number;
    receivedSlot: number;
  }[];
  /**
   * With --kill: the judged window cut at every kill and restart slot, each part with the nodes down
   * during it and, per duty type, what was expected and included — so "fails cleanly while two are
   * down, resumes when one returns" can be read off. Empty without kills.
   */
  phases: {
    from_slot: number;
    to_slot: number;
    down: number[];
    duties: Record<SimnetDutyType, { expected: number; included: number }>;
  }[];
  ok: boolean;
  dir: string | null;
}

export function parseKill(v: string): KillSpec {
  const m = /^(\d+)@(\d+)(?::(\d+))?$/.exec(v);
  if (!m) throw new CliError(`--kill must be <node>@<slot>[:<restart-slot>] (got ${v})`);
  const spec: KillSpec = { node: Number(m[1]), slot: Number(m[2]) };
  if (m[3] !== undefined) {
    spec.restartSlot = Number(m[3]);
    if (spec.restartSlot <= spec.slot)
      throw new CliError(`--kill ${v}: the restart slot must be after the kill slot`);
  }
  return spec;
}

export function parseByzantine(v: string): [number, ByzantineMode] {
  const m = /^(\d+):(.+)$/.exec(v);
  if (!m || !isByzantineMode(m[2]!))
    throw new CliError(
      `--byzantine must be <node>:<mode>, mode one of ${BYZANTINE_MODES.join(", ")} (got ${v})`,
    );
  return [Number(m[1]), m[2] as ByzantineMode];
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return Math.round(sorted[i]!);
}

const WARMUP_MS = 1000;
const BIN = fileURLToPath(new URL("../bin/cohort.mjs", import.meta.url));

const hex = (b: Uint8Array) => `0x${Buffer.from(b).toString("hex")}`;

export async function runSimnet(o: SimnetOptions): Promise<SimnetSummary> {
  const log = o.log ?? (() => {});
  for (const [flag, v, min] of [
    ["--nodes", o.nodes, 1],
    ["--validators", o.validators, 1],
    ["--slots", o.slots, 1],
    ["--slot-time", o.slotTime, 1],
  ] as const)
    if (!Number.isInteger(v) || v < min) throw new CliError(`${flag} must be an integer ≥ ${min}`);
  for (const k of o.kills ?? [])
    if (k.node >= o.nodes) throw new CliError(`--kill ${k.node}@…: there are only ${o.nodes} nodes`);
  for (const i of o.byzantine?.keys() ?? [])
    if (i >= o.nodes) throw new CliError(`--byzantine ${i}:…: there are only ${o.nodes} nodes`);

  const dir = mkdtempSync(path.join(tmpdir(), "cohort-simnet-"));
  const children = new Map<number, ChildProcess>();
  let stopSim: (() => Promise<void>) | undefined;
  try {
    const created = await createCluster({
      name: "simnet",
      nodes: o.nodes,
      ...(o.threshold === undefined ? {} : { threshold: o.threshold }),
      validators: o.validators,
      forkVersion: "0x10000038",
      feeRecipient: "0x000000000000000000000000000000000000fee0",
      withdrawal: "0x0000000000000000000000000000000000dead00",
      out: path.join(dir, "cluster"),
      interopIndices: Array.from({ length: o.validators }, (_, i) => i),
      kdf: "pbkdf2",
    });
    const pubkeys = new Set(created.validatorPubkeys.map((p) => p.toLowerCase()));
    log(`cluster: ${created.threshold}-of-${o.nodes}, ${o.validators} validator(s) in ${dir}`);

    const genesisTime = Math.floor(Date.now() / 1000) + (o.genesisDelay ?? 15);
    const slotMs = o.slotTime * 1000;
    const slotStart = (slot: number) => genesisTime * 1000 + slot * slotMs;
    const network = devnetConfig({
      name: "cohort-simnet",
      genesisForkVersion: "0x10000038",
      genesisValidatorsRoot: hex(crypto.getRandomValues(new Uint8Array(32))),
      genesisTime,
      secondsPerSlot: o.slotTime,
      slotsPerEpoch: 8,
      forkEpochs: Object.fromEntries(
        FORK_NAMES.slice(1, FORK_NAMES.indexOf("electra") + 1).map((f) => [f, 0]),
      ),
    });
    const bn = await startBeaconSim({
      network,
      validators: validatorSet(created.validatorPubkeys, { fillers: o.fillers ?? 8 }),
      statsFromSlot: 0,
    });
    stopSim = () => bn.stop();
    const invalidSubmissions: SimnetSummary["invalidSubmissions"] = [];
    const count = bn.recorder.countSubmission.bind(bn.recorder);
    bn.recorder.countSubmission = (validator, duty, valid, late = false) => {
      count(validator, duty, valid, late);
      if (!valid && !late && validator !== undefined && validator < o.validators)
        invalidSubmissions.push({ type: duty, validator, atSlot: bn.chain.slotAt(Date.now()) });
    };
    log(`beacon-sim ${bn.url}; genesis ${new Date(genesisTime * 1000).toISOString()}`);

    const p2pPorts = await Promise.all(created.nodeDirs.map(() => freePort()));
    const monPorts = await Promise.all(created.nodeDirs.map(() => freePort()));
    const monUrl = (i: number) => `http://127.0.0.1:${monPorts[i]}`;
    const restarts = new Map<number, number>();
    const lastRestartSlot = new Map<number, number>();
    const start = (i: number) => {
      const args = [
        BIN,
        ...localAgentRunArgs({
          dataDir: created.nodeDirs[i]!,
          beaconUrl: bn.url,
          p2pPorts,
          monitoringPort: monPorts[i]!,
          logLevel: o.keep ? "info" : "warn", // a kept dir is for diagnosis: every duty's stage timings
        }),
      ];
      const mode = o.byzantine?.get(i);
      if (mode) args.push("--byzantine", mode);
      const out = createWriteStream(path.join(dir, `agent-${i}.log`), { flags: "a" });
      // Diagnostics: extra node flags for the agents (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`).
      const nodeArgs = process.env.COHORT_SIMNET_NODE_ARGS?.split(/\s+/).filter(Boolean) ?? [];
      const child = spawn(process.execPath, [...nodeArgs, ...args], { stdio: ["ignore", "pipe", "pipe"] });
      child.stdout?.pipe(out);
      child.stderr?.pipe(out);
      children.set(i, child);
      child.once("exit", () => {
        if (children.get(i) === child) children.delete(i);
      });
      return child;
    };
    const status = async (i: number): Promise<AgentStatus | undefined> => {
      try {
        const res = await fetch(`${monUrl(i)}/cohort/v1/status`, { signal: AbortSignal.timeout(2000) });
        return res.ok ? ((await res.json()) as AgentStatus) : undefined;
      } catch {
        return undefined;
      }
    };
    const waitLive = async (i: number, deadline: number) => {
      while (Date.now() < deadline) {
        try {
          if ((await fetch(`${monUrl(i)}/livez`, { signal: AbortSignal.timeout(1000) })).ok) return true;
        } catch {}
        await sleep(100);
      }
      return false;
    };

    for (let i = 0; i < o.nodes; i++) start(i);
    const live = await Promise.all(created.nodeDirs.map((_, i) => waitLive(i, Date.now() + 60_000)));
    if (live.some((l) => !l)) throw new Error(`agents did not start: see ${dir}/agent-*.log`);
    const readyAt = Date.now();
    const lead = (genesisTime * 1000 - readyAt) / 1000;
    log(`agents live ${Math.abs(lead).toFixed(1)} s ${lead >= 0 ? "before" : "after"} genesis`);
    o.onAgentsLive?.({
      agents: created.nodeDirs.map((_, i) => ({
        index: i,
        pid: children.get(i)?.pid,
        monitoringUrl: monUrl(i),
      })),
      slotStartMs: slotStart,
    });
    // Judge only duties of slots that start at least WARMUP_MS after every agent was up (cold
    // processes miss the tight sync-contribution deadline), and never slot 0.
    const fromSlot = Math.max(1, Math.ceil((readyAt + WARMUP_MS - genesisTime * 1000) / slotMs));
    const toSlot = o.slots - 1;

    const snapshots: AgentStatus[] = [];
    const events = (o.kills ?? []).flatMap((k) => [
      {
        at: k.slot,
        run: async () => {
          const s = await status(k.node);
          if (s) snapshots.push(s);
          children.get(k.node)?.kill("SIGKILL");
          log(`slot ${k.slot}: SIGKILL node ${k.node}`);
        },
      },
      ...(k.restartSlot === undefined
        ? []
        : [
            {
              at: k.restartSlot,
              run: async () => {
                start(k.node);
                restarts.set(k.node, (restarts.get(k.node) ?? 0) + 1);
                lastRestartSlot.set(k.node, k.restartSlot!);
                log(`slot ${k.restartSlot}: restart node ${k.node}`);
                const t0 = Date.now();
                void waitLive(k.node, t0 + 60_000).then((ok) =>
                  log(
                    `node ${k.node} ${ok ? `live again after ${Date.now() - t0} ms` : "did not come back"}`,
                  ),
                );
              },
            },
          ]),
    ]);
    events.sort((a, b) => a.at - b.at);
    for (const e of events) {
      await sleep(slotStart(e.at) - Date.now());
      await e.run();
    }
    await sleep(slotStart(o.slots + (o.graceSlots ?? 4)) - Date.now());

    // Collect, then stop everything.
    for (const i of children.keys()) {
      const s = await status(i);
      if (s) snapshots.push(s);
    }
    const stats = bn.recorder.stats(fromSlot, toSlot);
    const cuts = [
      ...new Set(
        (o.kills ?? []).flatMap((k) => [k.slot, ...(k.restartSlot !== undefined ? [k.restartSlot] : [])]),
      ),
    ]
      .filter((s) => s > fromSlot && s <= toSlot)
      .sort((a, b) => a - b);
    const phases: SimnetSummary["phases"] =
      (o.kills ?? []).length === 0
        ? []
        : [fromSlot, ...cuts].map((start, i) => {
            const end = i < cuts.length ? cuts[i]! - 1 : toSlot;
            const part = bn.recorder.stats(start, end);
            const mine = part.validators.filter((v) => pubkeys.has(v.pubkey.toLowerCase()));
            return {
              from_slot: start,
              to_slot: end,
              down: (o.kills ?? [])
                .filter((k) => k.slot <= start && (k.restartSlot === undefined || k.restartSlot > start))
                .map((k) => k.node)
                .sort((a, b) => a - b),
              duties: Object.fromEntries(
                SIMNET_DUTY_TYPES.map((t) => [
                  t,
                  {
                    expected: mine.reduce((n, v) => n + v[t].expected, 0),
                    included: mine.reduce((n, v) => n + v[t].included, 0),
                  },
                ]),
              ) as Record<SimnetDutyType, { expected: number; included: number }>,
            };
          });
    const ourIndices = new Set(
      stats.validators.filter((v) => pubkeys.has(v.pubkey.toLowerCase())).map((v) => v.index),
    );
    const notIncluded: SimnetSummary["notIncluded"] = [
      ...bn.recorder
        .syncMessages()
        .filter((m) => ourIndices.has(m.validatorIndex) && !m.included)
        .map((m) => ({
          type: "sync_message" as const,
          validator: m.validatorIndex,
          slot: m.slot,
          receivedSlot: m.receivedSlot,
        })),
      ...bn.recorder
        .contributions()
        .filter((c) => ourIndices.has(c.aggregatorIndex) && !c.included)
        .map((c) => ({
          type: "sync_contribution" as const,
          validator: c.aggregatorIndex,
          slot: c.slot,
          receivedSlot: c.receivedSlot,
        })),
    ].filter((x) => x.slot >= fromSlot && x.slot <= toSlot);
    await Promise.all(
      [...children.values()].map(
        (c) =>
          new Promise<void>((resolve) => {
            const t = setTimeout(() => c.kill("SIGKILL"), 5000);
            c.once("exit", () => {
              clearTimeout(t);
              resolve();
            });
            c.kill("SIGTERM");
          }),
      ),
    );

    // Summary.
    const inWindow = (slot: number) => slot >= fromSlot && slot <= toSlot;
    const ours = stats.validators.filter((v) => pubkeys.has(v.pubkey.toLowerCase()));
    /** Per slot, the most any snapshot saw (snapshots of one node before/after a kill overlap). */
    const unionBySlot = (
      pick: (s: AgentStatus) => Record<number, number> | undefined,
      from?: (s: AgentStatus) => boolean,
    ) => {
      const best = new Map<number, number>();
      for (const s of snapshots) {
        if (from && !from(s)) continue;
        for (const [slot, n] of Object.entries(pick(s) ?? {})) {
          if (inWindow(Number(slot))) best.set(Number(slot), Math.max(best.get(Number(slot)) ?? 0, n));
        }
      }
      return best;
    };
    const sum = (m: Map<number, number>, pred: (slot: number) => boolean = () => true) =>
      [...m].reduce((n, [slot, v]) => (pred(slot) ? n + v : n), 0);
    const duties = Object.fromEntries(
      SIMNET_DUTY_TYPES.map((t) => [
        t,
        {
          expected: ours.reduce((n, v) => n + v[t].expected, 0),
          aggregated: sum(unionBySlot((s) => s.aggregated[t])),
          submitted: ours.reduce((n, v) => n + v[t].submitted, 0),
          included: ours.reduce((n, v) => n + v[t].included, 0),
        },
      ]),
    ) as Record<SimnetDutyType, DutySummary>;
    const invalid =
      ours.reduce((n, v) => n + SIMNET_DUTY_TYPES.reduce((m, t) => m + v[t].invalid, 0), 0) +
      stats.unattributed_invalid;
    const late = ours.reduce((n, v) => n + SIMNET_DUTY_TYPES.reduce((m, t) => m + v[t].late, 0), 0);
    const slashable = ours.reduce((n, v) => n + SIMNET_DUTY_TYPES.reduce((m, t) => m + v[t].slashable, 0), 0);
    const nodes = created.nodeDirs.map((_, i) => {
      // What the OTHER members saw of node i (its own view of itself proves nothing).
      const seen = unionBySlot(
        (s) => s.participation[i],
        (s) => s.selfIndex !== i,
      );
      const restartSlot = lastRestartSlot.get(i);
      return {
        index: i,
        contributed: sum(seen),
        byzantine: o.byzantine?.get(i) ?? null,
        restarts: restarts.get(i) ?? 0,
        contributedAfterRestart: restartSlot === undefined ? null : sum(seen, (slot) => slot >= restartSlot),
      };
    });
    const latencies = snapshots
      .flatMap((s) => s.submissions)
      .filter((x) => inWindow(x.slot))
      .map((x) => x.latencyMs)
      .sort((a, b) => a - b);
    const faulty = [
      ...new Set(
        snapshots.flatMap((s) =>
          [...s.invalidPeers, ...s.consensusInvalidPeers]
            .map((p) => p.index)
            .filter((i) => i >= 0 && i !== s.selfIndex),
        ),
      ),
    ].sort((a, b) => a - b);
    const ok =
      SIMNET_DUTY_TYPES.every((t) => duties[t].included === duties[t].expected) &&
      invalid === 0 &&
      slashable === 0 &&
      stats.slashings === 0;
    return {
      duties,
      invalid,
      invalidSubmissions,
      invalidByType: {
        ...(Object.fromEntries(
          SIMNET_DUTY_TYPES.map((t) => [t, ours.reduce((n, v) => n + v[t].invalid, 0)]),
        ) as Record<SimnetDutyType, number>),
        unattributed: stats.unattributed_invalid,
      },
      slashable,
      late,
      nodes,
      latencyMs: { p50: percentile(latencies, 50), p99: percentile(latencies, 99) },
      faulty,
      window: { from_slot: fromSlot, to_slot: toSlot },
      slashings: stats.slashings,
      notIncluded,
      phases,
      ok,
      dir: o.keep ? dir : null,
    };
  } finally {
    for (const c of children.values()) c.kill("SIGKILL");
    await stopSim?.();
    if (!o.keep) rmSync(dir, { recursive: true, force: true });
  }
}

/** Human-readable summary lines. */
export function formatSimnetSummary(s: SimnetSummary): string[] {
  const lines = [`slots ${s.window.from_slot}–${s.window.to_slot}:`];
  for (const t of SIMNET_DUTY_TYPES) {
    const d = s.duties[t];
    lines.push(
      `  ${t.padEnd(18)} expected ${d.expected}, aggregated ${d.aggregated}, submitted ${d.submitted}, included ${d.included}` +
        "",
    );
  }
  lines.push(`  invalid ${s.invalid}, late ${s.late}, slashable ${s.slashable}, slashings ${s.slashings}`);
  for (const n of s.nodes)
    lines.push(
      `  node ${n.index}: contributed ${n.contributed}` +
        (n.byzantine ? ` (byzantine: ${n.byzantine})` : "") +
        (n.contributedAfterRestart === null
          ? ""
          : `, restarted ${n.restarts}×, ${n.contributedAfterRestart} after its restart`),
    );
  lines.push(`  latency p50 ${s.latencyMs.p50} ms, p99 ${s.latencyMs.p99} ms`);
  lines.push(`  faulty: ${s.faulty.length ? s.faulty.join(", ") : "none"}`);
  lines.push(
    s.ok ? "OK" : "FAILED: not every duty was included, or something invalid/slashable was submitted",
  );
  if (s.dir) lines.push(`kept ${s.dir}`);
  return lines;
}
