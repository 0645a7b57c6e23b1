/**
 * The dashboard's read model end to end (real PostgreSQL, Redis, HTTP): a 3-of-4 cluster with real
 * evidence over three recent epochs (8 attester slots each, 3 validators): member 4 is down for
 * the whole middle epoch and its agent stopped after the last one, member 2's message for one slot
 * arrives after the deadline, and the cluster failed one slot of the middle epoch. Heartbeats,
 * health, heatmap, duty explorer, validator effectiveness, audit report, CSV export and the live
 * subscription must show exactly that.
 */

import { LIVE_STALE_AFTER_MS } from "@cohort/domain";
import type { ReportBatch } from "@cohort/evidence";
import { startTestApp, type TestApp, waitFor } from "@cohort/test-utils";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, inject, it, vi } from "vitest";
import { HOODI_TIMING, makeWorld, type World } from "../../../packages/evidence/test/fixture";
import {
  batchOf,
  type EvidenceCluster,
  postReport,
  setupEvidenceCluster,
  signBatch,
} from "./evidenceCluster";

const SPE = HOODI_TIMING.slotsPerEpoch;
const slotStartMs = (slot: number) => (HOODI_TIMING.genesisTime + slot * HOODI_TIMING.secondsPerSlot) * 1000;
const epochStartMs = (epoch: number) => slotStartMs(epoch * SPE);
const T0 = Date.now();
// Three whole epochs that ended at least one epoch ago: every deadline has passed, all in the last hour.
const E0 = Math.floor((T0 / 1000 - HOODI_TIMING.genesisTime) / HOODI_TIMING.secondsPerSlot / SPE) - 4;
const EPOCHS = [E0, E0 + 1, E0 + 2];
const SLOTS = EPOCHS.flatMap((e) => Array.from({ length: 8 }, (_, i) => e * SPE + i));
const DOWN_EPOCH = E0 + 1; // member 4 is down for this epoch
const LATE = { shareIndex: 2, slot: E0 * SPE + 2 };
const FAILED_SLOT = DOWN_EPOCH * SPE + 3; // the cluster failed this slot's duties
const present = (i: number, slot: number) => !(i === 4 && Math.floor(slot / SPE) === DOWN_EPOCH);
const RANGE = { from: new Date(epochStartMs(E0)), to: new Date(epochStartMs(E0 + 3)) };

let app: TestApp;
let w: World;
let c: EvidenceCluster;
const heartbeatsOf = new Map<number, number[]>();
let auditor: string;
let viewer: string;
let stranger: string;

/** Heartbeats every 30 s: members 1–3 from the first epoch until 10 s ago, member 4 only while up. */
function heartbeatTimes(i: number): number[] {
  const out: number[] = [];
  const end = i === 4 ? epochStartMs(E0 + 3) : T0 - 10_000;
  for (let at = epochStartMs(E0) + 1_000; at <= end; at += 30_000) {
    if (i === 4 && at >= epochStartMs(DOWN_EPOCH) && at < epochStartMs(DOWN_EPOCH + 1)) continue;
    out.push(at);
  }
  return out;
}

async function gql<T>(query: string, variables: Record<string, unknown>, token: string) {
  const r = await app.gql<T>(query, variables, token);
  expect(r.errors, JSON.stringify(r.errors)).toBeUndefined();
  return r.data!;
}

beforeAll(async () => {
  app = await startTestApp({ queuePrefix: `${inject("queuePrefix")}-dashboard` });
  w = makeWorld({ slots: SLOTS, present, late: LATE });
  c = await setupEvidenceCluster(app, w, "dashboard");
  // Every member reports once; reports are applied here (no worker), in share order.
  for (let i = 1; i <= 4; i++) {
    const batch: ReportBatch = batchOf(w, i, { seq: 1, epochRoot: false });
    const times = heartbeatTimes(i);
    heartbeatsOf.set(i, times);
    batch.heartbeats = times.map((at) => ({
      at,
      peersConnected: [1, 2, 3, 4].filter((x) => x !== i),
      clockOffsetMs: 3 * i,
      beaconStatus: "ok",
      readyReason: null,
      version: `test-${i}`,
    }));
    if (i === 1) {
      batch.outcomes = SLOTS.map((slot) => {
        const failed = slot === FAILED_SLOT;
        return {
          slot,
          dutyType: 1,
          success: !failed,
          reason: failed ? "insufficient_peer_signatures" : null,
          validators: w.validators.map((pubkey) => ({ pubkey, aggregated: !failed, submitted: !failed })),
          invalidFrom: [],
          slashingRefused: false,
          latencyMs: 900,
        };
      });
    }
    const res = await postReport(app, signBatch(w, batch), c.keys[i - 1]);
    expect(res.status).toBe(202);
    const processed = await app.services.ingest.process(res.body.reportId as string);
    expect(processed.status).toBe("ACCEPTED");
  }
  await app.services.incidents.evaluate(c.clusterId);

  const grant = async (role: "AUDITOR" | "VIEWER" | null) => {
    const account = privateKeyToAccount(generatePrivateKey());
    if (role)
      await app.db.clusterAccessGrant.create({
        data: {
          clusterId: c.clusterId,
          address: account.address.toLowerCase(),
          role,
          grantedByAddress: `0x${"ab".repeat(20)}`,
        },
      });
    return app.signIn(account);
  };
  [auditor, viewer, stranger] = await Promise.all([grant("AUDITOR"), grant("VIEWER"), grant(null)]);
}, 120_000);

afterAll(async () => {
  await app?.close();
});

describe("live status and health", () => {
  it("shows who is connected from the latest heartbeats, in one query for the whole member list", async () => {
    const spy = vi.spyOn(app.services.dashboard, "liveStatus");
    const data = await gql<{
      cluster: {
        members: {
          shareIndex: number;
          live: {
            connected: boolean;
            lastHeartbeatAt: string | null;
            clockOffsetMs: number | null;
            version: string | null;
            peersConnected: number | null;
            beaconStatus: string | null;
          };
        }[];
      };
    }>(
      `query($id: ID!) { cluster(id: $id) { members { shareIndex
         live { connected lastHeartbeatAt clockOffsetMs version peersConnected beaconStatus } } } }`,
      { id: c.clusterId },
      viewer,
    );
    expect(spy).toHaveBeenCalledTimes(1); // the DataLoader batched all four members
    spy.mockRestore();
    const live = new Map(data.cluster.members.map((m) => [m.shareIndex, m.live]));
    for (const i of [1, 2, 3]) {
      expect(live.get(i)).toEqual({
        connected: true,
        lastHeartbeatAt: new Date(heartbeatsOf.get(i)!.at(-1)!).toISOString(),
        clockOffsetMs: 3 * i,
        version: `test-${i}`,
        peersConnected: 3,
        beaconStatus: "ok",
      });
    }
    // Member 4's agent stopped after the last epoch: more than the staleness window ago.
    const last4 = heartbeatsOf.get(4)!.at(-1)!;
    expect(Date.now() - last4).toBeGreaterThan(LIVE_STALE_AFTER_MS);
    expect(live.get(4)).toMatchObject({ connected: false, lastHeartbeatAt: new Date(last4).toISOString() });
  });

  it("computes health: quorum, duty success over the last hour and day, open incidents", async () => {
    const data = await gql<{ cluster: { health: Record<string, unknown> } }>(
      `query($id: ID!) { cluster(id: $id) { health { membersConnected members threshold quorumConnected
         dutiesLastHour dutySuccessLastHour dutiesLastDay dutySuccessLastDay openIncidents lastDutyAt lastSuccessfulDutyAt } } }`,
      { id: c.clusterId },
      viewer,
    );
    const open = await app.db.incident.count({
      where: { clusterId: c.clusterId, status: { in: ["OPEN", "ACKNOWLEDGED"] } },
    });
    const lastSlot = SLOTS.at(-1)!;
    expect(data.cluster.health).toEqual({
      membersConnected: 3,
      members: 4,
      threshold: 3,
      quorumConnected: true,
      dutiesLastHour: 72, // 24 slots × 3 validators, every deadline passed within the hour
      dutySuccessLastHour: 69 / 72, // one slot (3 duties) failed
      dutiesLastDay: 72,
      dutySuccessLastDay: 69 / 72,
      openIncidents: open,
      lastDutyAt: new Date(slotStartMs(lastSlot)).toISOString(),
      lastSuccessfulDutyAt: new Date(slotStartMs(lastSlot)).toISOString(),
    });

    // A duty whose outcome has not arrived yet (PENDING) is neither a success nor a failure: it is
    // left out until it is known.
    const pending = await app.db.duty.findMany({
      where: {
        clusterId: c.clusterId,
        slot: SLOTS[0]!,
        outcome: { in: ["AGGREGATED", "SUBMITTED", "INCLUDED"] },
      },
      select: { id: true, outcome: true },
    });
    expect(pending).toHaveLength(3);
    try {
      await app.db.duty.updateMany({
        where: { id: { in: pending.map((d) => d.id) } },
        data: { outcome: "PENDING" },
      });
      const again = await gql<{
        cluster: { health: { dutiesLastHour: number; dutySuccessLastHour: number } };
      }>(
        `query($id: ID!) { cluster(id: $id) { health { dutiesLastHour dutySuccessLastHour } } }`,
        { id: c.clusterId },
        viewer,
      );
      expect(again.cluster.health).toEqual({ dutiesLastHour: 69, dutySuccessLastHour: 66 / 69 });
    } finally {
      for (const d of pending)
        await app.db.duty.update({ where: { id: d.id }, data: { outcome: d.outcome } });
    }
  });
});

describe("duty heatmap", () => {
  it("has one cell per member and epoch, showing the outage and the late message", async () => {
    const data = await gql<{
      cluster: {
        dutyHeatmap: { shareIndex: number; epoch: number; expected: number; contributed: number }[];
      };
    }>(
      `query($id: ID!, $from: Int, $to: Int) { cluster(id: $id) {
         dutyHeatmap(fromEpoch: $from, toEpoch: $to) { memberId shareIndex epoch expected contributed } } }`,
      { id: c.clusterId, from: E0 - 1, to: E0 + 2 },
      viewer,
    );
    const cells = data.cluster.dutyHeatmap.map((x) => [x.epoch, x.shareIndex, x.expected, x.contributed]);
    expect(cells).toEqual([
      // The epoch before: nothing expected.
      [E0 - 1, 1, 0, 0],
      [E0 - 1, 2, 0, 0],
      [E0 - 1, 3, 0, 0],
      [E0 - 1, 4, 0, 0],
      [E0, 1, 24, 24],
      [E0, 2, 24, 21], // late for one slot (3 validators)
      [E0, 3, 24, 24],
      [E0, 4, 24, 24],
      [E0 + 1, 1, 24, 24],
      [E0 + 1, 2, 24, 24],
      [E0 + 1, 3, 24, 24],
      [E0 + 1, 4, 24, 0], // down
      [E0 + 2, 1, 24, 24],
      [E0 + 2, 2, 24, 24],
      [E0 + 2, 3, 24, 24],
      [E0 + 2, 4, 24, 24],
    ]);
  });

  it("defaults to the last 32 epochs up to the current one, and refuses more than 512", async () => {
    const data = await gql<{ cluster: { dutyHeatmap: { epoch: number }[] } }>(
      `query($id: ID!) { cluster(id: $id) { dutyHeatmap { epoch } } }`,
      { id: c.clusterId },
      viewer,
    );
    const epochs = [...new Set(data.cluster.dutyHeatmap.map((x) => x.epoch))];
    expect(epochs).toHaveLength(32);
    const current = Math.floor((Date.now() / 1000 - HOODI_TIMING.genesisTime) / 12 / SPE);
    expect(epochs.at(-1)).toBeGreaterThanOrEqual(current - 1);
    expect(epochs).toContain(E0 + 1);

    const tooMany = await app.gql(
      `query($id: ID!) { cluster(id: $id) { dutyHeatmap(lastEpochs: 600) { epoch } } }`,
      { id: c.clusterId },
      viewer,
    );
    expect(tooMany.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    expect(tooMany.errors?.[0]?.extensions?.field).toBe("lastEpochs");
    expect(tooMany.errors?.[0]?.message).toMatch(/600 epochs; at most 512/);
    const wide = await app.gql(
      `query($id: ID!) { cluster(id: $id) { dutyHeatmap(fromEpoch: 0, toEpoch: 512) { epoch } } }`,
      { id: c.clusterId },
      viewer,
    );
    expect(wide.errors?.[0]?.extensions?.field).toBe("toEpoch");
  });
});

describe("duty explorer", () => {
  type DutyNode = {
    id: string;
    slot: number;
    epoch: number;
    type: string;
    outcome: string;
    failureReason: string | null;
    validator: { pubkey: string };
  };
  type DutyPage = {
    cluster: {
      duties: {
        edges: { cursor: string; node: DutyNode }[];
        pageInfo: { hasNextPage: boolean; endCursor: string };
      };
    };
  };
  const page = (filter: Record<string, unknown>, first: number, after: string | null): Promise<DutyPage> =>
    gql<DutyPage>(
      `query($id: ID!, $filter: DutyFilter, $first: Int, $after: String) { cluster(id: $id) {
         duties(filter: $filter, first: $first, after: $after) {
           edges { cursor node { id slot epoch type outcome failureReason validator { pubkey index } } }
           pageInfo { hasNextPage endCursor } } } }`,
      { id: c.clusterId, filter, first, after },
      viewer,
    );

  it("pages through the duties a member missed, newest first", async () => {
    const seen: DutyNode[] = [];
    let after: string | null = null;
    const sizes: number[] = [];
    for (;;) {
      const d: DutyPage["cluster"]["duties"] = (
        await page({ memberId: c.memberIds[3], contributed: false }, 10, after)
      ).cluster.duties;
      sizes.push(d.edges.length);
      seen.push(...d.edges.map((e) => e.node));
      if (!d.pageInfo.hasNextPage) break;
      after = d.pageInfo.endCursor;
    }
    expect(sizes).toEqual([10, 10, 4]);
    expect(new Set(seen.map((d) => d.id)).size).toBe(24);
    expect(seen.every((d) => d.epoch === DOWN_EPOCH)).toBe(true);
    const slots = seen.map((d) => d.slot);
    expect(slots).toEqual([...slots].sort((a, b) => b - a));
    // Member 1 missed nothing; member 2 missed the late slot.
    expect(
      (await page({ memberId: c.memberIds[0], contributed: false }, 50, null)).cluster.duties.edges,
    ).toEqual([]);
    const late = (await page({ memberId: c.memberIds[1], contributed: false }, 50, null)).cluster.duties
      .edges;
    expect(late.map((e) => e.node.slot)).toEqual([LATE.slot, LATE.slot, LATE.slot]);
    // Every member has a row for every duty it was expected to sign.
    const all = (await page({ memberId: c.memberIds[3], epoch: E0 }, 50, null)).cluster.duties.edges;
    expect(all).toHaveLength(24);
  });

  it("shows one duty with every member's participation and its incidents", async () => {
    const failed = (await page({ outcome: "FAILED" }, 50, null)).cluster.duties.edges.map((e) => e.node);
    expect(failed).toHaveLength(3);
    expect(
      failed.every((d) => d.slot === FAILED_SLOT && d.failureReason === "insufficient_peer_signatures"),
    ).toBe(true);
    const data = await gql<{
      cluster: {
        duty: {
          id: string;
          slot: number;
          type: string;
          outcome: string;
          startsAt: string;
          deadlineAt: string;
          valueGwei: string | null;
          validator: { pubkey: string };
          participations: {
            member: { shareIndex: number };
            contributed: boolean;
            missReason: string | null;
            receivedAt: string | null;
            onTimeReceipts: number;
          }[];
          incidents: { id: string; kind: string }[];
        };
      };
    }>(
      `query($id: ID!, $duty: ID!) { cluster(id: $id) { duty(id: $duty) {
         id slot type outcome startsAt deadlineAt valueGwei validator { pubkey }
         participations { member { shareIndex } contributed missReason receivedAt onTimeReceipts }
         incidents { id kind } } } }`,
      { id: c.clusterId, duty: failed[0]!.id },
      viewer,
    );
    const d = data.cluster.duty;
    expect(d).toMatchObject({ slot: FAILED_SLOT, type: "ATTESTER", outcome: "FAILED" });
    expect(d.startsAt).toBe(new Date(slotStartMs(FAILED_SLOT)).toISOString());
    expect(d.deadlineAt).toBe(new Date(slotStartMs(FAILED_SLOT + 3)).toISOString());
    expect(
      d.participations.map((p) => [p.member.shareIndex, p.contributed, p.missReason, p.onTimeReceipts]),
    ).toEqual([
      [1, true, null, 2],
      [2, true, null, 2],
      [3, true, null, 2],
      [4, false, "NO_MESSAGE", 0],
    ]);
    const links = await app.db.incidentDuty.findMany({
      where: { dutyId: BigInt(d.id) },
      include: { incident: true },
    });
    expect(d.incidents.map((i) => i.id).sort()).toEqual(links.map((l) => l.incidentId).sort());
    expect(d.incidents.length).toBeGreaterThan(0); // evaluation linked the failure (and the outage)

    const missing = await app.gql(
      `query($id: ID!) { cluster(id: $id) { duty(id: "999999999") { id } } }`,
      {
        id: c.clusterId,
      },
      viewer,
    );
    expect(missing.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
  });

  it("reports validator effectiveness and the new validator fields", async () => {
    await app.db.validator.updateMany({
      where: { clusterId: c.clusterId },
      data: { effectiveBalanceGwei: 32_000_000_000n, activationEpoch: 10 },
    });
    const data = await gql<{
      cluster: {
        validators: {
          pubkey: string;
          effectiveBalanceGwei: string;
          activationEpoch: number;
          exitEpoch: number | null;
          effectiveness: Record<string, number>;
        }[];
      };
    }>(
      `query($id: ID!, $from: DateTime!, $to: DateTime!) { cluster(id: $id) { validators {
         pubkey effectiveBalanceGwei activationEpoch exitEpoch
         effectiveness(from: $from, to: $to) { duties succeeded included failed rate } } } }`,
      { id: c.clusterId, from: RANGE.from.toISOString(), to: new Date(T0 + 60_000).toISOString() },
      viewer,
    );
    expect(data.cluster.validators).toHaveLength(3);
    for (const v of data.cluster.validators) {
      expect(v).toMatchObject({ effectiveBalanceGwei: "32000000000", activationEpoch: 10, exitEpoch: null });
      expect(v.effectiveness).toEqual({ duties: 24, succeeded: 23, included: 0, failed: 1, rate: 23 / 24 });
    }
  });
});

describe("audit report and CSV", () => {
  const reportQuery = `query($id: ID!, $from: DateTime!, $to: DateTime!) { cluster(id: $id) {
    auditReport(from: $from, to: $to) {
      fromEpoch toEpoch fromSlot toSlot evidenceBundleUrl evidenceBundleUrls verifyCommand exportCommand csvUrl
      members { member { id } shareIndex expectedDuties contributedDuties missedDuties missedByReason rate
                uptimeRatio incidentsAttributed failedDutiesMissed }
      totals { expectedDuties contributedDuties missedDuties missedByReason rate duties failedDuties incidents } } } }`;
  const vars = () => ({ id: c.clusterId, from: RANGE.from.toISOString(), to: RANGE.to.toISOString() });

  /** Expected uptime: distinct 30 s buckets of ok heartbeats in the UTC hours the range touches, up to now. */
  const expectedUptime = (i: number, now: number) => {
    const start = Math.floor(RANGE.from.getTime() / 3_600_000) * 3_600_000;
    const end = Math.min(Math.ceil(RANGE.to.getTime() / 3_600_000) * 3_600_000, now);
    const buckets = new Set(
      heartbeatsOf
        .get(i)!
        .filter((at) => at >= start && at < end)
        .map((at) => Math.floor(at / 30_000)),
    );
    return (buckets.size * 30) / ((end - start) / 1000);
  };

  it("gives auditors every member's record, the evidence bundle and the offline check", async () => {
    const before = Date.now();
    type Report = {
      cluster: {
        auditReport: {
          fromEpoch: number;
          toEpoch: number;
          fromSlot: number;
          toSlot: number;
          evidenceBundleUrl: string;
          evidenceBundleUrls: string[];
          verifyCommand: string;
          exportCommand: string;
          csvUrl: string;
          members: {
            member: { id: string };
            shareIndex: number;
            expectedDuties: number;
            contributedDuties: number;
            missedDuties: number;
            missedByReason: Record<string, number>;
            rate: number;
            uptimeRatio: number;
            incidentsAttributed: number;
            failedDutiesMissed: number;
          }[];
          totals: Record<string, unknown>;
        };
      };
    };
    const r = (await gql<Report>(reportQuery, vars(), auditor)).cluster.auditReport;
    expect(r).toMatchObject({
      fromEpoch: E0,
      toEpoch: E0 + 3,
      fromSlot: E0 * SPE,
      toSlot: (E0 + 3) * SPE - 1,
    });
    const none = { NO_MESSAGE: 0, LATE: 0, INVALID_PARTIAL: 0, CONFLICTING: 0 };
    expect(
      r.members.map((m) => [
        m.shareIndex,
        m.expectedDuties,
        m.contributedDuties,
        m.missedDuties,
        m.missedByReason,
        m.rate,
        m.failedDutiesMissed,
      ]),
    ).toEqual([
      [1, 72, 72, 0, none, 1, 0],
      [2, 72, 69, 3, { ...none, LATE: 3 }, 69 / 72, 0],
      [3, 72, 72, 0, none, 1, 0],
      [4, 72, 48, 24, { ...none, NO_MESSAGE: 24 }, 48 / 72, 3],
    ]);
    for (const m of r.members) {
      const lo = expectedUptime(m.shareIndex, Date.now());
      const hi = expectedUptime(m.shareIndex, before);
      expect(m.uptimeRatio).toBeGreaterThanOrEqual(lo - 1e-9);
      expect(m.uptimeRatio).toBeLessThanOrEqual(hi + 1e-9);
      const attributed = await app.db.incidentMember.count({ where: { memberId: m.member.id } });
      expect(m.incidentsAttributed).toBe(attributed);
    }
    expect(r.members[0]!.uptimeRatio).toBeGreaterThan(r.members[3]!.uptimeRatio);
    // The outage was noticed: member 4 has a MEMBER_OFFLINE incident attributed.
    expect(r.members[3]!.incidentsAttributed).toBeGreaterThan(0);
    expect(r.totals).toEqual({
      expectedDuties: 288,
      contributedDuties: 261,
      missedDuties: 27,
      missedByReason: { ...none, LATE: 3, NO_MESSAGE: 24 },
      rate: 261 / 288,
      duties: 72,
      failedDuties: 3,
      incidents: await app.db.incident.count({ where: { clusterId: c.clusterId } }),
    });
    expect(r.evidenceBundleUrl).toBe(
      `/evidence/v1/clusters/${c.clusterId}/bundle?fromSlot=${E0 * SPE}&toSlot=${(E0 + 3) * SPE - 1}`,
    );
    expect(r.evidenceBundleUrls).toEqual([r.evidenceBundleUrl]);
    expect(r.verifyCommand).toBe("cohort evidence verify bundle.json --lock cluster-lock.json");
    expect(r.exportCommand).toContain(
      `--cluster ${c.clusterId} --from ${E0 * SPE} --to ${(E0 + 3) * SPE - 1}`,
    );
    // The bundle URL is the real route.
    const bundle = await fetch(`${app.url}${r.evidenceBundleUrl}`, {
      headers: { authorization: `Bearer ${auditor}` },
    });
    expect(bundle.status).toBe(200);
    const body = (await bundle.json()) as { range: { fromSlot: number; toSlot: number } };
    expect(body.range).toEqual({ fromSlot: E0 * SPE, toSlot: (E0 + 3) * SPE - 1 });

    // The CSV has the same table.
    const csv = await fetch(`${app.url}${r.csvUrl}`, { headers: { authorization: `Bearer ${auditor}` } });
    expect(csv.status).toBe(200);
    expect(csv.headers.get("content-type")).toMatch(/^text\/csv/);
    expect(csv.headers.get("content-disposition")).toMatch(/^attachment; filename="cohort-.*\.csv"$/);
    const text = await csv.text();
    expect(text.endsWith("\r\n")).toBe(true);
    const lines = text.trimEnd().split("\r\n");
    expect(lines).toHaveLength(5);
    const header = lines[0]!.split(",");
    expect(header.slice(0, 10)).toEqual([
      "share_index",
      "member_id",
      "operator_address",
      "expected_duties",
      "contributed_duties",
      "missed_duties",
      "missed_no_message",
      "missed_late",
      "missed_invalid_partial",
      "missed_conflicting",
    ]);
    const row4 = Object.fromEntries(lines[4]!.split(",").map((v, k) => [header[k]!, v]));
    expect(row4).toMatchObject({
      share_index: "4",
      member_id: c.memberIds[3],
      operator_address: w.cluster.members[3]!.address.toLowerCase(),
      expected_duties: "72",
      contributed_duties: "48",
      missed_duties: "24",
      missed_no_message: "24",
      missed_late: "0",
      rate: String(Number((48 / 72).toFixed(6))),
      failed_duties_missed: "3",
      from: RANGE.from.toISOString(),
      to: RANGE.to.toISOString(),
    });
  });

  it("refuses viewers (FORBIDDEN) and strangers (NOT_FOUND), over GraphQL and HTTP", async () => {
    const asViewer = await app.gql(reportQuery, vars(), viewer);
    expect(asViewer.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    expect(asViewer.errors?.[0]?.message).toMatch(/viewer.*cluster\.export/);
    const asStranger = await app.gql(reportQuery, vars(), stranger);
    expect(asStranger.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");

    const url = `${app.url}/exports/v1/clusters/${c.clusterId}/participation.csv?from=${RANGE.from.toISOString()}&to=${RANGE.to.toISOString()}`;
    const v = await fetch(url, { headers: { authorization: `Bearer ${viewer}` } });
    expect(v.status).toBe(403);
    expect(((await v.json()) as { code: string }).code).toBe("FORBIDDEN");
    expect((await fetch(url, { headers: { authorization: `Bearer ${stranger}` } })).status).toBe(404);
    expect((await fetch(url)).status).toBe(401);
    // An agent key may read but not export.
    expect((await fetch(url, { headers: { authorization: `Bearer ${c.keys[0]}` } })).status).toBe(403);
  });

  it("answers bad parameters with 400 naming the parameter", async () => {
    const base = `${app.url}/exports/v1/clusters/${c.clusterId}/participation.csv`;
    const get = async (qs: string) => {
      const res = await fetch(`${base}${qs}`, { headers: { authorization: `Bearer ${auditor}` } });
      return {
        status: res.status,
        body: (await res.json()) as { code: string; message: string; field?: string },
      };
    };
    const noTo = await get(`?from=${RANGE.from.toISOString()}`);
    expect(noTo).toMatchObject({ status: 400, body: { code: "BAD_USER_INPUT", field: "to" } });
    expect(noTo.body.message).toMatch(/^to: is required/);
    const badFrom = await get(`?from=yesterday&to=${RANGE.to.toISOString()}`);
    expect(badFrom).toMatchObject({ status: 400, body: { field: "from" } });
    expect(badFrom.body.message).toMatch(/^from: must be an ISO-8601 timestamp/);
    const reversed = await get(`?from=${RANGE.to.toISOString()}&to=${RANGE.from.toISOString()}`);
    expect(reversed).toMatchObject({ status: 400, body: { field: "to" } });
    const tooLong = await get(`?from=2025-01-01T00:00:00Z&to=2026-01-01T00:00:00Z`);
    expect(tooLong).toMatchObject({ status: 400, body: { field: "to" } });
    expect(tooLong.body.message).toMatch(/93 days/);
    const notAUuid = await fetch(
      `${app.url}/exports/v1/clusters/nope/participation.csv?from=2025-01-01&to=2025-01-02`,
      {
        headers: { authorization: `Bearer ${auditor}` },
      },
    );
    expect(notAUuid.status).toBe(400);
  });
});

describe("live events", () => {
  const subscription = `subscription($id: ID!) { clusterEvents(clusterId: $id) { type clusterId at payload } }`;

  /** Opens the GraphQL SSE stream and returns a reader of its `event:` / `data:` messages. */
  async function openStream(token: string | null, clusterId = c.clusterId) {
    const abort = new AbortController();
    const res = await fetch(`${app.url}/graphql/stream`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "text/event-stream",
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: JSON.stringify({ query: subscription, variables: { id: clusterId } }),
      signal: abort.signal,
    });
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    const next = async (): Promise<{ event: string; data: string }> => {
      for (;;) {
        const end = buffer.indexOf("\n\n");
        if (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const lines = block.split("\n");
          const event = lines
            .find((l) => l.startsWith("event:"))
            ?.slice(6)
            .trim();
          const data = lines
            .filter((l) => l.startsWith("data:"))
            .map((l) => l.slice(5).trim())
            .join("\n");
          if (event) return { event, data };
          continue; // a comment (keep-alive)
        }
        const chunk = await reader.read();
        if (chunk.done) throw new Error("stream ended");
        buffer += decoder.decode(chunk.value, { stream: true });
      }
    };
    return { res, next, close: () => abort.abort() };
  }

  it("delivers an event published on the bus to a reader of the cluster, and unsubscribes on close", async () => {
    const subscribe = app.events.subscribe.bind(app.events);
    let unsubscribed = 0;
    const spy = vi.spyOn(app.events, "subscribe").mockImplementation(async (clusterId, handler) => {
      const off = await subscribe(clusterId, handler);
      return async () => {
        unsubscribed++;
        await off();
      };
    });
    const stream = await openStream(viewer);
    expect(stream.res.status).toBe(200);
    expect(stream.res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const at = new Date().toISOString();
    await app.events.publish({
      type: "incident.updated",
      clusterId: c.clusterId,
      incidentId: "00000000-0000-7000-8000-000000000001",
      number: 7,
      status: "ACKNOWLEDGED",
      severity: "MAJOR",
      kind: "MEMBER_OFFLINE",
      change: "acknowledged",
      at,
    });
    const message = await stream.next();
    expect(message.event).toBe("next");
    expect(JSON.parse(message.data)).toEqual({
      data: {
        clusterEvents: {
          type: "incident.updated",
          clusterId: c.clusterId,
          at,
          payload: {
            incidentId: "00000000-0000-7000-8000-000000000001",
            number: 7,
            status: "ACKNOWLEDGED",
            severity: "MAJOR",
            kind: "MEMBER_OFFLINE",
            change: "acknowledged",
          },
        },
      },
    });
    stream.close();
    await waitFor(async () => unsubscribed === 1, 5_000, "the bus subscription to end");
    expect(spy).toHaveBeenCalledTimes(1);
    spy.mockRestore();
  });

  it("applies the same credentials and read check as the SSE route", async () => {
    const anonymous = await fetch(`${app.url}/graphql/stream`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "text/event-stream" },
      body: JSON.stringify({ query: subscription, variables: { id: c.clusterId } }),
    });
    expect(anonymous.status).toBe(401);
    const outsider = await openStream(stranger);
    const refused = await outsider.next();
    expect(refused.event).toBe("next");
    expect(JSON.parse(refused.data).errors[0].extensions.code).toBe("NOT_FOUND");
    expect((await outsider.next()).event).toBe("complete");
    outsider.close();

    // The old route still streams.
    const abort = new AbortController();
    const old = await fetch(`${app.url}/events/clusters/${c.clusterId}`, {
      headers: { authorization: `Bearer ${viewer}` },
      signal: abort.signal,
    });
    expect(old.status).toBe(200);
    expect(old.headers.get("content-type")).toMatch(/^text\/event-stream/);
    abort.abort();
  });
});
