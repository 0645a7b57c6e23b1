import { existsSync, readFileSync, rmSync } from "node:fs";
import { STATE_FILE } from "./stack";

const alive = (pid: number) => {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Stops the demo started by global-setup: SIGINT to its process group, then waits (SIGKILL after 60 s). */
export default async function globalTeardown() {
  if (!existsSync(STATE_FILE)) return;
  const { pid } = JSON.parse(readFileSync(STATE_FILE, "utf8")) as { pid: number };
  rmSync(STATE_FILE, { force: true });
  if (!alive(pid)) return;
  process.kill(-pid, "SIGINT");
  const deadline = Date.now() + 60_000;
  while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
  if (alive(pid)) {
    console.error("[e2e] the demo did not stop within 60 s of SIGINT; killing it");
    process.kill(-pid, "SIGKILL");
  }
}
