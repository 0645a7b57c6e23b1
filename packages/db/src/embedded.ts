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
  // Prisma's pool (10) + postgres.js (4) + the queue's and the API's own: beyond the limit a new
  // connection is closed at once ("Server has closed the connection").
  maxConnections = 32,
}: {
  dataDir: string;
  port?: number;
  maxConnections?: number;
}): Promise<EmbeddedPostgres> {
  mkdirSync(dataDir, { recursive: true });
  const db = await PGlite.create(dataDir);
  const server = new PGLiteSocketServer({ db, port, host: "127.0.0.1", maxConnections });
  keepSequencesTogether((server as unknown as { queryQueue: QueryQueue }).queryQueue, db);
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

interface QueuedMessage {
  handlerId: number;
  message: Uint8Array;
  resolve(bytes: number): void;
  reject(err: unknown): void;
  onData(data: Uint8Array): void;
}
interface QueryQueue {
  queue: QueuedMessage[];
  processing: boolean;
  lastHandlerId: number | null;
  processQueue(): Promise<void>;
  clearQueueForHandler(handlerId: number): void;
}

/** Extended-protocol messages that leave PGlite's single session mid-sequence until a Sync. */
const SEQUENCE_MESSAGES = new Set(["P", "B", "D", "E", "C", "H"].map((c) => c.charCodeAt(0)));
const SYNC = "S".charCodeAt(0);

/**
 * pglite-socket 0.2.17 queues every wire message on its own, so with several connections their
 * extended-protocol sequences (Parse, Bind, Describe, Execute … Sync) interleave on PGlite's one
 * session: a Bind meets another connection's unnamed statement ("bind message supplies 2
 * parameters, but prepared statement "" requires 3", "portal "" does not exist") and rows go to the
 * wrong client. It also stops processing for good after one failed message. This replaces its
 * queue loop: a connection keeps the session from its first message of a sequence to its Sync (and,
 * as before, for a whole transaction), and a failure only fails that message.
 */
function keepSequencesTogether(q: QueryQueue, db: PGlite) {
  let midSequence = false;
  q.processQueue = async function processQueue() {
    if (q.processing || q.queue.length === 0) return;
    q.processing = true;
    try {
      while (q.queue.length > 0) {
        const owner =
          (midSequence || db.isInTransaction()) && q.lastHandlerId !== null ? q.lastHandlerId : null;
        const index = owner === null ? 0 : q.queue.findIndex((m) => m.handlerId === owner);
        if (index === -1) break; // the owner's next message restarts the loop (enqueue)
        const item = q.queue.splice(index, 1)[0]!;
        const type = item.message[0];
        let bytes = 0;
        try {
          await db.runExclusive(() =>
            db.execProtocolRawStream(item.message, {
              onRawData: (data: Uint8Array) => {
                bytes += data.length;
                item.onData(data);
              },
            }),
          );
          item.resolve(bytes);
        } catch (err) {
          item.reject(err);
        }
        q.lastHandlerId = item.handlerId;
        midSequence =
          type !== undefined && SEQUENCE_MESSAGES.has(type) ? true : type === SYNC ? false : midSequence;
      }
    } finally {
      q.processing = false;
    }
  };
  const clear = q.clearQueueForHandler.bind(q);
  q.clearQueueForHandler = (handlerId: number) => {
    clear(handlerId);
    if (q.lastHandlerId === handlerId && midSequence) {
      midSequence = false;
      void q.processQueue();
    }
  };
}
