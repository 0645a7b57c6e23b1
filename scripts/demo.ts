// `npm run demo`: the whole of Cohort on embedded defaults, no external services needed.
//
// Brings up, as child processes it watches: a local anvil chain with the cluster's CohortSplitter,
// the portal API (embedded PostgreSQL, a private redis-server or BullMQ's PostgreSQL backend, the
// job worker in-process), a 3-of-4 cluster made with `cohort cluster create --insecure-keys`,
// registered in the portal for real (operators sign in with Ethereum and accept their seats by
// EIP-712 signature, the lock attached, one agent API key per member, an auditor and a viewer
// granted), the beacon-node simulator with short slots, the four agents reporting evidence to the
// portal, and the dashboard (apps/web) when it exists. Every ~15 s it prints what the portal has
// reconciled per member; every 30 s it sends some ETH to the splitter (standing for the rewards it
// receives as fee recipient).
//
//   npm run demo                       run until Ctrl-C
//   npm run demo -- --chaos            also take one agent down for 40 s (--chaos-down <s>) every
//                                      ~60-90 s, rotating members, SIGKILL and SIGTERM in turn
//   npm run demo -- --smoke            exit 0 once every member's duties reached the portal
//                                      (no dashboard unless --with-web)
//   --port 4000 (API; 0 = any free port)  --web-port 3000 (0 = any)  --slot-time 2 (seconds)
//   --ready-file <path>  JSON with the URLs, cluster, chain and demo identities once everything is up
//   COHORT_DATA_DIR      the data directory (default .cohort): database, and this run's cluster under demo/
import { randomInt } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { DEMO_AUDITOR_KEY, DEMO_VIEWER_KEY, demoAuditor, demoViewer } from "@cohort/domain/demo";
import { formatEther } from "viem";
import { type DemoChain, startChain } from "./demo/chain";
import {
  type Agents,
  createDemoCluster,
  DEVNET_LOCK_CHAIN_ID,
  prepareAgents,
  startBeaconSim,
} from "./demo/cluster";
import { checkInstall } from "./demo/install";
import {
  archiveEarlierDemoClusters,
  type ClusterProgress,
  clusterProgress,
  configureSettlementIfAvailable,
  latestSettlement,
  registerCluster,
  setBeaconNode,
} from "./demo/portal";
import { type Proc, pickPort, Supervisor, sleep } from "./demo/procs";
import { buildDashboard, dashboardMissing, startDashboard } from "./demo/web";

const ROOT = path.resolve(import.meta.dirname, "..");
const NODES = 4;
const THRESHOLD = 3;
const VALIDATORS = 2;
const REWARD_EVERY_MS = 30_000;
const REWARD_ETH = "0.05";
const PROGRESS_EVERY_MS = 15_000;
/** A settlement period should end every ~2-3 minutes. */
const SETTLEMENT_PERIOD_S = 150;

const { values: args } = parseArgs({
  options: {
    smoke: { type: "boolean", default: false },
    chaos: { type: "boolean", default: false },
    "with-web": { type: "boolean", default: false },
    port: { type: "string", default: "4000" },
    "web-port": { type: "string", default: "3000" },
    "slot-time": { type: "string", default: "2" },
    "ready-file": { type: "string" },
    "chaos-down": { type: "string", default: "40" },
    "agent-log-level": { type: "string", default: "warn" }, // agent-N.log in the run directory
  },
});
const slotTime = Number(args["slot-time"]);
const chaosDownMs = Number(args["chaos-down"]) * 1000;
if (!(chaosDownMs > 0)) {
  console.error("[demo] --chaos-down must be a positive number of seconds");
  process.exit(2);
}
if (!Number.isInteger(slotTime) || slotTime < 1) {
  console.error("[demo] --slot-time must be a whole number of seconds ≥ 1");
  process.exit(2);
}
for (const flag of ["port", "web-port"] as const)
  if (!/^\d+$/.test(args[flag]) || Number(args[flag]) > 65535) {
    console.error(`[demo] --${flag} must be a port number (0 = any free port)`);
    process.exit(2);
  }

const t0 = Date.now();
/** A path for humans: relative inside the repository, absolute elsewhere. */
const rel = (p: string) => (p.startsWith(`${ROOT}${path.sep}`) ? path.relative(ROOT, p) : p);
const elapsed = () => `${((Date.now() - t0) / 1000).toFixed(1)}s`;
const log = (line: string) => console.log(`[demo +${elapsed()}] ${line}`);

// ---------------------------------------------------------------------------------------------
// Lifecycle: any unexpected child exit, failed step or Ctrl-C ends here.
let stopping = false;
const timers: NodeJS.Timeout[] = [];
const sup = new Supervisor((p, code, signal) => {
  const tail = p.logFile ? `; its log: ${rel(p.logFile)}` : "";
  console.error(`[demo +${elapsed()}] ${p.name} exited unexpectedly (${signal ?? `code ${code}`})${tail}`);
  void stop(1);
});
let agents: Agents | undefined;
/** The API's embedded database as it serves it (from its start-up line); unset with DATABASE_URL. */
let embeddedDatabaseUrl: string | undefined;
async function stop(code: number) {
  if (stopping) return;
  stopping = true;
  for (const t of timers) clearInterval(t);
  log(
    `stopping everything (${
      sup
        .list()
        .map((p) => p.name)
        .join(", ") || "nothing running"
    })…`,
  );
  const isAgent = (p: Proc) => agents?.procs.includes(p) ?? false;
  await sup.stopAll(isAgent);
  log(code === 0 ? "stopped." : `stopped (exit ${code}).`);
  process.exit(code);
}
// Ctrl-C in a terminal reaches the demo twice (from the terminal and relayed by npm/tsx): only an
// interrupt more than 2 s after the first one means "kill everything now".
let firstInterrupt = 0;
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const)
  process.on(sig, () => {
    if (firstInterrupt && Date.now() - firstInterrupt < 2000) return;
    if (firstInterrupt) {
      console.error("[demo] second interrupt: killing everything now");
      sup.killAll();
      process.exit(130);
    }
    firstInterrupt = Date.now();
    void stop(0);
  });
const fail = (err: unknown) => {
  if (stopping) return;
  console.error(`[demo +${elapsed()}] ${err instanceof Error ? err.message : String(err)}`);
  void stop(1);
};
process.on("unhandledRejection", fail);

// ---------------------------------------------------------------------------------------------
try {
  await main();
} catch (err) {
  fail(err);
}

async function main() {
  await checkInstall(log);

  // This run's files (cluster keys, logs) live under the data directory; earlier runs' are removed
  // (their devnet, keys and processes are gone; the portal database keeps their clusters).
  const dataDir = path.resolve(ROOT, process.env.COHORT_DATA_DIR ?? ".cohort");
  const demoDir = path.join(dataDir, "demo");
  mkdirSync(demoDir, { recursive: true });
  lockDataDir(path.join(demoDir, "demo.pid"));
  for (const old of readdirSync(demoDir).filter((d) => d.startsWith("run-")))
    rmSync(path.join(demoDir, old), { recursive: true, force: true });
  const runDir = path.join(demoDir, `run-${new Date().toISOString().replace(/[:.]/g, "-")}`);
  mkdirSync(runDir, { recursive: true });
  const logPath = (name: string) => path.join(runDir, name);
  log(`data directory ${rel(dataDir)}; this run's cluster and logs in ${rel(runDir)}`);

  // 1. The chain first: the API is configured with its URL.
  const chain: DemoChain = await startChain(sup, logPath("anvil.log"));
  const splitterAddress = await chain.predictSplitterAddress();
  log(`anvil ${chain.rpcUrl} (chain ${chain.chainId}, prague); the splitter will be ${splitterAddress}`);

  // 2. The API (database + queue + in-process worker) and the cluster keys, in parallel.
  const port = await pickPort(Number(args.port), "API", log);
  const apiUrl = `http://127.0.0.1:${port}`;
  const domain = `127.0.0.1:${port}`;
  // The dashboard's port now: its sign-in messages name its own origin, which the API must accept.
  const webMissing = dashboardMissing();
  const withWeb = !webMissing && (!args.smoke || args["with-web"]);
  const webPort = withWeb ? await pickPort(Number(args["web-port"]), "dashboard", log) : null;
  const siweHosts = [port, ...(webPort === null ? [] : [webPort])].flatMap((p) => [
    `127.0.0.1:${p}`,
    `localhost:${p}`,
  ]);
  log(`starting the portal API on embedded defaults (a first start creates the database: ~10-20 s)…`);
  let apiReady = false;
  sup.spawn("api", process.execPath, ["--import", "tsx", "apps/api/src/main.ts"], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: String(port),
      COHORT_DATA_DIR: dataDir,
      SIWE_DOMAINS: siweHosts.join(","),
      LOG_LEVEL: process.env.LOG_LEVEL ?? "info",
      // Settlement: the chain, a funded account that pays gas (anvil dev account #2, PUBLIC key), a fast tick.
      CHAIN_RPC_URL: chain.rpcUrl,
      CHAIN_SUBMITTER_KEY: "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
      SETTLEMENT_TICK_MS: "10000",
    },
    logFile: logPath("api.log"),
    stopTimeoutMs: 20_000,
    onLine: (line) => apiLine(line, apiReady),
  });
  const webBuild = withWeb ? buildDashboard(sup, logPath("web-build.log"), log) : Promise.resolve();
  webBuild.catch(() => {}); // awaited below

  log(
    `creating a ${THRESHOLD}-of-${NODES} cluster with ${VALIDATORS} validators (cohort cluster create --insecure-keys)…`,
  );
  const cluster = await createDemoCluster(sup, {
    dir: path.join(runDir, "cluster"),
    nodes: NODES,
    threshold: THRESHOLD,
    validators: VALIDATORS,
    feeRecipient: splitterAddress,
    // Fresh validators each run: the portal (kept in the data dir) refuses one an earlier run's cluster has.
    interopFrom: randomInt(1000, 1_000_000) * VALIDATORS,
    logFile: logPath("cluster-create.log"),
    log,
  });

  // 3. The splitter: the cluster's operators, its threshold; fee recipient and withdrawal address of the lock.
  log("deploying the CohortSplitter…");
  const deployed = await chain.deploy(
    cluster.operators.map((o) => o.address),
    THRESHOLD,
    VALIDATORS,
  );
  if (deployed.address.toLowerCase() !== splitterAddress.toLowerCase())
    throw new Error(`the splitter was deployed at ${deployed.address}, not the predicted ${splitterAddress}`);
  log(
    `splitter ${deployed.address}: ${deployed.state.operators.length} operators, threshold ${deployed.state.threshold}`,
  );

  // 4. The portal: ready, then the cluster registered by its operators.
  await waitReady(apiUrl);
  apiReady = true;
  log(`portal API ready: ${apiUrl}/graphql`);
  const registered = await registerCluster(
    apiUrl,
    domain,
    {
      name: `Cohort demo ${new Date().toISOString().slice(0, 19).replace("T", " ").replaceAll(":", ".")}`,
      operators: cluster.operators,
      threshold: THRESHOLD,
      lock: cluster.lock,
      lockChainId: DEVNET_LOCK_CHAIN_ID,
      grants: [
        { address: demoAuditor.address, role: "AUDITOR" },
        { address: demoViewer.address, role: "VIEWER" },
      ],
    },
    log,
  );
  const { clusterId } = registered;
  const token = registered.tokens[0]!;
  if (embeddedDatabaseUrl) {
    const archived = await archiveEarlierDemoClusters(embeddedDatabaseUrl, clusterId);
    if (archived) log(`archived ${archived} cluster(s) of earlier demo runs (their devnets are gone)`);
  }

  // 5. The beacon-node simulator (genesis shortly after the agents are up) and the agents.
  const sim = await startBeaconSim(sup, {
    lockFile: cluster.lockFile,
    slotTime,
    genesisDelay: 20, // the agents start (~5-10 s) and connect before slot 0
    logFile: logPath("beacon-sim.log"),
  });
  const epochSeconds = slotTime * sim.slotsPerEpoch;
  log(
    `beacon-sim ${sim.url}: ${slotTime} s slots, ${sim.slotsPerEpoch} slots/epoch, genesis in ${Math.round(sim.genesisTime - Date.now() / 1000)} s`,
  );
  agents = await prepareAgents(sup, {
    nodeDirs: cluster.nodeDirs,
    beaconUrl: sim.url,
    portalUrl: apiUrl,
    portalKeys: registered.agentKeys,
    runDir,
    logLevel: args["agent-log-level"],
  });
  const theAgents = agents;
  log(`starting ${NODES} agents (cohort agent run … --portal-url ${apiUrl} --portal-key cohort_ak_…)…`);
  for (let i = 0; i < NODES; i++) theAgents.start(i);
  const live = await Promise.all(cluster.nodeDirs.map((_, i) => theAgents.waitLive(i)));
  if (live.some((l) => !l)) throw new Error(`agents did not start: see ${rel(runDir)}/agent-*.log`);
  const agentsLiveAt = Date.now();
  log(`${NODES} agents live; monitoring ${theAgents.monitoringUrls.join(" ")}`);

  // 6. The portal reads the expected duties from the simulator; settlement when the API has it.
  await setBeaconNode(apiUrl, token, clusterId, sim.url);
  const settlementOn = await configureSettlementIfAvailable(
    apiUrl,
    token,
    {
      clusterId,
      splitterAddress: deployed.address,
      chainId: chain.chainId,
      periodEpochs: Math.max(1, Math.round(SETTLEMENT_PERIOD_S / epochSeconds)),
    },
    log,
  ).catch((err) => {
    log(`settlement: ${err instanceof Error ? err.message : String(err)}`);
    return false;
  });

  // 7. Rewards to the splitter, now and every 30 s.
  const sendRewards = () =>
    chain.sendRewards(deployed.address, REWARD_ETH).then(
      async () =>
        log(
          `rewards: sent ${REWARD_ETH} ETH to the splitter (balance ${await chain.balance(deployed.address)} ETH)`,
        ),
      (err) => log(`rewards: sending failed: ${err instanceof Error ? err.message : String(err)}`),
    );
  if (!args.smoke) {
    void sendRewards();
    timers.push(setInterval(() => void sendRewards(), REWARD_EVERY_MS));
  }

  // 8. The dashboard.
  const identities = [
    ...cluster.operators.map((o, i) => ({
      role: "operator",
      label: `Operator ${i + 1}`,
      address: o.address,
      privateKey: cluster.operatorKeys[i]!,
    })),
    { role: "auditor", label: "Auditor (demo)", address: demoAuditor.address, privateKey: DEMO_AUDITOR_KEY },
    { role: "viewer", label: "Viewer (demo)", address: demoViewer.address, privateKey: DEMO_VIEWER_KEY },
  ];
  let webUrl: string | null = null;
  // A dashboard that does not build (apps/web is work in progress) leaves the rest of the demo running.
  const built = await webBuild.then(
    () => true,
    (err) => {
      if (!stopping) log(`DASHBOARD NOT STARTED: ${err instanceof Error ? err.message : String(err)}`);
      return false;
    },
  );
  if (webPort !== null && built) {
    const web = await startDashboard(sup, { port: webPort, apiUrl, identities, logFile: logPath("web.log") });
    webUrl = web.url;
  }

  // 9. Ready.
  const ready = {
    apiUrl,
    webUrl,
    graphqlUrl: `${apiUrl}/graphql`,
    clusterId,
    anvilUrl: chain.rpcUrl,
    chainId: chain.chainId,
    splitterAddress: deployed.address,
    beaconUrl: sim.url,
    identities,
    dataDir,
    runDir,
  };
  if (args["ready-file"]) {
    // Atomically: whoever polls for the file never reads half of it.
    const file = path.resolve(args["ready-file"]);
    writeFileSync(`${file}.tmp`, `${JSON.stringify(ready, null, 2)}\n`);
    renameSync(`${file}.tmp`, file);
  }
  console.log(`
  Cohort is up  (${elapsed()} after start)
    Dashboard   ${webUrl ?? `not started: ${webMissing ?? (withWeb ? "next build failed (see above)" : "--smoke (add --with-web)")}`}
    API         ${apiUrl}/graphql   (health ${apiUrl}/healthz, metrics ${apiUrl}/metrics)
    Cluster     ${clusterId}  (${THRESHOLD}-of-${NODES}, ${VALIDATORS} validators, lock ${cluster.lock.lock_hash.slice(0, 18)}…)
    Chain       ${chain.rpcUrl} (chain ${chain.chainId}); splitter ${deployed.address}
    Beacon sim  ${sim.url}
    Logs        ${rel(runDir)}/
  Sign in as (INSECURE demo keys: local devnet only, never fund them):
${identities.map((x) => `    ${x.label.padEnd(15)} ${x.address}  ${x.privateKey}`).join("\n")}
  Example query (operator 1's session):
    curl -s ${apiUrl}/graphql -H 'content-type: application/json' -H 'authorization: Bearer ${token}' \\
      -d '{"query":"{ clusters { id name threshold lockHash operators { address } } }"}'
${args.chaos ? `  Chaos: one agent goes down for ${chaosDownMs / 1000} s every ~60-90 s (rotating).\n` : ""}  Ctrl-C stops everything.
`);

  // 10. Progress: quickly until every member's duties reached the portal, then every ~15 s.
  const from = new Date(sim.genesisTime * 1000);
  const down = new Set<number>();
  let firstDutiesAt: number | null = null;
  const progressLine = async () => {
    const p = await clusterProgress(apiUrl, token, clusterId, from);
    const slot = Math.max(0, Math.floor((Date.now() / 1000 - sim.genesisTime) / slotTime));
    const balance = await chain.balance(deployed.address).catch(() => "?");
    const period = settlementOn ? await latestSettlement(apiUrl, token, clusterId) : null;
    const settlement = period
      ? ` | settlement #${period.index} ${period.status} ${formatEther(BigInt(period.amountWei))} ETH`
      : "";
    log(`${formatProgress(p, slot, sim.slotsPerEpoch, down, balance)}${settlement}`);
    return p;
  };
  const everyoneContributed = (p: ClusterProgress) =>
    p.participation.length === NODES && p.participation.every((m) => m.contributedDuties > 0);
  const smokeDeadline = Date.now() + 150_000;
  let lastLine = Date.now();
  while (!stopping && firstDutiesAt === null) {
    const p = await clusterProgress(apiUrl, token, clusterId, from).catch(() => null);
    if (p && Date.now() - lastLine >= PROGRESS_EVERY_MS && !everyoneContributed(p)) {
      lastLine = Date.now();
      const slot = Math.max(0, Math.floor((Date.now() / 1000 - sim.genesisTime) / slotTime));
      log(
        formatProgress(
          p,
          slot,
          sim.slotsPerEpoch,
          down,
          await chain.balance(deployed.address).catch(() => "?"),
        ),
      );
    }
    if (p && everyoneContributed(p)) {
      firstDutiesAt = Date.now();
      log(
        `duties from every member reached the portal: ${((firstDutiesAt - t0) / 1000).toFixed(1)} s after start, ` +
          `${((firstDutiesAt - agentsLiveAt) / 1000).toFixed(1)} s after the agents were live`,
      );
      await progressLine();
      break;
    }
    if (args.smoke && Date.now() > smokeDeadline) {
      if (p) log(formatProgress(p, 0, sim.slotsPerEpoch, down, "?"));
      throw new Error("smoke check failed: not every member's duties reached the portal within 150 s");
    }
    await sleep(2000);
  }
  if (args.smoke) {
    log("smoke check passed");
    return stop(0);
  }
  timers.push(
    setInterval(
      () => void progressLine().catch((e) => log(`progress: ${(e as Error).message}`)),
      PROGRESS_EVERY_MS,
    ),
  );
  if (args.chaos) void chaos(theAgents, down);
}

// ---------------------------------------------------------------------------------------------
async function chaos(a: Agents, down: Set<number>) {
  let next = 1; // start with operator 2: operator 1's session reads the portal (any would do)
  let round = 0;
  await sleep(45_000);
  while (!stopping) {
    const i = next;
    next = (next + 1) % NODES;
    const signal: NodeJS.Signals = round++ % 2 === 0 ? "SIGKILL" : "SIGTERM";
    const p = a.procs[i];
    if (!p) continue;
    log(`chaos: ${signal} agent ${i + 1} (operator ${i + 1}) for ${chaosDownMs / 1000} s`);
    down.add(i);
    await sup.stop(p, signal);
    await sleep(chaosDownMs);
    if (stopping) return;
    a.start(i);
    const back = await a.waitLive(i);
    down.delete(i);
    if (stopping) return;
    if (!back) return fail(new Error(`chaos: agent ${i + 1} did not come back`));
    log(`chaos: agent ${i + 1} is back`);
    await sleep(20_000 + Math.random() * 30_000);
  }
}

function formatProgress(
  p: ClusterProgress,
  slot: number,
  slotsPerEpoch: number,
  down: Set<number>,
  balance: string,
) {
  const members = p.participation
    .map((m) => {
      const failed = m.expectedDuties - m.contributedDuties;
      return `op${m.shareIndex} ${m.contributedDuties}✓ ${failed}✗${down.has(m.shareIndex - 1) ? " (down)" : ""}`;
    })
    .join(" | ");
  const open = p.incidents.filter((x) => x.status !== "RESOLVED");
  const resolved = p.incidents.length - open.length;
  const openText = open
    .map(
      (x) =>
        `${x.kind}${x.members.length ? ` op${x.members.map((m) => m.member.shareIndex).join(",op")}` : ""}`,
    )
    .join(", ");
  return (
    `slot ${slot} (epoch ${Math.floor(slot / slotsPerEpoch)}) | duties in the portal: ${members || "none yet"} | ` +
    `incidents: ${open.length} open${openText ? ` (${openText})` : ""}, ${resolved} resolved | splitter ${balance} ETH`
  );
}

async function waitReady(base: string) {
  const deadline = Date.now() + 180_000;
  for (;;) {
    if (stopping) throw new Error("stopping");
    const ok = await fetch(`${base}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    if (Date.now() > deadline) throw new Error("the API did not become ready within 180 s (see api.log)");
    await sleep(250);
  }
}

/** The API's JSON log: its start-up lines (which backends it chose) in full, then warnings and errors only. */
function apiLine(line: string, ready: boolean) {
  try {
    const entry = JSON.parse(line) as { msg: string; level: number; [k: string]: unknown };
    const served = /^embedded PostgreSQL .*served on ([\d.]+:\d+)\/(\w+)\)$/.exec(
      String(entry.database ?? ""),
    );
    if (served) embeddedDatabaseUrl = `postgresql://postgres@${served[1]}/${served[2]}?sslmode=disable`;
    const { msg, level, time: _t, name: _n, pid: _p, hostname: _h, ...rest } = entry;
    if (level < 30 || (ready && level < 40)) return;
    const extra = Object.keys(rest).length ? ` ${JSON.stringify(rest)}` : "";
    console.log(`[api] ${msg}${extra}`);
  } catch {
    console.log(`[api] ${line}`);
  }
}

/** One demo per data directory (a second one would open the same embedded database). */
function lockDataDir(file: string) {
  try {
    const pid = Number(readFileSync(file, "utf8"));
    if (pid && pid !== process.pid) {
      let alive = true;
      try {
        process.kill(pid, 0);
      } catch (err) {
        alive = (err as NodeJS.ErrnoException).code === "EPERM";
      }
      if (alive)
        throw new Error(
          `another demo (pid ${pid}) is running on ${rel(path.dirname(path.dirname(file)))}: stop it, or set COHORT_DATA_DIR`,
        );
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  writeFileSync(file, String(process.pid));
  process.on("exit", () => {
    try {
      if (readFileSync(file, "utf8") === String(process.pid)) rmSync(file);
    } catch {}
  });
}
