/**
 * An in-process cluster for tests: n full nodes in ONE process, sharing in-memory transports (the
 * hub knows who sends, so sender authentication holds by construction), against a real beacon-sim
 * whose validators are a trusted-dealer cluster's group keys plus fillers. Time runs on an
 * accelerated real clock (every component and the simulator read the same injected clock).
 */

import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type RunningBeaconSim, startBeaconSim, validatorSet } from "@cohort/beacon-sim";
import { k1GeneratePrivateKey, k1PublicKey } from "@cohort/cluster";
import { devnetConfig, type NetworkConfig } from "@cohort/eth";
import { SlashingProtectionDb } from "@cohort/slashing";
import { generateSecretKey, initTbls, publicShares, secretToPublicKey, splitSecretKey } from "@cohort/tbls";
import {
  type Clock,
  type ClusterInfo,
  type ConsensusMsg,
  type CoreNode,
  type CoreNodeOptions,
  createCoreNode,
  type PubKey,
  type SignedParSigMsg,
  toHex,
} from "../src/index";

/** Real time sped up `speed` times (virtual ms = real ms × speed). */
export function acceleratedClock(speed: number): Clock {
  const base = Date.now();
  return {
    now: () => base + (Date.now() - base) * speed,
    setTimer: (fn, ms) => {
      const t = setTimeout(fn, Math.max(0, ms) / speed);
      return () => clearTimeout(t);
    },
  };
}

/** Broadcast hub: `endpoint(peer)` sends to every other connected endpoint, asynchronously, naming the sender. */
export class Hub<T> {
  private readonly handlers = new Map<string, ((msg: T, from: string) => void)[]>();
  private readonly down = new Set<string>();
  endpoint(peer: string) {
    return {
      broadcast: (msg: T) => {
        if (this.down.has(peer)) return;
        for (const [to, hs] of this.handlers) {
          if (to === peer || this.down.has(to)) continue;
          setImmediate(() => {
            if (!this.down.has(to)) for (const h of hs) h(msg, peer);
          });
        }
      },
      subscribe: (fn: (msg: T, from: string) => void) => {
        this.handlers.set(peer, [...(this.handlers.get(peer) ?? []), fn]);
      },
    };
  }
  disconnect(peer: string) {
    this.down.add(peer);
  }
}

export interface TestCluster {
  info: ClusterInfo;
  /** Per member (operator order): secret shares by group pubkey and identity key. */
  members: { peerId: string; shareIndex: number; identityKey: Uint8Array; shares: Map<PubKey, Uint8Array> }[];
  /** The dealer's group secret keys (tests that need a lock-style group signature). */
  secrets: Map<PubKey, Uint8Array>;
}

export function trustedDealerCluster(n: number, t: number, validators: number): TestCluster {
  const members = Array.from({ length: n }, (_, i) => ({
    peerId: `node${i}`,
    shareIndex: i + 1,
    identityKey: k1GeneratePrivateKey(),
    shares: new Map<PubKey, Uint8Array>(),
  }));
  const dvs: ClusterInfo["validators"][number][] = [];
  const secrets = new Map<PubKey, Uint8Array>();
  for (let v = 0; v < validators; v++) {
    const sk = generateSecretKey();
    const pubkey = toHex(secretToPublicKey(sk)) as PubKey;
    secrets.set(pubkey, sk);
    const split = splitSecretKey(sk, t, n);
    for (const m of members) m.shares.set(pubkey, split.get(m.shareIndex)!);
    dvs.push({ pubkey, publicShares: publicShares(split) });
  }
  return {
    members,
    secrets,
    info: {
      lockHash: new Uint8Array(randomBytes(32)),
      threshold: t,
      members: members.map((m) => ({
        peerId: m.peerId,
        shareIndex: m.shareIndex,
        identityPublicKey: k1PublicKey(m.identityKey),
      })),
      validators: dvs,
    },
  };
}

export interface SimnetOptions {
  nodes?: number;
  threshold?: number;
  validators?: number;
  fillers?: number;
  /** Members (by position) that are never started. */
  offline?: number[];
  speed?: number;
  /** The simulator's EPOCHS_PER_SYNC_COMMITTEE_PERIOD (its default: 256). */
  epochsPerSyncCommitteePeriod?: number;
  /** Passed to every node (`CoreNodeOptions.duties`). */
  duties?: { aggregation?: boolean; syncCommittee?: boolean };
  /** Per member (by position): builder registrations (`CoreNodeOptions.builderRegistration`). */
  builderRegistration?: (
    member: number,
    cluster: TestCluster,
    network: NetworkConfig,
  ) => CoreNodeOptions["builderRegistration"];
}

export interface Simnet {
  clock: Clock;
  network: NetworkConfig;
  bn: RunningBeaconSim;
  cluster: TestCluster;
  nodes: (CoreNode | null)[];
  /** First slot of the first full epoch after start. */
  firstSlot: number;
  /** Resolves once the virtual clock reaches the start of `slot` (+ `fraction` of a slot). */
  untilSlot(slot: number, fraction?: number): Promise<void>;
  stop(): Promise<void>;
}

/** Slot length 1 s, 8 slots per epoch, Electra from epoch 3 (so a run crosses a fork). */
export async function startSimnet(o: SimnetOptions = {}): Promise<Simnet> {
  await initTbls();
  const n = o.nodes ?? 4;
  const clock = acceleratedClock(o.speed ?? 3);
  // Start one slot before epoch 2 (slot 16).
  const genesisTime = Math.ceil(clock.now() / 1000) - 15;
  const network = devnetConfig({
    genesisForkVersion: "0x10000038",
    genesisValidatorsRoot: toHex(new Uint8Array(randomBytes(32))),
    genesisTime,
    secondsPerSlot: 1,
    slotsPerEpoch: 8,
    forkEpochs: { altair: 0, bellatrix: 0, capella: 0, deneb: 0, electra: 3 },
  });
  const cluster = trustedDealerCluster(n, o.threshold ?? 3, o.validators ?? 8);
  const bn = await startBeaconSim({
    network,
    validators: validatorSet(
      cluster.info.validators.map((v) => v.pubkey),
      { fillers: o.fillers ?? 8 },
    ),
    now: () => clock.now(),
    statsFromSlot: 16,
    ...(o.epochsPerSyncCommitteePeriod === undefined
      ? {}
      : { epochsPerSyncCommitteePeriod: o.epochsPerSyncCommitteePeriod }),
  });
  const consensusHub = new Hub<ConsensusMsg>();
  const parsigHub = new Hub<SignedParSigMsg>();
  const dirs: string[] = [];
  const dbs: SlashingProtectionDb[] = [];
  const nodes: (CoreNode | null)[] = [];
  for (const [i, m] of cluster.members.entries()) {
    if (o.offline?.includes(i)) {
      consensusHub.disconnect(m.peerId);
      parsigHub.disconnect(m.peerId);
      nodes.push(null);
      continue;
    }
    const dir = mkdtempSync(join(tmpdir(), "cohort-core-sp-"));
    dirs.push(dir);
    const slashing = await SlashingProtectionDb.open({
      path: dir,
      genesisValidatorsRoot: network.genesisValidatorsRoot,
      strategy: "complete",
    });
    dbs.push(slashing);
    nodes.push(
      await createCoreNode({
        clock,
        beaconUrl: bn.url,
        cluster: cluster.info,
        self: m.peerId,
        identityKey: m.identityKey,
        shares: m.shares,
        slashing,
        consensusTransport: consensusHub.endpoint(m.peerId),
        parSigExTransport: parsigHub.endpoint(m.peerId),
        ...(o.duties ? { duties: o.duties } : {}),
        ...(o.builderRegistration ? { builderRegistration: o.builderRegistration(i, cluster, network) } : {}),
      }),
    );
  }
  await Promise.all(nodes.map((node) => node?.start()));
  const slotMs = network.secondsPerSlot * 1000;
  return {
    clock,
    network,
    bn,
    cluster,
    nodes,
    firstSlot: 16,
    untilSlot: async (slot, fraction = 0) => {
      const target = (genesisTime + slot) * 1000 + fraction * slotMs;
      while (clock.now() < target) await new Promise((r) => setTimeout(r, 20));
    },
    stop: async () => {
      for (const node of nodes) node?.stop();
      await bn.stop();
      for (const db of dbs) await db.close();
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    },
  };
}
