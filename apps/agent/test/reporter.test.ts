/**
 * The evidence journal and its reporter against a small real HTTP server acting as the portal's
 * ingest endpoint (checks the API key, the schema and the batch signature; dedupes by digest).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { k1GeneratePrivateKey, k1PublicKey, k1Sign } from "@cohort/cluster";
import {
  type ParSigMsg,
  parSigMsgDigest,
  reportBatchDigest,
  type SignedParSigMsg,
  type SignedReportBatch,
  signedReportBatchSchema,
  toHex,
  verifyEpochRootSignature,
  verifyReportBatchSignature,
} from "@cohort/evidence";
import { Registry } from "prom-client";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { EvidenceJournal } from "../src/journal";
import { Reporter } from "../src/reporter";

const LOCK = `0x${"ab".repeat(32)}`;
const KEY = "cohort_ak_test_secret";
const SPE = 8;
const SLOT_MS = 1000;
const GENESIS = Date.now() - 100 * SLOT_MS; // now ≈ slot 100 (epoch 12)
const slotStartMs = (s: number) => GENESIS + s * SLOT_MS;

const me = { index: 2, key: k1GeneratePrivateKey() };
const peer = { index: 3, key: k1GeneratePrivateKey() };

function msg(from: { index: number; key: Uint8Array }, slot: number, n = 0): SignedParSigMsg {
  const message: ParSigMsg = {
    lockHash: LOCK,
    slot,
    dutyType: 1,
    shareIndex: from.index,
    sentAt: slotStartMs(slot) + n,
    partials: [
      {
        pubkey: `0x${"11".repeat(48)}`,
        signingRoot: `0x${(slot % 256).toString(16).padStart(2, "0").repeat(32)}`,
        signature: `0x${"22".repeat(96)}`,
        data: { slot: String(slot), source: { epoch: "1" }, target: { epoch: "2" } },
      },
    ],
  };
  return { message, signature: toHex(k1Sign(from.key, parSigMsgDigest(message))) };
}

type Mode = "ok" | "down" | "bad" | "accept-then-drop";

interface Portal {
  url: string;
  mode: Mode;
  requests: number;
  /** Accepted batches by digest. */
  batches: Map<string, SignedReportBatch>;
  bySeq: Map<number, string>;
  server: Server;
}

async function startPortal(): Promise<Portal> {
  const p = { mode: "ok", requests: 0, batches: new Map(), bySeq: new Map() } as unknown as Portal;
  p.server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      p.requests++;
      const reply = (status: number, body: object) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify(body));
      };
      if (req.method !== "POST" || req.url !== "/ingest/v1/reports") return reply(404, { code: "NOT_FOUND" });
      if (req.headers.authorization !== `Bearer ${KEY}`) return reply(401, { code: "UNAUTHENTICATED" });
      if (p.mode === "down") return reply(503, { code: "UNAVAILABLE", message: "down" });
      const parsed = signedReportBatchSchema.safeParse(JSON.parse(Buffer.concat(chunks).toString("utf8")));
      if (!parsed.success) return reply(400, { code: "INVALID_BATCH", message: parsed.error.message });
      const signed = parsed.data as SignedReportBatch;
      if (!verifyReportBatchSignature(signed, k1PublicKey(me.key)))
        return reply(400, { code: "BAD_SIGNATURE", message: "batch signature" });
      if (p.mode === "bad")
        return reply(400, { code: "INVALID_BATCH", message: "nope", field: "batch.sent" });
      const digest = toHex(reportBatchDigest(signed.batch));
      const prior = p.bySeq.get(signed.batch.seq);
      if (prior !== undefined && prior !== digest)
        return reply(409, { code: "SEQ_CONFLICT", message: "seq reused with other content" });
      const duplicate = p.batches.has(digest);
      p.batches.set(digest, signed);
      p.bySeq.set(signed.batch.seq, digest);
      if (p.mode === "accept-then-drop") return res.socket?.destroy();
      reply(202, { accepted: true, batchHash: digest, duplicate });
    });
  });
  await new Promise<void>((r) => p.server.listen(0, "127.0.0.1", () => r()));
  p.url = `http://127.0.0.1:${(p.server.address() as AddressInfo).port}`;
  return p;
}

let dir: string;
let portal: Portal;
const open = () =>
  EvidenceJournal.open({
    path: path.join(dir, "evidence"),
    lockHash: LOCK,
    shareIndex: me.index,
    identityKey: me.key,
    slotsPerEpoch: SPE,
    slotStartMs,
  });
const reporterFor = (
  journal: EvidenceJournal,
  extra: Partial<ConstructorParameters<typeof Reporter>[0]> = {},
) =>
  new Reporter({
    journal,
    portalUrl: portal.url,
    portalKey: KEY,
    lockHash: LOCK,
    shareIndex: me.index,
    identityKey: me.key,
    minBackoffMs: 50,
    maxBackoffMs: 200,
    chain: { genesisTime: Math.floor(GENESIS / 1000), secondsPerSlot: 1, slotsPerEpoch: SPE },
    ...extra,
  });

/** Every sent digest and receipt digest the portal holds. */
const accepted = () => {
  const sent = new Set<string>();
  const receipts = new Set<string>();
  for (const b of portal.batches.values()) {
    for (const s of b.batch.sent) sent.add(toHex(parSigMsgDigest(s.message)));
    for (const r of b.batch.receipts) receipts.add(r.digest);
  }
  return { sent, receipts };
};
const digestOf = (m: SignedParSigMsg) => toHex(parSigMsgDigest(m.message));

beforeEach(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "cohort-reporter-"));
  portal = await startPortal();
});
afterEach(async () => {
  await new Promise((r) => portal.server.close(r));
  rmSync(dir, { recursive: true, force: true });
});

describe("evidence journal + reporter", () => {
  it("happy path: sent, receipts, outcomes, heartbeats and epoch roots reach the portal, signed", async () => {
    let now = slotStartMs(40);
    const j = await EvidenceJournal.open({
      path: path.join(dir, "evidence"),
      lockHash: LOCK,
      shareIndex: me.index,
      identityKey: me.key,
      slotsPerEpoch: SPE,
      slotStartMs,
      now: () => now,
    });
    const sent = [msg(me, 40), msg(me, 41)];
    for (const m of sent) await j.recordSent(m);
    const got = [msg(peer, 40), msg(peer, 41)];
    for (const m of got) j.recordReceived(m, peer.index, "peer3", slotStartMs(m.message.slot) + 300);
    j.recordOutcome({
      slot: 40,
      dutyType: 1,
      success: true,
      reason: null,
      validators: [{ pubkey: `0x${"11".repeat(48)}`, aggregated: true, submitted: true }],
      invalidFrom: [],
      slashingRefused: false,
      latencyMs: 420,
    });
    j.recordHeartbeat({
      at: Date.now(),
      peersConnected: [1, 3, 4],
      clockOffsetMs: 3,
      beaconStatus: "ok",
      readyReason: null,
      version: "0.1.0",
    });
    expect(await j.sealDue()).toEqual([]); // epoch 5's duties are not past their deadline yet
    now = slotStartMs(50); // epoch 5's last duty (slot 47) expires at slot 50
    const roots = await j.sealDue();
    expect(roots.map((r) => r.epoch)).toEqual([5]);
    const r5 = roots.find((r) => r.epoch === 5)!; // slots 40..47
    expect(r5).toMatchObject({ sentCount: 2, receiptCount: 2 });
    expect(verifyEpochRootSignature(LOCK, me.index, r5, k1PublicKey(me.key))).toBe(true);
    expect(await j.sealDue()).toEqual([]); // once per epoch

    const rep = reporterFor(j);
    expect(await rep.tick()).toBe("acknowledged");
    expect(portal.batches.size).toBe(1);
    const [b] = [...portal.batches.values()];
    expect(b!.batch).toMatchObject({ version: 1, lockHash: LOCK, reporter: me.index, seq: 1 });
    expect(b!.batch.chain).toEqual({
      genesisTime: Math.floor(GENESIS / 1000),
      secondsPerSlot: 1,
      slotsPerEpoch: SPE,
    });
    expect(b!.batch.sent.map((m) => digestOf(m))).toEqual(sent.map(digestOf));
    expect(b!.batch.receipts).toEqual(
      got.map((m) => ({
        digest: digestOf(m),
        from: peer.index,
        slot: m.message.slot,
        dutyType: 1,
        receivedAt: slotStartMs(m.message.slot) + 300,
      })),
    );
    expect(b!.batch.outcomes).toHaveLength(1);
    expect(b!.batch.heartbeats).toHaveLength(1);
    expect(b!.batch.epochRoots.map((r) => r.epoch)).toEqual(roots.map((r) => r.epoch));
    expect(await rep.tick()).toBe("empty");
    expect((await j.getMeta()).cursor).toBe(j.lastId);
    expect((await j.getMeta()).seq).toBe(1);
    await j.close();
  });

  it("portal down, then up: the same seq (same bytes) is resent until acknowledged; nothing lost", async () => {
    const j = await open();
    const all: SignedParSigMsg[] = [];
    for (let s = 50; s < 53; s++) {
      all.push(msg(me, s));
      await j.recordSent(all.at(-1)!);
    }
    portal.mode = "down";
    const rep = reporterFor(j);
    expect(await rep.tick()).toBe("failed");
    const first = (await j.getMeta()).pending!;
    expect(first.seq).toBe(1);
    all.push(msg(me, 53));
    await j.recordSent(all.at(-1)!); // arrives while the portal is down
    expect(await rep.tick()).toBe("failed");
    expect((await j.getMeta()).pending).toEqual(first);
    expect(rep.lastError).toBe("UNAVAILABLE");
    portal.mode = "ok";
    expect(await rep.tick()).toBe("acknowledged");
    const [b1] = [...portal.batches.values()];
    expect(JSON.stringify(b1)).toBe(first.body); // the very bytes built before the outage
    expect(await rep.tick()).toBe("acknowledged");
    expect([...portal.bySeq.keys()]).toEqual([1, 2]);
    expect(accepted().sent).toEqual(new Set(all.map(digestOf)));
    expect(await rep.tick()).toBe("empty");
    await j.close();
  });

  it("400: the entries are kept and retried with backoff (no hot loop), then delivered", async () => {
    const j = await open();
    const m = msg(me, 60);
    await j.recordSent(m);
    portal.mode = "bad";
    const registry = new Registry();
    const rep = reporterFor(j, { minBackoffMs: 100, maxBackoffMs: 400, intervalMs: 20, registry });
    rep.start();
    await new Promise((r) => setTimeout(r, 700));
    expect(rep.lastError).toBe("INVALID_BATCH");
    expect(portal.requests).toBeGreaterThanOrEqual(2);
    expect(portal.requests).toBeLessThanOrEqual(5); // 100, 200, 400 ms backoff
    const meta = await j.getMeta();
    expect(meta.cursor).toBe(0);
    expect(meta.pending?.seq).toBe(1);
    portal.mode = "ok";
    await rep.stop(); // the final attempt delivers it
    expect(accepted().sent).toEqual(new Set([digestOf(m)]));
    const metrics = await registry.metrics();
    expect(metrics).toMatch(/cohort_evidence_reports_failed_total\{code="INVALID_BATCH"\} [2-5]/);
    expect(metrics).toMatch(/cohort_evidence_reports_acknowledged_total 1/);
    expect((await j.getMeta()).cursor).toBe(j.lastId);
    await j.close();
  });

  it("409 SEQ_CONFLICT: the same entries are re-batched under the next seq", async () => {
    const j = await open();
    const m = msg(me, 62);
    await j.recordSent(m);
    portal.bySeq.set(1, "0xsomething-else"); // e.g. a data dir restored from an old backup
    const rep = reporterFor(j);
    expect(await rep.tick()).toBe("failed");
    expect(rep.lastError).toBe("SEQ_CONFLICT");
    expect((await j.getMeta()).pending?.seq).toBe(2);
    expect(await rep.tick()).toBe("acknowledged");
    expect(portal.bySeq.get(2)).toBeDefined();
    expect(accepted().sent).toEqual(new Set([digestOf(m)]));
    expect((await j.getMeta()).seq).toBe(2);
    await j.close();
  });

  it("batch limits: entries are split over several batches", async () => {
    const j = await open();
    for (let s = 64; s < 69; s++) await j.recordSent(msg(me, s));
    for (let s = 64; s < 71; s++) j.recordReceived(msg(peer, s), peer.index, "p", slotStartMs(s) + 1);
    const rep = reporterFor(j, { maxMessages: 2, maxReceipts: 3 });
    let n = 0;
    while ((await rep.tick()) === "acknowledged") n++;
    expect(n).toBeGreaterThanOrEqual(3);
    for (const b of portal.batches.values()) {
      expect(b.batch.sent.length).toBeLessThanOrEqual(2);
      expect(b.batch.receipts.length).toBeLessThanOrEqual(3);
    }
    expect(accepted().sent.size).toBe(5);
    expect(accepted().receipts.size).toBe(7);
    await j.close();
  });

  it("restart mid-way: resumes from the durable cursor, resends the pending batch unchanged, no gaps", async () => {
    let j = await open();
    const all: SignedParSigMsg[] = [];
    const record = async (s: number) => {
      all.push(msg(me, s));
      await j.recordSent(all.at(-1)!);
    };
    await record(70);
    let rep = reporterFor(j);
    expect(await rep.tick()).toBe("acknowledged"); // seq 1
    await record(71);
    await record(72);
    portal.mode = "accept-then-drop"; // the portal stores seq 2, the agent never hears back…
    expect(await rep.tick()).toBe("failed");
    const pending = (await j.getMeta()).pending!;
    expect(pending.seq).toBe(2);
    await record(73);
    await j.close(); // …and "crashes"

    portal.mode = "ok";
    j = await open();
    rep = reporterFor(j);
    expect(await rep.tick()).toBe("acknowledged"); // seq 2 again, same bytes: a duplicate
    expect(portal.bySeq.get(2)).toBe(toHex(reportBatchDigest(JSON.parse(pending.body).batch)));
    await record(74);
    expect(await rep.tick()).toBe("acknowledged"); // seq 3: 73 and 74
    expect(await rep.tick()).toBe("empty");
    expect([...portal.bySeq.keys()].sort()).toEqual([1, 2, 3]);
    expect(portal.batches.size).toBe(3); // one digest per seq: no seq reused with other content
    expect(accepted().sent).toEqual(new Set(all.map(digestOf)));
    const counts = [...portal.batches.values()].map((b) => b.batch.sent.length);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(all.length); // no entry twice
    await j.close();
  });

  it("prunes acknowledged entries older than the retention window only", async () => {
    const j = await EvidenceJournal.open({
      path: path.join(dir, "evidence"),
      lockHash: LOCK,
      shareIndex: me.index,
      identityKey: me.key,
      slotsPerEpoch: SPE,
      slotStartMs,
      retentionEpochs: 2,
      now: () => slotStartMs(10), // entries written "long ago"
    });
    for (let s = 8; s < 11; s++) await j.recordSent(msg(me, s));
    await j.close();
    const j2 = await EvidenceJournal.open({
      path: path.join(dir, "evidence"),
      lockHash: LOCK,
      shareIndex: me.index,
      identityKey: me.key,
      slotsPerEpoch: SPE,
      slotStartMs,
      retentionEpochs: 2,
    });
    await j2.recordSent(msg(me, 99));
    expect(await j2.prune(0)).toBe(0); // nothing acknowledged yet
    const rep = reporterFor(j2, { maxMessages: 2 });
    expect(await rep.tick()).toBe("acknowledged"); // 2 old entries acked, then pruned
    const left: number[] = [];
    for await (const { entry } of j2.entriesAfter(0))
      if (entry.kind === "sent") left.push(entry.message.message.slot);
    expect(left).toEqual([10, 99]);
    await j2.close();
  });
});
