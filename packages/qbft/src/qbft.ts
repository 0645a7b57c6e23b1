/**
 * QBFT ("The Istanbul BFT Consensus Algorithm", Moniz 2020) as a pure, event-driven state machine.
 * It has no I/O and no clock: messages arrive through the injected Transport, timers through the
 * injected Definition. Every event is queued and processed to completion before the next one, so the
 * machine is safe against re-entrant transports and timers.
 */
import { checkMessageLimits } from "./limits";
import { type Definition, faulty, type Msg, MsgType, quorum, type Timer, type Transport } from "./types";

/** Handle on one running instance. */
export interface QbftProcess<V> {
  /** Unsubscribes and cancels the timer; later events are ignored. */
  stop(): void;
  /** Current round. */
  readonly round: number;
  /** Whether this process has decided. */
  readonly hasDecided: boolean;
  /** The decided value, or null. */
  readonly decidedValue: V | null;
}

type Event<I, V> = { kind: "msg"; msg: Msg<I, V> } | { kind: "timeout"; round: number };

function isKnownSource(nodes: number, source: unknown): boolean {
  return typeof source === "number" && Number.isInteger(source) && source >= 0 && source < nodes;
}

function isRound(round: unknown): boolean {
  return typeof round === "number" && Number.isSafeInteger(round) && round >= 1;
}

function valueEq<V>(def: Definition<unknown, V>, a: V | null, b: V | null): boolean {
  if (a === null || b === null) return a === b;
  return def.equals(a, b);
}

/** Whether two messages from the same (type, round, source) slot carry the same content. */
function sameContent<V>(def: Definition<unknown, V>, a: Msg<unknown, V>, b: Msg<unknown, V>): boolean {
  return (
    valueEq(def, a.value, b.value) &&
    a.preparedRound === b.preparedRound &&
    valueEq(def, a.preparedValue, b.preparedValue)
  );
}

/**
 * Messages of `type` at `round` with value `value`, one per distinct known source; null if any
 * message in `msgs` has a duplicate or unknown source (a malformed certificate).
 */
function distinctMatching<I, V>(
  def: Definition<I, V>,
  msgs: readonly Msg<I, V>[],
  type: MsgType,
  round: number,
  value: V,
): number | null {
  const seen = new Set<number>();
  for (const m of msgs) {
    if (!isKnownSource(def.nodes, m.source) || seen.has(m.source)) return null;
    if (m.type !== type || m.round !== round || m.value === null || !def.equals(m.value, value)) continue;
    seen.add(m.source);
  }
  return seen.size;
}

/**
 * ROUND-CHANGE validity: either nothing prepared (pr = 0, pv = null, no justification), or
 * 1 ≤ pr < round with a justification made only of a quorum of PREPAREs for (pr, pv) from distinct
 * processes.
 */
export function isJustifiedRoundChange<I, V>(def: Definition<I, V>, msg: Msg<I, V>): boolean {
  if (msg.type !== MsgType.RoundChange) return false;
  const { preparedRound: pr, preparedValue: pv } = msg;
  if (pr === 0) return pv === null && msg.justification.length === 0;
  if (!Number.isSafeInteger(pr) || pr < 1 || pr >= msg.round || pv === null) return false;
  const count = distinctMatching(def, msg.justification, MsgType.Prepare, pr, pv);
  return count !== null && count === msg.justification.length && count >= quorum(def.nodes);
}

/**
 * PRE-PREPARE validity: sent by the round's leader; in round 1 nothing more; otherwise the
 * justification holds a quorum Qrc of ROUND-CHANGEs for the round from distinct processes and
 * J1: every member of Qrc prepared nothing (any value may be proposed), or
 * J2: with (pr, pv) the highest prepared pair in Qrc, the justification also holds a quorum of
 * PREPAREs for (pr, pv) and the proposed value is pv.
 */
export function isJustifiedPrePrepare<I, V>(def: Definition<I, V>, instance: I, msg: Msg<I, V>): boolean {
  if (msg.type !== MsgType.PrePrepare || msg.value === null) return false;
  if (!def.isLeader(instance, msg.round, msg.source)) return false;
  if (msg.round === 1) return true;

  const q = quorum(def.nodes);
  const rcSources = new Set<number>();
  let highest: Msg<I, V> | null = null;
  for (const m of msg.justification) {
    if (m.type !== MsgType.RoundChange) continue;
    if (!isKnownSource(def.nodes, m.source) || rcSources.has(m.source) || m.round !== msg.round) return false;
    rcSources.add(m.source);
    if (m.preparedRound === 0) {
      if (m.preparedValue !== null) return false;
      continue;
    }
    if (m.preparedRound < 0 || m.preparedRound >= msg.round || m.preparedValue === null) return false;
    if (highest === null || m.preparedRound > highest.preparedRound) {
      highest = m;
    } else if (
      m.preparedRound === highest.preparedRound &&
      !valueEq(def, m.preparedValue, highest.preparedValue)
    ) {
      return false; // Two certified values in one round cannot both be honest.
    }
  }
  if (rcSources.size < q) return false;
  if (highest === null) return true; // J1

  const pv = highest.preparedValue as V; // J2
  const prepares = msg.justification.filter((m) => m.type === MsgType.Prepare);
  const count = distinctMatching(def, prepares, MsgType.Prepare, highest.preparedRound, pv);
  return count !== null && count >= q && def.equals(msg.value, pv);
}

/** DECIDED validity: a quorum of COMMITs for the message's round and value from distinct processes. */
export function isJustifiedDecided<I, V>(def: Definition<I, V>, msg: Msg<I, V>): boolean {
  if (msg.type !== MsgType.Decided || msg.value === null) return false;
  const count = distinctMatching(def, msg.justification, MsgType.Commit, msg.round, msg.value);
  return count !== null && count >= quorum(def.nodes);
}

/** Counts the values a message carries, its direct justifications included (for the limits check). */
function valueCount(msg: Msg<unknown, unknown>): number {
  let count = 0;
  for (const m of [msg, ...msg.justification]) {
    if (m.value !== null) count++;
    if (m.preparedValue !== null) count++;
  }
  return count;
}

/**
 * Starts one consensus instance for `process` with proposal `input`, and returns its handle.
 * The process broadcasts through `transport` and processes its own messages internally.
 */
export function runQbft<I, V>(
  def: Definition<I, V>,
  transport: Transport<I, V>,
  instance: I,
  process: number,
  input: V,
): QbftProcess<V> {
  if (!Number.isInteger(def.nodes) || def.nodes < 1) throw new RangeError("nodes must be a positive integer");
  if (!isKnownSource(def.nodes, process)) throw new RangeError(`process ${process} out of range`);
  if (input === null || input === undefined) throw new TypeError("input value must not be null");

  const n = def.nodes;
  const q = quorum(n);
  const f = faulty(n);

  let round = 1;
  let preparedRound = 0;
  let preparedValue: V | null = null;
  let preparedJustification: Msg<I, V>[] = [];
  let decidedValue: V | null = null;
  let decidedRound = 0;
  let qcommit: readonly Msg<I, V>[] = [];
  let stopped = false;
  let timer: Timer | null = null;

  // store[type][round][source] = the first valid message in that slot.
  const store = new Map<MsgType, Map<number, Map<number, Msg<I, V>>>>();
  const sentPrepare = new Set<number>();
  const sentCommit = new Set<number>();
  const sentPrePrepare = new Set<number>();
  const decidedReplies = new Set<string>();

  const inbox: Event<I, V>[] = [];
  let draining = false;

  const slot = (type: MsgType, r: number): Map<number, Msg<I, V>> | undefined => store.get(type)?.get(r);

  const invalid = (msg: Msg<I, V>, reason: string): void => {
    def.onInvalid?.(msg, reason);
  };

  const make = (
    type: MsgType,
    r: number,
    value: V | null,
    justification: readonly Msg<I, V>[],
    pr = 0,
    pv: V | null = null,
  ): Msg<I, V> => ({
    type,
    instance,
    source: process,
    round: r,
    value,
    preparedRound: pr,
    preparedValue: pv,
    justification,
  });

  const broadcast = (msg: Msg<I, V>): void => {
    inbox.push({ kind: "msg", msg }); // Own copy, processed after the current event.
    transport.broadcast(msg);
  };

  const startTimer = (r: number): void => {
    timer?.cancel();
    timer = def.newTimer(r, () => enqueue({ kind: "timeout", round: r }));
  };

  const changeRound = (r: number): void => {
    round = r;
    startTimer(r);
  };

  const broadcastRoundChange = (): void => {
    broadcast(make(MsgType.RoundChange, round, null, preparedJustification, preparedRound, preparedValue));
  };

  const decide = (value: V, r: number, commits: readonly Msg<I, V>[]): void => {
    if (decidedValue !== null) return;
    decidedValue = value;
    decidedRound = r;
    qcommit = commits;
    timer?.cancel();
    timer = null;
    def.decide(instance, value, commits);
  };

  /** Stores a message; false if it is a duplicate or an equivocation (then reported). */
  const storeMsg = (msg: Msg<I, V>): boolean => {
    let byRound = store.get(msg.type);
    if (byRound === undefined) {
      byRound = new Map();
      store.set(msg.type, byRound);
    }
    let bySource = byRound.get(msg.round);
    if (bySource === undefined) {
      bySource = new Map();
      byRound.set(msg.round, bySource);
    }
    const first = bySource.get(msg.source);
    if (first !== undefined) {
      if (!sameContent(def as Definition<unknown, V>, first, msg)) def.onEquivocation?.(first, msg);
      return false;
    }
    bySource.set(msg.source, msg);
    return true;
  };

  /** Messages of one (type, round) whose value equals `value`. */
  const matching = (type: MsgType, r: number, value: V): Msg<I, V>[] => {
    const out: Msg<I, V>[] = [];
    for (const m of slot(type, r)?.values() ?? []) {
      if (m.value !== null && def.equals(m.value, value)) out.push(m);
    }
    return out;
  };

  /** The value with a quorum of messages of (type, r), with that quorum. */
  const quorumValue = (type: MsgType, r: number): { value: V; msgs: Msg<I, V>[] } | null => {
    for (const m of slot(type, r)?.values() ?? []) {
      if (m.value === null) continue;
      const msgs = matching(type, r, m.value);
      if (msgs.length >= q) return { value: m.value, msgs };
    }
    return null;
  };

  /** Applies the upon rules to the current state until none fires. */
  const evaluate = (): void => {
    for (;;) {
      if (decidedValue !== null || stopped) return;

      // Algorithm 2:1 — a justified PRE-PREPARE for this or a later round (justified, so jumping is safe).
      let ppRound = 0;
      for (const [r, bySource] of store.get(MsgType.PrePrepare) ?? []) {
        if (r >= round && r > ppRound && !sentPrepare.has(r) && bySource.size > 0) ppRound = r;
      }
      if (ppRound > 0) {
        const pp = [...(slot(MsgType.PrePrepare, ppRound)?.values() ?? [])][0];
        if (pp !== undefined && pp.value !== null) {
          if (ppRound > round) changeRound(ppRound);
          sentPrepare.add(ppRound);
          broadcast(make(MsgType.Prepare, round, pp.value, []));
          continue;
        }
      }

      // Algorithm 2:4 — a quorum of PREPAREs in this round.
      if (!sentCommit.has(round)) {
        const qp = quorumValue(MsgType.Prepare, round);
        if (qp !== null) {
          sentCommit.add(round);
          preparedRound = round;
          preparedValue = qp.value;
          preparedJustification = qp.msgs;
          broadcast(make(MsgType.Commit, round, qp.value, []));
          continue;
        }
      }

      // Algorithm 3:5 — f+1 ROUND-CHANGEs for higher rounds: move to the smallest of them.
      const ahead = new Map<number, number>(); // source -> its highest round above ours
      for (const [r, bySource] of store.get(MsgType.RoundChange) ?? []) {
        if (r <= round) continue;
        for (const source of bySource.keys()) ahead.set(source, Math.max(ahead.get(source) ?? 0, r));
      }
      if (ahead.size >= f + 1) {
        changeRound(Math.min(...ahead.values()));
        broadcastRoundChange();
        continue;
      }

      // Algorithm 3:11 — as leader, a quorum of ROUND-CHANGEs for this round: propose.
      if (!sentPrePrepare.has(round) && def.isLeader(instance, round, process)) {
        const rcs = [...(slot(MsgType.RoundChange, round)?.values() ?? [])];
        if (rcs.length >= q) {
          sentPrePrepare.add(round);
          let highest: Msg<I, V> | null = null;
          for (const rc of rcs) {
            if (rc.preparedRound > 0 && (highest === null || rc.preparedRound > highest.preparedRound)) {
              highest = rc;
            }
          }
          const stripped = rcs.map((rc) => ({ ...rc, justification: [] }));
          const msg =
            highest === null
              ? make(MsgType.PrePrepare, round, input, stripped)
              : make(MsgType.PrePrepare, round, highest.preparedValue, [
                  ...stripped,
                  ...highest.justification,
                ]);
          broadcast(msg);
          continue;
        }
      }
      return;
    }
  };

  const handleMsg = (msg: Msg<I, V>): void => {
    if (typeof msg !== "object" || msg === null) return;
    if (!isKnownSource(n, msg.source)) {
      invalid(msg, "unknown_source");
      return;
    }
    if (!isRound(msg.round)) {
      invalid(msg, "bad_round");
      return;
    }
    if (!Array.isArray(msg.justification)) {
      invalid(msg, "bad_justification");
      return;
    }
    const limits = checkMessageLimits({
      nodes: n,
      justificationCount: msg.justification.length,
      valueCount: valueCount(msg),
    });
    if (!limits.accepted) {
      invalid(msg, limits.reason ?? "limits");
      return;
    }

    if (decidedValue !== null) {
      // Algorithm 3:17 — help a lagging process with the decision, once per (source, round).
      const key = `${msg.source}:${msg.round}`;
      if (msg.type === MsgType.RoundChange && msg.source !== process && !decidedReplies.has(key)) {
        decidedReplies.add(key);
        transport.broadcast(make(MsgType.Decided, decidedRound, decidedValue, qcommit));
      }
      return;
    }

    switch (msg.type) {
      case MsgType.Decided:
        if (!isJustifiedDecided(def, msg)) {
          invalid(msg, "unjustified_decided");
          return;
        }
        decide(
          msg.value as V,
          msg.round,
          msg.justification.filter((m) => m.type === MsgType.Commit),
        );
        return;
      case MsgType.PrePrepare:
        if (!isJustifiedPrePrepare(def, instance, msg)) {
          invalid(msg, "unjustified_pre_prepare");
          return;
        }
        break;
      case MsgType.RoundChange:
        if (!isJustifiedRoundChange(def, msg)) {
          invalid(msg, "unjustified_round_change");
          return;
        }
        break;
      case MsgType.Prepare:
      case MsgType.Commit:
        if (msg.value === null) {
          invalid(msg, "null_value");
          return;
        }
        if (msg.justification.length > 0) {
          invalid(msg, "unexpected_justification");
          return;
        }
        break;
      default: {
        invalid(msg, "unknown_type");
        return;
      }
    }
    if (!storeMsg(msg)) return;

    // Algorithm 2:8 — a quorum of COMMITs in any round decides (a commit quorum is a decision).
    if (msg.type === MsgType.Commit && msg.value !== null) {
      const commits = matching(MsgType.Commit, msg.round, msg.value);
      if (commits.length >= q) {
        decide(msg.value, msg.round, commits);
        return;
      }
    }
    evaluate();
  };

  const handleTimeout = (r: number): void => {
    // Algorithm 3:1 — the round expired: move on and ask for a round change.
    if (decidedValue !== null || r !== round) return;
    changeRound(round + 1);
    broadcastRoundChange();
    evaluate();
  };

  function enqueue(event: Event<I, V>): void {
    if (stopped) return;
    inbox.push(event);
    if (draining) return;
    draining = true;
    try {
      for (let e = inbox.shift(); e !== undefined; e = inbox.shift()) {
        if (stopped) break;
        if (e.kind === "msg") handleMsg(e.msg);
        else handleTimeout(e.round);
      }
    } finally {
      draining = false;
    }
  }

  // Own messages are looped back internally; a copy (or forgery) arriving from outside is ignored.
  const unsubscribe = transport.subscribe((msg) => {
    if (msg?.source !== process) enqueue({ kind: "msg", msg });
  });

  // Algorithm 1:11 — start round 1; its leader proposes the input without justification.
  startTimer(1);
  if (def.isLeader(instance, 1, process)) {
    sentPrePrepare.add(1);
    const msg = make(MsgType.PrePrepare, 1, input, []);
    transport.broadcast(msg);
    enqueue({ kind: "msg", msg });
  }

  return {
    stop(): void {
      stopped = true;
      inbox.length = 0;
      timer?.cancel();
      timer = null;
      unsubscribe();
    },
    get round() {
      return round;
    },
    get hasDecided() {
      return decidedValue !== null;
    },
    get decidedValue() {
      return decidedValue;
    },
  };
}
