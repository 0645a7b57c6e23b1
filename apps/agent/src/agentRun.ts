/**
 * `cohort agent run`: one cluster member's long-running process. Checks the beacon node's chain
 * against the lock, opens slashing protection, decrypts the shares (worker threads), starts the
 * p2p mesh and the core duty workflow, and serves /livez, /readyz and Prometheus /metrics.
 */

import { readFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { clusterNetwork, parseLock, verifyLock } from "@cohort/cluster";
import {
  BeaconClient,
  type Clock,
  type ConsensusMsg,
  type CoreNode,
  clusterFromLock,
  createCoreNode,
  type DutyOutcome,
  DutyType,
  dutyKey,
  type LoadNodeOptions,
  LockLoadError,
  loadNodeFromDataDir,
  ParSigExP2PTransport,
  QbftP2PTransport,
  registrationsFromLock,
  slotStartMs,
  systemClock,
} from "@cohort/core";
import type { NetworkConfig } from "@cohort/eth";
import type { DutyOutcomeReport } from "@cohort/evidence";
import { createLogger, type Logger } from "@cohort/logger";
import { createNode, type NodeOptions, type P2PNode } from "@cohort/p2p";
import { quorum } from "@cohort/qbft";
import { SlashingProtectionDb } from "@cohort/slashing";
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import { type ByzantineMode, byzantineMessaging } from "./byzantine";
import { DEVNET_EIP712_CHAIN_ID } from "./cluster/create";
import { EvidenceJournal } from "./journal";
import { Reporter } from "./reporter";
import { slashingDbPath } from "./slashing";

/** Where an agent keeps its evidence journal inside its data directory. */
export const evidenceDbPath = (dataDir: string) => path.join(dataDir, "evidence");
const AGENT_VERSION = "0.1.0";

export type AgentErrorCode =
  | "BEACON_UNREACHABLE"
  | "FORK_VERSION_MISMATCH"
  | "PEER_ADDRESS_MISSING"
  | "INVALID_OPTION";

export class AgentError extends Error {
  override readonly name = "AgentError";
  constructor(
    readonly code: AgentErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface AgentRunOptions {
  dataDir: string;
  beaconUrl: string;
  /** host:port to listen on for p2p; default the ENR's ip:tcp. */
  p2pListen?: string;
  /** Operator index → host:port, overriding the ENR addresses. */
  peers?: ReadonlyMap<number, string>;
  /** host:port of the monitoring server (default 127.0.0.1:3620; port 0 = any). */
  monitoringAddress?: string;
  logLevel?: string;
  logger?: Logger;
  clock?: Clock;
  /** Tuning of the p2p node (tests). */
  p2p?: Partial<Omit<NodeOptions, "identityKey" | "peers" | "listen">>;
  readKeystores?: LoadNodeOptions["readKeystores"];
  /** TEST FEATURE ONLY (`cohort simnet`): misbehave on the wire, see ./byzantine.ts. */
  byzantine?: ByzantineMode;
  /**
   * Duty families beyond attester/RANDAO/proposer. Both on by default (a validator must perform
   * them); tests that run several agents in one process may turn them off to stay within CPU.
   */
  duties?: { aggregation?: boolean; syncCommittee?: boolean };
  /**
   * Builder registrations (submitted every epoch): this operator's fee recipient and gas limit,
   * default the lock's. Equal to the lock's registration: it is submitted as is; different: the
   * cluster agrees on one registration and threshold-signs it (see @cohort/core registration.ts).
   */
  feeRecipient?: string;
  gasLimit?: number;
  /** The portal's base URL: report the evidence journal there (needs `portalKey`). */
  portalUrl?: string;
  /** The portal's agent API key (`cohort_ak_…`). */
  portalKey?: string;
  /** Evidence tuning (tests): report interval, heartbeat interval, retention. */
  evidence?: { reportIntervalMs?: number; heartbeatIntervalMs?: number; retentionEpochs?: number };
}

/**
 * `GET /cohort/v1/status` of the monitoring server: what this node's tracker saw, for `cohort
 * simnet` and operators. Operator indices are positions in the lock; slots are duty slots.
 */
export interface AgentStatus {
  selfIndex: number;
  byzantine: ByzantineMode | null;
  /** Settled duties (at their deadlines) by type. */
  outcomes: Record<string, { success: number; failure: number; reasons: Record<string, number> }>;
  /** type → slot → validators whose signature this node aggregated. */
  aggregated: Record<string, Record<number, number>>;
  /**
   * Submissions to the beacon node: type, slot, ms from the duty's start (slot start; attester and
   * sync_message +⅓ slot; aggregator and sync_contribution +⅔ slot).
   */
  submissions: { type: string; slot: number; latencyMs: number }[];
  /** operator index → slot → valid partials (one per duty and validator) received from it, own included. */
  participation: Record<number, Record<number, number>>;
  /** Operators whose partials or parsigex messages were rejected. */
  invalidPeers: { index: number; count: number; reasons: string[] }[];
  /** Operators whose consensus messages were dropped. */
  consensusInvalidPeers: { index: number; count: number; reasons: string[] }[];
}

export type ReadyReason = "beacon_node_down" | "beacon_node_syncing" | "quorum_peers_not_connected";

export interface RunningAgent {
  /** http://host:port of /livez, /readyz, /metrics. */
  monitoringUrl: string;
  /** Actual p2p listen address. */
  p2pAddress: string;
  clusterName: string;
  selfIndex: number;
  network: NetworkConfig;
  core: CoreNode;
  p2p: P2PNode;
  registry: Registry;
  journal: EvidenceJournal;
  reporter: Reporter | null;
  readiness(): Promise<{ ready: true } | { ready: false; reason: ReadyReason }>;
  status(): AgentStatus;
  stop(): Promise<void>;
}

/** "host:port" → [host, port]; also "[v6]:port". */
export function parseHostPort(value: string, flag: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(value.trim());
  const port = Number(m?.[3]);
  if (!m || port > 65535) throw new AgentError("INVALID_OPTION", `${flag} must be host:port (got ${value})`);
  return { host: (m[1] ?? m[2])!, port };
}

/** `--peer <index>=<host:port>` values → map. */
export function parsePeerOverrides(values: readonly string[]): Map<number, string> {
  const out = new Map<number, string>();
  for (const v of values) {
    const m = /^(\d+)=(.+)$/.exec(v);
    if (!m) throw new AgentError("INVALID_OPTION", `--peer must be <index>=<host:port> (got ${v})`);
    parseHostPort(m[2]!, "--peer");
    out.set(Number(m[1]), m[2]!);
  }
  return out;
}

/** Beacon API paths as metric labels: numbers and hex become placeholders (bounded cardinality). */
const routeLabel = (p: string) => p.replace(/0x[0-9a-fA-F]+/g, "{hex}").replace(/\/\d+(?=\/|$)/g, "/{n}");

export async function startAgent(o: AgentRunOptions): Promise<RunningAgent> {
  const clock = o.clock ?? systemClock;
  if (o.portalUrl !== undefined || o.portalKey !== undefined) {
    if (!o.portalUrl || !o.portalKey)
      throw new AgentError("INVALID_OPTION", "--portal-url and --portal-key go together");
    if (!/^https?:\/\//.test(o.portalUrl))
      throw new AgentError("INVALID_OPTION", `--portal-url must be an http(s) URL (got ${o.portalUrl})`);
    if (!o.portalKey.startsWith("cohort_ak_"))
      throw new AgentError("INVALID_OPTION", "--portal-key must be an agent API key (cohort_ak_…)");
  }

  // 1. The lock and the beacon node's chain must agree before anything else is opened.
  const lockFile = path.join(o.dataDir, "cluster-lock.json");
  let lockText: string;
  try {
    lockText = await readFile(lockFile, "utf8");
  } catch (cause) {
    throw new LockLoadError(
      "LOCK_NOT_FOUND",
      `cluster lock not readable at ${lockFile}: ${(cause as Error).message}`,
      {
        cause,
      },
    );
  }
  let lockCluster: ReturnType<typeof clusterFromLock>;
  try {
    const lock = parseLock(lockText);
    // Never run on a lock whose hashes, signatures or shares do not check out. Devnet locks (a fork
    // version no known network has) are signed with DEVNET_EIP712_CHAIN_ID by `cluster create`.
    const known = clusterNetwork(lock.definition.forkVersion) !== undefined;
    await verifyLock(lock, known ? {} : { chainId: DEVNET_EIP712_CHAIN_ID });
    lockCluster = clusterFromLock(lock);
  } catch (cause) {
    if (cause instanceof LockLoadError) throw cause;
    throw new LockLoadError("LOCK_INVALID", `${lockFile}: ${(cause as Error).message}`, { cause });
  }
  const log =
    o.logger ??
    createLogger({ name: "cohort-agent", level: o.logLevel ?? "info", base: { cluster: lockCluster.name } });
  const registry = new Registry();
  registry.setDefaultLabels({ cluster_name: lockCluster.name });
  const beaconLatency = new Histogram({
    name: "cohort_beacon_request_duration_seconds",
    help: "Beacon node API request latency",
    labelNames: ["method", "route", "status"],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const observeBeacon = (i: { method: string; path: string; status: number | null; durationMs: number }) =>
    beaconLatency.observe(
      { method: i.method, route: routeLabel(i.path), status: i.status === null ? "error" : String(i.status) },
      i.durationMs / 1000,
    );

  let network: NetworkConfig;
  try {
    network = await new BeaconClient({
      baseUrl: o.beaconUrl,
      clock,
      onRequest: observeBeacon,
    }).networkConfig();
  } catch (cause) {
    throw new AgentError(
      "BEACON_UNREACHABLE",
      `cannot read the chain from the beacon node: ${(cause as Error).message}`,
      {
        cause,
      },
    );
  }
  if (network.genesisForkVersion.toLowerCase() !== lockCluster.forkVersion.toLowerCase())
    throw new AgentError(
      "FORK_VERSION_MISMATCH",
      `the beacon node at ${new URL(o.beaconUrl).host} is on a chain with genesis fork version ${network.genesisForkVersion}, ` +
        `but cluster "${lockCluster.name}" (${lockFile}) is for fork version ${lockCluster.forkVersion}: refusing to run`,
    );

  if (o.feeRecipient !== undefined && !/^0x[0-9a-fA-F]{40}$/.test(o.feeRecipient))
    throw new AgentError(
      "INVALID_OPTION",
      `--fee-recipient must be a 20-byte 0x-hex address (got ${o.feeRecipient})`,
    );
  if (o.gasLimit !== undefined && (!Number.isSafeInteger(o.gasLimit) || o.gasLimit <= 0))
    throw new AgentError("INVALID_OPTION", `--gas-limit must be a positive integer (got ${o.gasLimit})`);

  // 2. Keys (decrypted on worker threads) and the member we are.
  const node = await loadNodeFromDataDir(
    o.dataDir,
    o.readKeystores ? { readKeystores: o.readKeystores } : {},
  );
  const self = node.self;
  const logger = log.child({ peer: self.peerId });
  const peerName = (index: number) => node.peers[index]?.peerId ?? `index:${index}`;
  const peerConfigs = node.peers.map((p) => {
    const address = o.peers?.get(p.index) ?? p.address;
    if (!address)
      throw new AgentError(
        "PEER_ADDRESS_MISSING",
        `operator ${p.index}'s ENR has no ip/tcp: give --peer ${p.index}=<host:port>`,
      );
    return { index: p.index, publicKey: p.publicKey, address };
  });
  for (const idx of o.peers?.keys() ?? [])
    if (!node.peers[idx])
      throw new AgentError("INVALID_OPTION", `--peer ${idx}: no operator ${idx} in the lock`);
  const listen = o.p2pListen ?? o.peers?.get(self.index) ?? self.address;
  if (!listen)
    throw new AgentError("PEER_ADDRESS_MISSING", "this node's ENR has no ip/tcp: give --p2p-listen");

  // 3. Metrics.
  const duties = new Counter({
    name: "cohort_duty_total",
    help: "Duties by type and outcome (reason empty on success)",
    labelNames: ["type", "outcome", "reason"],
    registers: [registry],
  });
  const consensusDuration = new Histogram({
    name: "cohort_consensus_duration_seconds",
    help: "Time from this node's proposal to the decision",
    labelNames: ["type"],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8],
    registers: [registry],
  });
  const consensusRound = new Counter({
    name: "cohort_consensus_decided_total",
    help: "Consensus decisions by duty type and deciding round",
    labelNames: ["type", "round"],
    registers: [registry],
  });
  const submissionLatency = new Histogram({
    name: "cohort_duty_submission_latency_seconds",
    help: "Time from a duty's start (slot start, +1/3 or +2/3 slot by type) to the signed submission",
    labelNames: ["type"],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8],
    registers: [registry],
  });
  const consensusInvalidByPeer = new Map<string, { count: number; reasons: Set<string> }>();
  const noteConsensusInvalid = (peer: string, reason: string) => {
    const e = consensusInvalidByPeer.get(peer) ?? { count: 0, reasons: new Set<string>() };
    e.count++;
    e.reasons.add(reason);
    consensusInvalidByPeer.set(peer, e);
  };
  const consensusInvalid = new Counter({
    name: "cohort_consensus_invalid_total",
    help: "Consensus messages dropped, by sending peer and reason",
    labelNames: ["peer", "reason"],
    registers: [registry],
  });
  const partialsReceived = new Counter({
    name: "cohort_parsigex_received_total",
    help: "Partial-signature messages received, by peer",
    labelNames: ["peer"],
    registers: [registry],
  });
  const partialsInvalid = new Counter({
    name: "cohort_parsigex_invalid_total",
    help: "Partial-signature messages rejected, by peer and reason",
    labelNames: ["peer", "reason"],
    registers: [registry],
  });
  const sendFailures = new Counter({
    name: "cohort_p2p_send_failures_total",
    help: "Messages that could not be queued for a peer",
    labelNames: ["peer", "protocol"],
    registers: [registry],
  });
  let p2pRef: P2PNode | undefined;
  const peerGauge = (
    name: string,
    help: string,
    pick: (s: ReturnType<P2PNode["peers"]>[number]) => number | undefined,
  ) =>
    new Gauge({
      name,
      help,
      labelNames: ["peer"],
      registers: [registry],
      collect() {
        this.reset();
        for (const s of p2pRef?.peers() ?? []) {
          const v = pick(s);
          if (v !== undefined) this.set({ peer: peerName(s.index) }, v);
        }
      },
    });
  peerGauge("cohort_peer_connected", "1 when the outbound stream to the peer is open", (s) =>
    s.connected ? 1 : 0,
  );
  peerGauge("cohort_peer_ping_rtt_seconds", "Last ping round trip to the peer", (s) =>
    s.rttMs === undefined ? undefined : s.rttMs / 1000,
  );
  peerGauge("cohort_peer_clock_offset_seconds", "Estimated peer wall clock minus ours", (s) =>
    s.clockOffsetMs === undefined ? undefined : s.clockOffsetMs / 1000,
  );

  // 4. Slashing protection, p2p, core.
  const slashing = await SlashingProtectionDb.open({
    path: slashingDbPath(o.dataDir),
    genesisValidatorsRoot: network.genesisValidatorsRoot,
    strategy: "complete",
  });
  const cleanups: (() => Promise<void> | void)[] = [() => slashing.close()];
  const lockHashHex = `0x${Buffer.from(node.info.lockHash).toString("hex")}`;
  const selfShareIndex = node.info.members.find((m) => m.peerId === self.peerId)!.shareIndex;
  const shareIndexOfPeer = new Map(node.info.members.map((m) => [m.peerId, m.shareIndex]));
  const journalErrors = new Counter({
    name: "cohort_evidence_journal_errors_total",
    help: "Evidence journal write failures (a failed sent-message write withholds the message)",
    labelNames: ["kind"],
    registers: [registry],
  });
  let journal: EvidenceJournal;
  try {
    journal = await EvidenceJournal.open({
      path: evidenceDbPath(o.dataDir),
      lockHash: lockHashHex,
      shareIndex: selfShareIndex,
      identityKey: node.identityKey,
      slotsPerEpoch: network.slotsPerEpoch,
      slotStartMs: (slot) => slotStartMs(network, slot),
      ...(o.evidence?.retentionEpochs === undefined ? {} : { retentionEpochs: o.evidence.retentionEpochs }),
      now: () => clock.now(),
      onError: (err) => {
        journalErrors.inc({ kind: "group_commit" });
        logger.error({ err: (err as Error).message }, "evidence journal write failed");
      },
    });
  } catch (e) {
    await slashing.close();
    throw e;
  }
  cleanups.push(() => journal.close());
  let reporter: Reporter | null = null;
  // Cleanups run in reverse: the reporter's last attempt comes after the core and p2p stopped
  // (nothing more to record) and before the journal closes.
  cleanups.push(() => reporter?.stop());
  new Gauge({
    name: "cohort_evidence_journal_backlog",
    help: "Journal entries not yet acknowledged by the portal",
    registers: [registry],
    collect() {
      this.set(journal.lastId - (reporter?.cursor ?? 0));
    },
  });
  const cleanup = async () => {
    for (const fn of cleanups.splice(0).reverse()) {
      try {
        await fn();
      } catch (e) {
        logger.warn({ err: e }, "cleanup failed");
      }
    }
  };
  try {
    const p2p = createNode({ ...o.p2p, identityKey: node.identityKey, peers: peerConfigs, listen });
    p2pRef = p2p;
    p2p.on("connect", (i) => logger.info({ remote: peerName(i) }, "peer connected"));
    p2p.on("disconnect", (i) => logger.info({ remote: peerName(i) }, "peer disconnected"));
    p2p.on("refused", (e) =>
      logger.warn({ remotePeerId: e.peerId, direction: e.direction }, "refused unknown peer"),
    );
    p2p.on("error", (err, i) =>
      logger.warn({ err: err.message, remote: i === undefined ? undefined : peerName(i) }, "p2p error"),
    );
    const onSendFailures = (protocol: string) => (failed: number[]) => {
      for (const i of failed) sendFailures.inc({ peer: peerName(i), protocol });
    };
    const equivocation = equivocationDetector();
    const messaging = o.byzantine
      ? byzantineMessaging({
          mode: o.byzantine,
          node: p2p,
          members: node.info.members,
          selfIndex: self.index,
          lockHash: node.info.lockHash,
          identityKey: node.identityKey,
        })
      : p2p;
    if (o.byzantine)
      logger.warn({ mode: o.byzantine }, "BYZANTINE TEST MODE: outgoing p2p traffic is tampered with");
    const consensusTransport = new QbftP2PTransport({
      node: messaging,
      members: node.info.members,
      lockHash: node.info.lockHash,
      identityKey: node.identityKey,
      selfIndex: self.index,
      onInvalid: (reason, from) => {
        consensusInvalid.inc({ peer: from, reason });
        noteConsensusInvalid(from, reason);
        logger.warn({ remote: from, reason }, "consensus message dropped");
      },
      onSendFailures: onSendFailures("qbft"),
      onReceive: (msg) => {
        for (const source of equivocation.check(msg)) {
          const peer = node.info.members[source]?.peerId ?? `index:${source}`;
          consensusInvalid.inc({ peer, reason: "equivocation" });
          noteConsensusInvalid(peer, "equivocation");
          logger.warn({ remote: peer, instance: msg.instance }, "consensus equivocation");
        }
      },
    });
    const parSigExTransport = new ParSigExP2PTransport({
      node: messaging,
      members: node.info.members,
      lockHash: node.info.lockHash,
      onReceive: (_m, from) => partialsReceived.inc({ peer: from }),
      onInvalid: (reason, from) => partialsInvalid.inc({ peer: from, reason }),
      onSendFailures: onSendFailures("parsigex"),
    });
    cleanups.push(() => {
      consensusTransport.close();
      parSigExTransport.close();
    });
    await p2p.start();
    cleanups.push(() => p2p.stop());

    const core = await createCoreNode({
      clock,
      beaconUrl: o.beaconUrl,
      cluster: node.info,
      self: self.peerId,
      identityKey: node.identityKey,
      shares: node.shares,
      slashing,
      consensusTransport,
      parSigExTransport,
      isPeerConnected: (peerId) => {
        const index = node.peers.find((p) => p.peerId === peerId)?.index;
        return p2p.peers().some((p) => p.index === index && p.connected);
      },
      duties: { aggregation: o.duties?.aggregation ?? true, syncCommittee: o.duties?.syncCommittee ?? true },
      builderRegistration: {
        lock: registrationsFromLock(node.lock),
        ...(o.feeRecipient !== undefined ? { feeRecipient: o.feeRecipient } : {}),
        ...(o.gasLimit !== undefined ? { gasLimit: o.gasLimit } : {}),
      },
      parSigEx: {
        // fsynced before the message leaves the process: we can always prove what we sent.
        beforeSend: (m) => journal.recordSent(m),
        onSendError: (m, err) => {
          journalErrors.inc({ kind: "sent" });
          logger.error(
            { slot: m.message.slot, dutyType: m.message.dutyType, err: (err as Error).message },
            "evidence journal write failed: partial signatures WITHHELD",
          );
        },
        onAccept: (r) =>
          journal.recordReceived(r.message, shareIndexOfPeer.get(r.fromPeer) ?? 0, r.fromPeer, r.receivedAt),
        keepEvidence: false,
      },
      observe: {
        beaconRequest: observeBeacon,
        consensusDecided: (duty, round, ms) => {
          consensusRound.inc({ type: duty.type, round: String(round) });
          consensusDuration.observe({ type: duty.type }, ms / 1000);
          logger.debug({ duty: dutyKey(duty), round, ms }, "consensus decided");
        },
        consensusInvalid: (reason, from) => {
          consensusInvalid.inc({ peer: from, reason });
          noteConsensusInvalid(from, reason);
        },
      },
    });
    const st = observeTracker(core, network, node.info.members, clock, (type, seconds) =>
      submissionLatency.observe({ type }, seconds),
    );
    const indexOfPeer = (peer: string) => node.info.members.findIndex((m) => m.peerId === peer);
    const status = (): AgentStatus => ({
      selfIndex: self.index,
      byzantine: o.byzantine ?? null,
      ...st.snapshot(),
      consensusInvalidPeers: [...consensusInvalidByPeer].map(([peer, e]) => ({
        index: indexOfPeer(peer),
        count: e.count,
        reasons: [...e.reasons],
      })),
    });
    core.tracker.subscribe((outcome) => {
      duties.inc({
        type: outcome.duty.type,
        outcome: outcome.success ? "success" : "failure",
        reason: outcome.reason ?? "",
      });
      const fields = {
        duty: dutyKey(outcome.duty),
        reason: outcome.reason,
        errors: outcome.errors,
        timingMs: outcome.timing,
      };
      if (outcome.success) logger.info(fields, "duty succeeded");
      else logger.warn(fields, "duty failed");
      journal.recordOutcome(outcomeReport(outcome));
    });
    cleanups.push(() => core.stop());

    // 5. Monitoring.
    const readiness = async (): Promise<{ ready: true } | { ready: false; reason: ReadyReason }> => {
      const started = performance.now();
      try {
        const res = await fetch(`${o.beaconUrl.replace(/\/+$/, "")}/eth/v1/node/syncing`, {
          signal: AbortSignal.timeout(2000),
        });
        observeBeacon({
          method: "GET",
          path: "/eth/v1/node/syncing",
          status: res.status,
          durationMs: performance.now() - started,
        });
        if (!res.ok) return { ready: false, reason: "beacon_node_down" };
        const body = (await res.json()) as { data?: { is_syncing?: boolean } };
        if (body.data?.is_syncing) return { ready: false, reason: "beacon_node_syncing" };
      } catch {
        observeBeacon({
          method: "GET",
          path: "/eth/v1/node/syncing",
          status: null,
          durationMs: performance.now() - started,
        });
        return { ready: false, reason: "beacon_node_down" };
      }
      const n = node.peers.length;
      const connected = p2p.peers().filter((s) => s.connected).length + 1;
      if (connected < Math.max(node.info.threshold, quorum(n)))
        return { ready: false, reason: "quorum_peers_not_connected" };
      return { ready: true };
    };
    const mon = parseHostPort(o.monitoringAddress ?? "127.0.0.1:3620", "--monitoring-address");
    const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
      const url = new URL(req.url ?? "/", "http://x");
      const send = (status: number, body: string, type = "application/json") => {
        res.writeHead(status, { "content-type": type });
        res.end(body);
      };
      void (async () => {
        if (url.pathname === "/livez") return send(200, JSON.stringify({ status: "ok" }));
        if (url.pathname === "/readyz") {
          const r = await readiness();
          return r.ready
            ? send(200, JSON.stringify({ status: "ready" }))
            : send(503, JSON.stringify({ status: "not_ready", reason: r.reason }));
        }
        if (url.pathname === "/metrics") return send(200, await registry.metrics(), registry.contentType);
        if (url.pathname === "/cohort/v1/status") return send(200, JSON.stringify(status()));
        return send(404, JSON.stringify({ error: "not found" }));
      })().catch((e) => send(500, JSON.stringify({ error: (e as Error).message })));
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(mon.port, mon.host, () => resolve());
    });
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        }),
    );
    const addr = server.address() as AddressInfo;
    const host = addr.family === "IPv6" ? `[${addr.address}]` : addr.address;

    // 6. Evidence: heartbeats, epoch roots, reporting.
    const heartbeat = async () => {
      const r = await readiness();
      const offsets = p2p
        .peers()
        .map((p) => p.clockOffsetMs)
        .filter((x): x is number => x !== undefined)
        .sort((a, b) => a - b);
      journal.recordHeartbeat({
        at: clock.now(),
        peersConnected: p2p
          .peers()
          .filter((p) => p.connected)
          .map((p) => node.info.members[p.index]?.shareIndex ?? 0)
          .filter((i) => i > 0)
          .sort((a, b) => a - b),
        clockOffsetMs: offsets.length ? Math.round(offsets[Math.floor((offsets.length - 1) / 2)]!) : null,
        beaconStatus: r.ready
          ? "ok"
          : r.reason === "beacon_node_down"
            ? "down"
            : r.reason === "beacon_node_syncing"
              ? "syncing"
              : "ok",
        readyReason: r.ready ? null : r.reason,
        version: AGENT_VERSION,
      });
    };
    const timers = [
      setInterval(
        () => void heartbeat().catch((e) => logger.warn({ err: (e as Error).message }, "heartbeat failed")),
        o.evidence?.heartbeatIntervalMs ?? 30_000,
      ),
      setInterval(
        () =>
          void journal.sealDue().then(
            (roots) => {
              for (const r of roots) logger.debug({ epoch: r.epoch, sent: r.sentCount }, "epoch root signed");
            },
            (e) => logger.warn({ err: (e as Error).message }, "epoch root failed"),
          ),
        Math.min(network.secondsPerSlot * 1000, 5000),
      ),
    ];
    cleanups.push(() => {
      for (const t of timers) clearInterval(t);
    });
    if (o.portalUrl && o.portalKey) {
      reporter = new Reporter({
        journal,
        portalUrl: o.portalUrl,
        portalKey: o.portalKey,
        lockHash: lockHashHex,
        shareIndex: selfShareIndex,
        identityKey: node.identityKey,
        chain: {
          genesisTime: network.genesisTime,
          secondsPerSlot: network.secondsPerSlot,
          slotsPerEpoch: network.slotsPerEpoch,
        },
        ...(o.evidence?.reportIntervalMs === undefined ? {} : { intervalMs: o.evidence.reportIntervalMs }),
        now: () => clock.now(),
        logger,
        registry,
      });
      reporter.start();
    }

    await core.start();
    void heartbeat().catch(() => {});
    logger.info(
      {
        selfIndex: self.index,
        p2p: p2p.listenAddress(),
        monitoring: `${host}:${addr.port}`,
        validators: node.info.validators.length,
        threshold: node.info.threshold,
        network: network.name,
      },
      "agent started",
    );
    let stopping: Promise<void> | undefined;
    return {
      monitoringUrl: `http://${host}:${addr.port}`,
      p2pAddress: p2p.listenAddress(),
      clusterName: node.name,
      selfIndex: self.index,
      network,
      core,
      p2p,
      registry,
      journal,
      reporter,
      readiness,
      status,
      stop: () => {
        stopping ??= cleanup().then(() => logger.info("agent stopped"));
        return stopping;
      },
    };
  } catch (e) {
    await cleanup();
    throw e;
  }
}

/** The tracker's outcome as reported to the portal (`@cohort/evidence` DutyOutcomeReport). */
export function outcomeReport(o: DutyOutcome): DutyOutcomeReport {
  return {
    slot: o.duty.slot,
    dutyType: DutyType[o.duty.type],
    success: o.success,
    reason: o.reason,
    validators: o.validators.map((v) => ({ pubkey: v.pubkey, aggregated: v.aggregated, submitted: v.done })),
    invalidFrom: o.invalidFrom,
    slashingRefused: o.slashingRefused,
    latencyMs: o.timing.broadcast ?? null,
  };
}

/** Runs the agent until SIGINT/SIGTERM, then stops cleanly (p2p, core, slashing DB, monitoring). */
export async function runAgentUntilSignal(o: AgentRunOptions, onStarted?: (a: RunningAgent) => void) {
  const agent = await startAgent(o);
  onStarted?.(agent);
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      void agent.stop().then(resolve, resolve);
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
}

/**
 * Spots QBFT equivocation in what this node receives: two validly signed messages by one member of
 * the same type, instance and round with different values (outer messages and the justifications
 * relayed by others). Returns the members newly caught.
 */
function equivocationDetector(maxEntries = 50_000) {
  const seen = new Map<string, string | null>();
  const caught = new Set<string>();
  return {
    check(msg: ConsensusMsg): number[] {
      const out: number[] = [];
      for (const m of [msg, ...msg.justification]) {
        if (m.value === null) continue;
        const key = `${m.instance}/${m.round}/${m.type}/${m.source}`;
        const prev = seen.get(key);
        if (prev === undefined) {
          if (seen.size >= maxEntries) seen.delete(seen.keys().next().value as string);
          seen.set(key, m.value);
        } else if (prev !== m.value && !caught.has(key)) {
          caught.add(key);
          out.push(m.source);
        }
      }
      return out;
    },
  };
}

/** When in its slot a duty starts (the core's scheduler fires it then), as a fraction of the slot. */
const DUTY_START_FRACTION: Partial<Record<string, number>> = {
  attester: 1 / 3,
  sync_message: 1 / 3,
  aggregator: 2 / 3,
  sync_contribution: 2 / 3,
};

/**
 * Follows the core's tracker (wrapping its instance methods; the core is not changed) for the
 * status endpoint: aggregations, submissions with their latency, per-operator participation and
 * invalid partials.
 */
function observeTracker(
  core: CoreNode,
  network: NetworkConfig,
  members: readonly { shareIndex: number }[],
  clock: Clock,
  onLatency: (type: string, seconds: number) => void,
) {
  const t = core.tracker;
  const opIndex = (share: number) => members.findIndex((m) => m.shareIndex === share);
  const bump = <K extends string | number>(rec: Record<K, number>, k: K) => {
    rec[k] = (rec[k] ?? 0) + 1;
  };
  const entry = <K extends string | number, V>(rec: Record<K, V>, k: K, init: () => V): V => {
    if (rec[k] === undefined) rec[k] = init();
    return rec[k];
  };
  const aggregated: Record<string, Record<number, number>> = {};
  const participation: Record<number, Record<number, number>> = {};
  const submissions: { type: string; slot: number; latencyMs: number }[] = [];
  const outcomes: AgentStatus["outcomes"] = {};
  const seenPartials = new Set<string>();
  const seenAgg = new Set<string>();
  const MAX = 20_000;

  const partial = t.partial.bind(t);
  t.partial = (duty, pubkey, shareIndex) => {
    partial(duty, pubkey, shareIndex);
    const key = `${dutyKey(duty)}/${pubkey}/${shareIndex}`;
    if (seenPartials.has(key) || seenPartials.size > 50 * MAX) return;
    seenPartials.add(key);
    bump(
      entry(participation, opIndex(shareIndex), () => ({})),
      duty.slot,
    );
  };
  const agg = t.aggregated.bind(t);
  t.aggregated = (duty, pubkey) => {
    agg(duty, pubkey);
    const key = `${dutyKey(duty)}/${pubkey}`;
    if (seenAgg.has(key) || seenAgg.size > 10 * MAX) return;
    seenAgg.add(key);
    bump(
      entry(aggregated, duty.type, () => ({})),
      duty.slot,
    );
  };
  const bcast = t.broadcast.bind(t);
  t.broadcast = (duty, pubkey) => {
    bcast(duty, pubkey);
    const start =
      slotStartMs(network, duty.slot) + (DUTY_START_FRACTION[duty.type] ?? 0) * network.secondsPerSlot * 1000;
    const ms = clock.now() - start;
    onLatency(duty.type, ms / 1000);
    if (submissions.length < MAX) submissions.push({ type: duty.type, slot: duty.slot, latencyMs: ms });
  };
  t.subscribe((o) => {
    const e = entry(outcomes, o.duty.type, () => ({ success: 0, failure: 0, reasons: {} }));
    if (o.success) e.success++;
    else {
      e.failure++;
      bump(e.reasons, String(o.reason ?? "unknown"));
    }
  });
  return {
    snapshot: () => ({
      outcomes,
      aggregated,
      submissions,
      participation,
      invalidPeers: [...t.invalidPeers()].map(([share, e]) => ({
        index: opIndex(share),
        count: e.count,
        reasons: [...e.reasons],
      })),
    }),
  };
}
