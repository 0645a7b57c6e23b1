/** QBFT message types (numbering as Charon's wire format). */
export const MsgType = {
  PrePrepare: 1,
  Prepare: 2,
  Commit: 3,
  RoundChange: 4,
  Decided: 5,
} as const;
export type MsgType = (typeof MsgType)[keyof typeof MsgType];

/**
 * A consensus message. `value` is null for ROUND-CHANGE; `preparedRound` is 0 and `preparedValue`
 * null unless a ROUND-CHANGE carries a prepared certificate. Authenticity of `source` (and of every
 * message nested in `justification`) is the transport's job, e.g. by signatures.
 */
export interface Msg<I, V> {
  readonly type: MsgType;
  readonly instance: I;
  /** Process index in [0, nodes). */
  readonly source: number;
  /** 1-based round. */
  readonly round: number;
  readonly value: V | null;
  readonly preparedRound: number;
  readonly preparedValue: V | null;
  readonly justification: readonly Msg<I, V>[];
}

/** A running timer; cancel is idempotent. */
export interface Timer {
  cancel(): void;
}

/** Parameters external to the algorithm, constant across instances. */
export interface Definition<I, V> {
  /** Deterministic leader election. */
  isLeader(instance: I, round: number, process: number): boolean;
  /** Starts the round's timer; `onExpire` must be called (asynchronously) at most once unless cancelled. */
  newTimer(round: number, onExpire: () => void): Timer;
  /** Called exactly once per instance when a value is decided, with the COMMIT quorum proving it. */
  decide(instance: I, value: V, qcommit: readonly Msg<I, V>[]): void;
  /** Number of processes n. */
  nodes: number;
  /** Value equality. */
  equals(a: V, b: V): boolean;
  /** Reports a source's second, different message for the same (type, round); that message is ignored. */
  onEquivocation?(first: Msg<I, V>, second: Msg<I, V>): void;
  /** Reports a message dropped as invalid (bad source, limits, unjustified...). */
  onInvalid?(msg: Msg<I, V>, reason: string): void;
}

/** Delivery between processes. The algorithm loops its own messages back internally. */
export interface Transport<I, V> {
  /** Sends to all other processes; delivery may be lossy, delayed, reordered or duplicated. */
  broadcast(msg: Msg<I, V>): void;
  /** Registers the receiver of incoming messages; returns an unsubscribe function. */
  subscribe(handler: (msg: Msg<I, V>) => void): () => void;
}

/**
 * Quorum size ⌈2n/3⌉ (as Charon). It equals n − f when n = 3f + 1 but is smaller for other n (e.g.
 * n = 6: 4, not 5); any two quorums still intersect in at least f + 1 processes.
 */
export function quorum(nodes: number): number {
  return Math.floor((2 * nodes + 2) / 3);
}

/** Maximum number of byzantine processes tolerated: ⌊(n−1)/3⌋. */
export function faulty(nodes: number): number {
  return Math.floor((nodes - 1) / 3);
}
