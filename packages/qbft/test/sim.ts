/**
 * Deterministic simulated network for QBFT: a seeded RNG, a virtual clock, a lossy/delaying/
 * reordering/duplicating network with a global stabilisation time (GST), honest processes running
 * the real algorithm and scripted byzantine processes.
 *
 * Model: before GST each message is dropped with `dropProb` and otherwise delayed up to
 * `preGstMaxDelay`; from GST on, messages are never dropped and arrive within `delta`. Any message
 * may be duplicated. Byzantine processes may forge messages only in the name of byzantine processes
 * (signatures are assumed) and may replay anything they observed.
 */
import { type Definition, type Msg, MsgType, type QbftProcess, quorum, runQbft } from "../src/index";

export type Value = string;
export type M = Msg<number, Value>;

/** mulberry32: small, fast, seedable. */
export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** Integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  bool(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    const item = items[Math.floor(this.next() * items.length)];
    if (item === undefined) throw new Error("pick from empty list");
    return item;
  }
}

interface Scheduled {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

/** Virtual clock with a binary-heap event queue; ties run in scheduling order. */
export class VirtualClock {
  now = 0;
  private seq = 0;
  private heap: Scheduled[] = [];

  schedule(delay: number, fn: () => void): { cancel(): void } {
    const item: Scheduled = { at: this.now + Math.max(0, delay), seq: this.seq++, fn, cancelled: false };
    this.push(item);
    return {
      cancel: () => {
        item.cancelled = true;
      },
    };
  }

  /** Runs events until `done()` holds, time passes `maxTime` or `maxEvents` ran; returns events run. */
  run(done: () => boolean, maxTime: number, maxEvents: number): number {
    let events = 0;
    while (!done() && events < maxEvents) {
      const item = this.pop();
      if (item === undefined || item.at > maxTime) break;
      this.now = item.at;
      if (item.cancelled) continue;
      events++;
      item.fn();
    }
    return events;
  }

  private less(a: Scheduled, b: Scheduled): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  private push(item: Scheduled): void {
    const h = this.heap;
    h.push(item);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = h[p]!;
      if (!this.less(item, parent)) break;
      h[i] = parent;
      i = p;
    }
    h[i] = item;
  }

  private pop(): Scheduled | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (top === undefined || last === undefined || h.length === 0) return top;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      let best = last;
      if (l < h.length && this.less(h[l]!, best)) {
        m = l;
        best = h[l]!;
      }
      if (r < h.length && this.less(h[r]!, best)) m = r;
      if (m === i) break;
      h[i] = h[m]!;
      i = m;
    }
    h[i] = last;
    return top;
  }
}

/**
 * silent: sends nothing. equivocate: as leader, different PRE-PREPAREs to different peers.
 * conflict: conflicting PREPAREs/COMMITs (its own and its coalition's, to different peers).
 * bogusRoundChange: ROUND-CHANGEs with invalid prepared certificates, and bogus DECIDEDs.
 * amnesia: votes PREPARE and COMMIT for every proposal it sees and always claims to have prepared
 * nothing in its ROUND-CHANGEs, helping any new proposal gather a quorum (what J2 defends against).
 * mixed: a random one of the above at every step.
 */
export type Behaviour = "silent" | "equivocate" | "conflict" | "bogusRoundChange" | "amnesia" | "mixed";

export interface SimConfig {
  seed: number;
  nodes: number;
  /** Indices of the byzantine processes. */
  byzantine: readonly number[];
  behaviour: Behaviour;
  instance: number;
  gst: number;
  dropProb: number;
  dupProb: number;
  preGstMaxDelay: number;
  delta: number;
  /** Round r's timer fires r * baseTimeout after it is started. */
  baseTimeout: number;
  maxTime: number;
  maxEvents: number;
  /**
   * Adversarial scheduling before GST: drop everything a process sends once it has decided, so the
   * others must make progress without it (and without its DECIDED replies) — the case where a
   * locked value must be carried into later rounds by the ROUND-CHANGE certificates alone.
   */
  isolateDeciders: boolean;
  /**
   * Adversarial scheduling before GST: until some process decides, COMMITs and DECIDEDs reach only
   * one honest process (the lowest-numbered), so it can decide while the others stay undecided but
   * possibly locked. Combine with isolateDeciders to make the others carry on without it.
   */
  commitsToOneOnly: boolean;
}

export interface Decision {
  value: Value;
  round: number;
  time: number;
  qcommit: readonly M[];
}

export interface SimResult {
  decisions: Map<number, Decision>;
  honest: number[];
  inputs: Map<number, Value>;
  /** Every value a byzantine process may have proposed. */
  byzantineValues: Set<Value>;
  equivocations: number;
  invalid: number;
  events: number;
  endTime: number;
  maxRound: number;
}

export const defaultConfig = (
  overrides: Partial<SimConfig> & Pick<SimConfig, "seed" | "nodes">,
): SimConfig => ({
  byzantine: [],
  behaviour: "silent",
  instance: 0,
  gst: 0,
  dropProb: 0,
  dupProb: 0,
  preGstMaxDelay: 300,
  delta: 100,
  baseTimeout: 1000,
  maxTime: 200_000,
  maxEvents: 400_000,
  isolateDeciders: false,
  commitsToOneOnly: false,
  ...overrides,
});

export const isLeader = (n: number) => (instance: number, round: number, process: number) =>
  (instance + round) % n === process;

export function simulate(config: SimConfig): SimResult {
  const { nodes: n } = config;
  const rng = new Rng(config.seed);
  const clock = new VirtualClock();
  const byz = new Set(config.byzantine);
  const honest = [...Array(n).keys()].filter((i) => !byz.has(i));
  const handlers = new Map<number, (msg: M) => void>();
  const decisions = new Map<number, Decision>();
  const inputs = new Map<number, Value>();
  const byzantineValues = new Set<Value>();
  let equivocations = 0;
  let invalid = 0;

  const deliverLater = (to: number, msg: M, delay: number): void => {
    clock.schedule(delay, () => handlers.get(to)?.(msg));
  };

  const send = (from: number, to: number, msg: M): void => {
    if (from === to) return;
    if (clock.now < config.gst) {
      if (config.isolateDeciders && decisions.has(from)) return;
      const commitLike = msg.type === MsgType.Commit || msg.type === MsgType.Decided;
      if (config.commitsToOneOnly && commitLike && to !== honest[0] && decisions.size === 0) return;
    }
    const copies = config.dupProb > 0 && rng.bool(config.dupProb) ? 2 : 1;
    for (let c = 0; c < copies; c++) {
      if (clock.now < config.gst) {
        if (rng.bool(config.dropProb)) continue;
        deliverLater(to, msg, rng.int(0, config.preGstMaxDelay));
      } else {
        deliverLater(to, msg, rng.int(1, config.delta));
      }
    }
  };

  const processes = new Map<number, QbftProcess<Value>>();
  for (const p of honest) {
    const input = `h${p}`;
    inputs.set(p, input);
    const def: Definition<number, Value> = {
      nodes: n,
      isLeader: isLeader(n),
      equals: (a, b) => a === b,
      newTimer: (round, onExpire) => clock.schedule(round * config.baseTimeout, onExpire),
      decide: (_instance, value, qcommit) => {
        if (decisions.has(p)) throw new Error(`process ${p} decided twice`);
        decisions.set(p, { value, round: qcommit[0]?.round ?? 0, time: clock.now, qcommit });
      },
      onEquivocation: () => {
        equivocations++;
      },
      onInvalid: () => {
        invalid++;
      },
    };
    const proc = runQbft<number, Value>(
      def,
      {
        broadcast: (msg) => {
          for (let to = 0; to < n; to++) send(p, to, msg);
        },
        subscribe: (handler) => {
          handlers.set(p, handler);
          return () => handlers.delete(p);
        },
      },
      config.instance,
      p,
      input,
    );
    processes.set(p, proc);
  }

  for (const b of config.byzantine) {
    const values = [`b${b}x`, `b${b}y`];
    for (const v of values) byzantineValues.add(v);
    const actor = new Byzantine(b, config, rng, values, [...byz], send);
    handlers.set(b, (msg) => actor.receive(msg));
    clock.schedule(0, () => actor.start());
  }

  const allDecided = () => honest.every((p) => decisions.has(p));
  const events = clock.run(allDecided, config.maxTime, config.maxEvents);
  const maxRound = Math.max(0, ...honest.map((p) => processes.get(p)?.round ?? 0));
  for (const proc of processes.values()) proc.stop();
  return {
    decisions,
    honest,
    inputs,
    byzantineValues,
    equivocations,
    invalid,
    events,
    endTime: clock.now,
    maxRound,
  };
}

/** A scripted byzantine process. It never forges honest processes' messages. */
class Byzantine {
  private readonly acted = new Set<string>();
  private readonly observedPrepares: M[] = [];
  private readonly observedCommits: M[] = [];
  private readonly observedRoundChanges = new Map<number, Map<number, M>>();
  private readonly n: number;

  constructor(
    private readonly self: number,
    private readonly config: SimConfig,
    private readonly rng: Rng,
    private readonly values: readonly Value[],
    private readonly coalition: readonly number[],
    private readonly send: (from: number, to: number, msg: M) => void,
  ) {
    this.n = config.nodes;
  }

  private behaviour(): Exclude<Behaviour, "mixed"> {
    if (this.config.behaviour !== "mixed") return this.config.behaviour;
    return this.rng.pick(["silent", "equivocate", "conflict", "bogusRoundChange", "amnesia"] as const);
  }

  private msg(
    type: MsgType,
    round: number,
    value: Value | null,
    justification: readonly M[] = [],
    source = this.self,
    preparedRound = 0,
    preparedValue: Value | null = null,
  ): M {
    return {
      type,
      instance: this.config.instance,
      source,
      round,
      value,
      preparedRound,
      preparedValue,
      justification,
    };
  }

  private toEach(make: (peer: number) => M | null): void {
    for (let to = 0; to < this.n; to++) {
      const m = make(to);
      if (m !== null) this.send(this.self, to, m);
    }
  }

  start(): void {
    this.act(1);
  }

  receive(msg: M): void {
    const b = this.config.behaviour;
    if (b === "amnesia" || (b === "mixed" && this.rng.bool(0.5))) this.amnesia(msg);
    if (msg.type === MsgType.Prepare) this.observedPrepares.push(msg);
    if (msg.type === MsgType.Commit) this.observedCommits.push(msg);
    if (msg.type === MsgType.RoundChange) {
      let byRound = this.observedRoundChanges.get(msg.round);
      if (byRound === undefined) {
        byRound = new Map();
        this.observedRoundChanges.set(msg.round, byRound);
      }
      byRound.set(msg.source, msg);
    }
    this.act(msg.round);
  }

  private readonly votes = new Set<string>();

  private amnesia(msg: M): void {
    if (
      msg.type === MsgType.PrePrepare &&
      msg.value !== null &&
      !this.votes.has(`pp:${msg.round}:${msg.value}`)
    ) {
      this.votes.add(`pp:${msg.round}:${msg.value}`);
      for (const type of [MsgType.Prepare, MsgType.Commit]) {
        this.toEach(() => this.msg(type, msg.round, msg.value));
      }
    }
    if (msg.type === MsgType.RoundChange && !this.votes.has(`rc:${msg.round}`)) {
      this.votes.add(`rc:${msg.round}`);
      this.toEach(() => this.msg(MsgType.RoundChange, msg.round, null));
    }
  }

  /** Acts at most once per (round, behaviour). */
  private act(round: number): void {
    const behaviour = this.behaviour();
    const key = `${round}:${behaviour}`;
    if (this.acted.has(key) || round > 64) return;
    this.acted.add(key);
    const [x, y] = this.values as [Value, Value];
    const split = (peer: number) => (peer % 2 === 0 ? x : y);
    const honestValue = (): Value | null => {
      const p = this.observedPrepares[this.observedPrepares.length - 1];
      return p?.value ?? null;
    };

    switch (behaviour) {
      case "amnesia":
      case "silent":
        return;
      case "equivocate": {
        // As leader: different PRE-PREPAREs to different peers, justified where it can be.
        for (const r of [round, round + 1]) {
          if (!isLeader(this.n)(this.config.instance, r, this.self)) continue;
          const rcs = [...(this.observedRoundChanges.get(r)?.values() ?? [])].map((m) => ({
            ...m,
            justification: [],
          }));
          const prepared = [...(this.observedRoundChanges.get(r)?.values() ?? [])]
            .filter((m) => m.preparedRound > 0)
            .sort((a, b) => b.preparedRound - a.preparedRound)[0];
          this.toEach((peer) => {
            const value =
              this.rng.bool(0.2) && prepared?.preparedValue ? prepared.preparedValue : split(peer);
            const just = r === 1 ? [] : [...rcs, ...(prepared?.justification ?? [])];
            return this.msg(MsgType.PrePrepare, r, value, just);
          });
        }
        // And vote for both of its values.
        this.toEach((peer) => this.msg(MsgType.Prepare, round, split(peer)));
        return;
      }
      case "conflict": {
        // Conflicting PREPAREs and COMMITs, in its own name and its coalition's.
        const hv = honestValue();
        for (const source of this.coalition) {
          this.toEach((peer) =>
            this.msg(MsgType.Prepare, round, peer < this.n / 2 && hv !== null ? hv : split(peer), [], source),
          );
          this.toEach((peer) =>
            this.msg(MsgType.Commit, round, this.rng.bool(0.5) ? split(peer) : (hv ?? x), [], source),
          );
        }
        // A second, different vote to the same peers (equivocation the receiver must ignore).
        this.toEach((peer) => this.msg(MsgType.Commit, round, split(peer + 1)));
        return;
      }
      case "bogusRoundChange": {
        // ROUND-CHANGEs with forged or mismatched prepared certificates, and bogus DECIDEDs.
        const target = round + this.rng.int(0, 2);
        const pr = this.rng.int(1, Math.max(1, target - 1));
        const q = quorum(this.n);
        const forged = this.coalition.map((s) => this.msg(MsgType.Prepare, pr, x, [], s));
        const replayed = this.observedPrepares.slice(-q);
        const variants: M[] = [
          this.msg(MsgType.RoundChange, target, null, [...forged, ...replayed], this.self, pr, x),
          this.msg(MsgType.RoundChange, target, null, [...replayed], this.self, target + 1, y),
          this.msg(MsgType.RoundChange, target, null, [], this.self, pr, y),
          this.msg(MsgType.RoundChange, target, null, [...forged, ...forged], this.self, pr, x),
          this.msg(MsgType.RoundChange, target, null, [], this.self, 0, null),
        ];
        this.toEach(() => this.rng.pick(variants));
        const commits = [
          ...this.coalition.map((s) => this.msg(MsgType.Commit, round, y, [], s)),
          ...this.observedCommits.slice(-q),
        ];
        this.toEach(() => this.msg(MsgType.Decided, round, y, commits));
        return;
      }
    }
  }
}
