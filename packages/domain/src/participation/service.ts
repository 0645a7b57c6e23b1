/**
 * Reads over the reconciled evidence: participation per member for a time range (from the per-epoch
 * roll-ups, so 30 days of a 1,000-validator cluster is ~27k rows, not ~27M), hourly uptime, the
 * agents' reports, and the offline audit bundle (`@cohort/evidence` buildBundle over the stored
 * signed messages, receipts and members' signed epoch roots).
 */
import { parseLock } from "@cohort/cluster";
import type { Db } from "@cohort/db";
import {
  type BundleTiming,
  buildBundle,
  DUTY_TYPE_NAMES,
  defaultReceiptQuorum,
  type EvidenceBundle,
  type MemberEpochLog,
  type SignedParSigMsg,
  toHex,
} from "@cohort/evidence";
import { z } from "zod";
import type { Authz, ServiceContext } from "../actor";
import { badInput, CohortError, notFound } from "../errors";
import { clusterChain, DEADLINE_SLOTS } from "../ingest/service";
import { parseInput, uuidSchema } from "../validation";

const CODE_BY_NAME = new Map(Object.entries(DUTY_TYPE_NAMES).map(([code, name]) => [name, Number(code)]));

const rangeSchema = z
  .object({
    from: z.coerce.date({ message: "must be an ISO-8601 timestamp" }),
    to: z.coerce.date({ message: "must be an ISO-8601 timestamp" }),
  })
  .refine((r) => r.to > r.from, { message: "must be after from", path: ["to"] });

/** Longest range one participation or uptime query covers. */
export const MAX_RANGE_DAYS = 400;
/** Most slots one evidence bundle covers (≈ 1 day at 12 s slots). */
export const MAX_BUNDLE_SLOTS = 7_200;

export interface MemberParticipation {
  memberId: string;
  shareIndex: number;
  operatorId: string;
  operatorAddress: string;
  expectedDuties: number;
  contributedDuties: number;
  /** contributed / expected, null when nothing was expected. */
  rate: number | null;
}

export interface UptimePoint {
  memberId: string;
  shareIndex: number;
  hour: Date;
  secondsUp: number;
  heartbeats: number;
}

interface Chain {
  genesisTime: number;
  secondsPerSlot: number;
  slotsPerEpoch: number;
}

export class ParticipationService {
  constructor(
    private readonly db: Db,
    private readonly authz: Authz,
  ) {}

  private async chainOf(clusterId: string): Promise<Chain | null> {
    const c = await this.db.cluster.findUnique({
      where: { id: clusterId },
      select: { genesisTime: true, secondsPerSlot: true, slotsPerEpoch: true, network: true },
    });
    if (!c) throw notFound("cluster", clusterId);
    return clusterChain(c);
  }

  private range(from: unknown, to: unknown) {
    const r = parseInput("range", rangeSchema, { from, to });
    if (r.to.getTime() - r.from.getTime() > MAX_RANGE_DAYS * 86_400_000)
      throw badInput("range.to", `covers more than ${MAX_RANGE_DAYS} days`);
    return r;
  }

  /** Per member: duties expected and contributed (the receipt-quorum rule) for epochs starting in [from, to). */
  async participation(
    ctx: ServiceContext,
    clusterId: string,
    from: unknown,
    to: unknown,
  ): Promise<MemberParticipation[]> {
    const id = parseInput("clusterId", uuidSchema, clusterId);
    await this.authz.assert(ctx, "cluster.read", id);
    const r = this.range(from, to);
    const chain = await this.chainOf(id);
    const members = await this.db.clusterMember.findMany({
      where: { clusterId: id },
      include: { operator: { select: { address: true } } },
      orderBy: { shareIndex: "asc" },
    });
    const totals = new Map<string, { expected: number; contributed: number }>();
    if (chain) {
      const epochSeconds = chain.slotsPerEpoch * chain.secondsPerSlot;
      const fromEpoch = Math.max(0, Math.ceil((r.from.getTime() / 1000 - chain.genesisTime) / epochSeconds));
      const toEpoch = Math.ceil((r.to.getTime() / 1000 - chain.genesisTime) / epochSeconds); // exclusive
      if (toEpoch > fromEpoch) {
        const rows = await this.db.memberEpochParticipation.groupBy({
          by: ["memberId"],
          where: { clusterId: id, epoch: { gte: fromEpoch, lt: toEpoch } },
          _sum: { expected: true, contributed: true },
        });
        for (const row of rows)
          totals.set(row.memberId, {
            expected: row._sum.expected ?? 0,
            contributed: row._sum.contributed ?? 0,
          });
      }
    }
    return members.map((m) => {
      const t = totals.get(m.id) ?? { expected: 0, contributed: 0 };
      return {
        memberId: m.id,
        shareIndex: m.shareIndex,
        operatorId: m.operatorId,
        operatorAddress: m.operator.address,
        expectedDuties: t.expected,
        contributedDuties: t.contributed,
        rate: t.expected === 0 ? null : t.contributed / t.expected,
      };
    });
  }

  /** Hourly uptime points (see docs/accountability.md for the definition) in [from, to). */
  async uptime(ctx: ServiceContext, clusterId: string, from: unknown, to: unknown): Promise<UptimePoint[]> {
    const id = parseInput("clusterId", uuidSchema, clusterId);
    await this.authz.assert(ctx, "cluster.read", id);
    const r = this.range(from, to);
    const rows = await this.db.uptimeHour.findMany({
      where: { clusterId: id, hour: { gte: r.from, lt: r.to } },
      include: { member: { select: { shareIndex: true } } },
      orderBy: [{ hour: "asc" }],
    });
    return rows.map((u) => ({
      memberId: u.memberId,
      shareIndex: u.member.shareIndex,
      hour: u.hour,
      secondsUp: u.secondsUp,
      heartbeats: u.heartbeats,
    }));
  }

  /**
   * The offline audit bundle for slots [fromSlot, toSlot]: everything `cohort evidence verify`
   * needs besides the lock, which it is given separately (and which the bundle also embeds).
   */
  async exportBundle(
    ctx: ServiceContext,
    clusterId: string,
    fromSlot: number,
    toSlot: number,
  ): Promise<EvidenceBundle> {
    const id = parseInput("clusterId", uuidSchema, clusterId);
    await this.authz.assert(ctx, "cluster.export", id);
    if (!Number.isSafeInteger(fromSlot) || fromSlot < 0)
      throw badInput("fromSlot", "must be a non-negative integer");
    if (!Number.isSafeInteger(toSlot) || toSlot < fromSlot)
      throw badInput("toSlot", "must be an integer ≥ fromSlot");
    if (toSlot - fromSlot + 1 > MAX_BUNDLE_SLOTS)
      throw badInput("toSlot", `a bundle covers at most ${MAX_BUNDLE_SLOTS} slots; export in parts`);
    const cluster = await this.db.cluster.findUnique({
      where: { id },
      include: { members: { select: { id: true, shareIndex: true } } },
    });
    if (!cluster) throw notFound("cluster", id);
    if (!cluster.lock || !cluster.lockHash) throw new CohortError("CONFLICT", "the cluster has no lock yet");
    const chain = await this.chainOf(id);
    if (!chain) throw new CohortError("CONFLICT", "the cluster's chain clock is not known yet");
    const lock = parseLock(cluster.lock);
    const timing: BundleTiming = { ...chain, deadlineSlots: DEADLINE_SLOTS };
    const shareOf = new Map(cluster.members.map((m) => [m.id, m.shareIndex]));

    // Expected duties: the stored Duty rows, grouped per (slot, type).
    const duties = await this.db.duty.findMany({
      where: { clusterId: id, slot: { gte: fromSlot, lte: toSlot } },
      select: { slot: true, type: true, validator: { select: { pubkey: true } } },
      orderBy: [{ slot: "asc" }],
    });
    const grouped = new Map<string, { slot: number; dutyType: number; validators: string[] }>();
    for (const d of duties) {
      const code = CODE_BY_NAME.get(d.type)!;
      const key = `${d.slot}/${code}`;
      const g = grouped.get(key) ?? { slot: d.slot, dutyType: code, validators: [] };
      g.validators.push(d.validator.pubkey.toLowerCase());
      grouped.set(key, g);
    }

    // Member-epoch logs cover whole epochs (the signed roots do).
    const fromEpoch = Math.floor(fromSlot / chain.slotsPerEpoch);
    const toEpoch = Math.floor(toSlot / chain.slotsPerEpoch);
    const epochFirst = fromEpoch * chain.slotsPerEpoch;
    const epochLast = (toEpoch + 1) * chain.slotsPerEpoch - 1;
    const stored = await this.db.signedPartialMessage.findMany({
      where: { clusterId: id, slot: { gte: epochFirst, lte: epochLast } },
    });
    const messages: SignedParSigMsg[] = stored.map((m) => ({
      message: {
        lockHash: cluster.lockHash!,
        slot: m.slot,
        dutyType: CODE_BY_NAME.get(m.dutyType)!,
        shareIndex: shareOf.get(m.senderId)!,
        sentAt: m.sentAt.getTime(),
        partials: (JSON.parse(Buffer.from(m.payload).toString("utf8")) as [string, string, string][]).map(
          ([pubkey, signingRoot, signature]) => ({ pubkey, signingRoot, signature, data: null }),
        ),
      },
      signature: toHex(m.identitySignature),
    }));
    const receipts = await this.db.messageReceipt.findMany({
      where: { clusterId: id, slot: { gte: epochFirst, lte: epochLast } },
      select: { messageHash: true, senderId: true, receiverId: true, receivedAt: true, slot: true },
    });
    const roots = await this.db.memberEpochRoot.findMany({
      where: { clusterId: id, epoch: { gte: fromEpoch, lte: toEpoch } },
    });
    const logs: MemberEpochLog[] = [];
    for (const m of cluster.members) {
      for (let epoch = fromEpoch; epoch <= toEpoch; epoch++) {
        const inEpoch = (slot: number) => Math.floor(slot / chain.slotsPerEpoch) === epoch;
        const root = roots.find((r) => r.memberId === m.id && r.epoch === epoch);
        logs.push({
          shareIndex: m.shareIndex,
          epoch,
          root: root
            ? {
                epoch,
                sentRoot: toHex(root.sentRoot),
                receiptsRoot: toHex(root.receiptsRoot),
                sentCount: root.sentCount,
                receiptCount: root.receiptCount,
                signature: toHex(root.signature),
              }
            : null,
          sentDigests: stored
            .filter((s) => s.senderId === m.id && inEpoch(s.slot))
            .map((s) => toHex(s.messageHash)),
          receipts: receipts
            .filter((r) => r.receiverId === m.id && inEpoch(r.slot))
            .map((r) => ({
              digest: toHex(r.messageHash),
              from: shareOf.get(r.senderId)!,
              receivedAt: r.receivedAt.getTime(),
            })),
        });
      }
    }
    return buildBundle({
      lock,
      lockJson: cluster.lock,
      timing,
      range: { fromSlot, toSlot },
      q: cluster.receiptQuorum ?? defaultReceiptQuorum(cluster.members.length),
      duties: [...grouped.values()],
      messages,
      logs,
    });
  }
}
