/**
 * Expected duties from the beacon node: a 3-of-4 cluster (real lock) whose validators the
 * simulator knows. The portal reads the schedule (attester, proposer, sync-committee duties of the
 * current and next epoch) with NO agent reports; after the deadline, settle fails every duty as
 * `not_reported` with NO_MESSAGE participation for all four members and the roll-ups count them as
 * expected and not contributed. Re-running changes nothing; a report arriving later for one duty
 * still reconciles (those members contributed). Time is injected, never slept.
 */
import { randomBytes } from "node:crypto";
import { type RunningBeaconSim, startBeaconSim, validatorSet } from "@cohort/beacon-sim";
import { HOODI } from "@cohort/eth";
import { toHex } from "@cohort/evidence";
import { createLogger } from "@cohort/logger";
import { jobsPortFor } from "@cohort/queue";
import { newAccount, startTestApp, type TestApp, waitFor } from "@cohort/test-utils";
import { startWorkers } from "@cohort/worker";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ATTESTER,
  digestOf,
  makeWorld,
  partialFor,
  signMsg,
  type World,
} from "../../../packages/evidence/test/fixture";
import {
  batchOf,
  type EvidenceCluster,
  postReport,
  setupEvidenceCluster,
  signBatch,
} from "./evidenceCluster";

const { genesisTime, secondsPerSlot: SPS, slotsPerEpoch: SPE } = HOODI;
const NOW = new Date();
const EPOCH = Math.floor((NOW.getTime() / 1000 - genesisTime) / SPS / SPE);
const slotStartMs = (slot: number) => (genesisTime + slot * SPS) * 1000;
/** After the deadline (+3 slots) and grace (+2 slots) of every duty of EPOCH and EPOCH + 1. */
const AFTER_ALL = new Date(slotStartMs((EPOCH + 2) * SPE + 5) + 1);

let app: TestApp;
let w: World;
let c: EvidenceCluster;
let sim: RunningBeaconSim;
const key = (pubkey: string, slot: number, type: string) => `${pubkey}|${slot}|${type}`;

/** What the simulator says the cluster's validators (indices 0–2) must do in EPOCH and EPOCH + 1. */
function expectedDuties(): Set<string> {
  const ours = new Map(w.validators.map((p, i) => [i, p.toLowerCase()]));
  const out = new Set<string>();
  for (const e of [EPOCH, EPOCH + 1]) {
    for (const d of sim.chain.attesterDuties(e))
      if (ours.has(d.validatorIndex)) out.add(key(ours.get(d.validatorIndex)!, d.slot, "ATTESTER"));
    for (const d of sim.chain.proposerDuties(e))
      if (ours.has(d.validatorIndex)) out.add(key(ours.get(d.validatorIndex)!, d.slot, "PROPOSER"));
    for (let slot = e * SPE; slot < (e + 1) * SPE; slot++) {
      for (const d of sim.chain.syncDuties(Math.floor((slot + 1) / SPE), ours.keys()))
        if (d.positions.length > 0) out.add(key(ours.get(d.validatorIndex)!, slot, "SYNC_MESSAGE"));
    }
  }
  return out;
}

const dutiesOf = () =>
  app.db.duty.findMany({
    where: { clusterId: c.clusterId },
    include: { validator: { select: { pubkey: true } } },
    orderBy: [{ slot: "asc" }, { type: "asc" }, { id: "asc" }],
  });

beforeAll(async () => {
  app = await startTestApp();
  w = makeWorld({ slots: [], late: null });
  c = await setupEvidenceCluster(app, w, "duty schedule");
  // The lock's validators first (indices 0–2), then fillers: every validator is in the sync committee.
  sim = await startBeaconSim({ network: HOODI, validators: validatorSet(w.validators, { fillers: 5 }) });
});

afterAll(async () => {
  await sim?.stop();
  await app?.close();
});

describe("expected duties from the beacon node", () => {
  it("setClusterBeaconNode: operators only, URL validated", async () => {
    // Member 1's seat is given to an account the test can sign in with.
    const operator = newAccount();
    const op = await app.db.operator.create({ data: { address: operator.address.toLowerCase() } });
    await app.db.clusterMember.update({ where: { id: c.memberIds[0]! }, data: { operatorId: op.id } });
    const auditor = newAccount();
    await app.db.clusterAccessGrant.create({
      data: {
        clusterId: c.clusterId,
        address: auditor.address.toLowerCase(),
        role: "AUDITOR",
        grantedByAddress: operator.address.toLowerCase(),
      },
    });
    const mutation = `mutation($id: ID!, $url: String) {
      setClusterBeaconNode(clusterId: $id, url: $url) { id beaconNodeUrl } }`;
    const opToken = await app.signIn(operator);
    const bad = await app.gql(mutation, { id: c.clusterId, url: "ftp://example.org" }, opToken);
    expect(bad.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "url" });
    const denied = await app.gql(mutation, { id: c.clusterId, url: sim.url }, await app.signIn(auditor));
    expect(denied.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    const ok = await app.gql<{ setClusterBeaconNode: { beaconNodeUrl: string } }>(
      mutation,
      { id: c.clusterId, url: `${sim.url}/` },
      opToken,
    );
    expect(ok.errors).toBeUndefined();
    expect(ok.data?.setClusterBeaconNode.beaconNodeUrl).toBe(sim.url);
    expect(await app.services.duties.clustersToSync()).toContain(c.clusterId);
  });

  it("sync stores the validators' indices and the current and next epoch's duties", async () => {
    const r = await app.services.duties.sync(c.clusterId, NOW);
    expect(r.epochs).toEqual([EPOCH, EPOCH + 1]);
    expect(r.indexed).toBe(3);
    const validators = await app.db.validator.findMany({ where: { clusterId: c.clusterId } });
    for (const v of validators) {
      expect(v.index).toBe(w.validators.findIndex((p) => p.toLowerCase() === v.pubkey.toLowerCase()));
      expect(v.status).toBe("active_ongoing");
    }
    const expected = expectedDuties();
    const duties = await dutiesOf();
    expect(new Set(duties.map((d) => key(d.validator.pubkey.toLowerCase(), d.slot, d.type)))).toEqual(
      expected,
    );
    expect(duties.length).toBe(expected.size);
    expect(r).toMatchObject({ scheduled: expected.size, inserted: expected.size });
    const types = new Set(duties.map((d) => d.type));
    expect(types.has("ATTESTER") && types.has("SYNC_MESSAGE")).toBe(true);
    expect(duties.filter((d) => d.type === "ATTESTER")).toHaveLength(6); // 3 validators × 2 epochs
    for (const d of duties) {
      expect(d.outcome).toBe("PENDING");
      expect(d.epoch).toBe(Math.floor(d.slot / SPE));
      expect(d.startsAt.getTime()).toBe(slotStartMs(d.slot));
      expect(d.deadlineAt.getTime()).toBe(slotStartMs(d.slot + 3));
    }
    // Idempotent.
    expect(await app.services.duties.sync(c.clusterId, NOW)).toMatchObject({ inserted: 0 });
    expect(await app.db.duty.count({ where: { clusterId: c.clusterId } })).toBe(expected.size);
  });

  it("settles nothing before the deadlines", async () => {
    const r = await app.services.duties.settle(c.clusterId, new Date(slotStartMs(EPOCH * SPE)));
    expect(r).toMatchObject({ changed: false, failed: 0, participationAdded: 0 });
    expect(await app.db.participation.count({ where: { clusterId: c.clusterId } })).toBe(0);
  });

  it("after the deadline, unreported duties fail with NO_MESSAGE for every member", async () => {
    const n = await app.db.duty.count({ where: { clusterId: c.clusterId } });
    const r = await app.services.duties.settle(c.clusterId, AFTER_ALL);
    expect(r).toMatchObject({ changed: true, failed: n, participationAdded: 4 * n });
    const duties = await dutiesOf();
    expect(duties.every((d) => d.outcome === "FAILED" && d.failureReason === "not_reported")).toBe(true);
    const parts = await app.db.participation.findMany({ where: { clusterId: c.clusterId } });
    expect(parts).toHaveLength(4 * n);
    expect(parts.every((p) => !p.contributed && p.missReason === "NO_MESSAGE")).toBe(true);
    // The roll-ups count every scheduled duty as expected and not contributed.
    for (const memberId of c.memberIds) {
      const rows = await app.db.memberEpochParticipation.findMany({ where: { memberId } });
      expect(rows.reduce((s, x) => s + x.expected, 0)).toBe(n);
      expect(rows.reduce((s, x) => s + x.contributed, 0)).toBe(0);
    }
    // Re-running changes nothing.
    expect(await app.services.duties.settle(c.clusterId, AFTER_ALL)).toMatchObject({
      changed: false,
      failed: 0,
      participationAdded: 0,
    });
    expect(await app.services.duties.sync(c.clusterId, NOW)).toMatchObject({ inserted: 0 });
    expect(await app.db.participation.count({ where: { clusterId: c.clusterId } })).toBe(4 * n);
  });

  it("a report arriving later for one of those duties still reconciles", async () => {
    const duty = (await dutiesOf()).find((d) => d.type === "ATTESTER")!;
    const v = w.validators.find((p) => p.toLowerCase() === duty.validator.pubkey.toLowerCase())!;
    const root = toHex(randomBytes(32));
    // Members 1–3 signed and exchanged their partials on time; member 4 was down.
    w.messages = [1, 2, 3].map((i) =>
      signMsg(
        {
          lockHash: w.cluster.lockHash,
          slot: duty.slot,
          dutyType: ATTESTER,
          shareIndex: i,
          sentAt: slotStartMs(duty.slot) + 4000,
          partials: [partialFor(w, i, duty.slot, v, root)],
        },
        w.identityKeys[i - 1]!,
      ),
    );
    w.receipts = w.messages.flatMap((m) =>
      [1, 2, 3]
        .filter((r) => r !== m.message.shareIndex)
        .map((r) => ({
          receiver: r,
          digest: digestOf(m),
          from: m.message.shareIndex,
          receivedAt: m.message.sentAt + 40 + r,
        })),
    );
    for (const i of [1, 2, 3]) {
      const res = await postReport(
        app,
        signBatch(w, batchOf(w, i, { seq: 1, epochRoot: false })),
        c.keys[i - 1],
      );
      expect(res.status).toBe(202);
      expect((await app.services.ingest.process(res.body.reportId as string)).status).toBe("ACCEPTED");
    }
    const parts = await app.db.participation.findMany({
      where: { dutyId: duty.id },
      include: { member: { select: { shareIndex: true } } },
      orderBy: { member: { shareIndex: "asc" } },
    });
    expect(parts.map((p) => [p.member.shareIndex, p.contributed, p.missReason])).toEqual([
      [1, true, null],
      [2, true, null],
      [3, true, null],
      [4, false, "NO_MESSAGE"],
    ]);
    // Evidence exists now: the duty is no longer "not reported" (its outcome is the agents' to say).
    const after = await app.db.duty.findUniqueOrThrow({ where: { id: duty.id } });
    expect(after).toMatchObject({ outcome: "PENDING", failureReason: null });
    const rollup = await app.db.memberEpochParticipation.findUniqueOrThrow({
      where: { memberId_epoch: { memberId: c.memberIds[0]!, epoch: duty.epoch } },
    });
    expect(rollup.contributed).toBe(1);
    // Settling again neither re-fails it nor touches anything else.
    expect(await app.services.duties.settle(c.clusterId, AFTER_ALL)).toMatchObject({ changed: false });
    expect((await app.db.duty.findUniqueOrThrow({ where: { id: duty.id } })).outcome).toBe("PENDING");
  });

  it("the detectors see the failures; the duties.sync job runs in the worker", async () => {
    await app.services.incidents.evaluate(c.clusterId);
    const failed = await app.db.incident.findFirst({
      where: { clusterId: c.clusterId, kind: "DUTY_FAILED", dedupKey: "duty_failed:not_reported" },
    });
    expect(failed?.status).toBe("OPEN");

    const worker = startWorkers({
      backend: app.backend,
      services: app.services,
      logger: createLogger({ name: "worker-test", level: process.env.TEST_LOG_LEVEL ?? "silent" }),
      jobsPort: jobsPortFor(app.producer),
    });
    try {
      await app.db.cluster.update({ where: { id: c.clusterId }, data: { dutiesSyncedEpoch: null } });
      await jobsPortFor(app.producer).syncDuties(c.clusterId, "test");
      const synced = await waitFor(
        async () =>
          (await app.db.cluster.findUniqueOrThrow({ where: { id: c.clusterId } })).dutiesSyncedEpoch,
        30_000,
        "duties.sync job",
      );
      expect(synced).toBeGreaterThanOrEqual(EPOCH + 1);
    } finally {
      await worker.close();
    }
  });
});
