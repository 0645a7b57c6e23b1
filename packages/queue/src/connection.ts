import { type ConnectionOptions, createPostgresBackend, type Processor, Queue, Worker } from "bullmq";

/**
 * Where the queues live. Redis is the normal backend; BullMQ's own PostgreSQL backend is the
 * embedded fallback on a machine with neither Redis nor `redis-server` (see docs/architecture.md).
 */
export type QueueBackend =
  | { kind: "redis"; url: string; prefix?: string }
  | {
      kind: "postgres";
      url: string;
      prefix?: string;
      /** Schema for BullMQ's tables and functions (default `bullmq`). */
      schema?: string;
    };

export const DEFAULT_PREFIX = "cohort";

/**
 * Builds BullMQ queues and workers on the chosen backend. Each returned object owns its
 * connection; `close()` it when done.
 */
export function createQueue(backend: QueueBackend, name: string): Queue {
  const prefix = backend.prefix ?? DEFAULT_PREFIX;
  if (backend.kind === "postgres") {
    return new Queue(
      name,
      { connection: postgresOptions(backend), prefix },
      createPostgresBackend,
    ) as unknown as Queue;
  }
  return new Queue(name, { connection: redisOptions(backend.url, false), prefix });
}

export function createWorker(
  backend: QueueBackend,
  name: string,
  processor: Processor,
  options: { concurrency: number },
): Worker {
  const prefix = backend.prefix ?? DEFAULT_PREFIX;
  if (backend.kind === "postgres") {
    return new Worker(
      name,
      processor,
      { connection: postgresOptions(backend), prefix, ...options },
      createPostgresBackend,
    ) as unknown as Worker;
  }
  return new Worker(name, processor, { connection: redisOptions(backend.url, true), prefix, ...options });
}

/** BullMQ's PostgreSQL backend keeps its tables in its own schema and creates them on first use. */
const postgresOptions = (backend: { url: string; schema?: string }) => ({
  connectionString: backend.url,
  migrate: true,
  ...(backend.schema ? { schema: backend.schema } : {}),
});

/** BullMQ makes (and closes) its own connections from these; workers need maxRetriesPerRequest=null. */
function redisOptions(url: string, blocking: boolean): ConnectionOptions {
  return { url, maxRetriesPerRequest: blocking ? null : 3 };
}

export function describeBackend(backend: QueueBackend): string {
  try {
    const u = new URL(backend.url);
    return `${backend.kind} ${u.hostname}:${u.port || (backend.kind === "redis" ? 6379 : 5432)}`;
  } catch {
    return backend.kind;
  }
}
