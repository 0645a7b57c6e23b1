import { randomBytes } from "node:crypto";
import { deployMigrations } from "@cohort/db/migrate";
import pg from "pg";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    databaseUrl: string;
    redisUrl: string;
    queuePrefix: string;
  }
}

/**
 * Global setup of the integration tier: creates a private database on the server named by
 * TEST_DATABASE_URL, applies every migration with the project's own deploy path, hands its URL to
 * the tests, and drops it afterwards. Redis keys of the run live under a unique prefix that is
 * deleted at the end.
 */
export default async function setup(project: TestProject) {
  const adminUrl = process.env.TEST_DATABASE_URL;
  const redisUrl = process.env.TEST_REDIS_URL;
  if (!adminUrl || !redisUrl) {
    throw new Error(
      "integration tests need TEST_DATABASE_URL (a Postgres URL allowed to CREATE DATABASE) and TEST_REDIS_URL; " +
        "`npm test` provisions both",
    );
  }
  const name = `cohort_test_${Date.now().toString(36)}_${randomBytes(3).toString("hex")}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const databaseUrl = url.toString();
  await deployMigrations(databaseUrl);

  const queuePrefix = `cohort-test-${randomBytes(4).toString("hex")}`;
  project.provide("databaseUrl", databaseUrl);
  project.provide("redisUrl", redisUrl);
  project.provide("queuePrefix", queuePrefix);

  return async () => {
    const { Redis } = await import("ioredis");
    const redis = new Redis(redisUrl, { maxRetriesPerRequest: 3 });
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${queuePrefix}*`, "COUNT", 1000);
      if (keys.length) await redis.del(...keys);
      cursor = next;
    } while (cursor !== "0");
    redis.disconnect();
    const cleanup = new pg.Client({ connectionString: adminUrl });
    await cleanup.connect();
    await cleanup.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await cleanup.end();
  };
}
