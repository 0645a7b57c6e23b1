import { connect, type Socket } from "node:net";
import { PrismaPg } from "@prisma/adapter-pg";
import postgres from "postgres";
import { PrismaClient } from "./generated/prisma/client.ts";

export type { Prisma as PrismaTypes } from "./generated/prisma/client.ts";
export * from "./generated/prisma/client.ts";

export type Db = InstanceType<typeof PrismaClient>;

/**
 * The Prisma client for domain CRUD, over the `pg` driver adapter (no engine binary).
 * `packages/db` is the only place that constructs it.
 */
export function createDb(databaseUrl: string, { maxConnections = 10 } = {}): Db {
  return new PrismaClient({ adapter: new PrismaPg({ connectionString: databaseUrl, max: maxConnections }) });
}

/** postgres.js, for bulk paths (COPY, large batched writes) beside Prisma. */
export function createSql(databaseUrl: string, options: postgres.Options<Record<string, never>> = {}) {
  // `socket` is a documented postgres.js option missing from its type definitions.
  return postgres(databaseUrl, {
    max: 4,
    onnotice: () => {},
    socket: noDelaySocket,
    ...options,
  } as postgres.Options<Record<string, never>>);
}

/**
 * postgres.js opens plain `net.Socket`s, which keep Nagle's algorithm on: a COPY (several CopyData
 * writes, then a small CopyDone) then waits for the server's delayed ACK — about 40 ms per COPY on
 * Linux. Connecting ourselves with TCP_NODELAY removes that stall (single host or Unix socket, no
 * TLS — what the portal uses; pass `socket: undefined` to get postgres.js' own connection logic).
 */
function noDelaySocket(o: { host: string[]; port: number[]; path?: string | false }): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = o.path ? connect(o.path) : connect({ host: o.host[0], port: o.port[0] ?? 5432, noDelay: true });
    s.once("error", reject);
    s.once("connect", () => {
      s.off("error", reject);
      s.setNoDelay(true);
      resolve(s);
    });
  });
}
export type Sql = ReturnType<typeof createSql>;
/** A postgres.js transaction (`sql.begin(async (tx) => …)`). */
export type SqlTx = postgres.TransactionSql<{ [x: string]: unknown }>;

/**
 * postgres.js 3.4.9 can throw `TypeError: Cannot read properties of null (reading 'write')` from a
 * `setImmediate` after the server closed a connection (a database restart, pg_terminate_backend):
 * porsager/postgres#1154 and #1208, fix proposed in #1168/#1209, not released. The query involved
 * has already been rejected with CONNECTION_CLOSED (so its transaction is rolled back and retried
 * by the job system); only the stray write escapes as an uncaught exception and would take the
 * process down. This handler swallows exactly that error (stack inside postgres' connection.js
 * `nextWrite`) and logs it; anything else is re-thrown as before. Remove when postgres.js ships the fix.
 */
export function guardPostgresJsNullSocket(log: (message: string) => void = () => {}): void {
  process.on("uncaughtException", (error) => {
    const stack = error instanceof Error ? (error.stack ?? "") : "";
    if (
      error instanceof TypeError &&
      /reading 'write'/.test(error.message) &&
      /postgres[\\/]src[\\/]connection\.js/.test(stack) &&
      /nextWrite/.test(stack)
    ) {
      log(`ignored postgres.js write on a closed connection (porsager/postgres#1154): ${error.message}`);
      return;
    }
    // Not ours: behave as Node does without a handler (print, exit non-zero).
    console.error(error);
    process.exit(1);
  });
}

/** True when the error is Prisma's unique-constraint violation (P2002). */
export function isUniqueViolation(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { code?: unknown }).code === "P2002";
}

/** True when the error is Prisma's "record to update/delete not found" (P2025). */
export function isNotFound(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { code?: unknown }).code === "P2025";
}

/** A short description of a Postgres URL for logs: host, port and database, never the password. */
export function describeDatabaseUrl(databaseUrl: string): string {
  try {
    const u = new URL(databaseUrl);
    return `${u.hostname}:${u.port || 5432}${u.pathname}`;
  } catch {
    return "(unparseable DATABASE_URL)";
  }
}
