// The demo's validator side, through the `cohort` command exactly as an operator would run it (the
// same code paths as `cohort simnet`): `cohort cluster create --insecure-keys`, `cohort beacon-sim`
// and one `cohort agent run` per member, reporting to the portal.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { localAgentRunArgs } from "@cohort/agent/devnet";
import { type PrivateKeyAccount, privateKeyToAccount } from "viem/accounts";
import type { Proc, Supervisor } from "./procs";
import { freePort, sleep } from "./procs";

const ROOT = path.resolve(import.meta.dirname, "../..");
export const COHORT_BIN = path.join(ROOT, "apps/agent/bin/cohort.mjs");
/** The devnet fork version `cohort simnet` uses. */
export const DEMO_FORK_VERSION = "0x10000038";
/**
 * EIP-712 chain id of the operator signatures in a `--fork-version` devnet lock
 * (`DEVNET_EIP712_CHAIN_ID` in apps/agent/src/cluster/create.ts; not imported so the demo does not
 * load the whole agent).
 */
export const DEVNET_LOCK_CHAIN_ID = 1337;

export interface CreatedDemoCluster {
  dir: string;
  nodeDirs: string[];
  lockFile: string;
  lock: { lock_hash: string; [k: string]: unknown };
  /** Each node's operator key (INSECURE: generated for this local demo, written in the node dir). */
  operators: PrivateKeyAccount[];
  operatorKeys: `0x${string}`[];
}

export async function createDemoCluster(
  sup: Supervisor,
  o: {
    dir: string;
    nodes: number;
    threshold: number;
    validators: number;
    feeRecipient: string;
    /** First public interop key index: a portal refuses a validator another cluster already has. */
    interopFrom: number;
    logFile: string;
    log: (l: string) => void;
  },
): Promise<CreatedDemoCluster> {
  const proc = sup.spawn(
    "cohort cluster create",
    process.execPath,
    [
      COHORT_BIN,
      "cluster",
      "create",
      "--name",
      "cohort-demo",
      "--nodes",
      String(o.nodes),
      "--threshold",
      String(o.threshold),
      "--validators",
      String(o.validators),
      "--fork-version",
      DEMO_FORK_VERSION,
      "--fee-recipient",
      o.feeRecipient,
      "--withdrawal",
      o.feeRecipient,
      "--insecure-keys",
      `interop:${o.interopFrom}..${o.interopFrom + o.validators - 1}`,
      "--kdf",
      "pbkdf2",
      "--out",
      o.dir,
    ],
    {
      cwd: ROOT,
      logFile: o.logFile,
      onLine: (line) => {
        if (!line.startsWith("WARNING")) o.log(`cluster create: ${line.trim()}`);
      },
    },
  );
  proc.expectedExit = true;
  const { code, signal } = await proc.exited;
  if (code !== 0) throw new Error(`cohort cluster create failed (${code ?? signal}); see ${o.logFile}`);
  const nodeDirs = readdirSync(o.dir)
    .filter((d) => /^node\d+$/.test(d))
    .sort((a, b) => Number(a.slice(4)) - Number(b.slice(4)))
    .map((d) => path.join(o.dir, d));
  const operatorKeys = nodeDirs.map(
    (d) => readFileSync(path.join(d, "operator-private-key"), "utf8").trim() as `0x${string}`,
  );
  const lockFile = path.join(nodeDirs[0]!, "cluster-lock.json");
  return {
    dir: o.dir,
    nodeDirs,
    lockFile,
    lock: JSON.parse(readFileSync(lockFile, "utf8")),
    operatorKeys,
    operators: operatorKeys.map((k) => privateKeyToAccount(k)),
  };
}

export async function startBeaconSim(
  sup: Supervisor,
  o: { lockFile: string; slotTime: number; genesisDelay: number; logFile: string },
) {
  const port = await freePort();
  let genesisTime: number | undefined;
  const proc = sup.spawn(
    "beacon-sim",
    process.execPath,
    [
      COHORT_BIN,
      "beacon-sim",
      "--lock",
      o.lockFile,
      "--fillers",
      "8",
      "--slot-time",
      String(o.slotTime),
      "--port",
      String(port),
      "--genesis-delay",
      String(o.genesisDelay),
    ],
    {
      cwd: ROOT,
      logFile: o.logFile,
      stopTimeoutMs: 5000,
      onLine: (line) => {
        const m = /genesis (\d{4}-\d\d-\d\dT[\d:.]+Z)/.exec(line);
        if (m) genesisTime = Date.parse(m[1]!) / 1000;
      },
    },
  );
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  while (genesisTime === undefined) {
    if (Date.now() > deadline) throw new Error(`the beacon-node simulator did not start (see ${o.logFile})`);
    await sleep(100);
  }
  return { url, proc, genesisTime, slotsPerEpoch: 8 };
}

export interface Agents {
  procs: (Proc | undefined)[];
  monitoringUrls: string[];
  start(i: number): Proc;
  waitLive(i: number, timeoutMs?: number): Promise<boolean>;
}

export async function prepareAgents(
  sup: Supervisor,
  o: {
    nodeDirs: string[];
    beaconUrl: string;
    portalUrl: string;
    portalKeys: string[];
    runDir: string;
    logLevel: string;
  },
): Promise<Agents> {
  const p2pPorts = await Promise.all(o.nodeDirs.map(() => freePort()));
  const monPorts = await Promise.all(o.nodeDirs.map(() => freePort()));
  const monitoringUrls = monPorts.map((p) => `http://127.0.0.1:${p}`);
  const procs: (Proc | undefined)[] = o.nodeDirs.map(() => undefined);
  return {
    procs,
    monitoringUrls,
    start(i) {
      const proc = sup.spawn(
        `agent ${i + 1}`,
        process.execPath,
        [
          COHORT_BIN,
          ...localAgentRunArgs({
            dataDir: o.nodeDirs[i]!,
            beaconUrl: o.beaconUrl,
            p2pPorts,
            monitoringPort: monPorts[i]!,
            logLevel: o.logLevel,
            portal: { url: o.portalUrl, key: o.portalKeys[i]! },
          }),
        ],
        { cwd: ROOT, logFile: path.join(o.runDir, `agent-${i + 1}.log`), stopTimeoutMs: 5000 },
      );
      procs[i] = proc;
      return proc;
    },
    async waitLive(i, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const p = procs[i];
        if (!p || p.child.exitCode !== null || p.child.signalCode !== null) return false;
        const ok = await fetch(`${monitoringUrls[i]}/livez`, { signal: AbortSignal.timeout(1000) }).then(
          (r) => r.ok,
          () => false,
        );
        if (ok) return true;
        await sleep(200);
      }
      return false;
    },
  };
}
