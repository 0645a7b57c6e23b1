/**
 * The accountability attacks, through the portal (HTTP → worker → SQL reconciliation), not just the
 * pure rule: each must leave the absent member's participation exactly as the truth has it.
 * Fixture: 3-of-4, three validators, slots 3200–3207; member 4 is absent from slot 3204 on; q = 2.
 */
import type { ReportBatch } from "@cohort/evidence";
import { thresholdAggregate } from "@cohort/tbls";
import { startTestApp, type TestApp } from "@cohort/test-utils";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import {
  ATTESTER,
  digestOf,
  makeWorld,
  partialFor,
  rootKey,
  signMsg,
  slotStart,
  type World,
} from "../../../packages/evidence/test/fixture";
import {
  batchOf,
  type EvidenceCluster,
  participationOf,
  postReport,
  setupEvidenceCluster,
  signBatch,
} from "./evidenceCluster";

let app: TestApp;
let w: World;
let c: EvidenceCluster;
const seqs = [1, 1, 1, 1];

const toHex = (b: Uint8Array) => `0x${Buffer.from(b).toString("hex")}`;

/** Member 4's partial for `slot`, computed from members 1–3's (what anyone holding t partials can do). */
async function interpolated(slot: number, v: string) {
  const known = [1, 2, 3].map((i) => Buffer.from(partialFor(w, i, slot, v).signature.slice(2), "hex"));
  // thresholdAggregate interpolates at x = 0: with g(x) = f(4 − x), g(0) = f(4).
  return toHex(
    await thresholdAggregate(
      new Map([
        [3, known[0]!],
        [2, known[1]!],
        [1, known[2]!],
      ]),
    ),
  );
}

async function submit(b: ReportBatch) {
  const res = await postReport(app, signBatch(w, b), c.keys[b.reporter - 1]);
  expect(res.status).toBe(202);
  return app.services.ingest.process(res.body.reportId as string);
}

function emptyBatch(reporter: number): ReportBatch {
  seqs[reporter - 1]! += 1;
  return {
    version: 1,
    lockHash: w.cluster.lockHash,
    reporter,
    seq: seqs[reporter - 1]!,
    createdAt: 1_760_000_100_000 + seqs[reporter - 1]!,
    sent: [],
    receipts: [],
    outcomes: [],
    heartbeats: [],
    epochRoots: [],
  };
}

const rowOf = (share: number, slot: number) =>
  app.db.participation.findMany({ where: { clusterId: c.clusterId, slot, member: { shareIndex: share } } });

beforeAll(async () => {
  app = await startTestApp({ queuePrefix: `${inject("queuePrefix")}-attacks` }); // its own queues
  w = makeWorld({ late: null });
  c = await setupEvidenceCluster(app, w, "attacks");
  for (let i = 1; i <= 4; i++) expect(await submit(batchOf(w, i))).toMatchObject({ status: "ACCEPTED" });
  expect((await participationOf(app, c.clusterId)).get(4)).toEqual({ expected: 24, contributed: 12 });
});

afterAll(async () => {
  await app?.close();
});

describe("attacks on participation evidence, through the portal", () => {
  it("a colluder cannot report an interpolated partial as the absent member's message", async () => {
    const slot = 3205;
    const partials = await Promise.all(
      w.validators.map(async (v) => ({
        ...partialFor(w, 1, slot, v),
        signature: await interpolated(slot, v),
      })),
    );
    // The trap is real: it verifies against member 4's public share…
    const forged = signMsg(
      {
        lockHash: w.cluster.lockHash,
        slot,
        dutyType: ATTESTER,
        shareIndex: 4,
        sentAt: slotStart(slot) + 4000,
        partials,
      },
      w.identityKeys[0]!, // …but only member 1 can sign the message
    );
    const b = emptyBatch(1);
    b.sent = [forged];
    expect(await submit(b)).toMatchObject({ status: "REJECTED", errorCode: "WRONG_SENDER" });
    // Even as a message "received" from 4: a receipt for a message member 4 never signed proves nothing.
    const r1 = emptyBatch(1);
    const r2 = emptyBatch(2);
    for (const b2 of [r1, r2])
      b2.receipts = [
        { digest: digestOf(forged), from: 4, slot, dutyType: ATTESTER, receivedAt: slotStart(slot) + 4100 },
      ];
    expect(await submit(r1)).toMatchObject({ status: "ACCEPTED" });
    expect(await submit(r2)).toMatchObject({ status: "ACCEPTED" });
    expect((await rowOf(4, slot)).every((r) => !r.contributed)).toBe(true);
    expect((await participationOf(app, c.clusterId)).get(4)).toEqual({ expected: 24, contributed: 12 });
  });

  it("a message signed after the deadline with ONE colluding receiver vouching does not count", async () => {
    const slot = 3206;
    const partials = await Promise.all(
      w.validators.map(async (v) => ({
        ...partialFor(w, 4, slot, v),
        signature: await interpolated(slot, v),
      })),
    );
    // Member 4 signs (with its own key) long after the slot, claiming an on-time send…
    const late = signMsg(
      {
        lockHash: w.cluster.lockHash,
        slot,
        dutyType: ATTESTER,
        shareIndex: 4,
        sentAt: slotStart(slot) + 4000,
        partials,
      },
      w.identityKeys[3]!,
    );
    const own = emptyBatch(4);
    own.sent = [late];
    expect(await submit(own)).toMatchObject({ status: "ACCEPTED" });
    // …and member 1 colludes with an "on time" receipt; members 2 and 3 honestly saw it late.
    const colluder = emptyBatch(1);
    colluder.receipts = [
      { digest: digestOf(late), from: 4, slot, dutyType: ATTESTER, receivedAt: slotStart(slot) + 4100 },
    ];
    expect(await submit(colluder)).toMatchObject({ status: "ACCEPTED" });
    const honest = emptyBatch(2);
    honest.receipts = [
      { digest: digestOf(late), from: 4, slot, dutyType: ATTESTER, receivedAt: slotStart(slot + 10) },
    ];
    expect(await submit(honest)).toMatchObject({ status: "ACCEPTED" });
    const rows = await rowOf(4, slot);
    expect(rows).toHaveLength(3);
    for (const r of rows)
      expect(r).toMatchObject({ contributed: false, missReason: "LATE", onTimeReceipts: 1 });
    expect((await participationOf(app, c.clusterId)).get(4)).toEqual({ expected: 24, contributed: 12 });
  });

  it("a partial from one duty reused for another does not count, even with q colluding receivers", async () => {
    const slot = 3207;
    const from = 3203; // a duty member 4 really signed
    // Member 4's genuine partials of slot 3203 (valid signatures over 3203's roots) in a 3207 message.
    const reused = signMsg(
      {
        lockHash: w.cluster.lockHash,
        slot,
        dutyType: ATTESTER,
        shareIndex: 4,
        sentAt: slotStart(slot) + 4000,
        partials: w.validators.map((v) => partialFor(w, 4, from, v, w.roots.get(rootKey(from, v))!)),
      },
      w.identityKeys[3]!,
    );
    const own = emptyBatch(4);
    own.sent = [reused];
    expect(await submit(own)).toMatchObject({ status: "ACCEPTED" }); // every partial verifies…
    for (const receiver of [1, 2]) {
      const b = emptyBatch(receiver);
      b.receipts = [
        { digest: digestOf(reused), from: 4, slot, dutyType: ATTESTER, receivedAt: slotStart(slot) + 4100 },
      ];
      expect(await submit(b)).toMatchObject({ status: "ACCEPTED" });
    }
    // …but not over the root the cluster agreed for slot 3207.
    for (const r of await rowOf(4, slot))
      expect(r).toMatchObject({ contributed: false, missReason: "INVALID_PARTIAL" });
    expect((await participationOf(app, c.clusterId)).get(4)).toEqual({ expected: 24, contributed: 12 });
  });

  it("a message signed by a key outside the lock is refused; a replayed batch changes nothing", async () => {
    const { secp256k1 } = await import("@noble/curves/secp256k1");
    const stranger = secp256k1.utils.randomPrivateKey();
    const slot = 3204;
    const msg = signMsg(
      {
        lockHash: w.cluster.lockHash,
        slot,
        dutyType: ATTESTER,
        shareIndex: 4,
        sentAt: slotStart(slot) + 4000,
        partials: w.validators.map((v) => partialFor(w, 4, slot, v)),
      },
      stranger,
    );
    const b = emptyBatch(4);
    b.sent = [msg];
    expect(await submit(b)).toMatchObject({ status: "REJECTED", errorCode: "BAD_MESSAGE_SIGNATURE" });
    // A whole batch signed by the stranger is refused at the door.
    const { signReportBatch } = await import("@cohort/evidence");
    const byStranger = signReportBatch(emptyBatch(4), stranger);
    expect((await postReport(app, byStranger, c.keys[3])).body).toMatchObject({ code: "SIGNATURE_INVALID" });
    // Replaying member 1's first batch: accepted as a duplicate, nothing changes.
    const before = await participationOf(app, c.clusterId);
    const replay = await postReport(app, signBatch(w, batchOf(w, 1)), c.keys[0]);
    expect(replay).toMatchObject({ status: 202, body: { duplicate: true } });
    expect(await participationOf(app, c.clusterId)).toEqual(before);
  });
});
