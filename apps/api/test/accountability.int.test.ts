/**
 * Accountability end to end (real PostgreSQL, Redis, BullMQ workers, HTTP): a 3-of-4 cluster whose
 * member 4 is down for a known run of slots reports its evidence in two rounds (during and after the
 * outage). Participation per member must equal the truth exactly, a MEMBER_OFFLINE incident must
 * open for the outage — paging the member on call through a signed webhook — and close on recovery.
 */
import { createHmac, randomBytes } from "node:crypto";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { REPORT_GRACE_MS } from "@cohort/domain";
import { reconcile } from "@cohort/evidence";
import { createLogger } from "@cohort/logger";
import { jobsPortFor } from "@cohort/queue";
import { startTestApp, type TestApp, waitFor } from "@cohort/test-utils";
import { startWorkers } from "@cohort/worker";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { makeWorld, type World } from "../../../packages/evidence/test/fixture";
import {
  batchOf,
  type EvidenceCluster,
  participationOf,
  postReport,
  setupEvidenceCluster,
  signBatch,
} from "./evidenceCluster";

const SLOTS = Array.from({ length: 20 }, (_, i) => 3200 + i); // epoch 100
const DOWN = { member: 4, from: 3204, to: 3213 }; // ten slots, three validators each
const FIRST_ROUND_LAST_SLOT = 3209; // reports sent mid-outage…
const present = (i: number, slot: number) => !(i === DOWN.member && slot >= DOWN.from && slot <= DOWN.to);

let app: TestApp;
let w: World;
let c: EvidenceCluster;
let worker: ReturnType<typeof startWorkers>;
const received: { headers: IncomingHttpHeaders; body: string }[] = [];
let receiverUrl = "";
let closeReceiver: () => Promise<void> = async () => {};
const secret = randomBytes(16).toString("hex");
let clockOffsetMs = 0;
const live: { type: string; [k: string]: unknown }[] = [];

beforeAll(async () => {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (x: Buffer) => chunks.push(x));
    req.on("end", () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  receiverUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  closeReceiver = () => new Promise<void>((r) => server.close(() => r()));

  // The services' clock, advanced by hand: a member's silence only counts after REPORT_GRACE_MS.
  app = await startTestApp({
    now: () => new Date(Date.now() + clockOffsetMs),
    queuePrefix: `${inject("queuePrefix")}-accountability`, // its own queues: no other file's worker takes its jobs
  });
  w = makeWorld({ slots: SLOTS, present, late: null });
  c = await setupEvidenceCluster(app, w, "accountability");
  // What the SSE endpoint streams to dashboards.
  await app.events.subscribe(c.clusterId, (e) => live.push(e));
  // Member 3 is on call now (a daily rotation of members 3 and 1 that started an hour ago).
  await app.db.onCallRotation.create({
    data: {
      clusterId: c.clusterId,
      name: "primary",
      level: "PRIMARY",
      startsAt: new Date(Date.now() - 3_600_000),
      shiftHours: 24,
      ackTimeoutMinutes: 30,
      members: {
        create: [
          { memberId: c.memberIds[2]!, position: 0 },
          { memberId: c.memberIds[0]!, position: 1 },
        ],
      },
    },
  });
  await app.db.notificationChannel.create({
    data: { clusterId: c.clusterId, kind: "WEBHOOK", target: receiverUrl, secret, events: [] },
  });
  const logger = createLogger({ name: "worker-test", level: process.env.TEST_LOG_LEVEL ?? "silent" });
  worker = startWorkers({
    backend: app.backend,
    services: app.services,
    logger,
    jobsPort: jobsPortFor(app.producer),
  });
});

afterAll(async () => {
  await worker?.close();
  await app?.close();
  await closeReceiver();
});

async function reportRound(seq: number, messages: World["messages"]) {
  const ids: string[] = [];
  for (let i = 1; i <= 4; i++) {
    const res = await postReport(
      app,
      signBatch(w, batchOf(w, i, { seq, messages, epochRoot: false })),
      c.keys[i - 1],
    );
    expect(res.status).toBe(202);
    ids.push(res.body.reportId as string);
  }
  await waitFor(
    async () =>
      (await app.db.agentReport.count({ where: { id: { in: ids }, status: "ACCEPTED" } })) === ids.length,
    30_000,
    `round ${seq} ingested`,
  );
}

const offlineIncident = () =>
  app.db.incident.findFirst({
    where: {
      clusterId: c.clusterId,
      kind: "MEMBER_OFFLINE",
      members: { some: { member: { shareIndex: 4 } } },
    },
    include: { members: { include: { member: true } }, timeline: true },
  });

describe("accountability from agents' evidence", () => {
  it("opens an incident for the outage and pages the member on call", async () => {
    await reportRound(
      1,
      w.messages.filter((m) => m.message.slot <= FIRST_ROUND_LAST_SLOT),
    );
    // Member 4 reported just now (up to the slot it went down): its later slots are not judged yet.
    await app.services.incidents.evaluate(c.clusterId);
    expect(await offlineIncident()).toBeNull();
    // It stays silent past the grace period; the minute sweep then judges the others' evidence.
    clockOffsetMs = REPORT_GRACE_MS + 60_000;
    await app.services.incidents.evaluate(c.clusterId);
    const incident = await waitFor(
      async () => {
        const i = await offlineIncident();
        return i && i.status === "OPEN" ? i : null;
      },
      30_000,
      "MEMBER_OFFLINE incident",
    );
    expect(incident.members.map((m) => m.member.shareIndex)).toEqual([4]);
    expect(incident.fromSlot).toBe(DOWN.from);

    const page = await waitFor(
      async () => received.find((r) => r.headers["x-cohort-event"] === "incident.opened"),
      30_000,
      "webhook",
    );
    expect(page.headers["x-cohort-signature"]).toBe(
      `sha256=${createHmac("sha256", secret).update(page.body).digest("hex")}`,
    );
    const payload = JSON.parse(page.body);
    const onCall = await app.db.clusterMember.findUniqueOrThrow({
      where: { id: c.memberIds[2]! },
      include: { operator: true },
    });
    expect(payload.onCall.level).toBe("PRIMARY");
    expect(payload.onCall.memberId).toBe(onCall.id);
    expect(payload.incident.kind).toBe("MEMBER_OFFLINE");
    // Nobody else was blamed while the reports of one round arrived one by one.
    expect(await app.db.incident.count({ where: { clusterId: c.clusterId } })).toBe(1);
  });

  it("closes it on recovery, and participation equals the truth exactly", async () => {
    clockOffsetMs = 0; // member 4 is back and reporting again
    await reportRound(
      2,
      w.messages.filter((m) => m.message.slot > FIRST_ROUND_LAST_SLOT),
    );
    const resolved = await waitFor(
      async () => {
        const i = await offlineIncident();
        return i && i.status === "RESOLVED" ? i : null;
      },
      30_000,
      "incident resolved",
    );
    expect(resolved.resolvedBy).toBe("system");
    expect(resolved.toSlot).toBe(DOWN.to);
    expect(resolved.timeline.map((e) => e.kind)).toContain("RESOLVED");

    const truth = reconcile({
      cluster: w.cluster,
      duties: w.duties,
      messages: w.messages,
      receipts: w.receipts,
      q: 2,
    });
    const got = await participationOf(app, c.clusterId);
    for (const t of truth.members) {
      expect(got.get(t.shareIndex), `member ${t.shareIndex}`).toEqual({
        expected: t.expected,
        contributed: t.contributed,
      });
    }
    // 20 slots × 3 validators; member 4 missed its 10 slots of the outage.
    expect(got.get(4)).toEqual({ expected: 60, contributed: 30 });
    expect(got.get(1)).toEqual({ expected: 60, contributed: 60 });

    // The dashboard's query over GraphQL agrees (an auditor of the cluster reads it).
    const { privateKeyToAccount, generatePrivateKey } = await import("viem/accounts");
    const auditor = privateKeyToAccount(generatePrivateKey());
    await app.db.clusterAccessGrant.create({
      data: {
        clusterId: c.clusterId,
        address: auditor.address.toLowerCase(),
        role: "AUDITOR",
        grantedByAddress: `0x${"ab".repeat(20)}`,
      },
    });
    const token = await app.signIn(auditor);
    const r = await app.gql<{
      cluster: {
        participation: {
          shareIndex: number;
          expectedDuties: number;
          contributedDuties: number;
          rate: number;
        }[];
      };
    }>(
      `query($id: ID!, $from: DateTime!, $to: DateTime!) {
        cluster(id: $id) { participation(from: $from, to: $to) { shareIndex expectedDuties contributedDuties rate operator { address } } }
      }`,
      { id: c.clusterId, from: "2025-01-01T00:00:00Z", to: "2026-01-01T00:00:00Z" },
      token,
    );
    expect(r.errors).toBeUndefined();
    expect(
      r.data!.cluster.participation.map((p) => [p.shareIndex, p.expectedDuties, p.contributedDuties]),
    ).toEqual([
      [1, 60, 60],
      [2, 60, 60],
      [3, 60, 60],
      [4, 60, 30],
    ]);
    expect(r.data!.cluster.participation[3]!.rate).toBe(0.5);
    // Live updates went out for both the evidence and the incident.
    const types = new Set(live.map((e) => e.type));
    expect(types).toContain("participation.updated");
    expect(types).toContain("incident.opened");
    expect(types).toContain("incident.resolved");
  });
});
