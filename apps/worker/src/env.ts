import { env, loadEnv } from "@cohort/config";
import { settlementEnvShape } from "./settlement";

export const loadWorkerEnv = (source?: Record<string, string | undefined>) =>
  loadEnv(
    "worker",
    {
      DATABASE_URL: env.postgresUrl(),
      /** Unset: BullMQ's PostgreSQL backend on DATABASE_URL. */
      REDIS_URL: env.redisUrl().optional(),
      LOG_LEVEL: env.logLevel(),
      ...settlementEnvShape,
    },
    source,
  );
