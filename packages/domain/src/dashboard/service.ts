/**
 * The dashboard's read model: members' live status (latest heartbeat), cluster health, the
 * member × epoch duty heatmap, the duty explorer, validator effectiveness, the audit report (and
 * its CSV), and live cluster events. Everything reads only clusters the caller may read
 * (`cluster.export` for the audit report), and prefers the roll-ups (MemberEpochParticipation,
 * UptimeHour) and the `(clusterId, slot)` indexes over scans of raw participation rows.
 */
import type { ClusterMember, Db, PrismaTypes } from "@cohort/db";
import { z } from "zod";
import type { Authz, ServiceContext } from "../actor";
import { badInput, CohortError, notFound } from "../errors";
import type { ClusterEvent, EventsPort } from "../events";
import { clusterChain, DEADLINE_SLOTS } from "../ingest/service";
import { MAX_BUNDLE_SLOTS } from "../participation/service";
import { parseInput, uuidSchema } from "../validation";

/**
 * The agent writes a heartbeat every 30 s (`cohort agent run`, apps/agent/src/agentRun.ts) and its
 * reporter ships the journal every 5 s; a member counts as connected while its latest heartbeat is
 * at most three heartbeat intervals old, so one late or lost heartbeat (or a slow report round)
 * does not flap the dashboard, and a member that stopped is shown down within 90 s.
 */
export const AGENT_HEARTBEAT_INTERVAL_MS = 30_000;
export const LIVE_STALE_AFTER_MS = 3 * AGENT_HEARTBEAT_INTERVAL_MS;
/** Most epochs one heatmap query covers. */
export const MAX_HEATMAP_EPOCHS = 512;
/** Longest range of a validator-effectiveness query. */
export const MAX_EFFECTIVENESS_DAYS = 31;
/** Longest range of one audit report (it counts misses per reason over raw participation rows). */
export const MAX_AUDIT_DAYS = 93;
/** Outcomes that count as a successful duty. */
export const SUCCESS_OUTCOMES = ["AGGREGATED", "SUBMITTED", "INCLUDED"] as const;
export const MISS_REASONS = ["NO_MESSAGE", "LATE", "INVALID_PARTIAL", "CONFLICTING"] as const;
export const DUTY_TYPES = [
  "ATTESTER",
  "PROPOSER",
  "RANDAO",
  "AGGREGATOR",
  "PREPARE_AGGREGATOR",
  "SYNC_MESSAGE",
  "PREPARE_SYNC_CONTRIBUTION",
  "SYNC_CONTRIBUTION",
  "BUILDER_REGISTRATION",
  "VOLUNTARY_EXIT",
] as const;
export const DUTY_OUTCOMES = ["PENDING", "AGGREGATED", "SUBMITTED", "INCLUDED", "FAILED"] as const;
/** The chain id `cohort lock verify` / `evidence verify` need for devnet locks (apps/agent cluster/create.ts). */
const DEVNET_EIP712_CHAIN_ID = 1337;
const MAX_INT4 = 2_147_483_647;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

interface Chain {
  genesisTime: number;
  secondsPerSlot: number;
  slotsPerEpoch: number;
}

export interface MemberLiveStatus {
  memberId: string;
  connected: boolean;
  lastHeartbeatAt: Date | null;
  clockOffsetMs: number | null;
  version: string | null;
  peersConnected: number | null;
  beaconStatus: string | null;
}

export interface ClusterHealth {
  members: number;
  membersConnected: number;
  threshold: number;
  quorumConnected: boolean;
  dutiesLastHour: number;
  dutySuccessLastHour: number | null;
  dutiesLastDay: number;
  dutySuccessLastDay: number | null;
  openIncidents: number;
  lastDutyAt: Date | null;
  lastSuccessfulDutyAt: Date | null;
}

export interface HeatmapCell {
  memberId: string;
  shareIndex: number;
  epoch: number;
  expected: number;
  contributed: number;
}

export interface DutyFilter {
  epoch?: number | null;
  fromSlot?: number | null;
  toSlot?: number | null;
  type?: string | null;
  outcome?: string | null;
  memberId?: string | null;
  contributed?: boolean | null;
}

export type DutyRow = PrismaTypes.DutyGetPayload<{
  include: { validator: { select: { pubkey: true; index: true } } };
}>;
export type DutyParticipationRow = PrismaTypes.ParticipationGetPayload<{ include: { member: true } }>;
export type DutyIncidentRow = PrismaTypes.IncidentGetPayload<object>;

export interface ValidatorEffectiveness {
  validatorId: string;
  duties: number;
  succeeded: number;
  included: number;
  failed: number;
  rate: number | null;
}

export interface AuditMemberRow {
  member: ClusterMember;
  memberId: string;
  shareIndex: number;
  operatorId: string;
  operatorAddress: string;
  expectedDuties: number;
  contributedDuties: number;
  missedDuties: number;
  missedByReason: Record<string, number>;
  rate: number | null;
  uptimeRatio: number | null;
  incidentsAttributed: number;
  failedDutiesMissed: number;
}

export interface AuditReport {
  clusterId: string;
  from: Date;
  to: Date;
  fromEpoch: number | null;
  /** Exclusive. */
  toEpoch: number | null;
  fromSlot: number | null;
  toSlot: number | null;
  members: AuditMemberRow[];
  totals: {
    expectedDuties: number;
    contributedDuties: number;
    missedDuties: number;
    missedByReason: Record<string, number>;
    rate: number | null;
    duties: number;
    failedDuties: number;
    incidents: number;
  };
  evidenceBundleUrl: string | null;
  evidenceBundleUrls: string[];
  exportCommand: string | null;
  verifyCommand: string;
}

export interface LiveClusterEvent {
  type: string;
  clusterId: string;
  at: Date;
  payload: Record<string, unknown>;
}

/** What the composition roots' event bus offers besides publishing (`@cohort/queue` EventBus). */
export interface EventsSource {
  subscribe(
    clusterId: string,
    handler: (event: { type: string; clusterId: string; [k: string]: unknown }) => void,
  ): Promise<() => Promise<void>>;
}

/** A required timestamp parameter: a Date, or an ISO-8601 string (date or date-time). */
function timestamp(field: string, v: unknown): Date {
  if (v === null || v === undefined || v === "") throw badInput(field, "is required (an ISO-8601 timestamp)");
  const d =
    v instanceof Date
      ? v
      : typeof v === "string" && /^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(v.trim())
        ? new Date(v.trim())
        : new Date(Number.NaN);
  if (Number.isNaN(d.getTime()))
    throw badInput(field, "must be an ISO-8601 timestamp, e.g. 2026-01-31T00:00:00Z");
  return d;
}

const intIn = (min: number, max = MAX_INT4) =>
  z
    .number({ message: "must be an integer" })
    .int("must be an integer")
    .min(min, `must be ≥ ${min}`)
    .max(max, `must be ≤ ${max}`);

const dutyFilterSchema = z
  .object({
    epoch: intIn(0).optional(),
    fromSlot: intIn(0).optional(),
    toSlot: intIn(0).optional(),
    type: z.enum(DUTY_TYPES, { message: `must be one of ${DUTY_TYPES.join(", ")}` }).optional(),
    outcome: z.enum(DUTY_OUTCOMES, { message: `must be one of ${DUTY_OUTCOMES.join(", ")}` }).optional(),
    memberId: uuidSchema.optional(),
    contributed: z.boolean().optional(),
  })
  .refine((f) => f.fromSlot === undefined || f.toSlot === undefined || f.toSlot >= f.fromSlot, {
    path: ["toSlot"],
    message: "must be ≥ fromSlot",
  })
  .refine((f) => f.contributed === undefined || f.memberId !== undefined, {
    path: ["contributed"],
    message: "needs memberId",
  });

const stripNulls = <T extends object>(o: T) =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null && v !== undefined));

const encodeDutyCursor = (d: { slot: number; id: bigint }) =>
  Buffer.from(`${d.slot}|${d.id}`).toString("base64url");
function decodeDutyCursor(cursor: string): { slot: number; id: bigint } {
  const [slot, id] = Buffer.from(cursor, "base64url").toString("utf8").split("|");
  if (!slot || !id || !/^\d+$/.test(slot) || !/^\d+$/.test(id))
    throw badInput("after", "is not a cursor from this list");
  return { slot: Number(slot), id: BigInt(id) };
}

const ratio = (num: number, den: number) => (den === 0 ? null : num / den);
const emptyReasons = () => Object.fromEntries(MISS_REASONS.map((r) => [r, 0])) as Record<string, number>;

/** RFC 4180: fields with a comma, quote, CR or LF are quoted, quotes doubled; records end with CRLF. */
export function toCsv(rows: (string | number | null)[][]): string {
  const field = (v: string | number | null) => {
    const s = v === null ? "" : String(v);
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return rows.map((r) => `${r.map(field).join(",")}\r\n`).join("");
}

export class DashboardService {
  constructor(
    private readonly db: Db,
    private readonly authz: Authz,
    private readonly now: () => Date = () => new Date(),
    private readonly events: EventsPort | (EventsPort & EventsSource) | null = null,
  ) {}

  private async chainOf(clusterId: string): Promise<Chain | null> {
    const c = await this.db.cluster.findUnique({
      where: { id: clusterId },
      select: { genesisTime: true, secondsPerSlot: true, slotsPerEpoch: true, network: true },
    });
    if (!c) throw notFound("cluster", clusterId);
    return clusterChain(c);
  }

  private static slotAt(chain: Chain, at: Date) {
    return Math.floor((at.getTime() / 1000 - chain.genesisTime) / chain.secondsPerSlot);
  }

  /** Slot bounds that contain every duty whose start lies in [from, to] (for the (clusterId, slot) index). */
  private static slotBounds(chain: Chain | null, from: Date, to: Date): [number, number] {
    if (!chain) return [0, MAX_INT4];
    const lo = Math.max(0, DashboardService.slotAt(chain, from) - DEADLINE_SLOTS - 1);
    const hi = Math.min(MAX_INT4, Math.max(0, DashboardService.slotAt(chain, to) + 1));
    return [lo, Math.max(lo, hi)];
  }

  private range(from: unknown, to: unknown, maxDays: number) {
    const r = { from: timestamp("from", from), to: timestamp("to", to) };
    if (r.to <= r.from) throw badInput("to", "must be after from");
    if (r.to.getTime() - r.from.getTime() > maxDays * DAY_MS)
      throw badInput("to", `the range covers more than ${maxDays} days; request it in parts`);
    return r;
  }

  private async readable(ctx: ServiceContext, clusterId: string) {
    const id = parseInput("clusterId", uuidSchema, clusterId);
    await this.authz.assert(ctx, "cluster.read", id);
    return id;
  }

  // ───────────────────────── live status and health ─────────────────────────

  /**
   * The latest heartbeat of each member (one indexed look-up per member, in one query), in the
   * order of `members`. Every member's cluster must be readable by the caller.
   */
  async liveStatus(
    ctx: ServiceContext,
    members: readonly { id: string; clusterId: string }[],
  ): Promise<MemberLiveStatus[]> {
    for (const clusterId of new Set(members.map((m) => m.clusterId))) await this.readable(ctx, clusterId);
    return this.latestHeartbeats(members.map((m) => m.id));
  }

  private async latestHeartbeats(memberIds: string[]): Promise<MemberLiveStatus[]> {
    if (memberIds.length === 0) return [];
    const rows = await this.db.$queryRaw<
      {
        memberId: string;
        at: Date | null;
        clockOffsetMs: number | null;
        version: string | null;
        peersConnected: number | null;
        beaconStatus: string | null;
      }[]
    >`
      SELECT m.id::text AS "memberId", h.at, h."clockOffsetMs", h.version, h."peersConnected", h."beaconStatus"
      FROM unnest(${memberIds}::uuid[]) AS m(id)
      LEFT JOIN LATERAL (
        SELECT at, "clockOffsetMs", version, "peersConnected", "beaconStatus"
        FROM "Heartbeat" WHERE "memberId" = m.id ORDER BY at DESC LIMIT 1
      ) h ON true`;
    const now = this.now().getTime();
    const byId = new Map(rows.map((r) => [r.memberId, r]));
    return memberIds.map((id) => {
      const r = byId.get(id);
      const at = r?.at ?? null;
      return {
        memberId: id,
        connected: at !== null && now - at.getTime() <= LIVE_STALE_AFTER_MS,
        lastHeartbeatAt: at,
        clockOffsetMs: r?.clockOffsetMs ?? null,
        version: r?.version ?? null,
        peersConnected: r?.peersConnected ?? null,
        beaconStatus: r?.beaconStatus ?? null,
      };
    });
  }

  /** Connected members against the threshold, duty success over the last hour and day, open incidents. */
  async health(ctx: ServiceContext, clusterId: string): Promise<ClusterHealth> {
    const id = await this.readable(ctx, clusterId);
    const cluster = await this.db.cluster.findUnique({
      where: { id },
      select: { threshold: true, members: { where: { status: { not: "REMOVED" } }, select: { id: true } } },
    });
    if (!cluster) throw notFound("cluster", id);
    const chain = await this.chainOf(id);
    const now = this.now();
    const hourAgo = new Date(now.getTime() - HOUR_MS);
    const dayAgo = new Date(now.getTime() - DAY_MS);
    const [lo, hi] = DashboardService.slotBounds(chain, dayAgo, now);
    const [live, stats, last, lastOk, openIncidents] = await Promise.all([
      this.latestHeartbeats(cluster.members.map((m) => m.id)),
      // Duties whose deadline passed in the last day and whose outcome is known (a PENDING duty's
      // outcome is still on its way in a report, or the schedule settles it later); the slot bounds
      // let the index do the work.
      this.db.$queryRaw<{ day: number; dayOk: number; hour: number; hourOk: number }[]>`
        SELECT count(*)::int AS day,
               count(*) FILTER (WHERE outcome IN ('AGGREGATED', 'SUBMITTED', 'INCLUDED'))::int AS "dayOk",
               count(*) FILTER (WHERE "deadlineAt" > ${hourAgo})::int AS hour,
               count(*) FILTER (WHERE "deadlineAt" > ${hourAgo}
                                  AND outcome IN ('AGGREGATED', 'SUBMITTED', 'INCLUDED'))::int AS "hourOk"
        FROM "Duty"
        WHERE "clusterId" = ${id}::uuid AND slot BETWEEN ${lo} AND ${hi}
          AND "deadlineAt" > ${dayAgo} AND "deadlineAt" <= ${now} AND outcome <> 'PENDING'`,
      this.db.duty.findFirst({
        where: { clusterId: id, startsAt: { lte: now } },
        orderBy: { slot: "desc" },
        select: { startsAt: true },
      }),
      this.db.duty.findFirst({
        where: { clusterId: id, startsAt: { lte: now }, outcome: { in: [...SUCCESS_OUTCOMES] } },
        orderBy: { slot: "desc" },
        select: { startsAt: true },
      }),
      this.db.incident.count({ where: { clusterId: id, status: { in: ["OPEN", "ACKNOWLEDGED"] } } }),
    ]);
    const s = stats[0] ?? { day: 0, dayOk: 0, hour: 0, hourOk: 0 };
    const membersConnected = live.filter((m) => m.connected).length;
    return {
      members: cluster.members.length,
      membersConnected,
      threshold: cluster.threshold,
      quorumConnected: membersConnected >= cluster.threshold,
      dutiesLastHour: s.hour,
      dutySuccessLastHour: ratio(s.hourOk, s.hour),
      dutiesLastDay: s.day,
      dutySuccessLastDay: ratio(s.dayOk, s.day),
      openIncidents,
      lastDutyAt: last?.startsAt ?? null,
      lastSuccessfulDutyAt: lastOk?.startsAt ?? null,
    };
  }

  // ───────────────────────── heatmap ─────────────────────────

  /**
   * One cell per (member, epoch) for epochs [fromEpoch, toEpoch] (inclusive), from the per-epoch
   * roll-ups; epochs without rows are cells with nothing expected. Without either bound the range
   * is the `lastEpochs` epochs up to the current one (or, when the chain clock is unknown, the
   * latest rolled-up epoch); with one bound it spans `lastEpochs` epochs from / up to it. At most
   * MAX_HEATMAP_EPOCHS epochs.
   */
  async heatmap(
    ctx: ServiceContext,
    clusterId: string,
    args: { fromEpoch?: number | null; toEpoch?: number | null; lastEpochs?: number | null } = {},
  ): Promise<HeatmapCell[]> {
    const id = await this.readable(ctx, clusterId);
    const check = (field: string, v: number | null | undefined, min: number) => {
      if (v === null || v === undefined) return undefined;
      if (!Number.isSafeInteger(v) || v < min || v > MAX_INT4)
        throw badInput(field, `must be an integer ≥ ${min}`);
      return v;
    };
    const last = check("lastEpochs", args.lastEpochs, 1) ?? 32;
    let from = check("fromEpoch", args.fromEpoch, 0);
    let to = check("toEpoch", args.toEpoch, 0);
    if (from !== undefined && to !== undefined && to < from) throw badInput("toEpoch", "must be ≥ fromEpoch");
    if (to === undefined) {
      if (from !== undefined) to = from + last - 1;
      else {
        const chain = await this.chainOf(id);
        if (chain)
          to = Math.max(0, Math.floor(DashboardService.slotAt(chain, this.now()) / chain.slotsPerEpoch));
        else {
          const latest = await this.db.memberEpochParticipation.findFirst({
            where: { clusterId: id },
            orderBy: { epoch: "desc" },
            select: { epoch: true },
          });
          to = latest?.epoch ?? 0;
        }
      }
    }
    from ??= Math.max(0, to - last + 1);
    const span = to - from + 1;
    if (span > MAX_HEATMAP_EPOCHS) {
      throw badInput(
        args.lastEpochs != null && args.fromEpoch == null ? "lastEpochs" : "toEpoch",
        `the heatmap covers ${span} epochs; at most ${MAX_HEATMAP_EPOCHS} per query`,
        { max: MAX_HEATMAP_EPOCHS, requested: span },
      );
    }
    const [members, rows] = await Promise.all([
      this.db.clusterMember.findMany({
        where: { clusterId: id },
        select: { id: true, shareIndex: true },
        orderBy: { shareIndex: "asc" },
      }),
      this.db.memberEpochParticipation.findMany({
        where: { clusterId: id, epoch: { gte: from, lte: to } },
        select: { memberId: true, epoch: true, expected: true, contributed: true },
      }),
    ]);
    const byKey = new Map(rows.map((r) => [`${r.memberId}|${r.epoch}`, r]));
    const cells: HeatmapCell[] = [];
    for (let epoch = from; epoch <= to; epoch++) {
      for (const m of members) {
        const r = byKey.get(`${m.id}|${epoch}`);
        cells.push({
          memberId: m.id,
          shareIndex: m.shareIndex,
          epoch,
          expected: r?.expected ?? 0,
          contributed: r?.contributed ?? 0,
        });
      }
    }
    return cells;
  }

  // ───────────────────────── duties ─────────────────────────

  /** The cluster's duties, newest first (slot, then id), with cursor pagination. */
  async duties(
    ctx: ServiceContext,
    clusterId: string,
    {
      filter = {},
      first = 50,
      after = null,
    }: { filter?: DutyFilter | null; first?: number | null; after?: string | null } = {},
  ) {
    const id = parseInput("clusterId", uuidSchema, clusterId);
    const f = parseInput("filter", dutyFilterSchema, stripNulls(filter ?? {}));
    const take = first ?? 50;
    if (!Number.isInteger(take) || take < 1 || take > 200)
      throw badInput("first", "must be between 1 and 200");
    const cursor = after ? decodeDutyCursor(after) : null;
    await this.authz.assert(ctx, "cluster.read", id);
    const slot: PrismaTypes.IntFilter = {
      ...(f.fromSlot !== undefined ? { gte: f.fromSlot } : {}),
      ...(f.toSlot !== undefined ? { lte: f.toSlot } : {}),
    };
    const where: PrismaTypes.DutyWhereInput = {
      clusterId: id,
      ...(Object.keys(slot).length ? { slot } : {}),
      ...(f.epoch !== undefined ? { epoch: f.epoch } : {}),
      ...(f.type ? { type: f.type } : {}),
      ...(f.outcome ? { outcome: f.outcome } : {}),
      ...(f.memberId
        ? {
            participations: {
              some: {
                memberId: f.memberId,
                ...(f.contributed !== undefined ? { contributed: f.contributed } : {}),
              },
            },
          }
        : {}),
      ...(cursor
        ? { OR: [{ slot: { lt: cursor.slot } }, { slot: cursor.slot, id: { lt: cursor.id } }] }
        : {}),
    };
    const rows = await this.db.duty.findMany({
      where,
      include: { validator: { select: { pubkey: true, index: true } } },
      orderBy: [{ slot: "desc" }, { id: "desc" }],
      take: take + 1,
    });
    const items = rows.slice(0, take);
    const lastItem = items.at(-1);
    return {
      edges: items.map((node) => ({ cursor: encodeDutyCursor(node), node })),
      pageInfo: { hasNextPage: rows.length > take, endCursor: lastItem ? encodeDutyCursor(lastItem) : null },
    };
  }

  /** One duty of the cluster. */
  async duty(ctx: ServiceContext, clusterId: string, dutyId: string): Promise<DutyRow> {
    const id = await this.readable(ctx, clusterId);
    if (!/^\d{1,19}$/.test(dutyId) || BigInt(dutyId) > 9_223_372_036_854_775_807n)
      throw badInput("id", "is not a duty id");
    const duty = await this.db.duty.findFirst({
      where: { id: BigInt(dutyId), clusterId: id },
      include: { validator: { select: { pubkey: true, index: true } } },
    });
    if (!duty) throw notFound("duty", dutyId);
    return duty;
  }

  /**
   * Participation rows of duties (grouped per duty, in share order). For duties the caller already
   * read through `duties`/`duty` (the check happened there).
   */
  async participationsOf(dutyIds: readonly bigint[]): Promise<DutyParticipationRow[][]> {
    const rows = await this.db.participation.findMany({
      where: { dutyId: { in: [...dutyIds] } },
      include: { member: true },
    });
    rows.sort((a, b) => a.member.shareIndex - b.member.shareIndex);
    const by = new Map<bigint, DutyParticipationRow[]>(dutyIds.map((d) => [d, []]));
    for (const r of rows) by.get(r.dutyId)?.push(r);
    return dutyIds.map((d) => by.get(d)!);
  }

  /** Incidents linked to duties (grouped per duty, oldest first); same trust as `participationsOf`. */
  async incidentsOf(dutyIds: readonly bigint[]): Promise<DutyIncidentRow[][]> {
    const links = await this.db.incidentDuty.findMany({
      where: { dutyId: { in: [...dutyIds] } },
      include: { incident: true },
      orderBy: { incident: { openedAt: "asc" } },
    });
    const by = new Map<bigint, DutyIncidentRow[]>(dutyIds.map((d) => [d, []]));
    for (const l of links) by.get(l.dutyId)?.push(l.incident);
    return dutyIds.map((d) => by.get(d)!);
  }

  // ───────────────────────── validators ─────────────────────────

  /**
   * Per validator of the cluster: duties whose slot started in [from, to) and whose deadline has
   * passed, how many succeeded (aggregated, submitted or included), were included, failed. One
   * grouped query per cluster; validators without duties are absent from the map.
   */
  async validatorEffectiveness(
    ctx: ServiceContext,
    clusterId: string,
    from: unknown,
    to: unknown,
  ): Promise<Map<string, ValidatorEffectiveness>> {
    const id = await this.readable(ctx, clusterId);
    const r = this.range(from, to, MAX_EFFECTIVENESS_DAYS);
    const chain = await this.chainOf(id);
    const now = this.now();
    const [lo, hi] = DashboardService.slotBounds(chain, r.from, r.to);
    const rows = await this.db.$queryRaw<
      { validatorId: string; duties: number; succeeded: number; included: number; failed: number }[]
    >`
      SELECT "validatorId"::text AS "validatorId", count(*)::int AS duties,
             count(*) FILTER (WHERE outcome IN ('AGGREGATED', 'SUBMITTED', 'INCLUDED'))::int AS succeeded,
             count(*) FILTER (WHERE outcome = 'INCLUDED')::int AS included,
             count(*) FILTER (WHERE outcome = 'FAILED')::int AS failed
      FROM "Duty"
      WHERE "clusterId" = ${id}::uuid AND slot BETWEEN ${lo} AND ${hi}
        AND "startsAt" >= ${r.from} AND "startsAt" < ${r.to} AND "deadlineAt" <= ${now}
        AND outcome <> 'PENDING'
      GROUP BY "validatorId"`;
    return new Map(
      rows.map((x) => [
        x.validatorId,
        { ...x, rate: ratio(x.succeeded, x.duties) } satisfies ValidatorEffectiveness,
      ]),
    );
  }

  // ───────────────────────── audit report ─────────────────────────

  /**
   * Per member over epochs starting in [from, to): expected / contributed duties (epoch roll-ups),
   * misses per reason and misses of duties the cluster failed (raw participation rows, missed ones
   * only, through the (clusterId, slot) index), hourly uptime (UptimeHour, hours up to now),
   * incidents attributed to the member that overlap the range; cluster totals; where to get the
   * evidence for it and how to check that offline. Operators and auditors (`cluster.export`).
   */
  async auditReport(
    ctx: ServiceContext,
    clusterId: string,
    from: unknown,
    to: unknown,
  ): Promise<AuditReport> {
    const id = parseInput("clusterId", uuidSchema, clusterId);
    const r = this.range(from, to, MAX_AUDIT_DAYS);
    await this.authz.assert(ctx, "cluster.export", id);
    const cluster = await this.db.cluster.findUnique({ where: { id }, select: { network: true } });
    if (!cluster) throw notFound("cluster", id);
    const chain = await this.chainOf(id);
    const members = await this.db.clusterMember.findMany({
      where: { clusterId: id },
      include: { operator: { select: { address: true } } },
      orderBy: { shareIndex: "asc" },
    });

    let fromEpoch: number | null = null;
    let toEpoch: number | null = null;
    let fromSlot: number | null = null;
    let toSlot: number | null = null;
    const totals = new Map<string, { expected: number; contributed: number }>();
    const missed = new Map<string, { reasons: Record<string, number>; failed: number }>();
    let duties = 0;
    let failedDuties = 0;
    if (chain) {
      const epochSeconds = chain.slotsPerEpoch * chain.secondsPerSlot;
      fromEpoch = Math.max(0, Math.ceil((r.from.getTime() / 1000 - chain.genesisTime) / epochSeconds));
      toEpoch = Math.max(fromEpoch, Math.ceil((r.to.getTime() / 1000 - chain.genesisTime) / epochSeconds));
      if (toEpoch > fromEpoch) {
        fromSlot = fromEpoch * chain.slotsPerEpoch;
        toSlot = toEpoch * chain.slotsPerEpoch - 1;
        const [rolled, misses, dutyCounts] = await Promise.all([
          this.db.memberEpochParticipation.groupBy({
            by: ["memberId"],
            where: { clusterId: id, epoch: { gte: fromEpoch, lt: toEpoch } },
            _sum: { expected: true, contributed: true },
          }),
          this.db.$queryRaw<{ memberId: string; reason: string | null; n: number; failed: number }[]>`
            SELECT p."memberId"::text AS "memberId", p."missReason"::text AS reason, count(*)::int AS n,
                   count(*) FILTER (WHERE d.outcome = 'FAILED')::int AS failed
            FROM "Participation" p JOIN "Duty" d ON d.id = p."dutyId"
            WHERE p."clusterId" = ${id}::uuid AND p.slot BETWEEN ${fromSlot} AND ${toSlot} AND NOT p.contributed
            GROUP BY 1, 2`,
          this.db.$queryRaw<{ duties: number; failed: number }[]>`
            SELECT count(*)::int AS duties, count(*) FILTER (WHERE outcome = 'FAILED')::int AS failed
            FROM "Duty" WHERE "clusterId" = ${id}::uuid AND slot BETWEEN ${fromSlot} AND ${toSlot}`,
        ]);
        for (const row of rolled)
          totals.set(row.memberId, {
            expected: row._sum.expected ?? 0,
            contributed: row._sum.contributed ?? 0,
          });
        for (const m of misses) {
          const e = missed.get(m.memberId) ?? { reasons: emptyReasons(), failed: 0 };
          const reason = m.reason ?? "UNKNOWN";
          e.reasons[reason] = (e.reasons[reason] ?? 0) + m.n;
          e.failed += m.failed;
          missed.set(m.memberId, e);
        }
        duties = dutyCounts[0]?.duties ?? 0;
        failedDuties = dutyCounts[0]?.failed ?? 0;
      }
    }

    // Uptime over the UTC hours the range touches (UptimeHour's grain), up to now.
    const hourFrom = new Date(Math.floor(r.from.getTime() / HOUR_MS) * HOUR_MS);
    const upTo = new Date(Math.min(Math.ceil(r.to.getTime() / HOUR_MS) * HOUR_MS, this.now().getTime()));
    const windowSeconds = Math.max(0, (upTo.getTime() - hourFrom.getTime()) / 1000);
    const [uptime, incidentLinks, incidents] = await Promise.all([
      windowSeconds > 0
        ? this.db.uptimeHour.groupBy({
            by: ["memberId"],
            where: { clusterId: id, hour: { gte: hourFrom, lt: upTo } },
            _sum: { secondsUp: true },
          })
        : Promise.resolve([]),
      this.db.incidentMember.groupBy({
        by: ["memberId"],
        where: {
          member: { clusterId: id },
          incident: { openedAt: { lt: r.to }, OR: [{ resolvedAt: null }, { resolvedAt: { gte: r.from } }] },
        },
        _count: { incidentId: true },
      }),
      this.db.incident.count({
        where: {
          clusterId: id,
          openedAt: { lt: r.to },
          OR: [{ resolvedAt: null }, { resolvedAt: { gte: r.from } }],
        },
      }),
    ]);
    const upBy = new Map(uptime.map((u) => [u.memberId, u._sum.secondsUp ?? 0]));
    const incBy = new Map(incidentLinks.map((l) => [l.memberId, l._count.incidentId]));

    const rows: AuditMemberRow[] = members.map((m) => {
      const t = totals.get(m.id) ?? { expected: 0, contributed: 0 };
      const miss = missed.get(m.id) ?? { reasons: emptyReasons(), failed: 0 };
      const { operator: _operator, ...member } = m;
      return {
        member,
        memberId: m.id,
        shareIndex: m.shareIndex,
        operatorId: m.operatorId,
        operatorAddress: m.operator.address,
        expectedDuties: t.expected,
        contributedDuties: t.contributed,
        missedDuties: t.expected - t.contributed,
        missedByReason: miss.reasons,
        rate: ratio(t.contributed, t.expected),
        uptimeRatio: windowSeconds > 0 ? Math.min(1, (upBy.get(m.id) ?? 0) / windowSeconds) : null,
        incidentsAttributed: incBy.get(m.id) ?? 0,
        failedDutiesMissed: miss.failed,
      };
    });
    const sum = (k: "expectedDuties" | "contributedDuties" | "missedDuties") =>
      rows.reduce((a, x) => a + x[k], 0);
    const reasons = emptyReasons();
    for (const x of rows)
      for (const [k, v] of Object.entries(x.missedByReason)) reasons[k] = (reasons[k] ?? 0) + v;

    const bundleUrl = (a: number, b: number) =>
      `/evidence/v1/clusters/${id}/bundle?fromSlot=${a}&toSlot=${b}`;
    const urls: string[] = [];
    if (fromSlot !== null && toSlot !== null)
      for (let a = fromSlot; a <= toSlot; a += MAX_BUNDLE_SLOTS)
        urls.push(bundleUrl(a, Math.min(toSlot, a + MAX_BUNDLE_SLOTS - 1)));
    const chainIdFlag = cluster.network === "devnet" ? ` --chain-id ${DEVNET_EIP712_CHAIN_ID}` : "";
    return {
      clusterId: id,
      from: r.from,
      to: r.to,
      fromEpoch,
      toEpoch,
      fromSlot,
      toSlot,
      members: rows,
      totals: {
        expectedDuties: sum("expectedDuties"),
        contributedDuties: sum("contributedDuties"),
        missedDuties: sum("missedDuties"),
        missedByReason: reasons,
        rate: ratio(sum("contributedDuties"), sum("expectedDuties")),
        duties,
        failedDuties,
        incidents,
      },
      evidenceBundleUrl: urls.length === 1 ? urls[0]! : null,
      evidenceBundleUrls: urls,
      exportCommand:
        fromSlot !== null && toSlot !== null && urls.length === 1
          ? `cohort evidence export --portal-url <portal-url> --token <session-token> --cluster ${id} --from ${fromSlot} --to ${toSlot} --out bundle.json`
          : null,
      verifyCommand: `cohort evidence verify bundle.json --lock cluster-lock.json${chainIdFlag}`,
    };
  }

  /** The audit report's member table as RFC 4180 CSV (header row first). */
  async auditCsv(
    ctx: ServiceContext,
    clusterId: string,
    from: unknown,
    to: unknown,
  ): Promise<{ filename: string; csv: string }> {
    const report = await this.auditReport(ctx, clusterId, from, to);
    const header = [
      "share_index",
      "member_id",
      "operator_address",
      "expected_duties",
      "contributed_duties",
      "missed_duties",
      ...MISS_REASONS.map((r) => `missed_${r.toLowerCase()}`),
      "rate",
      "uptime_ratio",
      "incidents_attributed",
      "failed_duties_missed",
      "from",
      "to",
    ];
    const rows = report.members.map((m) => [
      m.shareIndex,
      m.memberId,
      m.operatorAddress,
      m.expectedDuties,
      m.contributedDuties,
      m.missedDuties,
      ...MISS_REASONS.map((r) => m.missedByReason[r] ?? 0),
      m.rate === null ? null : Number(m.rate.toFixed(6)),
      m.uptimeRatio === null ? null : Number(m.uptimeRatio.toFixed(6)),
      m.incidentsAttributed,
      m.failedDutiesMissed,
      report.from.toISOString(),
      report.to.toISOString(),
    ]);
    const stamp = (d: Date) => d.toISOString().replace(/[:.]/g, "-");
    return {
      filename: `cohort-${report.clusterId}-participation-${stamp(report.from)}-${stamp(report.to)}.csv`,
      csv: toCsv([header, ...rows]),
    };
  }

  // ───────────────────────── live events ─────────────────────────

  /**
   * The cluster's live events (incident and participation changes) as an async iterator, for
   * readers of the cluster. Subscribed before it returns, so nothing published afterwards is
   * missed; `return()` unsubscribes.
   */
  async clusterEvents(
    ctx: ServiceContext,
    clusterId: string,
  ): Promise<AsyncIterableIterator<LiveClusterEvent>> {
    const id = await this.readable(ctx, clusterId);
    const source = this.events && "subscribe" in this.events ? (this.events as EventsSource) : null;
    if (!source) throw new CohortError("CONFLICT", "live events are not configured on this server");
    const queue: LiveClusterEvent[] = [];
    const waiting: ((r: IteratorResult<LiveClusterEvent>) => void)[] = [];
    let done = false;
    const unsubscribe = await source.subscribe(id, (event) => {
      if (done) return;
      const { type, clusterId: cid, at, ...payload } = event as ClusterEvent & Record<string, unknown>;
      const parsed = typeof at === "string" ? new Date(at) : new Date(Number.NaN);
      const e: LiveClusterEvent = {
        type,
        clusterId: cid,
        at: Number.isNaN(parsed.getTime()) ? this.now() : parsed,
        payload,
      };
      const next = waiting.shift();
      if (next) next({ value: e, done: false });
      else if (queue.length < 1000) queue.push(e); // a reader that stopped reading loses the oldest-first overflow
    });
    const finish = async (): Promise<IteratorResult<LiveClusterEvent>> => {
      if (!done) {
        done = true;
        for (const w of waiting.splice(0)) w({ value: undefined, done: true });
        queue.length = 0;
        await unsubscribe();
      }
      return { value: undefined, done: true };
    };
    const iterator: AsyncIterableIterator<LiveClusterEvent> = {
      next: () => {
        if (done) return Promise.resolve({ value: undefined, done: true });
        const e = queue.shift();
        if (e) return Promise.resolve({ value: e, done: false });
        return new Promise((resolve) => waiting.push(resolve));
      },
      return: finish,
      throw: async (err?: unknown) => {
        await finish();
        throw err;
      },
      [Symbol.asyncIterator]() {
        return iterator;
      },
    };
    return iterator;
  }
}
