import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EmbeddedPostgres, startEmbeddedPostgres } from "./embedded";
import { createSql } from "./index";

/**
 * The embedded database under concurrent clients (what `npm run demo` does: Prisma's pool,
 * postgres.js, agents' reports and GraphQL at once): extended-protocol queries of several
 * connections must not interleave on PGlite's single session, and a failed query must not stop it.
 */
describe("embedded PostgreSQL (PGlite over its socket)", () => {
  let dir: string;
  let db: EmbeddedPostgres;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "cohort-embedded-"));
    db = await startEmbeddedPostgres({ dataDir: dir });
  }, 60_000);
  afterAll(async () => {
    await db?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("keeps each connection's parameterised queries together under concurrency", async () => {
    // Large parameters arrive in several TCP reads: before the fix another connection's Parse got
    // in between ("bind message supplies 3 parameters, but prepared statement "" requires 1").
    const pool = new pg.Pool({ connectionString: db.url, max: 10 });
    const sql = createSql(db.url);
    const big = "x".repeat(300_000);
    try {
      const jobs = Array.from({ length: 150 }, (_, i) =>
        i % 3 === 0
          ? pool
              .query("SELECT $1::int + $2::int AS v, left($3::text, 4) AS tag, length($3::text) AS n", [
                i,
                1,
                `t${String(i).padStart(3, "0")}${big}`,
              ])
              .then((r) =>
                expect(r.rows[0]).toEqual({ v: i + 1, tag: `t${String(i).padStart(3, "0")}`, n: 300_004 }),
              )
          : i % 3 === 1
            ? pool.query("SELECT $1::int * 2 AS w", [i]).then((r) => expect(r.rows[0]).toEqual({ w: i * 2 }))
            : sql`SELECT ${i}::int * 3 AS v`.then((r) => expect(r[0]).toEqual({ v: i * 3 })),
      );
      await Promise.all(jobs);
    } finally {
      await pool.end();
      await sql.end();
    }
  }, 60_000);

  it("keeps serving after a failed query", async () => {
    const pool = new pg.Pool({ connectionString: db.url, max: 4 });
    try {
      await expect(pool.query("SELECT $1::int / 0", [1])).rejects.toThrow(/division by zero/);
      const r = await Promise.all([pool.query("SELECT 1 AS one"), pool.query("SELECT $1::text AS t", ["x"])]);
      expect(r.map((x) => x.rows[0])).toEqual([{ one: 1 }, { t: "x" }]);
    } finally {
      await pool.end();
    }
  }, 60_000);
});
