/**
 * Test setup shared by the ingest and accountability tests: a portal cluster whose members are the
 * operators of an evidence-fixture lock (real BLS shares and identity keys), the lock attached, and
 * one agent API key per member; plus report batches built from the fixture's evidence.
 */
import { randomBytes } from "node:crypto";
import { lockToJson } from "@cohort/cluster";
import { attachLock, newApiKey } from "@cohort/domain";
import { type ReportBatch, type SignedParSigMsg, signReportBatch, toHex } from "@cohort/evidence";
import type { TestApp } from "@cohort/test-utils";
import { ATTESTER, digestOf, type World } from "../../../packages/evidence/test/fixture";

export interface EvidenceCluster {
  clusterId: string;
  accountId: string;
  /** API key per share index − 1. */
  keys: string[];
  memberIds: string[];
}

export async function setupEvidenceCluster(app: TestApp, w: World, name: string): Promise<EvidenceCluster> {
  const account = await app.db.account.create({ data: { address: toHex(randomBytes(20)) } });
  const cluster = await app.db.cluster.create({
    data: {
      name: `${name} ${Date.now()}`,
      network: "hoodi",
      threshold: 3,
      status: "ACTIVE",
      configHash: toHex(new Uint8Array(32)),
      createdByAddress: account.address,
    },
  });
  const keys: string[] = [];
  const memberIds: string[] = [];
  for (const m of w.cluster.members) {
    const operator = await app.db.operator.upsert({
      where: { address: m.address.toLowerCase() },
      create: { address: m.address.toLowerCase() },
      update: {},
    });
    const member = await app.db.clusterMember.create({
      data: { clusterId: cluster.id, operatorId: operator.id, shareIndex: m.shareIndex, status: "ACTIVE" },
    });
    const { key, prefix, secretHash } = newApiKey();
    await app.db.apiKey.create({
      data: {
        prefix,
        secretHash,
        name: `agent ${m.shareIndex}`,
        clusterId: cluster.id,
        memberId: member.id,
        createdById: account.id,
      },
    });
    keys[m.shareIndex - 1] = key;
    memberIds[m.shareIndex - 1] = member.id;
  }
  await attachLock(app.db, cluster.id, lockToJson(w.lock));
  return { clusterId: cluster.id, accountId: account.id, keys, memberIds };
}

/** Member i's batch: the messages it sent and the receipts it recorded, for the given messages. */
export function batchOf(
  w: World,
  i: number,
  {
    seq = 1,
    messages = w.messages,
    epochRoot = true,
  }: { seq?: number; messages?: SignedParSigMsg[]; epochRoot?: boolean } = {},
): ReportBatch {
  const log = w.logs.find((l) => l.shareIndex === i);
  return {
    version: 1,
    lockHash: w.cluster.lockHash,
    reporter: i,
    seq,
    createdAt: 1_760_000_000_000 + seq,
    sent: messages.filter((m) => m.message.shareIndex === i),
    receipts: w.receipts
      .filter((r) => r.receiver === i && messages.some((x) => digestOf(x) === r.digest))
      .map((r) => {
        const m = messages.find((x) => digestOf(x) === r.digest)!;
        return {
          digest: r.digest,
          from: r.from,
          slot: m.message.slot,
          dutyType: ATTESTER,
          receivedAt: r.receivedAt,
        };
      }),
    outcomes: [],
    heartbeats: [
      {
        at: 1_760_000_000_000 + seq,
        peersConnected: [1, 2, 3, 4].filter((x) => x !== i),
        clockOffsetMs: 3,
        beaconStatus: "ok",
        readyReason: null,
        version: "test",
      },
    ],
    epochRoots: epochRoot && log?.root ? [log.root] : [],
  };
}

export const signBatch = (w: World, b: ReportBatch) => signReportBatch(b, w.identityKeys[b.reporter - 1]!);

export async function postReport(app: TestApp, batch: unknown, key: string | undefined) {
  const res = await fetch(`${app.url}/ingest/v1/reports`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(key ? { authorization: `Bearer ${key}` } : {}) },
    body: JSON.stringify(batch),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** Per share index: (expected, contributed) from the stored participation rows. */
export async function participationOf(app: TestApp, clusterId: string) {
  const rows = await app.db.participation.findMany({
    where: { clusterId },
    include: { member: { select: { shareIndex: true } } },
  });
  const by = new Map<number, { expected: number; contributed: number }>();
  for (const r of rows) {
    const e = by.get(r.member.shareIndex) ?? { expected: 0, contributed: 0 };
    e.expected++;
    if (r.contributed) e.contributed++;
    by.set(r.member.shareIndex, e);
  }
  return by;
}
