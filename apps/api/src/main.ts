// The portal API process: `npm run api` (and the heart of `npm run demo`). Configuration comes from
// the environment (see env.ts and the README); with nothing set it runs on embedded defaults.
import { createDb, createSql, guardPostgresJsNullSocket } from "@cohort/db";
import { createServices } from "@cohort/domain";
import { seedDemo } from "@cohort/domain/demo";
import { createLogger } from "@cohort/logger";
import { createMemoryEventBus, createRedisEventBus, JobProducer, jobsPortFor, QUEUES } from "@cohort/queue";
import { startBackends } from "@cohort/runtime";
import { startWorkers } from "@cohort/worker";
import { settlementOptionsFromEnv } from "@cohort/worker/settlement";
import { createApi } from "./app";
import { loadApiEnv } from "./env";

const env = loadApiEnv();
const logger = createLogger({ name: "api", level: env.LOG_LEVEL });

const backends = await startBackends({
  databaseUrl: env.DATABASE_URL,
  redisUrl: env.REDIS_URL,
  queueBackend: env.QUEUE_BACKEND,
  dataDir: env.COHORT_DATA_DIR,
  autoMigrate: env.AUTO_MIGRATE,
  logger,
});
const db = createDb(backends.databaseUrl);
const producer = new JobProducer(backends.queue);
const events =
  backends.queue.kind === "redis"
    ? createRedisEventBus(backends.queue.url, backends.queue.prefix)
    : createMemoryEventBus();
const sql = createSql(backends.databaseUrl);
guardPostgresJsNullSocket((m) => logger.warn(m));
const jobsPort = jobsPortFor(producer);
const services = createServices({
  db,
  sql,
  settlement: await settlementOptionsFromEnv(env, logger),
  jobs: jobsPort,
  events,
  auth: {
    siweDomains: env.SIWE_DOMAINS?.split(",").map((d) => d.trim()) ?? [
      `localhost:${env.PORT}`,
      `127.0.0.1:${env.PORT}`,
    ],
    nonceTtlMs: 10 * 60_000,
    sessionTtlMs: env.SESSION_TTL_HOURS * 3_600_000,
  },
});
const inlineWorker = env.INLINE_WORKER ?? backends.embeddedDatabase;
const worker = inlineWorker
  ? startWorkers({
      backend: backends.queue,
      services,
      logger,
      incidentSweepMs: 60_000,
      // As apps/worker does: expected duties from each cluster's beacon node (settlement waits for them).
      dutySyncMs: 30_000,
      settlementTickMs: env.SETTLEMENT_TICK_MS,
      jobsPort,
    })
  : null;

if (env.SEED_DEMO) {
  const { cluster, created } = await seedDemo(db, services);
  logger.info({ clusterId: cluster.id }, created ? "seeded the demo cluster" : "demo cluster already seeded");
}

const api = await createApi({
  db,
  services,
  logger,
  events,
  maxDepth: env.GRAPHQL_MAX_DEPTH,
  maxComplexity: env.GRAPHQL_MAX_COMPLEXITY,
  readinessChecks: { queue: () => producer.ping(QUEUES.roster) },
});
const { url } = await api.listen(env.PORT, env.HOST);
logger.info(
  {
    url,
    graphql: `${url}/graphql`,
    database: backends.description.database,
    queue: backends.description.queue,
    worker: inlineWorker ? "inline (in this process)" : "separate process (npm run worker)",
  },
  `Cohort API listening on ${url}/graphql`,
);

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, "stopping");
  // Never hang on the way out: whatever has not stopped after 15 s is abandoned.
  setTimeout(() => {
    logger.error({}, "shutdown timed out; exiting");
    process.exit(1);
  }, 15_000).unref();
  const steps: [string, () => Promise<unknown>][] = [
    ["http", () => api.close()],
    ["worker", async () => worker?.close()],
    ["queue producer", () => producer.close()],
    ["event bus", () => events.close()],
    ["database client", () => db.$disconnect()],
    ["postgres.js", () => sql.end({ timeout: 5 })],
    ["backends", () => backends.stop()],
  ];
  for (const [name, step] of steps) {
    logger.debug({ step: name }, "stopping");
    await step().catch((err) => logger.warn({ err: String(err) }, `stopping ${name} failed`));
  }
  logger.info({}, "stopped");
  process.exit(0);
}
process.on("SIGINT", () => void shutdown("SIGINT"));
process.on("SIGTERM", () => void shutdown("SIGTERM"));
