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
  return postgres(databaseUrl, { max: 4, onnotice: () => {}, ...options });
}
export type Sql = ReturnType<typeof createSql>;

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
