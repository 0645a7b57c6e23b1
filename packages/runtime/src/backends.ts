import path from "node:path";
import { describeDatabaseUrl } from "@cohort/db";
import { startEmbeddedPostgres } from "@cohort/db/embedded";
import { deployMigrations } from "@cohort/db/migrate";
import { describeBackend, type QueueBackend } from "@cohort/queue";
import { findRedisServer, startRedisServer } from "./services.mjs";

export interface BackendLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export interface Backends {
  databaseUrl: string;
  queue: QueueBackend;
  /** True when the database runs inside this process (embedded PGlite). */
  embeddedDatabase: boolean;
  /** One line per backend, for the startup log. */
  description: { database: string; queue: string };
  stop(): Promise<void>;
}

/**
 * Resolves where data and jobs live, most real option first:
 * - database: `DATABASE_URL`, else an embedded PostgreSQL (PGlite) keeping its data under
 *   `<dataDir>/pg`;
 * - queue: `REDIS_URL`, else a private `redis-server` (found on PATH) persisting under
 *   `<dataDir>/redis`, else BullMQ's own PostgreSQL backend on the database above.
 * Pending migrations are applied when `autoMigrate` is on.
 */
export async function startBackends({
  databaseUrl,
  redisUrl,
  queueBackend = "auto",
  dataDir,
  autoMigrate,
  logger,
}: {
  databaseUrl?: string | undefined;
  redisUrl?: string | undefined;
  /** `redis` requires REDIS_URL or a redis-server; `postgres` forces BullMQ's PostgreSQL backend. */
  queueBackend?: "auto" | "redis" | "postgres";
  dataDir: string;
  autoMigrate: boolean;
  logger: BackendLogger;
}): Promise<Backends> {
  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch(() => {});
  };
  try {
    let dbUrl = databaseUrl;
    let dbDescription: string;
    if (dbUrl) {
      dbDescription = `PostgreSQL ${describeDatabaseUrl(dbUrl)}`;
    } else {
      const dir = path.resolve(dataDir, "pg");
      const pg = await startEmbeddedPostgres({ dataDir: dir });
      stops.push(pg.stop);
      dbUrl = pg.url;
      dbDescription = `embedded PostgreSQL (PGlite, data in ${dir}, served on ${describeDatabaseUrl(pg.url)})`;
    }
    if (autoMigrate) {
      const applied = await deployMigrations(dbUrl);
      logger.info(
        { applied },
        applied.length ? `applied ${applied.length} migration(s)` : "database schema is up to date",
      );
    }

    let queue: QueueBackend;
    let queueDescription: string;
    if (queueBackend === "redis" && !redisUrl && !findRedisServer()) {
      throw new Error("QUEUE_BACKEND=redis but REDIS_URL is unset and no redis-server is on PATH");
    }
    // BullMQ pins its schema with a connection startup option, which the embedded server
    // (pglite-socket) ignores; there its objects live in `public` beside ours (no name clashes:
    // Prisma's tables are PascalCase).
    const pgQueue = (): QueueBackend =>
      databaseUrl ? { kind: "postgres", url: dbUrl } : { kind: "postgres", url: dbUrl, schema: "public" };
    if (queueBackend === "postgres") {
      queue = pgQueue();
      queueDescription = "BullMQ PostgreSQL backend on the database above (QUEUE_BACKEND=postgres)";
    } else if (redisUrl) {
      queue = { kind: "redis", url: redisUrl };
      queueDescription = `Redis ${describeBackend(queue)}`;
    } else if (findRedisServer()) {
      const dir = path.resolve(dataDir, "redis");
      const redis = await startRedisServer({ dir, persistent: true, log: (m: string) => logger.info({}, m) });
      stops.push(redis.stop);
      queue = { kind: "redis", url: redis.url };
      queueDescription = `private redis-server on ${redis.url.replace("redis://", "")} (data in ${dir})`;
    } else {
      queue = pgQueue();
      queueDescription =
        "BullMQ PostgreSQL backend on the database above (no Redis and no redis-server on PATH)";
      logger.warn({}, "no REDIS_URL and no redis-server on PATH: queues run on BullMQ's PostgreSQL backend");
    }
    return {
      databaseUrl: dbUrl,
      queue,
      embeddedDatabase: !databaseUrl,
      description: { database: dbDescription, queue: queueDescription },
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
