// Runs after `npm install` at the root: generates the Prisma client (offline-safe, see prisma.config.ts).
import { spawnSync } from "node:child_process";

const r = spawnSync("npx", ["--no-install", "prisma", "generate"], { stdio: "inherit" });
if (r.status !== 0) {
  console.error("cohort postinstall: `prisma generate` failed (see above)");
  process.exit(r.status ?? 1);
}
