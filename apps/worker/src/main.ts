// The job worker process: `npm run worker`. Needs DATABASE_URL; REDIS_URL selects Redis, else the
// queues run on BullMQ's PostgreSQL backend over the same database.
import { createDb, createSql, describeDatabaseUrl, guardPostgresJsNullSocket } from "@cohort/db";
import { createServices } from "@cohort/domain";
import { createLogger } from "@cohort/logger";
import {
  createMemoryEventBus,
  createRedisEventBus,
  describeBackend,
  JobProducer,
  jobsPortFor,
  type QueueBackend,
} from "@cohort/queue";
import { loadWorkerEnv } from "./env";
import { settlementOptionsFromEnv } from "./settlement";
import { startWorkers } from "./workers";

const env = loadWorkerEnv();
const logger = createLogger({ name: "worker", level: env.LOG_LEVEL });
const backend: QueueBackend = env.REDIS_URL
  ? { kind: "redis", url: env.REDIS_URL }
  : { kind: "postgres", url: env.DATABASE_URL };
const db = createDb(env.DATABASE_URL);
// Jobs enqueue follow-up jobs (notifications, escalations) and publish live events.
const producer = new JobProducer(backend);
const events = backend.kind === "redis" ? createRedisEventBus(backend.url) : createMemoryEventBus();
const sql = createSql(env.DATABASE_URL);
guardPostgresJsNullSocket((m) => logger.warn(m));
const jobsPort = jobsPortFor(producer);
const settlement = await settlementOptionsFromEnv(env, logger);
const services = createServices({ db, sql, jobs: jobsPort, events, settlement });
const running = startWorkers({
  backend,
  services,
  logger,
  incidentSweepMs: 60_000,
  // Expected duties from each cluster's beacon node: about twice per mainnet epoch (6.4 min).
  dutySyncMs: 30_000,
  settlementTickMs: env.SETTLEMENT_TICK_MS,
  jobsPort,
});
logger.info(
  { database: describeDatabaseUrl(env.DATABASE_URL), queue: describeBackend(backend) },
  "worker started",
);

let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, async () => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "stopping");
    await running.close();
    await producer.close();
    await events.close();
    await db.$disconnect();
    process.exit(0);
  });
}
