import { mkdirSync } from "node:fs";
import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";

export interface EmbeddedPostgres {
  /** A normal postgres:// URL: Prisma, postgres.js and psql connect to it like any server. */
  url: string;
  dataDir: string;
  stop(): Promise<void>;
}

/**
 * An embedded PostgreSQL for running without any external service: PGlite (Postgres compiled to
 * WASM) keeping its data in `dataDir`, served over the wire protocol on a loopback port so the rest
 * of the code is identical to running against a real server. Several connections are accepted
 * (PGlite runs one query at a time and keeps a transaction's statements together).
 */
export async function startEmbeddedPostgres({
  dataDir,
  port = 0,
  maxConnections = 10,
}: {
  dataDir: string;
  port?: number;
  maxConnections?: number;
}): Promise<EmbeddedPostgres> {
  mkdirSync(dataDir, { recursive: true });
  const db = await PGlite.create(dataDir);
  const server = new PGLiteSocketServer({ db, port, host: "127.0.0.1", maxConnections });
  await server.start();
  const [, actualPort] = server.getServerConn().split(":");
  return {
    url: `postgresql://postgres@127.0.0.1:${actualPort}/postgres?sslmode=disable`,
    dataDir,
    async stop() {
      await server.stop();
      await db.close();
    },
  };
}
