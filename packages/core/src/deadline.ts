import { type Duty, dutyKey } from "./types";

/** Time, injected: the agent uses the wall clock, tests advance a fake one by hand. */
export interface Clock {
  now(): number;
  /** Calls `fn` after `ms`; returns a cancel function. */
  setTimer(fn: () => void, ms: number): () => void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer: (fn, ms) => {
    const t = setTimeout(fn, Math.max(0, ms));
    return () => clearTimeout(t);
  },
};

/**
 * Expires duties at their deadline, so in-memory stores (decided values, partial signatures) are
 * trimmed without each component keeping its own timers. `add` returns false for a duty already
 * past its deadline (the caller should drop it).
 */
export class Deadliner {
  private readonly pending = new Map<string, { duty: Duty; cancel: () => void }>();
  private readonly listeners: ((duty: Duty) => void)[] = [];

  constructor(
    private readonly clock: Clock,
    /** Unix ms after which a duty is expired. */
    private readonly deadlineOf: (duty: Duty) => number,
  ) {}

  add(duty: Duty): boolean {
    const key = dutyKey(duty);
    if (this.pending.has(key)) return true;
    const remaining = this.deadlineOf(duty) - this.clock.now();
    if (remaining <= 0) return false;
    const cancel = this.clock.setTimer(() => {
      this.pending.delete(key);
      for (const listener of this.listeners) listener(duty);
    }, remaining);
    this.pending.set(key, { duty, cancel });
    return true;
  }

  /** Called once per expired duty. */
  subscribe(listener: (duty: Duty) => void): void {
    this.listeners.push(listener);
  }

  get size(): number {
    return this.pending.size;
  }

  stop(): void {
    for (const { cancel } of this.pending.values()) cancel();
    this.pending.clear();
  }
}

/** A clock tests drive by hand: timers fire, in order, when `advance` passes their time. */
export class ManualClock implements Clock {
  private timers: { at: number; fn: () => void; id: number }[] = [];
  private nextId = 0;

  constructor(private time = 0) {}

  now(): number {
    return this.time;
  }

  setTimer(fn: () => void, ms: number): () => void {
    const id = this.nextId++;
    this.timers.push({ at: this.time + Math.max(0, ms), fn, id });
    return () => {
      this.timers = this.timers.filter((t) => t.id !== id);
    };
  }

  advance(ms: number): void {
    const target = this.time + ms;
    for (;;) {
      const due = this.timers.filter((t) => t.at <= target).sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (!due) break;
      this.timers = this.timers.filter((t) => t.id !== due.id);
      this.time = due.at;
      due.fn();
    }
    this.time = target;
  }
}
