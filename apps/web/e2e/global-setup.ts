import { spawn } from "node:child_process";
import { existsSync, mkdirSync, openSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { ARTIFACTS, READY_FILE, STATE_FILE } from "./stack";

const ROOT = path.resolve(import.meta.dirname, "../../..");
const READY_TIMEOUT_MS = 5 * 60_000;

/**
 * Starts the whole demo stack (`npm run demo -- --port 0 --web-port 0 --ready-file …`) in its own
 * process group and waits for its ready file. With COHORT_E2E_READY_FILE set, uses a stack that is
 * already running instead.
 */
export default async function globalSetup() {
  mkdirSync(ARTIFACTS, { recursive: true });
  if (process.env.COHORT_E2E_READY_FILE) {
    if (!existsSync(READY_FILE)) throw new Error(`COHORT_E2E_READY_FILE=${READY_FILE} does not exist`);
    return;
  }
  rmSync(READY_FILE, { force: true });
  const logFile = path.join(ARTIFACTS, "demo.log");
  const out = openSync(logFile, "w");
  const child = spawn(
    "npm",
    ["run", "demo", "--", "--port", "0", "--web-port", "0", "--ready-file", READY_FILE],
    {
      cwd: ROOT,
      env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1", TURBO_TELEMETRY_DISABLED: "1" },
      stdio: ["ignore", out, out],
      detached: true, // its own process group: the teardown signals all of it
    },
  );
  if (!child.pid) throw new Error("could not start npm run demo");
  writeFileSync(STATE_FILE, JSON.stringify({ pid: child.pid }));
  let exited: number | string | null = null;
  child.once("exit", (code, signal) => {
    exited = code ?? signal ?? "?";
  });
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (!existsSync(READY_FILE)) {
    if (exited !== null)
      throw new Error(`npm run demo exited (${exited}) before it was ready; see ${logFile}`);
    if (Date.now() > deadline) throw new Error(`the demo was not ready within 5 minutes; see ${logFile}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
  child.unref();
}
