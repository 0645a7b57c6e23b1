/**
 * One cluster member's duty workflow, assembled from its components and wired. Composition only:
 * the agent process, the p2p transports and the key/lock loading live elsewhere.
 */
import { MemAggSigDB } from "./aggsigdb";
import { BeaconBroadcaster } from "./bcast";
import { BeaconClient, type BeaconClientOptions } from "./beaconClient";
import { type ConsensusTransport, QbftConsensus, type QbftConsensusOptions } from "./consensus";
import { type Clock, Deadliner } from "./deadline";
import { MemDutyDB } from "./dutydb";
import { BeaconFetcher } from "./fetcher";
import { MemParSigDB } from "./parsigdb";
import {
  type MemberIdentity,
  type ParSigExTransport,
  SignedParSigEx,
  type SignedParSigExOptions,
} from "./parsigex";
import { type BuilderRegistrationConfig, BuilderRegistrations } from "./registration";
import { DutyScheduler, slotStartMs } from "./scheduler";
import { selectionConstantsFromSpec } from "./selection";
import { ThresholdSigAgg } from "./sigagg";
import { ShareSigner, type SlashingGuard } from "./signer";
import { Tracker } from "./tracker";
import type { Duty, PubKey } from "./types";
import { type Components, wire } from "./wire";

/** What a member needs to know of its cluster (from the lock). */
export interface ClusterInfo {
  lockHash: Uint8Array;
  threshold: number;
  /** In operator order (consensus process index = position). */
  members: readonly MemberIdentity[];
  validators: readonly { pubkey: PubKey; publicShares: ReadonlyMap<number, Uint8Array> }[];
}

export interface CoreNodeOptions {
  clock: Clock;
  beaconUrl: string;
  cluster: ClusterInfo;
  self: string;
  identityKey: Uint8Array;
  /** Group pubkey → this member's secret share. */
  shares: ReadonlyMap<PubKey, Uint8Array>;
  slashing: SlashingGuard;
  consensusTransport: ConsensusTransport;
  parSigExTransport: ParSigExTransport;
  /** Consensus round timer increment (default: scaled to the slot, see createCoreNode). */
  roundTimeoutMs?: number;
  /** Live connection to a peer (by peer id): rounds led by a disconnected peer are skipped at once. */
  isPeerConnected?: (peerId: string) => boolean;
  /** A duty expires this many slots after its slot starts (default 3). */
  deadlineSlots?: number;
  /**
   * Duty families beyond attester/RANDAO/proposer, OFF unless enabled here (so existing callers keep
   * their behaviour and load): `aggregation` (prepare_aggregator + aggregator), `syncCommittee`
   * (sync_message, prepare_sync_contribution, sync_contribution).
   */
  duties?: { aggregation?: boolean; syncCommittee?: boolean };
  /**
   * Builder registrations, OFF unless given: one `builder_registration` duty per epoch (see
   * ./registration.ts). Its deadline is the end of its epoch, not `deadlineSlots`.
   */
  builderRegistration?: BuilderRegistrationConfig;
  /** Evidence hooks of the partial-signature exchange (journal: persist sent and received messages). */
  parSigEx?: Pick<SignedParSigExOptions, "beforeSend" | "onSendError" | "onAccept" | "keepEvidence">;
  /** Optional observers (metrics, logs). */
  observe?: {
    beaconRequest?: BeaconClientOptions["onRequest"];
    consensusDecided?: QbftConsensusOptions["onDecided"];
    consensusInvalid?: QbftConsensusOptions["onInvalid"];
  };
}

export interface CoreNode {
  components: Components;
  parSigEx: SignedParSigEx;
  tracker: Tracker;
  start(): Promise<void>;
  stop(): void;
}

export async function createCoreNode(o: CoreNodeOptions): Promise<CoreNode> {
  const beacon = new BeaconClient({
    baseUrl: o.beaconUrl,
    clock: o.clock,
    ...(o.observe?.beaconRequest ? { onRequest: o.observe.beaconRequest } : {}),
  });
  const [network, spec] = await Promise.all([beacon.networkConfig(), beacon.spec()]);
  const me = o.cluster.members.find((m) => m.peerId === o.self);
  if (!me) throw new RangeError(`${o.self} is not a member of the cluster`);
  const deadlineSlots = o.deadlineSlots ?? 3;
  const deadlineMs = (d: Duty) =>
    slotStartMs(
      network,
      d.slot + (d.type === "builder_registration" ? network.slotsPerEpoch : deadlineSlots),
    );
  const deadliner = new Deadliner(o.clock, deadlineMs);
  const registrations = o.builderRegistration
    ? new BuilderRegistrations(network, o.builderRegistration)
    : undefined;
  const shares = new Map(o.cluster.validators.map((v) => [v.pubkey, v.publicShares]));
  const tracker = new Tracker(() => o.clock.now());
  tracker.threshold = o.cluster.threshold;
  const parSigEx = new SignedParSigEx({
    clock: o.clock,
    transport: o.parSigExTransport,
    lockHash: o.cluster.lockHash,
    members: o.cluster.members,
    self: o.self,
    identityKey: o.identityKey,
    ...o.parSigEx,
    onReject: (from, reason) =>
      tracker.invalidPartial(o.cluster.members.find((m) => m.peerId === from)?.shareIndex ?? 0, reason),
  });
  const consensus = new QbftConsensus({
    clock: o.clock,
    transport: o.consensusTransport,
    peers: o.cluster.members.map((m) => m.peerId),
    self: o.self,
    // 1 s at 12 s slots (Charon); shorter on fast devnets but never under 500 ms, which a loaded
    // 2-core machine needs for a round (a dead leader is skipped at once, see isPeerConnected).
    roundTimeoutMs: o.roundTimeoutMs ?? Math.min(1000, Math.max(500, (network.secondsPerSlot * 1000) / 12)),
    ...(o.isPeerConnected ? { isPeerConnected: o.isPeerConnected } : {}),
    isExpired: (d) => deadlineMs(d) <= o.clock.now(),
    ...(o.observe?.consensusDecided ? { onDecided: o.observe.consensusDecided } : {}),
    ...(o.observe?.consensusInvalid ? { onInvalid: o.observe.consensusInvalid } : {}),
  });
  const components: Components = {
    scheduler: new DutyScheduler({
      clock: o.clock,
      beacon,
      network,
      pubkeys: o.cluster.validators.map((v) => v.pubkey),
      aggregation: o.duties?.aggregation ?? false,
      syncCommittee: o.duties?.syncCommittee ?? false,
      builderRegistration: registrations !== undefined,
    }),
    fetcher: new BeaconFetcher(beacon, network, {
      clock: o.clock,
      selection: selectionConstantsFromSpec(spec),
      ...(registrations ? { registrations } : {}),
    }),
    consensus,
    dutyDB: new MemDutyDB(),
    signer: new ShareSigner({ network, shareIndex: me.shareIndex, shares: o.shares, slashing: o.slashing }),
    parSigDB: new MemParSigDB({
      network,
      threshold: o.cluster.threshold,
      publicShare: (pk, idx) => shares.get(pk)?.get(idx),
      onInvalid: (duty, _pk, from, reason) => tracker.invalidPartial(from, reason, duty),
      onValid: (duty, pk, from) => tracker.partial(duty, pk, from),
    }),
    parSigEx,
    sigAgg: new ThresholdSigAgg(o.cluster.threshold),
    aggSigDB: new MemAggSigDB(),
    bcast: new BeaconBroadcaster(beacon, network, { now: () => o.clock.now() }),
    tracker,
    deadliner,
    ...(registrations ? { registrations } : {}),
  };
  wire(components);
  return {
    components,
    parSigEx,
    tracker,
    start: () => components.scheduler.start(),
    stop: () => {
      components.scheduler.stop();
      consensus.stop();
      deadliner.stop();
    },
  };
}
