import { EventEmitter } from "node:events";
import { Redis } from "ioredis";

/**
 * Live cluster events (incident opened/updated/resolved) fanned out to every API process: the
 * publisher may be a worker, the subscriber an SSE connection on any API instance. Redis pub/sub
 * when the queue runs on Redis; an in-process emitter otherwise (single-process embedded mode).
 * Matches the domain's `EventsPort` structurally (this package does not depend on the domain).
 */
export interface LiveEvent {
  type: string;
  clusterId: string;
  [key: string]: unknown;
}

export interface EventBus {
  publish(event: LiveEvent): Promise<void>;
  /** Calls `handler` for every event of the cluster until the returned function is called. */
  subscribe(clusterId: string, handler: (event: LiveEvent) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

export function createMemoryEventBus(): EventBus {
  const emitter = new EventEmitter();
  emitter.setMaxListeners(0);
  return {
    async publish(event) {
      emitter.emit(event.clusterId, event);
    },
    async subscribe(clusterId, handler) {
      emitter.on(clusterId, handler);
      return async () => {
        emitter.off(clusterId, handler);
      };
    },
    async close() {
      emitter.removeAllListeners();
    },
  };
}

/** Redis pub/sub on channels `<prefix>:events:cluster:<id>`; one subscriber connection, refcounted. */
export function createRedisEventBus(url: string, prefix = "cohort"): EventBus {
  const channel = (clusterId: string) => `${prefix}:events:cluster:${clusterId}`;
  let publisher: Redis | null = null;
  let subscriber: Redis | null = null;
  const local = new EventEmitter();
  local.setMaxListeners(0);
  const counts = new Map<string, number>();

  const sub = () => {
    if (!subscriber) {
      subscriber = new Redis(url, { maxRetriesPerRequest: null, lazyConnect: false });
      subscriber.on("message", (ch: string, message: string) => {
        try {
          local.emit(ch, JSON.parse(message) as LiveEvent);
        } catch {}
      });
      subscriber.on("error", () => {});
    }
    return subscriber;
  };

  return {
    async publish(event) {
      publisher ??= new Redis(url, { maxRetriesPerRequest: 3 });
      await publisher.publish(channel(event.clusterId), JSON.stringify(event));
    },
    async subscribe(clusterId, handler) {
      const ch = channel(clusterId);
      local.on(ch, handler);
      const n = (counts.get(ch) ?? 0) + 1;
      counts.set(ch, n);
      if (n === 1) await sub().subscribe(ch);
      return async () => {
        local.off(ch, handler);
        const left = (counts.get(ch) ?? 1) - 1;
        if (left <= 0) {
          counts.delete(ch);
          await subscriber?.unsubscribe(ch).catch(() => {});
        } else counts.set(ch, left);
      };
    },
    async close() {
      local.removeAllListeners();
      counts.clear();
      publisher?.disconnect();
      subscriber?.disconnect();
      publisher = null;
      subscriber = null;
    },
  };
}
