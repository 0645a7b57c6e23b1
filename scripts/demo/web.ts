// The dashboard (apps/web, Next.js): built once (skipped when .next is newer than every source file
// and was built with the same public env), then served with `next start`.
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import type { Proc, Supervisor } from "./procs";
import { sleep } from "./procs";

export const WEB_DIR = path.resolve(import.meta.dirname, "../../apps/web");
const STAMP = "cohort-demo-build.json";
const SKIP_DIRS = new Set([
  "node_modules",
  ".next",
  ".turbo",
  "test-results",
  "playwright-report",
  "coverage",
]);

/** Why the dashboard cannot run yet, or null when apps/web has an app and a build script. */
export function dashboardMissing(): string | null {
  const pkgFile = path.join(WEB_DIR, "package.json");
  if (!existsSync(pkgFile)) return "apps/web does not exist";
  const pkg = JSON.parse(readFileSync(pkgFile, "utf8")) as { scripts?: Record<string, string> };
  if (!pkg.scripts?.build) return "apps/web/package.json has no build script";
  if (!existsSync(path.join(WEB_DIR, "app"))) return "apps/web/app does not exist";
  return null;
}

function nextBin(): string {
  const require = createRequire(path.join(WEB_DIR, "package.json"));
  return path.join(path.dirname(require.resolve("next/package.json")), "dist", "bin", "next");
}

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (SKIP_DIRS.has(entry.name)) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(full));
    else if (entry.isFile()) newest = Math.max(newest, statSync(full).mtimeMs);
  }
  return newest;
}

/** Env inlined into the client bundle at build time: a change needs a rebuild. */
const buildEnv = { NEXT_PUBLIC_COHORT_DEV_SIGNER: "1", NEXT_TELEMETRY_DISABLED: "1" };

function upToDate(): boolean {
  const buildId = path.join(WEB_DIR, ".next", "BUILD_ID");
  const stamp = path.join(WEB_DIR, ".next", STAMP);
  if (!existsSync(buildId) || !existsSync(stamp)) return false;
  try {
    if (JSON.stringify(JSON.parse(readFileSync(stamp, "utf8"))) !== JSON.stringify(buildEnv)) return false;
  } catch {
    return false;
  }
  return statSync(buildId).mtimeMs > newestSource(WEB_DIR);
}

export async function buildDashboard(sup: Supervisor, logFile: string, log: (line: string) => void) {
  if (upToDate()) {
    log("dashboard: .next is up to date; skipping next build");
    return;
  }
  log("dashboard: next build (~15-60 s; output in the log, progress below)…");
  const t0 = Date.now();
  const proc = sup.spawn("next build", process.execPath, [nextBin(), "build"], {
    cwd: WEB_DIR,
    env: { ...process.env, ...buildEnv, NODE_ENV: "production" },
    logFile,
    onLine: (line) => {
      // Next's own progress lines ("Creating an optimized production build", "Compiled", "Generating static pages").
      const l = line.trim();
      if (/^(▲|✓|Creating|Compil|Generating|Collecting|Finaliz|Linting|Running)/.test(l))
        log(`dashboard build: ${l}`);
    },
  });
  proc.expectedExit = true; // it ends on its own; a failure is reported below
  const ticker = setInterval(
    () => log(`dashboard build: still building (${Math.round((Date.now() - t0) / 1000)} s)…`),
    15_000,
  );
  const { code, signal } = await proc.exited.finally(() => clearInterval(ticker));
  if (code !== 0) throw new Error(`next build failed (${code ?? signal}); see ${logFile}`);
  writeFileSync(path.join(WEB_DIR, ".next", STAMP), JSON.stringify(buildEnv));
  log(`dashboard: built in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

export async function startDashboard(
  sup: Supervisor,
  o: { port: number; apiUrl: string; identities: unknown; logFile: string },
): Promise<{ url: string; proc: Proc }> {
  const proc = sup.spawn(
    "dashboard",
    process.execPath,
    [nextBin(), "start", "-p", String(o.port), "-H", "127.0.0.1"],
    {
      cwd: WEB_DIR,
      env: {
        ...process.env,
        ...buildEnv,
        NODE_ENV: "production",
        COHORT_API_URL: o.apiUrl,
        COHORT_DEV_IDENTITIES: JSON.stringify(o.identities),
      },
      logFile: o.logFile,
      stopTimeoutMs: 5000,
    },
  );
  const url = `http://127.0.0.1:${o.port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    const up = await fetch(url, { signal: AbortSignal.timeout(5000), redirect: "manual" }).then(
      (r) => r.status < 500,
      () => false,
    );
    if (up) return { url, proc };
    if (Date.now() > deadline)
      throw new Error(`the dashboard did not answer on ${url} within 60 s (see ${o.logFile})`);
    await sleep(250);
  }
}
