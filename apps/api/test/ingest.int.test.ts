import { lockToJson } from "@cohort/cluster";
import { createSql } from "@cohort/db";
import { type ReportBatch, reconcile, verifyBundle } from "@cohort/evidence";
import { jobs, startWorker } from "@cohort/queue";
import { startTestApp, type TestApp, waitFor } from "@cohort/test-utils";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { makeWorld, N, type World } from "../../../packages/evidence/test/fixture";
import {
  batchOf as batchOfWorld,
  participationOf,
  postReport,
  setupEvidenceCluster,
  signBatch,
} from "./evidenceCluster";

let app: TestApp;
let w: World;
let clusterId: string;
const keys: string[] = []; // API key per share index − 1

const post = (batch: unknown, key: string | undefined) => postReport(app, batch, key);
/** Member i's batch: the messages it sent, the receipts it recorded, its signed epoch root. */
const batchOf = (i: number, seq = 1, messages = w.messages): ReportBatch =>
  batchOfWorld(w, i, { seq, messages });
const signed = (b: ReportBatch) => signBatch(w, b);
const participation = () => participationOf(app, clusterId);

beforeAll(async () => {
  app = await startTestApp({ queuePrefix: `${inject("queuePrefix")}-ingest` }); // its own queues
  w = makeWorld();
  // The cluster as the portal knows it: four operators (the lock's addresses), then the lock attached.
  const c = await setupEvidenceCluster(app, w, "ingest");
  clusterId = c.clusterId;
  keys.push(...c.keys);
});

afterAll(async () => {
  await app?.close();
});

describe("agent report ingest", () => {
  it("refuses what must not be stored, with a code naming the problem", async () => {
    const b = signed(batchOf(1));
    expect((await post(b, undefined)).status).toBe(401); // anonymous: not an agent
    expect(await post(b, keys[1])).toMatchObject({ status: 403, body: { field: "batch.reporter" } });
    const badSig = { ...b, signature: signed(batchOf(2)).signature };
    expect(await post(badSig, keys[0])).toMatchObject({ status: 400, body: { code: "SIGNATURE_INVALID" } });
    const malformed = { batch: { ...b.batch, receipts: [{ digest: "0x12" }] }, signature: b.signature };
    expect(await post(malformed, keys[0])).toMatchObject({
      status: 400,
      body: { code: "BAD_USER_INPUT", field: "batch.receipts.0.digest" },
    });
    expect(await app.db.agentReport.count({ where: { clusterId } })).toBe(0);
  });

  it("applies every member's report once and reconciles participation exactly as the rule says", async () => {
    const ids: string[] = [];
    for (let i = 1; i <= N; i++) {
      const res = await post(signed(batchOf(i)), keys[i - 1]);
      expect(res).toMatchObject({ status: 202, body: { accepted: true, duplicate: false } });
      ids.push(res.body.reportId as string);
    }
    // Replays change nothing.
    expect(await post(signed(batchOf(3)), keys[2])).toMatchObject({ status: 202, body: { duplicate: true } });
    // The same seq with other content is a conflict, not a silent overwrite.
    const other = batchOf(3);
    other.createdAt += 1;
    expect(await post(signed(other), keys[2])).toMatchObject({ status: 409, body: { code: "SEQ_CONFLICT" } });

    // Run the real worker over the queue.
    const worker = startWorker(
      app.backend,
      jobs.ingestReport,
      async ({ reportId }) => {
        try {
          return await app.services.ingest.process(reportId);
        } catch (e) {
          console.error("ingest failed", e);
          throw e;
        }
      },
      {},
    );
    try {
      await waitFor(
        async () =>
          (await app.db.agentReport.count({ where: { id: { in: ids }, status: "ACCEPTED" } })) === N,
        30_000,
        "all reports processed",
      );
    } finally {
      await worker.close();
    }

    const truth = reconcile({
      cluster: w.cluster,
      duties: w.duties,
      messages: w.messages,
      receipts: w.receipts,
      q: 2,
    });
    const got = await participation();
    for (const t of truth.members) {
      expect(got.get(t.shareIndex), `member ${t.shareIndex}`).toEqual({
        expected: t.expected,
        contributed: t.contributed,
      });
    }
    // The fixture's story: member 4 absent for 4 of 8 slots, member 2 late once (3 validators per slot).
    expect(got.get(4)).toEqual({ expected: 24, contributed: 12 });
    expect(got.get(2)).toEqual({ expected: 24, contributed: 21 });
    const late = await app.db.participation.findFirst({
      where: { clusterId, member: { shareIndex: 2 }, slot: 3201 },
    });
    expect(late).toMatchObject({ contributed: false, missReason: "LATE" });
    const absent = await app.db.participation.findFirst({
      where: { clusterId, member: { shareIndex: 4 }, slot: 3207 },
    });
    expect(absent).toMatchObject({ contributed: false, missReason: "NO_MESSAGE" });

    // Roll-ups agree with the rows; epoch roots and heartbeats were stored.
    const epoch = await app.db.memberEpochParticipation.findMany({ where: { clusterId } });
    expect(epoch.map((e) => e.expected).reduce((a, b) => a + b, 0)).toBe(96);
    expect(epoch.map((e) => e.contributed).reduce((a, b) => a + b, 0)).toBe(24 + 21 + 24 + 12);
    expect(await app.db.memberEpochRoot.count({ where: { clusterId } })).toBe(N);
    expect(await app.db.uptimeHour.count({ where: { clusterId } })).toBe(N);

    // Processing a report twice (a retried job) changes nothing.
    expect(await app.services.ingest.process(ids[0]!)).toEqual({ status: "SKIPPED" });
    expect(await participation()).toEqual(got);
  });

  it("exports a bundle an auditor verifies offline, with the same per-member counts", async () => {
    // A session for an auditor of the cluster (grants are by address).
    const { privateKeyToAccount, generatePrivateKey } = await import("viem/accounts");
    const auditor = privateKeyToAccount(generatePrivateKey());
    await app.db.clusterAccessGrant.create({
      data: {
        clusterId,
        address: auditor.address.toLowerCase(),
        role: "AUDITOR",
        grantedByAddress: `0x${"ab".repeat(20)}`,
      },
    });
    const token = await app.signIn(auditor);
    const url = `${app.url}/evidence/v1/clusters/${clusterId}/bundle?fromSlot=3200&toSlot=3207`;
    const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    const bundle = await res.json();
    const checked = verifyBundle(bundle, w.lock);
    if (!checked.ok) throw new Error(checked.failure.message);
    expect(checked.members.map((m) => [m.shareIndex, m.expected, m.contributed])).toEqual([
      [1, 24, 24],
      [2, 24, 21],
      [3, 24, 24],
      [4, 24, 12],
    ]);
    // The same through the CLI, as an auditor would: export from the portal, verify offline.
    const { cohort } = await import("../../agent/test/cohort");
    const { mkdtempSync, writeFileSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const dir = mkdtempSync(join(tmpdir(), "cohort-bundle-"));
    writeFileSync(join(dir, "cluster-lock.json"), JSON.stringify(lockToJson(w.lock)));
    const exported = await cohort(
      "evidence",
      "export",
      "--portal-url",
      app.url,
      "--token",
      token,
      "--cluster",
      clusterId,
      "--from",
      "3200",
      "--to",
      "3207",
      "--out",
      join(dir, "bundle.json"),
    );
    expect(exported.code, exported.err).toBe(0);
    const verified = await cohort(
      "evidence",
      "verify",
      join(dir, "bundle.json"),
      "--lock",
      join(dir, "cluster-lock.json"),
    );
    expect(verified.code, verified.err).toBe(0);
    const row = (share: number) =>
      verified.out
        .split("\n")
        .find((l) => l.startsWith(`${share} `))
        ?.split(/\s+/);
    expect(row(4)?.slice(2, 4)).toEqual(["24", "12"]); // member 4: expected 24, contributed 12
    expect(row(2)?.slice(2, 4)).toEqual(["24", "21"]);
    // Exporting over an existing file is refused; nothing is overwritten.
    const again = await cohort(
      "evidence",
      "export",
      "--portal-url",
      app.url,
      "--token",
      token,
      "--cluster",
      clusterId,
      "--from",
      "3200",
      "--to",
      "3207",
      "--out",
      join(dir, "bundle.json"),
    );
    expect(again.code).not.toBe(0);
    // One altered partial in the exported bundle is caught.
    const tampered = structuredClone(bundle);
    const sig = tampered.members.find((m: { sent: unknown[] }) => m.sent.length > 0).sent[0].message.message
      .partials[0];
    sig.signature = `0x${"a".repeat(192)}`;
    expect(verifyBundle(tampered, w.lock).ok).toBe(false);
    // Agents may report but not export; outsiders learn nothing.
    expect((await fetch(url, { headers: { authorization: `Bearer ${keys[0]}` } })).status).toBe(403);
    expect((await fetch(url)).status).toBe(401);
  });

  it("rejects a whole report with one bad partial, storing none of it", async () => {
    const before = await app.db.signedPartialMessage.count({ where: { clusterId } });
    const b = batchOf(1, 2);
    // A valid-looking message whose first partial is member 2's for the same root: the wrong share.
    const msg = structuredClone(b.sent[0]!);
    const other = w.messages.find((m) => m.message.shareIndex === 2 && m.message.slot === msg.message.slot)!;
    msg.message.partials[0]!.signature = other.message.partials[0]!.signature;
    msg.message.sentAt += 7; // a new message (new digest), re-signed by member 1's identity key
    const { signMsg } = await import("../../../packages/evidence/test/fixture");
    b.sent = [signMsg(msg.message, w.identityKeys[0]!)];
    b.receipts = [];
    b.epochRoots = [];
    const res = await post(signed(b), keys[0]);
    expect(res.status).toBe(202);
    const result = await app.services.ingest.process(res.body.reportId as string);
    expect(result).toMatchObject({ status: "REJECTED", errorCode: "INVALID_PARTIAL" });
    const report = await app.db.agentReport.findUniqueOrThrow({ where: { id: res.body.reportId as string } });
    expect(report.errorDetail).toMatch(/sent\.0 .*partials\.0/);
    expect(await app.db.signedPartialMessage.count({ where: { clusterId } })).toBe(before);
  });

  it("loses nothing and double-counts nothing when the ingest transaction dies mid-way", async () => {
    // A fresh member-1 report covering one more slot, whose transaction we kill while it waits on a lock.
    const msgs = w.messages.filter((m) => m.message.slot === 3200);
    const b = batchOf(1, 3, msgs);
    b.sent = b.sent.map((m) => {
      const copy = structuredClone(m);
      copy.message.sentAt += 11;
      return copy;
    });
    const { signMsg } = await import("../../../packages/evidence/test/fixture");
    b.sent = b.sent.map((m) => signMsg(m.message, w.identityKeys[0]!));
    b.receipts = [];
    b.epochRoots = [];
    b.heartbeats = [];
    const res = await post(signed(b), keys[0]);
    const reportId = res.body.reportId as string;
    const before = await participation();

    const admin = createSql(inject("databaseUrl"), { max: 2 });
    try {
      await admin.begin(async (lockTx) => {
        // Hold this cluster's roll-up rows: the ingest transaction blocks there, after its COPYs.
        await lockTx`SELECT 1 FROM "MemberEpochParticipation" WHERE "clusterId" = ${clusterId} FOR UPDATE`;
        const holder = (await lockTx`SELECT pg_backend_pid() AS pid`)[0]!.pid as number;
        const running = app.services.ingest.process(reportId).then(
          () => "done",
          (e: Error) => e.message,
        );
        // Wait until the ingest transaction blocks on the lock, then cancel it from the server side
        // (pg_terminate_backend would also do, but trips postgres.js 3.4.9's null-socket bug in
        // this process: porsager/postgres#1154 — see guardPostgresJsNullSocket in @cohort/db).
        const victim = await waitFor(async () => {
          const rows = await admin`
            SELECT pid FROM pg_stat_activity WHERE ${holder} = ANY(pg_blocking_pids(pid))`;
          return rows[0]?.pid as number | undefined;
        }, 15_000);
        await admin`SELECT pg_cancel_backend(${victim})`;
        expect(await running).not.toBe("done");
      });
      const report = await app.db.agentReport.findUniqueOrThrow({ where: { id: reportId } });
      expect(report.status).toBe("QUEUED"); // rolled back: still to do
      expect(await participation()).toEqual(before);
      // The retry applies it exactly once.
      expect(await app.services.ingest.process(reportId)).toMatchObject({ status: "ACCEPTED" });
      expect(await app.services.ingest.process(reportId)).toEqual({ status: "SKIPPED" });
      const messages = await app.db.signedPartialMessage.count({
        where: { clusterId, slot: 3200, sender: { shareIndex: 1 } },
      });
      expect(messages).toBe(2); // the original and the re-sent (new digest) message, once each
      expect(await participation()).toEqual(before); // same duties, same members: nothing double-counted
    } finally {
      await admin.end({ timeout: 5 });
    }
  });
});
