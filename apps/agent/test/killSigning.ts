/**
 * SIGKILL-mid-signing harness (shared by killSigning.test.ts and killSigning.sim.test.ts): the
 * beacon-node simulator in this process, 4 `cohort agent run` processes (t = 3), and one of them
 * killed with SIGKILL at seeded random moments and restarted at once on the same data dir, again
 * and again. Afterwards it gathers what is needed to show that no slashable message was ever
 * produced: the simulator's verdict, the killed node's slashing-protection export, and every
 * partial-signature message the OTHER nodes recorded from it in their evidence journals.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startBeaconSim, validatorSet } from "@cohort/beacon-sim";
import { devnetConfig, FORK_NAMES } from "@cohort/eth";
import { type Interchange, SlashingProtectionDb } from "@cohort/slashing";
import { evidenceDbPath } from "../src/agentRun";
import { createCluster } from "../src/cluster/create";
import { localAgentRunArgs } from "../src/devnet";
import { type JournalEntry, readJournal } from "../src/journal";
import { slashingDbPath } from "../src/slashing";

const BIN = fileURLToPath(new URL("../bin/cohort.mjs", import.meta.url));
const hex = (b: Uint8Array) => `0x${Buffer.from(b).toString("hex")}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

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

/** mulberry32: a small seeded PRNG (reproducible kill moments). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface KillSigningOptions {
  kills: number;
  seed: number;
  /** Operator index of the node killed again and again (default 1). */
  victim?: number;
  /** Random kill delay after the node is live again, ms (default [300, 3000]). */
  delayMs?: [number, number];
  /** Slots to keep running after the last restart (default 8). */
  tailSlots?: number;
  log?: (line: string) => void;
}

export interface SignedAttestation {
  pubkey: string;
  source: number;
  target: number;
  signingRoot: string;
}

export interface KillSigningResult {
  dir: string;
  kills: { at: number; slot: number }[];
  lastRestartAt: number;
  victimShareIndex: number;
  /** Simulator verdict over every slot. */
  simSlashable: number;
  simSlashings: number;
  interchange: Interchange;
  /** Everything the other nodes' journals recorded as received from the victim. */
  fromVictim: Extract<JournalEntry, { kind: "receipt" }>[];
  /** Digests of everything the victim's own journal says it sent. */
  victimSentDigests: Set<string>;
  cleanup(): void;
}

export async function runKillSigning(o: KillSigningOptions): Promise<KillSigningResult> {
  const log = o.log ?? (() => {});
  const rand = prng(o.seed);
  const victim = o.victim ?? 1;
  const [dMin, dMax] = o.delayMs ?? [300, 3000];
  const dir = mkdtempSync(path.join(tmpdir(), "cohort-killsign-"));
  const children = new Map<number, ChildProcess>();
  let stopSim: (() => Promise<void>) | undefined;
  try {
    const created = await createCluster({
      name: "killsign",
      nodes: 4,
      threshold: 3,
      validators: 4,
      forkVersion: "0x10000038",
      feeRecipient: "0x000000000000000000000000000000000000fee0",
      withdrawal: "0x0000000000000000000000000000000000dead00",
      out: path.join(dir, "cluster"),
      interopIndices: [0, 1, 2, 3],
      kdf: "pbkdf2",
    });
    const slotTime = 1;
    const genesisTime = Math.floor(Date.now() / 1000) + 10;
    const gvr = hex(crypto.getRandomValues(new Uint8Array(32)));
    const network = devnetConfig({
      name: "cohort-killsign",
      genesisForkVersion: "0x10000038",
      genesisValidatorsRoot: gvr,
      genesisTime,
      secondsPerSlot: slotTime,
      slotsPerEpoch: 8,
      forkEpochs: Object.fromEntries(
        FORK_NAMES.slice(1, FORK_NAMES.indexOf("electra") + 1).map((f) => [f, 0]),
      ),
    });
    const bn = await startBeaconSim({
      network,
      validators: validatorSet(created.validatorPubkeys, { fillers: 8 }),
      statsFromSlot: 0,
    });
    stopSim = () => bn.stop();
    const slotAt = (ms: number) => Math.floor((ms - genesisTime * 1000) / (slotTime * 1000));

    const p2pPorts = await Promise.all(created.nodeDirs.map(() => freePort()));
    const monPorts = await Promise.all(created.nodeDirs.map(() => freePort()));
    const start = (i: number) => {
      const args = [
        BIN,
        ...localAgentRunArgs({
          dataDir: created.nodeDirs[i]!,
          beaconUrl: bn.url,
          p2pPorts,
          monitoringPort: monPorts[i]!,
          logLevel: "warn",
        }),
      ];
      const out = createWriteStream(path.join(dir, `agent-${i}.log`), { flags: "a" });
      const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
      child.stdout?.pipe(out);
      child.stderr?.pipe(out);
      children.set(i, child);
      return child;
    };
    const waitLive = async (i: number, deadline: number) => {
      while (Date.now() < deadline) {
        try {
          const res = await fetch(`http://127.0.0.1:${monPorts[i]}/livez`, {
            signal: AbortSignal.timeout(1000),
          });
          if (res.ok) return true;
        } catch {}
        await sleep(100);
      }
      return false;
    };
    const exited = (c: ChildProcess) =>
      c.exitCode !== null || c.signalCode !== null
        ? Promise.resolve()
        : new Promise<void>((r) => c.once("exit", () => r()));

    for (let i = 0; i < 4; i++) start(i);
    const live = await Promise.all([0, 1, 2, 3].map((i) => waitLive(i, Date.now() + 60_000)));
    if (live.some((l) => !l)) throw new Error(`agents did not start: see ${dir}/agent-*.log`);
    log(`agents live, genesis in ${((genesisTime * 1000 - Date.now()) / 1000).toFixed(1)} s`);
    await sleep(genesisTime * 1000 + 1000 - Date.now()); // signing under way (slot 0 attestations)

    const kills: KillSigningResult["kills"] = [];
    let lastRestartAt = 0;
    for (let k = 0; k < o.kills; k++) {
      await sleep(dMin + rand() * (dMax - dMin));
      const c = children.get(victim)!;
      c.kill("SIGKILL");
      kills.push({ at: Date.now(), slot: slotAt(Date.now()) });
      await exited(c);
      start(victim);
      lastRestartAt = Date.now();
      const ok = await waitLive(victim, Date.now() + 60_000);
      log(`kill ${k + 1}/${o.kills} at slot ${kills.at(-1)!.slot}; ${ok ? "live again" : "NOT back"}`);
      if (!ok) throw new Error(`node ${victim} did not come back: see ${dir}/agent-${victim}.log`);
    }
    await sleep((o.tailSlots ?? 8) * slotTime * 1000);

    // Graceful stop (SIGTERM): journals flush, databases close.
    await Promise.all(
      [...children.values()].map(async (c) => {
        const t = setTimeout(() => c.kill("SIGKILL"), 10_000);
        c.kill("SIGTERM");
        await exited(c);
        clearTimeout(t);
      }),
    );
    children.clear();
    const lastSlot = slotAt(Date.now());
    const stats = bn.recorder.stats(0, lastSlot);
    let simSlashable = 0;
    for (const v of stats.validators)
      for (const d of Object.values(v) as unknown[])
        if (d && typeof d === "object" && "slashable" in d)
          simSlashable += (d as { slashable: number }).slashable;

    const sp = await SlashingProtectionDb.open({
      path: slashingDbPath(created.nodeDirs[victim]!),
      genesisValidatorsRoot: gvr,
      strategy: "complete",
    });
    const interchange = await sp.exportInterchange();
    await sp.close();

    const victimShareIndex = victim + 1;
    const fromVictim: KillSigningResult["fromVictim"] = [];
    for (let i = 0; i < 4; i++) {
      if (i === victim) continue;
      for (const e of await readJournal(evidenceDbPath(created.nodeDirs[i]!)))
        if (e.kind === "receipt" && e.from === victimShareIndex) fromVictim.push(e);
    }
    const victimSentDigests = new Set(
      (await readJournal(evidenceDbPath(created.nodeDirs[victim]!)))
        .filter((e) => e.kind === "sent")
        .map((e) => (e as { digest: string }).digest),
    );
    return {
      dir,
      kills,
      lastRestartAt,
      victimShareIndex,
      simSlashable,
      simSlashings: stats.slashings,
      interchange,
      fromVictim,
      victimSentDigests,
      cleanup: () => rmSync(dir, { recursive: true, force: true }),
    };
  } catch (e) {
    log(`failed; logs kept in ${dir}`);
    throw e;
  } finally {
    for (const c of children.values()) c.kill("SIGKILL");
    await stopSim?.();
  }
}

/** Attestation partials (source/target epochs, signing root) in the received messages. */
export function attestationsOf(
  entries: readonly Extract<JournalEntry, { kind: "receipt" }>[],
): SignedAttestation[] {
  const out: SignedAttestation[] = [];
  for (const e of entries) {
    if (e.message.message.dutyType !== 1) continue;
    for (const p of e.message.message.partials) {
      const d = p.data as {
        kind?: string;
        data?: { source?: { epoch?: unknown }; target?: { epoch?: unknown } };
      };
      if (d.kind !== "attestation" || !d.data?.source || !d.data.target) continue;
      out.push({
        pubkey: p.pubkey.toLowerCase(),
        source: Number(d.data.source.epoch),
        target: Number(d.data.target.epoch),
        signingRoot: p.signingRoot.toLowerCase(),
      });
    }
  }
  return out;
}

/** Block partials (slot, signing root) in the received messages. */
export function blocksOf(entries: readonly Extract<JournalEntry, { kind: "receipt" }>[]) {
  const out: { pubkey: string; slot: number; signingRoot: string }[] = [];
  for (const e of entries) {
    if (e.message.message.dutyType !== 2) continue;
    for (const p of e.message.message.partials)
      out.push({ pubkey: p.pubkey.toLowerCase(), slot: e.message.message.slot, signingRoot: p.signingRoot });
  }
  return out;
}

/**
 * EIP-3076 conflicts among attestations of one key: a double vote (same target, other signing
 * root) or a surround vote (one's source/target strictly inside the other's).
 */
export function attestationConflicts(atts: readonly SignedAttestation[]): string[] {
  const byKey = new Map<string, SignedAttestation[]>();
  for (const a of atts) byKey.set(a.pubkey, [...(byKey.get(a.pubkey) ?? []), a]);
  const out: string[] = [];
  for (const [pk, list] of byKey) {
    const uniq = [...new Map(list.map((a) => [`${a.source}/${a.target}/${a.signingRoot}`, a])).values()];
    for (let i = 0; i < uniq.length; i++)
      for (let j = i + 1; j < uniq.length; j++) {
        const a = uniq[i]!;
        const b = uniq[j]!;
        if (a.target === b.target && a.signingRoot !== b.signingRoot)
          out.push(`${pk}: double vote at target ${a.target}`);
        if ((a.source < b.source && b.target < a.target) || (b.source < a.source && a.target < b.target))
          out.push(`${pk}: surround vote ${a.source}→${a.target} / ${b.source}→${b.target}`);
      }
  }
  return out;
}

/** Conflicts in an EIP-3076 interchange: double/surround votes and double block proposals. */
export function interchangeConflicts(ic: Interchange): string[] {
  const out: string[] = [];
  for (const v of ic.data) {
    out.push(
      ...attestationConflicts(
        v.signed_attestations
          .filter((a) => a.signing_root)
          .map((a) => ({
            pubkey: v.pubkey,
            source: Number(a.source_epoch),
            target: Number(a.target_epoch),
            signingRoot: a.signing_root!,
          })),
      ),
    );
    const bySlot = new Map<string, Set<string>>();
    for (const b of v.signed_blocks) {
      if (!b.signing_root) continue;
      const s = bySlot.get(String(b.slot)) ?? new Set();
      s.add(b.signing_root);
      bySlot.set(String(b.slot), s);
    }
    for (const [slot, roots] of bySlot)
      if (roots.size > 1) out.push(`${v.pubkey}: double proposal at slot ${slot}`);
  }
  return out;
}
