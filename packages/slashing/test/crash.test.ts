import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, expect, it } from "vitest";
import { SlashingProtectionDb, type Strategy } from "../src/index.ts";

const ROOT = resolve(import.meta.dirname, "../../..");
const CHILD = join(import.meta.dirname, "fixtures/crash-child.ts");
const GVR = `0x${"00".repeat(32)}`;
const RUNS = 6;

type Released =
  | { k: "b"; pk: string; slot: number; root: string }
  | { k: "a"; pk: string; source: number; target: number; root: string };

const tmp = mkdtempSync(join(tmpdir(), "slashing-crash-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Runs the child until it has released something, then SIGKILLs it after a random delay. */
function runAndKill(
  dir: string,
  strategy: Strategy,
  base: number,
  seed: number,
): Promise<{ lines: Released[]; signal: NodeJS.Signals | null }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", CHILD, dir, strategy, String(base), String(seed)],
      {
        cwd: ROOT,
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let out = "";
    let err = "";
    let armed = false;
    const deadline = setTimeout(() => child.kill("SIGKILL"), 8_000);
    child.stderr.on("data", (d: Buffer) => {
      err += d.toString();
    });
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      if (!armed && out.split("\n").length > 3) {
        armed = true;
        setTimeout(() => child.kill("SIGKILL"), 20 + Math.floor(Math.random() * 400));
      }
    });
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      clearTimeout(deadline);
      if (signal !== "SIGKILL") {
        reject(new Error(`child exited unexpectedly (code ${code}, signal ${signal}): ${err}`));
        return;
      }
      // Only complete lines were released; a torn last line is simply not counted.
      const complete = out.slice(0, out.lastIndexOf("\n") + 1);
      const lines = complete
        .split("\n")
        .filter((l) => l.startsWith("{"))
        .map((l) => JSON.parse(l) as Released);
      resolvePromise({ lines, signal });
    });
  });
}

function slashable(x: Released, y: Released): boolean {
  if (x.pk !== y.pk) return false;
  if (x.k === "b" && y.k === "b") return x.slot === y.slot && x.root !== y.root;
  if (x.k === "a" && y.k === "a") {
    if (x.target === y.target) return x.source !== y.source || x.root !== y.root;
    const surrounds = (p: typeof x, q: typeof x) => p.source < q.source && p.target > q.target;
    return surrounds(x, y) || surrounds(y, x);
  }
  return false;
}

it("never releases two slashable messages across repeated SIGKILLs", async () => {
  const dir = join(tmp, "db");
  const released: Released[] = [];
  let base = 0;
  for (let run = 0; run < RUNS; run++) {
    const strategy: Strategy = run % 2 === 0 ? "complete" : "minimal";
    const { lines } = await runAndKill(dir, strategy, base, 1 + run * 7919 + Math.floor(Math.random() * 1e6));
    released.push(...lines);
    // Restart near where we left off so new attempts collide with earlier released messages.
    for (const l of lines) base = Math.max(base, (l.k === "b" ? l.slot : l.target) - 4);

    // The database must open cleanly after the kill and contain every released message.
    const db = await SlashingProtectionDb.open({ path: dir, genesisValidatorsRoot: GVR, strategy });
    const exported = await db.exportInterchange();
    await db.close();
    const have = new Set<string>();
    for (const v of exported.data) {
      for (const b of v.signed_blocks) have.add(`b/${v.pubkey}/${b.slot}/${b.signing_root}`);
      for (const a of v.signed_attestations) {
        have.add(`a/${v.pubkey}/${a.source_epoch}/${a.target_epoch}/${a.signing_root}`);
      }
    }
    for (const l of released) {
      const key =
        l.k === "b" ? `b/${l.pk}/${l.slot}/${l.root}` : `a/${l.pk}/${l.source}/${l.target}/${l.root}`;
      expect(have.has(key), `released but not persisted: ${key}`).toBe(true);
    }
  }

  expect(released.length).toBeGreaterThan(RUNS * 2);
  const violations: string[] = [];
  for (let i = 0; i < released.length; i++) {
    for (let j = i + 1; j < released.length; j++) {
      const x = released[i]!;
      const y = released[j]!;
      if (slashable(x, y)) violations.push(`${JSON.stringify(x)} vs ${JSON.stringify(y)}`);
    }
  }
  expect(violations).toEqual([]);
  console.log(`crash test: ${RUNS} SIGKILLs, ${released.length} released signatures, no slashable pair`);
}, 60_000);
