/**
 * Consensus: one QBFT instance (`@cohort/qbft`) per duty across the cluster, on the set of unsigned
 * data. Leader of a round: (slot + duty type code + round) mod n. Messages for instances this node
 * has not started yet are buffered until it proposes; an instance stops at the duty's deadline.
 */
import { type Msg, MsgType, type QbftProcess, runQbft, type Transport } from "@cohort/qbft";
import type { Clock } from "./deadline";
import type { Consensus, UnsignedData, UnsignedDataSet } from "./interfaces";
import { canonicalJson } from "./signing";
import { type Duty, DutyType, dutyKey, type PubKey, parseDutyKey } from "./types";

/** A consensus message: instance = duty key, value = canonical JSON of the unsigned data set. */
export type ConsensusMsg = Msg<string, string>;

/** Delivery between members; `fromPeer` is the authenticated sender. */
export interface ConsensusTransport {
  broadcast(msg: ConsensusMsg): void;
  subscribe(fn: (msg: ConsensusMsg, fromPeer: string) => void): void;
}

export interface QbftConsensusOptions {
  clock: Clock;
  transport: ConsensusTransport;
  /** Peer ids in operator order; this node's process index is the position of `self`. */
  peers: readonly string[];
  self: string;
  /**
   * The round timer's increment (default 1000 ms, as Charon at 12 s slots; `createCoreNode` scales
   * it with the slot). Eager linear timer: round r of a duty ends r increments (plus half an
   * increment for a proposer's first round, which builds a block) after this node started the
   * duty's consensus — so a dead leader costs one increment, not a growing wait.
   */
  roundTimeoutMs?: number;
  /**
   * Whether the transport currently has a live connection to a peer. A round whose leader is known
   * to be disconnected is given up at once (a tenth of an increment) instead of waiting out its
   * timer: round changes are always safe in QBFT, and a dead leader then costs almost nothing.
   */
  isPeerConnected?: (peer: string) => boolean;
  /** Broadcast DECIDED with the commit certificate on deciding (default true). */
  announceDecided?: boolean;
  /** Whether the duty is past its deadline (late messages are dropped). */
  isExpired: (duty: Duty) => boolean;
  onInvalid?: (reason: string, fromPeer: string) => void;
  /** Observes each decision: the deciding round and the time since this node proposed. */
  onDecided?: (duty: Duty, round: number, durationMs: number) => void;
}

export const leaderIndex = (duty: Duty, round: number, nodes: number) =>
  (duty.slot + DutyType[duty.type] + round) % nodes;

export const encodeValue = (set: UnsignedDataSet): string =>
  canonicalJson([...set].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
export const decodeValue = (value: string): UnsignedDataSet =>
  new Map(JSON.parse(value) as [PubKey, UnsignedData][]);

const MAX_BUFFERED = 256;

export class QbftConsensus implements Consensus {
  private readonly listeners: ((duty: Duty, set: UnsignedDataSet) => void)[] = [];
  private readonly running = new Map<
    string,
    { proc: QbftProcess<string>; handlers: Set<(m: ConsensusMsg) => void> }
  >();
  private readonly buffered = new Map<string, ConsensusMsg[]>();
  private readonly index: number;

  constructor(private readonly o: QbftConsensusOptions) {
    this.index = o.peers.indexOf(o.self);
    if (this.index < 0) throw new RangeError(`consensus: ${o.self} is not a cluster peer`);
    o.transport.subscribe((msg, from) => this.receive(msg, from));
  }

  subscribe(fn: (duty: Duty, set: UnsignedDataSet) => void): void {
    this.listeners.push(fn);
  }

  propose(duty: Duty, set: UnsignedDataSet): void {
    const key = dutyKey(duty);
    if (this.running.has(key) || this.o.isExpired(duty)) return;
    const handlers = new Set<(m: ConsensusMsg) => void>();
    const transport: Transport<string, string> = {
      broadcast: (m) => this.o.transport.broadcast(m),
      subscribe: (h) => {
        handlers.add(h);
        return () => handlers.delete(h);
      },
    };
    const n = this.o.peers.length;
    const timeout = this.o.roundTimeoutMs ?? 1000;
    const proposedAt = this.o.clock.now();
    const proc = runQbft<string, string>(
      {
        nodes: n,
        isLeader: (_i, round, process) => leaderIndex(duty, round, n) === process,
        newTimer: (round, onExpire) => {
          const extra = duty.type === "proposer" ? timeout / 2 : 0;
          const deadline = proposedAt + round * timeout + extra;
          // A round entered after its deadline (a slow node catching up) still gets a tenth of one.
          let wait = Math.max(timeout / 10, deadline - this.o.clock.now());
          const leader = this.o.peers[leaderIndex(duty, round, n)]!;
          if (leader !== this.o.self && this.o.isPeerConnected && !this.o.isPeerConnected(leader))
            wait = Math.min(wait, Math.max(50, timeout / 10));
          return { cancel: this.o.clock.setTimer(onExpire, wait) };
        },
        decide: (_i, value, qcommit) => {
          this.o.onDecided?.(duty, qcommit[0]?.round ?? 0, this.o.clock.now() - proposedAt);
          // Announce the decision with its commit certificate: late members decide from it, and
          // every member sees the commits the others received — a member that sent different
          // commits to different peers is caught by comparing them (equivocation evidence).
          if (this.o.announceDecided !== false) {
            const round = qcommit[0]?.round ?? 0;
            this.o.transport.broadcast({
              type: MsgType.Decided,
              instance: key,
              source: this.index,
              round,
              value,
              preparedRound: 0,
              preparedValue: null,
              justification: [...qcommit],
            });
          }
          const decided = decodeValue(value);
          for (const fn of this.listeners) fn(duty, decided);
        },
        equals: (a, b) => a === b,
        onInvalid: (_m, reason) => this.o.onInvalid?.(reason, "qbft"),
      },
      transport,
      key,
      this.index,
      encodeValue(set),
    );
    this.running.set(key, { proc, handlers });
    const early = this.buffered.get(key) ?? [];
    this.buffered.delete(key);
    for (const m of early) for (const h of handlers) h(m);
  }

  /** Stops the duty's instance and forgets its messages (called by the deadliner). */
  expire(duty: Duty): void {
    const key = dutyKey(duty);
    this.running.get(key)?.proc.stop();
    this.running.delete(key);
    this.buffered.delete(key);
  }

  /** Whether this node decided the duty (for the tracker). */
  hasDecided(duty: Duty): boolean {
    return this.running.get(dutyKey(duty))?.proc.hasDecided ?? false;
  }

  stop(): void {
    for (const { proc } of this.running.values()) proc.stop();
    this.running.clear();
    this.buffered.clear();
  }

  private receive(msg: ConsensusMsg, fromPeer: string): void {
    if (this.o.peers[msg.source] !== fromPeer) {
      this.o.onInvalid?.("source_not_sender", fromPeer);
      return;
    }
    let duty: Duty;
    try {
      duty = parseDutyKey(msg.instance);
    } catch {
      this.o.onInvalid?.("bad_instance", fromPeer);
      return;
    }
    if (this.o.isExpired(duty)) return;
    const running = this.running.get(msg.instance);
    if (running) {
      for (const h of running.handlers) h(msg);
      return;
    }
    const buf = this.buffered.get(msg.instance) ?? [];
    if (buf.length < MAX_BUFFERED) buf.push(msg);
    this.buffered.set(msg.instance, buf);
  }
}
