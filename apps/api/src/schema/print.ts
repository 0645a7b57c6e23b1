// Writes apps/api/schema.graphql, or with --check fails when the checked-in SDL is stale.
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { printSdl } from "./index";

const path = fileURLToPath(new URL("../../schema.graphql", import.meta.url));
const sdl = printSdl();
if (process.argv.includes("--check")) {
  let current = "";
  try {
    current = readFileSync(path, "utf8");
  } catch {}
  if (current !== sdl) {
    console.error("apps/api/schema.graphql is stale: run `npm run schema:print` and commit the result");
    process.exit(1);
  }
  console.log("apps/api/schema.graphql is up to date");
} else {
  writeFileSync(path, sdl);
  console.log(`wrote ${path}`);
}
