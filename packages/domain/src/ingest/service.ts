/**
 * Ingest of agents' signed report batches (see `@cohort/evidence` report.ts and
 * docs/accountability.md).
 *
 * `accept` (the HTTP endpoint, synchronous and cheap): the caller is an agent API key; the batch is
 * shape-checked, must be for the key's cluster and be reported by the key's member, and must carry
 * a valid identity signature. It is then stored *as received* (AgentReport, QUEUED, gzip'd payload)
 * and a job is enqueued: from that moment a crash or a Redis loss loses nothing (`requeueStale`
 * re-enqueues QUEUED reports). The batch digest is the idempotency key: re-sending a batch answers
 * `duplicate: true` and changes nothing; another batch under the same sequence number is refused.
 *
 * `process` (the worker): verifies every element — each sent message's identity signature, sender
 * and lock, every partial against the member's public share in the lock (randomised batch per
 * signing root), receipts' senders, epoch-root signatures. One bad element rejects the whole
 * report with a coded error (REJECTED, errorCode/errorDetail) and none of it enters the evidence
 * tables. A good report is written in ONE transaction (status flip QUEUED → ACCEPTED first, so two
 * workers never both apply it): duties, messages, receipts and heartbeats go through `COPY` into
 * temporary tables and set-based upserts; then participation is reconciled for the slots touched
 * and the per-epoch/per-day roll-ups and hourly uptime are recomputed. A crash mid-way rolls the
 * whole report back, and the retry applies it once.
 */
import { gunzipSync, gzipSync } from "node:zlib";
import type { Db, Sql, SqlTx } from "@cohort/db";
import { NETWORKS } from "@cohort/eth";
import {
  ACCOUNTABLE_DUTY_CODES,
  DUTY_TYPE_NAMES,
  defaultReceiptQuorum,
  fromHex,
  parSigMsgDigest,
  type ReportBatch,
  reportBatchDigest,
  type SignedReportBatch,
  signedReportBatchSchema,
  toHex,
  verifyEpochRootSignature,
  verifyParSigMsgSignature,
  verifyPartials,
  verifyReportBatchSignature,
} from "@cohort/evidence";
import type { Actor } from "../actor";
import { CohortError } from "../errors";
import { type EventsPort, noEvents } from "../events";

export type IngestErrorCode =
  | "BAD_MESSAGE_SIGNATURE"
  | "WRONG_SENDER"
  | "WRONG_LOCK"
  | "UNKNOWN_VALIDATOR"
  | "INVALID_PARTIAL"
  | "UNKNOWN_MEMBER"
  | "BAD_EPOCH_ROOT"
  | "CHAIN_MISMATCH";

/** Why `process` rejected a report: the first bad element, named. */
export class ReportRejected extends Error {
  constructor(
    readonly code: IngestErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface AcceptResult {
  accepted: true;
  reportId: string;
  batchHash: string;
  duplicate: boolean;
}

export interface ProcessResult {
  status: "ACCEPTED" | "REJECTED" | "SKIPPED";
  clusterId?: string;
  errorCode?: string;
  counts?: Record<string, number>;
  /** Slots the report touched (for incident evaluation). */
  slots?: { from: number; to: number };
}

/**
 * A duty's deadline is the start of slot (slot + DEADLINE_SLOTS): the agent's own duty expiry, and
 * the `deadlineSlots` exported bundles state (see docs/accountability.md).
 */
export const DEADLINE_SLOTS = 3;
/**
 * Duty.failureReason of a scheduled duty (from the beacon node) that no member had reported when
 * it was settled (see duties/service.ts); cleared again if evidence for it arrives later.
 */
export const NOT_REPORTED = "not_reported";
const HEARTBEAT_SECONDS = 30;

interface ClusterCtx {
  id: string;
  lockHash: string;
  threshold: number;
  q: number;
  chain: { genesisTime: number; secondsPerSlot: number; slotsPerEpoch: number } | null;
  members: { id: string; shareIndex: number; identityPubkey: Uint8Array | null }[];
  validators: Map<string, { id: string; publicShares: string[] }>;
}

/** The chain clock of a public network the portal knows; devnets tell it in their first report. */
export function knownChain(network: string): ClusterCtx["chain"] {
  const n = (NETWORKS as Record<string, (typeof NETWORKS)["mainnet"] | undefined>)[network];
  return n
    ? { genesisTime: n.genesisTime, secondsPerSlot: n.secondsPerSlot, slotsPerEpoch: n.slotsPerEpoch }
    : null;
}

/** A cluster's chain clock: the one stored for it (learnt from reports or its beacon node), else its network's. */
export function clusterChain(c: {
  genesisTime: number | null;
  secondsPerSlot: number | null;
  slotsPerEpoch: number | null;
  network: string;
}): ClusterCtx["chain"] {
  return c.genesisTime !== null && c.secondsPerSlot !== null && c.slotsPerEpoch !== null
    ? { genesisTime: c.genesisTime, secondsPerSlot: c.secondsPerSlot, slotsPerEpoch: c.slotsPerEpoch }
    : knownChain(c.network);
}

export class IngestService {
  constructor(
    private readonly db: Db,
    private readonly sql: Sql | undefined,
    private readonly enqueue: (reportId: string) => Promise<void>,
    private readonly now: () => Date = () => new Date(),
    private readonly events: EventsPort = noEvents,
  ) {}

  /** Whether the server takes COPY FROM STDIN (PGlite, the embedded database, does not). */
  private copySupported: boolean | undefined;

  // ───────────────────────── accept (HTTP) ─────────────────────────

  async accept(actor: Actor, body: unknown): Promise<AcceptResult> {
    if (actor.kind === "anonymous") {
      throw new CohortError("UNAUTHENTICATED", "authorization: send the agent's API key as a bearer token", {
        field: "authorization",
      });
    }
    if (actor.kind !== "agent") {
      throw new CohortError("FORBIDDEN", "reports are sent with an agent API key", {
        field: "authorization",
      });
    }
    const parsed = signedReportBatchSchema.safeParse(body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const field = issue.path.join(".") || "body";
      throw new CohortError("BAD_USER_INPUT", `${field}: ${issue.message}`, { field });
    }
    const signed = parsed.data as SignedReportBatch;
    const { batch } = signed;
    const cluster = await this.clusterCtx(actor.clusterId);
    if (!cluster.lockHash || cluster.lockHash.toLowerCase() !== batch.lockHash.toLowerCase()) {
      throw new CohortError("FORBIDDEN", "batch.lockHash: this API key's cluster has another lock", {
        field: "batch.lockHash",
      });
    }
    const member = cluster.members.find((m) => m.id === actor.memberId);
    if (!member || member.shareIndex !== batch.reporter) {
      throw new CohortError("FORBIDDEN", `batch.reporter: this API key belongs to another member`, {
        field: "batch.reporter",
      });
    }
    if (!member.identityPubkey) {
      throw new CohortError("CONFLICT", "the member has no identity key yet (the cluster has no lock)");
    }
    if (!verifyReportBatchSignature(signed, member.identityPubkey)) {
      throw new CohortError(
        "SIGNATURE_INVALID",
        "signature: not the reporter's identity signature over the batch",
        {
          field: "signature",
        },
      );
    }
    if (batch.chain && cluster.chain) {
      const c = cluster.chain;
      if (
        c.genesisTime !== batch.chain.genesisTime ||
        c.secondsPerSlot !== batch.chain.secondsPerSlot ||
        c.slotsPerEpoch !== batch.chain.slotsPerEpoch
      ) {
        throw new CohortError("CONFLICT", "batch.chain: differs from the cluster's chain clock", {
          field: "batch.chain",
          details: { known: c, reported: batch.chain },
        });
      }
    }
    if (!cluster.chain && !batch.chain) {
      throw new CohortError(
        "BAD_USER_INPUT",
        "batch.chain: the portal does not know this cluster's chain yet",
        {
          field: "batch.chain",
        },
      );
    }
    const batchHash = reportBatchDigest(batch);
    const existing = await this.db.agentReport.findUnique({ where: { batchHash: Buffer.from(batchHash) } });
    if (existing)
      return { accepted: true, reportId: existing.id, batchHash: toHex(batchHash), duplicate: true };
    const sameSeq = await this.db.agentReport.findUnique({
      where: { memberId_seq: { memberId: member.id, seq: batch.seq } },
    });
    if (sameSeq) {
      throw new CohortError(
        "CONFLICT",
        `batch.seq: batch ${batch.seq} was already received with other content`,
        {
          field: "batch.seq",
          details: { reason: "SEQ_CONFLICT" },
        },
      );
    }
    if (!cluster.chain && batch.chain) {
      await this.db.cluster.updateMany({
        where: { id: cluster.id, genesisTime: null },
        data: batch.chain,
      });
    }
    let report: { id: string };
    try {
      report = await this.db.agentReport.create({
        data: {
          clusterId: cluster.id,
          memberId: member.id,
          apiKeyId: actor.apiKeyId,
          batchHash: Buffer.from(batchHash),
          signature: Buffer.from(fromHex(signed.signature)),
          seq: batch.seq,
          payload: gzipSync(JSON.stringify(signed)),
          counts: {
            sent: batch.sent.length,
            receipts: batch.receipts.length,
            outcomes: batch.outcomes.length,
            heartbeats: batch.heartbeats.length,
            epochRoots: batch.epochRoots.length,
          },
        },
        select: { id: true },
      });
    } catch (e) {
      // A concurrent duplicate of the same batch.
      const again = await this.db.agentReport.findUnique({ where: { batchHash: Buffer.from(batchHash) } });
      if (again) return { accepted: true, reportId: again.id, batchHash: toHex(batchHash), duplicate: true };
      throw e;
    }
    // Stored: from here a lost job is recovered by requeueStale.
    await this.enqueue(report.id).catch(() => {});
    return { accepted: true, reportId: report.id, batchHash: toHex(batchHash), duplicate: false };
  }

  /** Re-enqueues reports still QUEUED after `olderThanMs` (a lost job, a crashed worker). */
  async requeueStale(olderThanMs = 60_000): Promise<number> {
    const stale = await this.db.agentReport.findMany({
      where: { status: "QUEUED", receivedAt: { lt: new Date(this.now().getTime() - olderThanMs) } },
      select: { id: true },
      take: 1000,
    });
    for (const r of stale) await this.enqueue(r.id);
    return stale.length;
  }

  // ───────────────────────── process (worker) ─────────────────────────

  async process(reportId: string): Promise<ProcessResult> {
    const report = await this.db.agentReport.findUnique({ where: { id: reportId } });
    if (report?.status !== "QUEUED" || !report.payload) return { status: "SKIPPED" };
    const signed = JSON.parse(gunzipSync(report.payload).toString("utf8")) as SignedReportBatch;
    const cluster = await this.clusterCtx(report.clusterId);
    try {
      this.verify(cluster, signed.batch);
    } catch (e) {
      if (!(e instanceof ReportRejected)) throw e;
      await this.db.agentReport.updateMany({
        where: { id: reportId, status: "QUEUED" },
        data: { status: "REJECTED", errorCode: e.code, errorDetail: e.message, processedAt: this.now() },
      });
      return { status: "REJECTED", clusterId: report.clusterId, errorCode: e.code };
    }
    return this.apply(report.id, report.memberId, cluster, signed.batch);
  }

  /** Every check, no writes. Throws ReportRejected naming the first bad element. */
  verify(cluster: ClusterCtx, batch: ReportBatch): void {
    const reporter = cluster.members.find((m) => m.shareIndex === batch.reporter);
    if (!reporter?.identityPubkey)
      throw new ReportRejected("UNKNOWN_MEMBER", `reporter ${batch.reporter} is not a member`);
    const memberIndices = new Set(cluster.members.map((m) => m.shareIndex));
    const items: { publicShare: Uint8Array; signingRoot: Uint8Array; signature: Uint8Array }[] = [];
    const where: string[] = [];
    batch.sent.forEach((s, i) => {
      const m = s.message;
      const at = `sent.${i} (slot ${m.slot}, duty type ${m.dutyType})`;
      if (m.shareIndex !== batch.reporter)
        throw new ReportRejected("WRONG_SENDER", `${at}: share index ${m.shareIndex} is not the reporter's`);
      if (m.lockHash.toLowerCase() !== cluster.lockHash.toLowerCase())
        throw new ReportRejected("WRONG_LOCK", `${at}: message for another lock`);
      if (!verifyParSigMsgSignature(s, reporter.identityPubkey!))
        throw new ReportRejected("BAD_MESSAGE_SIGNATURE", `${at}: identity signature does not verify`);
      m.partials.forEach((p, j) => {
        const v = cluster.validators.get(p.pubkey.toLowerCase());
        if (!v)
          throw new ReportRejected(
            "UNKNOWN_VALIDATOR",
            `${at}.partials.${j}: validator ${p.pubkey} is not in the cluster`,
          );
        const share = v.publicShares[batch.reporter - 1];
        if (!share)
          throw new ReportRejected(
            "UNKNOWN_VALIDATOR",
            `${at}.partials.${j}: no public share ${batch.reporter}`,
          );
        items.push({
          publicShare: fromHex(share),
          signingRoot: fromHex(p.signingRoot),
          signature: fromHex(p.signature),
        });
        where.push(`${at}.partials.${j} (validator ${p.pubkey})`);
      });
    });
    const checked = verifyPartials(items);
    if (!checked.ok) {
      throw new ReportRejected(
        "INVALID_PARTIAL",
        `${where[checked.bad[0]!]}: partial signature does not verify against the member's public share`,
      );
    }
    batch.receipts.forEach((r, i) => {
      if (!memberIndices.has(r.from) || r.from === batch.reporter)
        throw new ReportRejected("UNKNOWN_MEMBER", `receipts.${i}: sender ${r.from} is not another member`);
    });
    batch.outcomes.forEach((o, i) => {
      for (const v of o.validators)
        if (!cluster.validators.has(v.pubkey.toLowerCase()))
          throw new ReportRejected(
            "UNKNOWN_VALIDATOR",
            `outcomes.${i}: validator ${v.pubkey} is not in the cluster`,
          );
    });
    batch.epochRoots.forEach((r, i) => {
      if (!verifyEpochRootSignature(cluster.lockHash, batch.reporter, r, reporter.identityPubkey!))
        throw new ReportRejected(
          "BAD_EPOCH_ROOT",
          `epochRoots.${i} (epoch ${r.epoch}): signature does not verify`,
        );
    });
  }

  private async apply(
    reportId: string,
    memberId: string,
    cluster: ClusterCtx,
    batch: ReportBatch,
  ): Promise<ProcessResult> {
    const chain = cluster.chain ?? batch.chain;
    if (!chain) throw new Error("cluster chain clock unknown (accept() guarantees one)");
    const memberByIndex = new Map(cluster.members.map((m) => [m.shareIndex, m.id]));

    // Rows, built in memory first (no DB work until the transaction).
    const duties = new Map<string, { validatorId: string; slot: number; type: string }>();
    const addDuty = (pubkey: string, slot: number, code: number) => {
      if (!ACCOUNTABLE_DUTY_CODES.has(code)) return;
      const v = cluster.validators.get(pubkey.toLowerCase())!;
      duties.set(`${v.id}|${slot}|${code}`, { validatorId: v.id, slot, type: DUTY_TYPE_NAMES[code]! });
    };
    const messages: string[][] = [];
    const sentPartials: string[][] = [];
    for (const s of batch.sent) {
      const m = s.message;
      const hash = toHex(parSigMsgDigest(m));
      const payload = Buffer.from(
        JSON.stringify(m.partials.map((p) => [p.pubkey, p.signingRoot, p.signature])),
      ).toString("hex");
      messages.push([
        hash,
        String(m.slot),
        DUTY_TYPE_NAMES[m.dutyType] ?? "ATTESTER",
        new Date(m.sentAt).toISOString(),
        s.signature,
        `0x${payload}`,
        String(m.partials.length),
      ]);
      for (const p of m.partials) {
        addDuty(p.pubkey, m.slot, m.dutyType);
        if (ACCOUNTABLE_DUTY_CODES.has(m.dutyType)) {
          const v = cluster.validators.get(p.pubkey.toLowerCase())!;
          sentPartials.push([
            v.id,
            String(m.slot),
            DUTY_TYPE_NAMES[m.dutyType]!,
            hash,
            p.signature,
            p.signingRoot,
          ]);
        }
      }
    }
    for (const o of batch.outcomes) for (const v of o.validators) addDuty(v.pubkey, o.slot, o.dutyType);
    const slots = [
      ...batch.sent.map((s) => s.message.slot),
      ...batch.receipts.map((r) => r.slot),
      ...batch.outcomes.map((o) => o.slot),
    ];
    const fromSlot = slots.length ? Math.min(...slots) : null;
    const toSlot = slots.length ? Math.max(...slots) : null;

    if (!this.sql)
      throw new Error("IngestService.process needs a postgres.js client (createServices({ sql }))");
    const tx = await this.sql.begin(async (sql) => {
      // One cluster's reports are applied one at a time (they upsert the same duty and participation
      // rows; in parallel they would deadlock); different clusters' proceed in parallel.
      await sql`SELECT pg_advisory_xact_lock(hashtextextended(${`ingest:${cluster.id}`}, 0))`;
      // Claim the report: a second worker (or a retry after commit) finds nothing to do.
      const claimed = await sql`
        UPDATE "AgentReport" SET status = 'ACCEPTED', "processedAt" = now()
        WHERE id = ${reportId} AND status = 'QUEUED' RETURNING id`;
      if (claimed.length === 0) return { skipped: true as const };

      if (this.copySupported === undefined) {
        const [row] = await sql<{ version: string }[]>`SELECT version()`;
        this.copySupported = !row?.version.includes("PGlite");
      }
      const copy = async (table: string, columns: string[], rows: string[][]) => {
        if (rows.length === 0) return;
        if (!this.copySupported) {
          // PGlite over its socket closes the connection on COPY FROM STDIN: there, multi-row
          // INSERTs with untyped parameters (parsed by the same input functions as COPY's text format).
          const perStatement = Math.max(1, Math.floor(30_000 / columns.length));
          for (let i = 0; i < rows.length; i += perStatement) {
            const params: (string | null)[] = [];
            const values = rows.slice(i, i + perStatement).map(
              (r) =>
                `(${r
                  .map((v) => {
                    params.push(v === "\\N" ? null : v);
                    return `$${params.length}`;
                  })
                  .join(", ")})`,
            );
            await sql.unsafe(
              `INSERT INTO ${table} (${columns.map((c) => `"${c}"`).join(", ")}) VALUES ${values.join(", ")}`,
              params,
            );
          }
          return;
        }
        const stream = await sql
          .unsafe(`COPY ${table} (${columns.map((c) => `"${c}"`).join(", ")}) FROM STDIN`)
          .writable();
        const esc = (v: string) =>
          v === "\\N" ? v : v.replace(/\\/g, "\\\\").replace(/\t/g, "\\t").replace(/\n/g, "\\n");
        await new Promise<void>((resolve, reject) => {
          stream.on("error", reject);
          stream.on("finish", resolve);
          // Few large writes: one per row would cost a stream round per row.
          for (let i = 0; i < rows.length; i += 2000) {
            stream.write(
              rows
                .slice(i, i + 2000)
                .map((r) => `${r.map(esc).join("\t")}\n`)
                .join(""),
            );
          }
          stream.end();
        });
      };

      // 1. Duties.
      if (duties.size > 0) {
        await sql`CREATE TEMP TABLE _duty ("validatorId" uuid, slot int, type text) ON COMMIT DROP`;
        await copy(
          "_duty",
          ["validatorId", "slot", "type"],
          [...duties.values()].map((d) => [d.validatorId, String(d.slot), d.type]),
        );
        await sql`
          INSERT INTO "Duty" ("clusterId", "validatorId", slot, epoch, type, "startsAt", "deadlineAt")
          SELECT ${cluster.id}, d."validatorId", d.slot, d.slot / ${chain.slotsPerEpoch}, d.type::"DutyType",
                 to_timestamp(${chain.genesisTime} + d.slot * ${chain.secondsPerSlot}),
                 to_timestamp(${chain.genesisTime} + (d.slot + ${DEADLINE_SLOTS}) * ${chain.secondsPerSlot})
          FROM _duty d
          ON CONFLICT ("validatorId", slot, type) DO NOTHING`;
      }

      // 2. Signed messages.
      if (messages.length > 0) {
        await sql`CREATE TEMP TABLE _msg (hash text, slot int, type text, "sentAt" timestamptz, sig text, payload text, n int) ON COMMIT DROP`;
        await copy("_msg", ["hash", "slot", "type", "sentAt", "sig", "payload", "n"], messages);
        await sql`
          INSERT INTO "SignedPartialMessage" ("clusterId", "senderId", slot, "dutyType", "messageHash", "sentAt",
                                              "identitySignature", payload, "partialCount")
          SELECT ${cluster.id}, ${memberId}, m.slot, m.type::"DutyType", decode(substr(m.hash, 3), 'hex'), m."sentAt",
                 decode(substr(m.sig, 3), 'hex'), decode(substr(m.payload, 3), 'hex'), m.n
          FROM _msg m
          ON CONFLICT ("messageHash") DO NOTHING`;
        // Receipts that arrived before the message now point at it.
        await sql`
          UPDATE "MessageReceipt" r SET "messageId" = s.id
          FROM "SignedPartialMessage" s, _msg m
          WHERE s."messageHash" = decode(substr(m.hash, 3), 'hex') AND r."messageHash" = s."messageHash"
            AND r."messageId" IS NULL`;
      }

      // 3. The reporter's partials → its participation rows (evidence attached; judged below).
      if (sentPartials.length > 0) {
        await sql`CREATE TEMP TABLE _part ("validatorId" uuid, slot int, type text, hash text, partial text, root text) ON COMMIT DROP`;
        await copy("_part", ["validatorId", "slot", "type", "hash", "partial", "root"], sentPartials);
        await sql`
          INSERT INTO "Participation" ("dutyId", "memberId", "clusterId", slot, contributed, "messageId",
                                       "partialSignature", "signingRoot", "reportedById")
          SELECT d.id, ${memberId}, ${cluster.id}, p.slot, false, s.id, decode(substr(p.partial, 3), 'hex'),
                 decode(substr(p.root, 3), 'hex'), ${memberId}
          FROM _part p
          JOIN "Duty" d ON d."validatorId" = p."validatorId" AND d.slot = p.slot AND d.type = p.type::"DutyType"
          JOIN "SignedPartialMessage" s ON s."messageHash" = decode(substr(p.hash, 3), 'hex')
          ON CONFLICT ("dutyId", "memberId") DO UPDATE SET
            "missReason" = CASE
              WHEN "Participation"."partialSignature" IS NOT NULL
               AND "Participation"."partialSignature" <> EXCLUDED."partialSignature" THEN 'CONFLICTING'::"MissReason"
              ELSE "Participation"."missReason" END,
            "messageId" = COALESCE("Participation"."messageId", EXCLUDED."messageId"),
            "partialSignature" = COALESCE("Participation"."partialSignature", EXCLUDED."partialSignature"),
            "signingRoot" = COALESCE("Participation"."signingRoot", EXCLUDED."signingRoot"),
            "reportedById" = COALESCE("Participation"."reportedById", EXCLUDED."reportedById")`;
      }

      // 3b. A duty the duty schedule failed as `not_reported` (nobody had reported it by its settle
      // time) now has a member's evidence: its outcome is unknown again (PENDING) until outcomes say.
      if (sentPartials.length > 0 && fromSlot !== null && toSlot !== null) {
        await sql`
          UPDATE "Duty" d SET outcome = 'PENDING', "failureReason" = NULL
          WHERE d."clusterId" = ${cluster.id} AND d.slot BETWEEN ${fromSlot} AND ${toSlot}
            AND d.outcome = 'FAILED' AND d."failureReason" = ${NOT_REPORTED}
            AND EXISTS (SELECT 1 FROM "Participation" p WHERE p."dutyId" = d.id AND p."messageId" IS NOT NULL)`;
      }

      // 4. Receipts.
      if (batch.receipts.length > 0) {
        await sql`CREATE TEMP TABLE _rcpt (hash text, sender uuid, slot int, type text, "receivedAt" timestamptz) ON COMMIT DROP`;
        await copy(
          "_rcpt",
          ["hash", "sender", "slot", "type", "receivedAt"],
          batch.receipts.map((r) => [
            r.digest,
            memberByIndex.get(r.from)!,
            String(r.slot),
            DUTY_TYPE_NAMES[r.dutyType] ?? "ATTESTER",
            new Date(r.receivedAt).toISOString(),
          ]),
        );
        await sql`
          INSERT INTO "MessageReceipt" ("clusterId", "messageHash", "senderId", slot, "dutyType", "messageId",
                                        "receiverId", "receivedAt", "reportId")
          SELECT ${cluster.id}, decode(substr(r.hash, 3), 'hex'), r.sender, r.slot, r.type::"DutyType", s.id,
                 ${memberId}, r."receivedAt", ${reportId}
          FROM _rcpt r LEFT JOIN "SignedPartialMessage" s ON s."messageHash" = decode(substr(r.hash, 3), 'hex')
          ON CONFLICT ("messageHash", "receiverId") DO NOTHING`;
      }

      // 5. Outcomes (the cluster's view merges every member's: any success wins over a failure),
      //    set-based: one COPY and one UPDATE per report, however many validators.
      const outcomeRows: string[][] = [];
      for (const o of batch.outcomes) {
        if (!ACCOUNTABLE_DUTY_CODES.has(o.dutyType)) continue;
        const type = DUTY_TYPE_NAMES[o.dutyType]!;
        for (const v of o.validators) {
          const validatorId = cluster.validators.get(v.pubkey.toLowerCase())!.id;
          const outcome = v.submitted ? "SUBMITTED" : v.aggregated ? "AGGREGATED" : "FAILED";
          outcomeRows.push([validatorId, String(o.slot), type, outcome, o.reason ?? "\\N"]);
        }
      }
      if (outcomeRows.length > 0) {
        await sql`CREATE TEMP TABLE _outcome ("validatorId" uuid, slot int, type text, outcome text, reason text) ON COMMIT DROP`;
        await copy("_outcome", ["validatorId", "slot", "type", "outcome", "reason"], outcomeRows);
        // Several outcomes for one duty in a report: the best one wins (SUBMITTED > AGGREGATED > FAILED).
        await sql`
          UPDATE "Duty" d SET
            outcome = CASE
              WHEN d.outcome = 'INCLUDED' THEN d.outcome
              WHEN o.outcome = 'SUBMITTED' THEN 'SUBMITTED'::"DutyOutcome"
              WHEN o.outcome = 'AGGREGATED' AND d.outcome IN ('PENDING', 'FAILED') THEN 'AGGREGATED'::"DutyOutcome"
              WHEN o.outcome = 'FAILED' AND d.outcome = 'PENDING' THEN 'FAILED'::"DutyOutcome"
              ELSE d.outcome END,
            "failureReason" = CASE
              WHEN o.outcome = 'FAILED' AND d.outcome IN ('PENDING', 'FAILED') AND d."failureReason" = ${NOT_REPORTED}
                THEN o.reason
              WHEN o.outcome = 'FAILED' AND d.outcome IN ('PENDING', 'FAILED')
                THEN COALESCE(d."failureReason", o.reason)
              WHEN d."failureReason" = ${NOT_REPORTED} THEN NULL
              ELSE d."failureReason" END,
            "submittedAt" = CASE WHEN o.outcome = 'SUBMITTED' THEN COALESCE(d."submittedAt", now()) ELSE d."submittedAt" END
          FROM (
            SELECT DISTINCT ON ("validatorId", slot, type) "validatorId", slot, type, outcome, reason
            FROM _outcome
            ORDER BY "validatorId", slot, type,
                     CASE outcome WHEN 'SUBMITTED' THEN 0 WHEN 'AGGREGATED' THEN 1 ELSE 2 END
          ) o
          WHERE d."validatorId" = o."validatorId" AND d.slot = o.slot AND d.type = o.type::"DutyType"`;
      }

      // 6. Heartbeats and epoch roots.
      if (batch.heartbeats.length > 0) {
        await copy(
          `"Heartbeat"`,
          [
            "clusterId",
            "memberId",
            "at",
            "version",
            "peersConnected",
            "clockOffsetMs",
            "beaconStatus",
            "readyReason",
          ],
          batch.heartbeats.map((h) => [
            cluster.id,
            memberId,
            new Date(h.at).toISOString(),
            h.version,
            String(h.peersConnected.length),
            h.clockOffsetMs === null ? "\\N" : String(Math.round(h.clockOffsetMs)),
            h.beaconStatus,
            h.readyReason ?? "\\N",
          ]),
        );
        const hours = [...new Set(batch.heartbeats.map((h) => Math.floor(h.at / 3_600_000) * 3_600_000))];
        for (const hour of hours) {
          // Uptime: each heartbeat with a reachable, synced beacon node vouches for the 30 s before it.
          await sql`
            INSERT INTO "UptimeHour" ("memberId", "clusterId", hour, "secondsUp", heartbeats)
            SELECT ${memberId}, ${cluster.id}, ${new Date(hour)},
                   LEAST(3600, ${HEARTBEAT_SECONDS} * count(DISTINCT floor(extract(epoch FROM at) / ${HEARTBEAT_SECONDS}))
                                FILTER (WHERE "beaconStatus" = 'ok')),
                   count(*)
            FROM "Heartbeat"
            WHERE "memberId" = ${memberId} AND at >= ${new Date(hour)} AND at < ${new Date(hour + 3_600_000)}
            ON CONFLICT ("memberId", hour) DO UPDATE SET "secondsUp" = EXCLUDED."secondsUp", heartbeats = EXCLUDED.heartbeats`;
        }
      }
      for (const r of batch.epochRoots) {
        await sql`
          INSERT INTO "MemberEpochRoot" ("memberId", "clusterId", epoch, "sentRoot", "receiptsRoot", "sentCount",
                                         "receiptCount", signature, "reportId")
          VALUES (${memberId}, ${cluster.id}, ${r.epoch}, ${Buffer.from(fromHex(r.sentRoot))},
                  ${Buffer.from(fromHex(r.receiptsRoot))}, ${r.sentCount}, ${r.receiptCount},
                  ${Buffer.from(fromHex(r.signature))}, ${reportId})
          ON CONFLICT ("memberId", epoch) DO NOTHING`;
      }

      // 7. Reconcile the touched slots.
      if (fromSlot !== null && toSlot !== null) {
        const touched = duties.size
          ? await sql<{ id: bigint }[]>`
              SELECT d.id FROM "Duty" d JOIN _duty x
                ON d."validatorId" = x."validatorId" AND d.slot = x.slot AND d.type = x.type::"DutyType"`
          : [];
        await reconcileSlots(sql, cluster, fromSlot, toSlot, chain, {
          dutyIds: touched.map((r) => BigInt(r.id)),
          messageHashes: [...messages.map((m) => m[0]!), ...batch.receipts.map((r) => r.digest)],
        });
      }
      return { skipped: false as const };
    });
    if (tx.skipped) return { status: "SKIPPED" };
    if (fromSlot !== null && toSlot !== null) {
      // Live dashboards refetch the touched range; a lost event only delays their refresh.
      await this.events
        .publish({
          type: "participation.updated",
          clusterId: cluster.id,
          fromSlot,
          toSlot,
          reportId,
          at: this.now().toISOString(),
        })
        .catch(() => {});
    }
    return {
      status: "ACCEPTED",
      clusterId: cluster.id,
      counts: {
        sent: batch.sent.length,
        partials: sentPartials.length,
        receipts: batch.receipts.length,
        outcomes: batch.outcomes.length,
        heartbeats: batch.heartbeats.length,
      },
      ...(fromSlot !== null && toSlot !== null ? { slots: { from: fromSlot, to: toSlot } } : {}),
    };
  }

  private async clusterCtx(clusterId: string): Promise<ClusterCtx> {
    const c = await this.db.cluster.findUnique({
      where: { id: clusterId },
      include: {
        members: { select: { id: true, shareIndex: true, identityPubkey: true } },
        validators: { select: { id: true, pubkey: true, publicShares: true } },
      },
    });
    if (!c) throw new CohortError("NOT_FOUND", `cluster ${clusterId} not found`);
    return {
      id: c.id,
      lockHash: c.lockHash ?? "",
      threshold: c.threshold,
      q: c.receiptQuorum ?? defaultReceiptQuorum(c.members.length),
      chain: clusterChain(c),
      members: c.members.map((m) => ({
        id: m.id,
        shareIndex: m.shareIndex,
        identityPubkey: m.identityPubkey ? fromHex(m.identityPubkey) : null,
      })),
      validators: new Map(
        c.validators.map((v) => [v.pubkey.toLowerCase(), { id: v.id, publicShares: v.publicShares }]),
      ),
    };
  }
}

/**
 * The participation rule, set-based, for one cluster's slots [from, to]: every (duty, member) gets a
 * row; a member contributed iff it has a signed message with a valid partial for the duty's
 * validator (rows with `messageId` — only verified partials are stored), no conflicting message,
 * and at least q OTHER members' receipts of that message at or before the duty's deadline.
 * Then the epoch and day roll-ups of the touched range are recomputed from the rows.
 */

export async function reconcileSlots(
  sql: SqlTx,
  cluster: { id: string; q: number; threshold: number; members: { id: string }[] },
  fromSlot: number,
  toSlot: number,
  chain: { genesisTime: number; secondsPerSlot: number; slotsPerEpoch: number },
  /**
   * Limit the work to what one report can change (ingest): the duties it carried evidence for
   * (`dutyIds`) and the messages it sent or received (`messageHashes`, 0x-hex). Without it, every
   * duty in [from, to] is reconciled (the scheduler's settle).
   */
  scope?: { dutyIds: bigint[]; messageHashes: string[] },
): Promise<void> {
  const { slotsPerEpoch } = chain;
  const dutyIds = scope?.dutyIds.map(String) ?? [];
  const hashes = scope?.messageHashes.map((h) => h.replace(/^0x/, "").toLowerCase()) ?? [];
  const inDuty = (col: string) => (scope ? sql`AND ${sql.unsafe(col)} = ANY(${dutyIds}::bigint[])` : sql``);
  await sql`
    INSERT INTO "Participation" ("dutyId", "memberId", "clusterId", slot, contributed, "missReason")
    SELECT d.id, m.id, d."clusterId", d.slot, false, 'NO_MESSAGE'::"MissReason"
    FROM "Duty" d CROSS JOIN unnest(${cluster.members.map((m) => m.id)}::uuid[]) AS m(id)
    WHERE d."clusterId" = ${cluster.id} AND d.slot BETWEEN ${fromSlot} AND ${toSlot} ${inDuty("d.id")}
    ON CONFLICT ("dutyId", "memberId") DO NOTHING`;
  // The duty's agreed signing root: one carried by ≥ t members' verified partials (what the cluster
  // could combine). A partial over another root — e.g. one reused from another duty — never counts.
  await sql`
    UPDATE "Duty" d SET "signingRoot" = x.root
    FROM (
      SELECT DISTINCT ON (p."dutyId") p."dutyId", p."signingRoot" AS root
      FROM "Participation" p
      WHERE p."clusterId" = ${cluster.id} AND p.slot BETWEEN ${fromSlot} AND ${toSlot} AND p."signingRoot" IS NOT NULL
        ${inDuty('p."dutyId"')}
      GROUP BY p."dutyId", p."signingRoot"
      HAVING count(*) >= ${cluster.threshold}
      ORDER BY p."dutyId", count(*) DESC
    ) x
    WHERE d.id = x."dutyId" AND d."signingRoot" IS DISTINCT FROM x.root`;
  await sql`
    UPDATE "Participation" p SET
      "onTimeReceipts" = x.on_time,
      "receivedAt" = x.first_at,
      contributed = (p."missReason" IS DISTINCT FROM 'CONFLICTING' AND x.root_ok AND x.on_time >= ${cluster.q}),
      "missReason" = CASE
        WHEN p."missReason" = 'CONFLICTING' THEN p."missReason"
        WHEN NOT x.root_ok THEN 'INVALID_PARTIAL'::"MissReason"
        WHEN x.on_time >= ${cluster.q} THEN NULL
        ELSE 'LATE'::"MissReason" END,
      "reconciledAt" = now()
    FROM (
      SELECT p2.id,
             count(r.id) FILTER (WHERE r."receivedAt" <= d."deadlineAt") AS on_time,
             min(r."receivedAt") AS first_at,
             bool_and(CASE
               WHEN d."signingRoot" IS NOT NULL THEN d."signingRoot" = p2."signingRoot"
               ELSE NOT EXISTS (
                 SELECT 1 FROM "Duty" o
                 WHERE o."validatorId" = d."validatorId" AND o.id <> d.id AND o."signingRoot" = p2."signingRoot")
             END) AS root_ok
      FROM "Participation" p2
      JOIN "Duty" d ON d.id = p2."dutyId"
      JOIN "SignedPartialMessage" s ON s.id = p2."messageId"
      LEFT JOIN "MessageReceipt" r ON r."messageHash" = s."messageHash" AND r."receiverId" <> p2."memberId"
      WHERE p2."clusterId" = ${cluster.id} AND p2.slot BETWEEN ${fromSlot} AND ${toSlot}
        ${scope ? sql`AND (p2."dutyId" = ANY(${dutyIds}::bigint[]) OR s."messageHash" IN (SELECT decode(h, 'hex') FROM unnest(${hashes}::text[]) AS h))` : sql``}
      GROUP BY p2.id
    ) x
    WHERE p.id = x.id`;
  const fromEpoch = Math.floor(fromSlot / slotsPerEpoch);
  const toEpoch = Math.floor(toSlot / slotsPerEpoch);
  await sql`
    INSERT INTO "MemberEpochParticipation" ("memberId", "clusterId", epoch, expected, contributed)
    SELECT p."memberId", p."clusterId", p.slot / ${slotsPerEpoch}, count(*), count(*) FILTER (WHERE p.contributed)
    FROM "Participation" p
    WHERE p."clusterId" = ${cluster.id}
      AND p.slot BETWEEN ${fromEpoch * slotsPerEpoch} AND ${(toEpoch + 1) * slotsPerEpoch - 1}
    GROUP BY 1, 2, 3
    ON CONFLICT ("memberId", epoch) DO UPDATE SET expected = EXCLUDED.expected, contributed = EXCLUDED.contributed`;
  // Days (UTC) from the epoch roll-ups: an epoch belongs to the day its first slot starts in.
  const epochStart = (epoch: number) =>
    (chain.genesisTime + epoch * slotsPerEpoch * chain.secondsPerSlot) * 1000;
  const dayMs = 86_400_000;
  const days = new Set<number>();
  for (let e = fromEpoch; e <= toEpoch; e++) days.add(Math.floor(epochStart(e) / dayMs) * dayMs);
  for (const day of days) {
    const firstEpoch = Math.ceil((day / 1000 - chain.genesisTime) / (slotsPerEpoch * chain.secondsPerSlot));
    const endEpoch = Math.ceil(
      ((day + dayMs) / 1000 - chain.genesisTime) / (slotsPerEpoch * chain.secondsPerSlot),
    );
    await sql`
      INSERT INTO "MemberDayParticipation" ("memberId", "clusterId", day, expected, contributed)
      SELECT "memberId", "clusterId", ${new Date(day)}::date, sum(expected), sum(contributed)
      FROM "MemberEpochParticipation"
      WHERE "clusterId" = ${cluster.id} AND epoch >= ${Math.max(0, firstEpoch)} AND epoch < ${endEpoch}
      GROUP BY "memberId", "clusterId"
      ON CONFLICT ("memberId", day) DO UPDATE SET expected = EXCLUDED.expected, contributed = EXCLUDED.contributed`;
  }
}
