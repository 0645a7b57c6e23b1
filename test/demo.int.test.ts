import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";

/**
 * The README's first command must keep working: `npm run demo` on embedded defaults (no
 * DATABASE_URL, no REDIS_URL) brings up the chain with the splitter, the API, a real 3-of-4 cluster
 * registered in the portal, the beacon-node simulator and four agents; `--smoke` makes it exit 0
 * once every member's duties reached the portal, and stop everything.
 */
describe("npm run demo", () => {
  it("brings the whole product up on embedded defaults until duties reach the portal", async () => {
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
      expect(output).toMatch(/embedded PostgreSQL \(PGlite/);
      expect(output).toMatch(/splitter 0x[0-9a-f]{40}: 4 operators, threshold 3/);
      expect(output).toContain("4 operators accepted their seats");
      expect(output).toMatch(/duties from every member reached the portal/);
      expect(output).toContain("stopped.");
      expect(code).toBe(0);
      // Nothing it started is left behind (agents and the simulator name files under the data dir).
      const left = execFileSync("ps", ["-eo", "pid,args"], { encoding: "utf8" })
        .split("\n")
        .filter((l) => l.includes(dataDir));
      expect(left).toEqual([]);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 240_000);
});
