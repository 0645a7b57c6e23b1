// Before anything starts: is the install complete? Says what is missing (and regenerates the Prisma
// client, which `npm install` makes but a `git clean -xdf` of generated files removes).
import { spawnSync } from "node:child_process";
import { accessSync, constants, existsSync } from "node:fs";
import path from "node:path";
import { anvilBinary } from "@cohort/chain/testing";

const ROOT = path.resolve(import.meta.dirname, "../..");

export async function checkInstall(log: (line: string) => void): Promise<void> {
  const [major, minor] = process.versions.node.split(".").map(Number) as [number, number];
  if (major < 20 || (major === 20 && minor < 18))
    throw new Error(`Node ${process.versions.node}: Cohort needs Node ≥ 20.18`);
  if (!existsSync(path.join(ROOT, "node_modules", ".bin", "tsx")))
    throw new Error("dependencies are not installed: run `npm install` first");

  if (!existsSync(path.join(ROOT, "packages/db/src/generated/prisma"))) {
    log("generating the Prisma client (npx prisma generate)…");
    const r = spawnSync("npx", ["--no-install", "prisma", "generate"], { cwd: ROOT, stdio: "inherit" });
    if (r.status !== 0) throw new Error("`prisma generate` failed (see above)");
  }

  const anvil = anvilBinary();
  try {
    accessSync(anvil, constants.X_OK);
  } catch {
    throw new Error(
      `the anvil binary is missing (${anvil}): reinstall with \`npm install\` (@foundry-rs/anvil)`,
    );
  }
  const version = spawnSync(anvil, ["--version"], { encoding: "utf8" }).stdout?.split("\n")[0]?.trim();
  const redis = spawnSync("redis-server", ["--version"], { encoding: "utf8" });
  log(
    `install ok: node ${process.versions.node}, ${version || "anvil"}, queue on ${
      redis.status === 0 ? "a private redis-server" : "BullMQ's PostgreSQL backend (no redis-server on PATH)"
    }`,
  );
}
