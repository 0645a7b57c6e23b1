// The job worker process: `npm run worker`. Needs DATABASE_URL; REDIS_URL selects Redis, else the
// queues run on BullMQ's PostgreSQL backend over the same database.
import { createDb, describeDatabaseUrl } from "@cohort/db";
import { createServices, noJobs } from "@cohort/domain";
import { createLogger } from "@cohort/logger";
import { describeBackend, type QueueBackend } from "@cohort/queue";
import { loadWorkerEnv } from "./env";
import { startWorkers } from "./workers";

const env = loadWorkerEnv();
const logger = createLogger({ name: "worker", level: env.LOG_LEVEL });
const backend: QueueBackend = env.REDIS_URL
  ? { kind: "redis", url: env.REDIS_URL }
  : { kind: "postgres", url: env.DATABASE_URL };
const db = createDb(env.DATABASE_URL);
// Jobs that enqueue follow-up jobs get a real port here once there are such jobs.
const services = createServices({ db, jobs: noJobs });
const running = startWorkers({ backend, services, logger });
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
    await db.$disconnect();
    process.exit(0);
  });
}
