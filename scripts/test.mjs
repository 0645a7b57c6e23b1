#!/usr/bin/env node
// The project's test command: `npm test` (= `node scripts/test.mjs`).
//
// Runs, in order, stopping at the first failure:
//   lint        npx biome check .
//   typecheck   npx tsc -p tsconfig.json --noEmit
//   typecheck-web  npx tsc -p apps/web/tsconfig.json --noEmit    (the dashboard: JSX, its own tsconfig)
//   migrations  npx tsx packages/db/src/migrate/cli.ts check     (migration drift)
//   schema      npx tsx apps/api/src/schema/print.ts --check     (committed SDL is up to date)
//   forge       sh contracts/scripts/forge-test.sh               (splitter contract: unit, fuzz, invariant)
//   vitest      npx vitest run [extra args]
//   e2e         npx playwright test -c apps/web/playwright.config.ts   (browser tests against `npm run demo`;
//               Debian's Chromium, installed with apt-get when missing and we are root)
//
// PostgreSQL and Redis are provisioned by packages/runtime/src/services.mjs just before the first step that
// needs them (an existing server is reused when possible, otherwise a private one is started and
// stopped again at the end). Those steps get TEST_DATABASE_URL (an admin URL that may CREATE
// DATABASE) and TEST_REDIS_URL.
//
// Usage:
//   npm test                              everything
//   npm test -- --project unit            extra arguments go to `vitest run`
//   COHORT_TEST_SKIP=lint,typecheck npm test    skip named steps (for local iteration)
//   COHORT_TEST_NO_REUSE=1 npm test       always start private PostgreSQL/Redis servers

import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ensureChromium, ensurePostgres, ensureRedis } from "../packages/runtime/src/services.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const say = (msg) => console.log(`[test] ${msg}`);

// `npm test -- --project unit` hands us `--project unit`; `node scripts/test.mjs -- ...` keeps the `--`.
const vitestArgs = process.argv.slice(2);
if (vitestArgs[0] === "--") vitestArgs.shift();

// Vitest's JSON report, for the closing "N passed, N failed" line.
const vitestJson = path.join(os.tmpdir(), `cohort-vitest-${process.pid}.json`);
const forgeCounts = path.join(os.tmpdir(), `cohort-forge-${process.pid}.txt`);
const playwrightJson = path.join(os.tmpdir(), `cohort-playwright-${process.pid}.json`);
// Extra vitest arguments mean a focused run: the browser tests only run in a whole one.
const focused = vitestArgs.length > 0;

const steps = [
  { name: "lint", cmd: ["npx", "biome", "check", "."] },
  { name: "typecheck", cmd: ["npx", "tsc", "-p", "tsconfig.json", "--noEmit"] },
  { name: "typecheck-web", cmd: ["npx", "tsc", "-p", "apps/web/tsconfig.json", "--noEmit"] },
  { name: "migrations", cmd: ["npx", "tsx", "packages/db/src/migrate/cli.ts", "check"], services: true },
  { name: "schema", cmd: ["npx", "tsx", "apps/api/src/schema/print.ts", "--check"] },
  // The splitter contract's forge suite (unit, fuzz, invariant); its counts join the closing line.
  {
    name: "forge",
    cmd: ["sh", "contracts/scripts/forge-test.sh"],
    env: { COHORT_FORGE_COUNTS: forgeCounts },
  },
  {
    name: "vitest",
    cmd: [
      "npx",
      "vitest",
      "run",
      "--reporter=default",
      "--reporter=json",
      `--outputFile.json=${vitestJson}`,
      // The `sim` project (multi-process scenario runs, minutes) is `npm run test:sim`, not part of this.
      ...(vitestArgs.some((a) => a.startsWith("--project"))
        ? []
        : ["--project", "unit", "--project", "integration"]),
      ...vitestArgs,
    ],
    services: true,
  },
  // Browser tests (Playwright + Debian's Chromium) against the whole demo stack; they start and stop
  // `npm run demo` themselves (embedded database, anvil, simulator, agents, API, dashboard).
  ...(focused
    ? []
    : [
        {
          name: "e2e",
          cmd: ["npx", "playwright", "test", "-c", "apps/web/playwright.config.ts", "--reporter=list,json"],
          env: { PLAYWRIGHT_JSON_OUTPUT_NAME: playwrightJson },
          chromium: true,
        },
      ]),
];

const skip = new Set(
  (process.env.COHORT_TEST_SKIP ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean),
);
const unknown = [...skip].filter((name) => !steps.some((s) => s.name === name));
if (unknown.length > 0) {
  console.error(
    `[test] COHORT_TEST_SKIP: unknown step(s) ${unknown.join(", ")}; valid: ${steps.map((s) => s.name).join(", ")}`,
  );
  process.exit(2);
}

// ---------------------------------------------------------------------------------------------
// Signals. Each step runs in its own process group and we signal that whole group: `npx` does not
// reliably pass signals on to the tool it started (on SIGTERM it exits and leaves vitest running).
// Being in their own group, steps do not see a terminal's Ctrl-C directly, so we forward every
// signal once. Private servers stay in our group (a Ctrl-C or a CI runner killing the group reaches
// them too; see packages/runtime/src/services.mjs) and are stopped in the `finally` below.
// A second signal, a moment after the first, kills the step outright.
// ---------------------------------------------------------------------------------------------

const isWindows = process.platform === "win32";
let interrupted = null; // { signal, at }
let current = null; // the running step's child process (leader of its process group)
const SIGNAL_EXIT = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };

/** Signal the running step and everything it started. */
function signalStep(signal) {
  if (!current) return;
  try {
    if (isWindows) current.kill(signal);
    else process.kill(-current.pid, signal);
  } catch {
    // already gone
  }
}

for (const signal of Object.keys(SIGNAL_EXIT)) {
  process.on(signal, () => {
    if (!interrupted) {
      interrupted = { signal, at: Date.now() };
      console.error(`\n[test] ${signal} received, stopping...`);
      signalStep(signal);
      return;
    }
    // Under `npm test`, npm also forwards the terminal's SIGINT, so one Ctrl-C can arrive twice.
    if (Date.now() - interrupted.at > 1000) {
      console.error(`[test] ${signal} again, killing the running step`);
      signalStep("SIGKILL");
    }
  });
}

/** After an interruption: wait (up to 10 s) for the step's whole process group to be gone. */
async function reapStepGroup(pgid) {
  if (isWindows) return;
  const groupAlive = () => {
    try {
      process.kill(-pgid, 0);
      return true;
    } catch {
      return false;
    }
  };
  for (let i = 0; i < 100 && groupAlive(); i++) await new Promise((r) => setTimeout(r, 100));
  if (groupAlive()) {
    console.error("[test] the interrupted step left processes behind; killing them");
    try {
      process.kill(-pgid, "SIGKILL");
    } catch {}
  }
}

/** Run a command with inherited stdio; resolves to its exit code (signals map to 128+n). */
function run(cmd, env) {
  return new Promise((resolve) => {
    const child = spawn(cmd[0], cmd.slice(1), {
      cwd: root,
      env,
      stdio: "inherit",
      detached: !isWindows, // own process group, see above
      shell: isWindows, // npx is npx.cmd there
    });
    current = child;
    child.on("error", (err) => {
      console.error(`[test] could not start ${cmd[0]}: ${err.message}`);
      current = null;
      resolve(127);
    });
    child.on("close", async (code, signal) => {
      current = null;
      if (interrupted) await reapStepGroup(child.pid);
      resolve(code ?? SIGNAL_EXIT[signal] ?? 1);
    });
  });
}

const seconds = (ms) => `${(ms / 1000).toFixed(1)}s`;

// ---------------------------------------------------------------------------------------------

const started = Date.now();
const results = []; // { name, status, ms }
const services = []; // { stop }
let env = process.env; // gains TEST_DATABASE_URL / TEST_REDIS_URL once services are up
let servicesReady = false;
let exitCode = 0;

try {
  for (const step of steps) {
    if (skip.has(step.name)) {
      results.push({ name: step.name, status: "skipped" });
      continue;
    }
    if (exitCode !== 0 || interrupted) {
      results.push({ name: step.name, status: "not run" });
      continue;
    }

    if (step.services && !servicesReady) {
      const t0 = Date.now();
      try {
        const log = (msg) => console.log(`[services] ${msg}`);
        const pg = await ensurePostgres({ log });
        services.push(pg);
        const redis = await ensureRedis({ log });
        services.push(redis);
        say(`PostgreSQL: ${pg.description}`);
        say(`Redis:      ${redis.description}`);
        env = { ...process.env, TEST_DATABASE_URL: pg.url, TEST_REDIS_URL: redis.url };
        servicesReady = true;
        results.push({ name: "services", status: "ok", ms: Date.now() - t0 });
      } catch (err) {
        console.error(`\n[test] could not provision test services:\n${err.message}\n`);
        results.push({ name: "services", status: "FAILED", ms: Date.now() - t0 });
        exitCode = 1;
      }
      if (exitCode !== 0 || interrupted) {
        results.push({ name: step.name, status: "not run" });
        continue;
      }
    }

    let stepEnv = step.env ? { ...env, ...step.env } : env;
    if (step.chromium) {
      try {
        const chromium = await ensureChromium({ log: (msg) => console.log(`[services] ${msg}`) });
        stepEnv = { ...stepEnv, COHORT_E2E_CHROMIUM: chromium };
      } catch (err) {
        console.error(`\n[test] ${err.message}\n`);
        results.push({ name: step.name, status: "FAILED (no Chromium)" });
        exitCode = 1;
        continue;
      }
    }
    say(`${step.name}: ${step.cmd.join(" ")}`);
    const t0 = Date.now();
    const code = await run(step.cmd, stepEnv);
    const ms = Date.now() - t0;
    if (code === 0 && !interrupted) {
      results.push({ name: step.name, status: "ok", ms });
    } else {
      results.push({ name: step.name, status: interrupted ? "interrupted" : `FAILED (exit ${code})`, ms });
      exitCode = code || 1;
      say(`${step.name} ${interrupted ? "interrupted" : `failed with exit code ${code}`}`);
    }
  }
} finally {
  // Reverse order; stop() is a no-op for servers we merely reused.
  for (const service of services.reverse()) {
    try {
      await service.stop();
    } catch (err) {
      console.error(`[test] stopping a service failed: ${err.message}`);
    }
  }
}

if (interrupted) exitCode = SIGNAL_EXIT[interrupted.signal];
const summary = results
  .map((r) => (r.ms === undefined ? `${r.name} ${r.status}` : `${r.name} ${r.status} ${seconds(r.ms)}`))
  .join(" | ");
console.log(
  `\n[test] ${exitCode === 0 ? "PASSED" : "FAILED"}: ${summary} | total ${seconds(Date.now() - started)}`,
);
// The closing line CI reads: test counts of the vitest run (absent when vitest did not run).
try {
  const report = JSON.parse(fs.readFileSync(vitestJson, "utf8"));
  fs.rmSync(vitestJson, { force: true });
  let skipped = report.numPendingTests + report.numTodoTests;
  let passed = report.numPassedTests;
  let failed = report.numFailedTests;
  // Add the forge suite's counts when it ran.
  try {
    const m = /(\d+) tests passed, (\d+) failed, (\d+) skipped/.exec(fs.readFileSync(forgeCounts, "utf8"));
    if (m) {
      passed += Number(m[1]);
      failed += Number(m[2]);
      skipped += Number(m[3]);
    }
    fs.rmSync(forgeCounts, { force: true });
  } catch {}
  // And the browser tests' (Playwright JSON report: expected = passed, unexpected = failed).
  try {
    const pw = JSON.parse(fs.readFileSync(playwrightJson, "utf8"));
    passed += pw.stats.expected + pw.stats.flaky;
    failed += pw.stats.unexpected;
    skipped += pw.stats.skipped;
    fs.rmSync(playwrightJson, { force: true });
  } catch {}
  console.log(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
} catch {}
process.exit(exitCode);
