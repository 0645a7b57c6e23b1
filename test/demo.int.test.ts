import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";

/**
 * The README's first command must keep working: `npm run demo` on embedded defaults (no
 * DATABASE_URL, no REDIS_URL) brings up the API, seeds the demo cluster and answers the example
 * query. `--smoke` makes it exit once that worked.
 */
describe("npm run demo", () => {
  it("starts on embedded defaults and answers the example query with the demo cluster", async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), "cohort-demo-"));
    const env: NodeJS.ProcessEnv = { ...process.env, COHORT_DATA_DIR: dataDir };
    for (const key of ["DATABASE_URL", "REDIS_URL", "TEST_DATABASE_URL", "TEST_REDIS_URL"]) delete env[key];
    try {
      const child = spawn(
        process.execPath,
        ["--import", "tsx", "scripts/demo.ts", "--smoke", "--port", "0"],
        {
          cwd: path.resolve(import.meta.dirname, ".."),
          env,
          stdio: ["ignore", "pipe", "pipe"],
        },
      );
      let output = "";
      child.stdout.on("data", (d) => (output += d));
      child.stderr.on("data", (d) => (output += d));
      const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
      expect(output).toContain("smoke check passed");
      expect(output).toMatch(/"name": "Cohort demo"/);
      expect(output).toMatch(/embedded PostgreSQL \(PGlite/);
      expect(code).toBe(0);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 180_000);
});
