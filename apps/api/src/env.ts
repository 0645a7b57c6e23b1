import { env, loadEnv } from "@cohort/config";
import { settlementEnvShape } from "@cohort/worker/settlement";
import { z } from "zod";

/** The API's whole configuration; see the README's configuration table. */
export const apiEnvShape = {
  PORT: env.port(4000),
  HOST: z.string().default("127.0.0.1"),
  /** Postgres URL. Unset: embedded PostgreSQL (PGlite) under COHORT_DATA_DIR. */
  DATABASE_URL: env.postgresUrl().optional(),
  /** Redis URL for the job queues. Unset: a private redis-server if one is on PATH, else BullMQ's PostgreSQL backend. */
  REDIS_URL: env.redisUrl().optional(),
  /** auto: REDIS_URL, else a private redis-server, else PostgreSQL. `postgres` forces BullMQ's PostgreSQL backend. */
  QUEUE_BACKEND: z.enum(["auto", "redis", "postgres"]).default("auto"),
  COHORT_DATA_DIR: z.string().default(".cohort"),
  /** Apply pending migrations at start (default on). */
  AUTO_MIGRATE: env.bool(true),
  /** Run the job worker inside the API process (default: on when the database is embedded). */
  INLINE_WORKER: env.optionalBool(),
  /** Seed the demo cluster at start. */
  SEED_DEMO: env.bool(false),
  /** Comma-separated host[:port] values a SIWE message may name (default: the API's own). */
  SIWE_DOMAINS: z.string().optional(),
  SESSION_TTL_HOURS: z.coerce.number().positive().default(168),
  GRAPHQL_MAX_DEPTH: z.coerce.number().int().positive().default(10),
  GRAPHQL_MAX_COMPLEXITY: z.coerce.number().int().positive().default(5000),
  LOG_LEVEL: env.logLevel(),
  /** Settlement chain for the inline worker (same as the worker's). */
  ...settlementEnvShape,
};

export type ApiEnv = ReturnType<typeof loadApiEnv>;

export const loadApiEnv = (source?: Record<string, string | undefined>) =>
  loadEnv("api", apiEnvShape, source);
