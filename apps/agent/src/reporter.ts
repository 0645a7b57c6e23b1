/**
 * Reports the evidence journal to the portal (`agent run --portal-url … --portal-key cohort_ak_…`):
 * every few seconds (and at shutdown) the entries after the acknowledged cursor become one
 * ReportBatch (`@cohort/evidence`), signed with the identity key and POSTed to
 * `${portalUrl}/ingest/v1/reports` (Bearer API key, JSON body = SignedReportBatch).
 *
 * Contract:
 * - 202 `{accepted: true, batchHash, duplicate}` → the batch's entries are acknowledged: the cursor
 *   and seq advance durably (fsynced) and the next batch is built;
 * - 5xx / network error → the SAME batch (same seq, same bytes) is resent with capped exponential
 *   backoff until acknowledged;
 * - 409 `SEQ_CONFLICT` → the portal holds another batch under this seq (a data dir restored from a
 *   backup): the same entries are re-batched under the next seq, after a backoff;
 * - any other 4xx `{code, message, field?}` → a bug on one side: logged as an error naming the code,
 *   the entries are kept and the batch is retried with backoff (never dropped, never hot-looped).
 * The batch is persisted (journal `m/pending`) BEFORE it is sent, so after a crash the agent
 * resends exactly the same bytes under the same seq (the portal dedupes by batch digest): nothing
 * is lost, a batch may arrive twice, a seq never carries two different contents.
 */
import {
  type ChainClock,
  type DutyOutcomeReport,
  type EpochRoot,
  type Heartbeat,
  MAX_BATCH_MESSAGES,
  MAX_BATCH_RECEIPTS,
  REPORT_VERSION,
  type Receipt,
  type ReportBatch,
  type SignedParSigMsg,
  signReportBatch,
} from "@cohort/evidence";
import { Counter, type Registry } from "prom-client";
import type { EvidenceJournal, PendingBatch } from "./journal";

export interface ReporterLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface ReporterOptions {
  journal: EvidenceJournal;
  portalUrl: string;
  portalKey: string;
  lockHash: string;
  shareIndex: number;
  identityKey: Uint8Array;
  /** The chain's clock (from the beacon node), sent with every batch: the portal needs it for devnets. */
  chain?: ChainClock;
  /** Between batches when there is nothing more to send (default 5000 ms). */
  intervalMs?: number;
  /** Backoff after a failure: starts here, doubles, capped at maxBackoffMs (defaults 1 s, 60 s). */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** Per-request timeout (default 30 s). */
  requestTimeoutMs?: number;
  /** Batch limits (default the portal's: MAX_BATCH_MESSAGES, MAX_BATCH_RECEIPTS). */
  maxMessages?: number;
  maxReceipts?: number;
  /** Soft cap of a batch's JSON size (default 8 MiB; a single larger entry still goes alone). */
  maxBatchBytes?: number;
  now?: () => number;
  logger?: ReporterLogger;
  registry?: Registry;
}

export type TickResult = "acknowledged" | "empty" | "failed";

const MAX_HEARTBEATS = 10_000;
const MAX_EPOCH_ROOTS = 1_000;

export class Reporter {
  private stopped = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private backoff = 0;
  private readonly abort = new AbortController();
  private readonly sent?: Counter;
  private readonly acked?: Counter;
  private readonly failed?: Counter<"code">;
  /** Last acknowledged journal id (the durable cursor, mirrored). */
  cursor = 0;
  /** Last failure code (null after an acknowledgement). */
  lastError: string | null = null;

  constructor(private readonly o: ReporterOptions) {
    if (o.registry) {
      this.sent = new Counter({
        name: "cohort_evidence_reports_sent_total",
        help: "Report batches POSTed to the portal (resends included)",
        registers: [o.registry],
      });
      this.acked = new Counter({
        name: "cohort_evidence_reports_acknowledged_total",
        help: "Report batches the portal acknowledged",
        registers: [o.registry],
      });
      this.failed = new Counter({
        name: "cohort_evidence_reports_failed_total",
        help: "Report batch attempts that failed, by portal error code (or NETWORK, HTTP_<status>)",
        labelNames: ["code"],
        registers: [o.registry],
      });
    }
  }

  private get url() {
    return `${this.o.portalUrl.replace(/\/+$/, "")}/ingest/v1/reports`;
  }

  /** Builds the next batch from the entries after `cursor` (null when there are none). */
  private async build(cursor: number, seq: number): Promise<PendingBatch | null> {
    const maxMessages = this.o.maxMessages ?? MAX_BATCH_MESSAGES;
    const maxReceipts = this.o.maxReceipts ?? MAX_BATCH_RECEIPTS;
    const sent: SignedParSigMsg[] = [];
    const receipts: Receipt[] = [];
    const outcomes: DutyOutcomeReport[] = [];
    const heartbeats: Heartbeat[] = [];
    const epochRoots: EpochRoot[] = [];
    const maxBytes = this.o.maxBatchBytes ?? 8 * 1024 * 1024;
    let bytes = 0;
    let lastId = cursor;
    for await (const { id, entry: e } of this.o.journal.entriesAfter(cursor)) {
      // Receipts travel as digests; sent messages in full (a block with blobs can be megabytes).
      const size = e.kind === "sent" ? JSON.stringify(e.message).length : e.kind === "receipt" ? 200 : 1024;
      if (lastId !== cursor && bytes + size > maxBytes) break;
      bytes += size;
      if (e.kind === "sent") {
        if (sent.length >= maxMessages) break;
        sent.push(e.message);
      } else if (e.kind === "receipt") {
        if (receipts.length >= maxReceipts) break;
        const m = e.message.message;
        receipts.push({
          digest: e.digest,
          from: e.from,
          slot: m.slot,
          dutyType: m.dutyType,
          receivedAt: e.receivedAt,
        });
      } else if (e.kind === "outcome") {
        if (outcomes.length >= maxMessages) break;
        outcomes.push(e.outcome);
      } else if (e.kind === "heartbeat") {
        if (heartbeats.length >= MAX_HEARTBEATS) break;
        heartbeats.push(e.heartbeat);
      } else {
        if (epochRoots.length >= MAX_EPOCH_ROOTS) break;
        epochRoots.push(e.epochRoot);
      }
      lastId = id;
    }
    if (lastId === cursor) return null;
    const batch: ReportBatch = {
      version: REPORT_VERSION,
      lockHash: this.o.lockHash,
      reporter: this.o.shareIndex,
      seq,
      createdAt: (this.o.now ?? Date.now)(),
      sent,
      receipts,
      outcomes,
      heartbeats,
      epochRoots,
      ...(this.o.chain ? { chain: this.o.chain } : {}),
    };
    return { seq, lastId, body: JSON.stringify(signReportBatch(batch, this.o.identityKey)) };
  }

  /** One attempt: (re)send the pending batch or build the next one. */
  async tick(signal?: AbortSignal): Promise<TickResult> {
    const j = this.o.journal;
    await j.flush();
    const meta = await j.getMeta();
    this.cursor = meta.cursor;
    let pending = meta.pending;
    if (!pending) {
      pending = await this.build(meta.cursor, meta.seq + 1);
      if (!pending) return "empty";
      await j.setPending(pending); // durable before it leaves: a restart resends these bytes
    }
    const log = this.o.logger;
    let status: number;
    let body: {
      code?: string;
      message?: string;
      field?: string;
      details?: { reason?: string };
      accepted?: boolean;
      duplicate?: boolean;
    };
    this.sent?.inc();
    try {
      const res = await fetch(this.url, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${this.o.portalKey}` },
        body: pending.body,
        signal: AbortSignal.any([
          AbortSignal.timeout(this.o.requestTimeoutMs ?? 30_000),
          ...(signal ? [signal] : []),
        ]),
      });
      status = res.status;
      body = (await res.json().catch(() => ({}))) as typeof body;
    } catch (e) {
      this.fail("NETWORK");
      log?.warn({ seq: pending.seq, err: (e as Error).message }, "portal unreachable; will resend the batch");
      return "failed";
    }
    if (status >= 200 && status < 300 && body.accepted === true) {
      await j.acknowledge(pending);
      this.cursor = pending.lastId;
      this.acked?.inc();
      this.backoff = 0;
      this.lastError = null;
      log?.info(
        { seq: pending.seq, upTo: pending.lastId, duplicate: body.duplicate === true },
        "report acknowledged",
      );
      await j
        .prune(pending.lastId)
        .catch((e) => log?.warn({ err: (e as Error).message }, "journal prune failed"));
      return "acknowledged";
    }
    const code = typeof body.code === "string" ? body.code : `HTTP_${status}`;
    this.fail(code);
    const seqConflict =
      status === 409 &&
      (code === "SEQ_CONFLICT" || body.details?.reason === "SEQ_CONFLICT" || body.field === "batch.seq");
    if (seqConflict) {
      log?.error(
        { seq: pending.seq, code, message: body.message },
        "portal holds another batch under this seq: re-batching the same entries under the next seq",
      );
      const next = await this.build(meta.cursor, pending.seq + 1);
      await j.setPending(next);
    } else if (status >= 400 && status < 500)
      log?.error(
        { seq: pending.seq, status, code, message: body.message, field: body.field },
        `portal REFUSED report batch (${code}): this is a bug; the entries are kept and retried with backoff`,
      );
    else log?.warn({ seq: pending.seq, status, code }, "portal error; will resend the same batch");
    return "failed";
  }

  private fail(code: string) {
    this.failed?.inc({ code });
    this.lastError = code;
    const min = this.o.minBackoffMs ?? 1000;
    this.backoff = Math.min(this.o.maxBackoffMs ?? 60_000, this.backoff ? this.backoff * 2 : min);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }

  start(): void {
    this.loop ??= (async () => {
      while (!this.stopped) {
        let r: TickResult;
        try {
          r = await this.tick(this.abort.signal);
        } catch (e) {
          this.o.logger?.error({ err: (e as Error).message }, "reporter failed");
          this.fail("INTERNAL");
          r = "failed";
        }
        if (this.stopped) break;
        if (r === "acknowledged") continue; // more may be waiting
        await this.sleep(r === "failed" ? this.backoff : (this.o.intervalMs ?? 5000));
      }
    })();
  }

  /** Stops the loop, then makes one last attempt (bounded by `timeoutMs`) to report what is left. */
  async stop(timeoutMs = 3000): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    this.wake?.();
    await this.loop;
    const abort = AbortSignal.timeout(timeoutMs);
    try {
      for (let i = 0; i < 10 && !abort.aborted; i++) if ((await this.tick(abort)) !== "acknowledged") break;
    } catch (e) {
      this.o.logger?.warn({ err: (e as Error).message }, "final report failed");
    }
  }
}
