#!/usr/bin/env node
// Thin native-solc wrapper over solcjs standard-JSON, for forge (`solc = "bin/solc"` in
// foundry.toml). The stock `solcjs --standard-json` prints a stray line and truncates piped
// output at 64 KiB; this writes the whole JSON and exits only after stdout has drained.
"use strict";
const fs = require("node:fs");
const path = require("node:path");

const args = process.argv.slice(2);
const solc = require("solc");

if (args.includes("--version") || args.includes("-v")) {
  process.stdout.write(`solc, the solidity compiler commandline interface\nVersion: ${solc.version()}\n`);
  process.exit(0);
}
if (!args.includes("--standard-json")) {
  process.stderr.write("bin/solc: only --version and --standard-json are supported\n");
  process.exit(2);
}

// Import roots: --base-path, every --include-path, the cwd, then node_modules up the tree.
const roots = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--base-path" || args[i] === "--include-path") roots.push(args[++i]);
}
roots.push(process.cwd());
for (let dir = process.cwd(); ; dir = path.dirname(dir)) {
  roots.push(path.join(dir, "node_modules"));
  if (path.dirname(dir) === dir) break;
}

function findImports(p) {
  const candidates = path.isAbsolute(p) ? [p] : roots.map((r) => path.resolve(r, p));
  for (const c of candidates) {
    try {
      return { contents: fs.readFileSync(c, "utf8") };
    } catch {}
  }
  return { error: `File not found: ${p}` };
}

const chunks = [];
process.stdin.on("data", (c) => chunks.push(c));
process.stdin.on("end", () => {
  const input = Buffer.concat(chunks).toString("utf8");
  const output = solc.compile(input, { import: findImports });
  process.stdout.write(output, () => process.exit(0));
});
