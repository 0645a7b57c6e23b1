// `npm run demo`: Cohort on embedded defaults, no external services needed.
//
// Today this brings up the portal API (embedded PostgreSQL, a private redis-server or BullMQ's
// PostgreSQL backend, the job worker in-process), seeds the demo cluster, signs in as one of its
// operators with Sign-In with Ethereum, and runs the README's example query. Later stages add the
// beacon-node simulator, the agents, the chain and the dashboard.
//
//   npm run demo                 run until Ctrl-C
//   npm run demo -- --smoke      exit 0 once the example query returned the demo cluster
//   npm run demo -- --port 4000  (default 4000, 0 = any free port; COHORT_DATA_DIR picks the data directory)
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { parseArgs } from "node:util";
import { graphqlRequest, signInWithEthereum } from "@cohort/api/client";
import { DEMO_CLUSTER_NAME, demoOperators } from "@cohort/domain/demo";

const { values: args } = parseArgs({
  options: { smoke: { type: "boolean", default: false }, port: { type: "string" } },
});

export const EXAMPLE_QUERY = `{
  clusters {
    id name threshold lockHash
    operators { address }
    validators { pubkey }
  }
}`;

const portFree = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = createServer()
      .once("error", () => resolve(false))
      .listen(port, "127.0.0.1", () => s.close(() => resolve(true)));
  });
const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

const wanted = Number(args.port ?? 4000);
const port = wanted !== 0 && (await portFree(wanted)) ? wanted : await freePort();
if (wanted !== 0 && port !== wanted) console.log(`[demo] port ${wanted} is busy; using ${port}`);
const base = `http://127.0.0.1:${port}`;

console.log(
  "[demo] starting the Cohort API on embedded defaults (first start creates the database: ~10-20 s)…",
);
const api = spawn(process.execPath, ["--import", "tsx", "apps/api/src/main.ts"], {
  env: {
    ...process.env,
    PORT: String(port),
    SEED_DEMO: "1",
    SIWE_DOMAINS: `127.0.0.1:${port},localhost:${port}`,
    LOG_LEVEL: process.env.LOG_LEVEL ?? "info",
  },
  stdio: ["ignore", "pipe", "inherit"],
});
// Show the API's own startup lines (which backends it chose) in a readable form.
api.stdout.on("data", (chunk: Buffer) => {
  for (const line of chunk.toString().split("\n").filter(Boolean)) {
    try {
      const entry = JSON.parse(line) as { msg: string; level: number; [k: string]: unknown };
      const { msg, level, time: _t, name: _n, pid: _p, hostname: _h, ...rest } = entry;
      const extra = Object.keys(rest).length ? ` ${JSON.stringify(rest)}` : "";
      if (level >= 30) console.log(`[api] ${msg}${extra}`);
    } catch {
      console.log(`[api] ${line}`);
    }
  }
});

let stopping = false;
const stop = (code: number) => {
  if (stopping) return;
  stopping = true;
  api.kill("SIGTERM");
  const force = setTimeout(() => api.kill("SIGKILL"), 10_000);
  api.once("exit", () => {
    clearTimeout(force);
    process.exit(code);
  });
};
process.on("SIGINT", () => stop(0));
process.on("SIGTERM", () => stop(0));
api.once("exit", (code) => {
  if (!stopping) {
    console.error(`[demo] the API exited (${code}); see its log above`);
    process.exit(1);
  }
});

const deadline = Date.now() + 120_000;
for (;;) {
  const ready = await fetch(`${base}/readyz`).then(
    (r) => r.ok,
    () => false,
  );
  if (ready) break;
  if (Date.now() > deadline) {
    console.error("[demo] the API did not become ready within 120 s");
    stop(1);
  }
  await new Promise((r) => setTimeout(r, 250));
}

// INSECURE demo key: public, derived from a fixed string (packages/domain/src/demo/seed.ts).
const operator = demoOperators[0]!;
const token = await signInWithEthereum(base, operator, `127.0.0.1:${port}`);
const result = await graphqlRequest<{ clusters: { name: string }[] }>(base, EXAMPLE_QUERY, {}, token);
const found = result.data?.clusters.some((c) => c.name === DEMO_CLUSTER_NAME);

console.log(`
Cohort API ready: ${base}/graphql  (health ${base}/healthz, readiness ${base}/readyz, metrics ${base}/metrics)

Signed in with Ethereum as demo operator ${operator.address}
(an INSECURE, public demo key: never fund it). Session token:

  ${token}

Example query:
  curl -s ${base}/graphql -H 'content-type: application/json' \\
    -H 'authorization: Bearer ${token}' \\
    -d '{"query":"{ clusters { id name threshold lockHash operators { address } validators { pubkey } } }"}'

Result:
${JSON.stringify(result.data ?? result.errors, null, 2)}
`);

if (!found) {
  console.error("[demo] the example query did not return the demo cluster");
  stop(1);
} else if (args.smoke) {
  console.log("[demo] smoke check passed");
  stop(0);
} else {
  console.log("[demo] running; Ctrl-C stops everything.");
}
