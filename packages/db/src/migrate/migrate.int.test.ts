/**
 * The migrations in prisma/migrations deploy cleanly to a fresh Postgres database, status agrees,
 * and the schema has no changes missing a migration.
 *
 * Needs TEST_DATABASE_URL: an admin URL of a server where databases may be created, e.g.
 *   TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npx vitest run packages/db/src/migrate/migrate.int.test.ts
 */
import { createHash, randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  checkDrift,
  DEFAULT_MIGRATIONS_DIR,
  deployMigrations,
  migrationStatus,
  readMigrationsList,
} from "./index.ts";

const adminUrl = process.env.TEST_DATABASE_URL;
if (!adminUrl) {
  throw new Error(
    "TEST_DATABASE_URL is not set. This integration test creates and drops its own database; point it at " +
      "a server where that is allowed, e.g. TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres",
  );
}

const dbName = `cohort_mig_${randomBytes(6).toString("hex")}`;
const databaseUrl = (() => {
  const u = new URL(adminUrl);
  u.pathname = `/${dbName}`;
  return u.toString();
})();

async function admin<T>(fn: (client: pg.Client) => Promise<T>, url = adminUrl!): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

describe("prisma/migrations on a fresh database", { timeout: 60_000 }, () => {
  let folders: string[] = [];

  beforeAll(async () => {
    const list = await readMigrationsList(DEFAULT_MIGRATIONS_DIR);
    folders = list.migrationDirectories.map((d) => d.path);
    await admin((c) => c.query(`CREATE DATABASE "${dbName}"`));
  });

  afterAll(async () => {
    // FORCE ends any connection a failed test left behind (Postgres 13+).
    await admin((c) => c.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`));
  });

  it("has at least one migration", () => {
    expect(folders.length).toBeGreaterThan(0);
  });

  it("deploys every migration, in order", async () => {
    expect(await deployMigrations(databaseUrl)).toEqual(folders);
  });

  it("reports nothing pending, failed or drifted afterwards", async () => {
    const status = await migrationStatus(databaseUrl, { detectDrift: true });
    expect(status).toMatchObject({
      local: folders,
      applied: folders,
      pending: [],
      failed: [],
      edited: [],
      missingLocally: [],
      hasMigrationsTable: true,
      history: null,
      drift: "",
      upToDate: true,
    });
  });

  it("records one finished row per folder in _prisma_migrations, with the file's checksum", async () => {
    const { rows } = await admin(
      (c) =>
        c.query<{
          migration_name: string;
          checksum: string;
          finished_at: Date | null;
          rolled_back_at: Date | null;
          applied_steps_count: number;
        }>(
          "SELECT migration_name, checksum, finished_at, rolled_back_at, applied_steps_count FROM _prisma_migrations ORDER BY migration_name",
        ),
      databaseUrl,
    );
    expect(rows.map((r) => r.migration_name)).toEqual(folders);
    for (const row of rows) {
      expect(row.finished_at).toBeInstanceOf(Date);
      expect(row.rolled_back_at).toBeNull();
      expect(row.applied_steps_count).toBe(1);
      const sql = await readFile(path.join(DEFAULT_MIGRATIONS_DIR, row.migration_name, "migration.sql"));
      expect(row.checksum).toBe(createHash("sha256").update(sql).digest("hex"));
    }
  });

  it("applies nothing on a second deploy", async () => {
    expect(await deployMigrations(databaseUrl)).toEqual([]);
  });

  it("has no schema changes missing a migration", async () => {
    expect(await checkDrift()).toBe("");
  });
});
