import type { Db, PrismaTypes } from "@cohort/db";
import { z } from "zod";
import type { Authz, ServiceContext } from "../actor";
import { requireAccount } from "../actor";
import { badInput, conflict, notFound } from "../errors";
import type { ClusterEvent, EventsPort, IncidentEventType } from "../events";
import { knownChain } from "../ingest/service";
import type { JobsPort } from "../jobs";
import type { NotificationService } from "../notifications/service";
import { DEFAULT_ACK_TIMEOUT_MINUTES, type OnCallService } from "../oncall/service";
import { parseInput, uuidSchema } from "../validation";
import { type EvidenceRow, findRuns, type Run } from "./detect";

/**
 * Consecutive missed duties that make a member "offline". The Cluster model has no column for it
 * yet, so it is one constant for every cluster.
 */
export const OFFLINE_MIN_MISSES = 3;
// (counted in slots: a slot counts as missed when the member contributed to none of that slot's
// duties that some other member did contribute to; a duty nobody contributed to blames no one.)
/** Heartbeats in a row with too few peers before PEERS_DISCONNECTED opens. */
export const PEERS_MIN_HEARTBEATS = 2;
/** How far back a detector looks for a key with no incident yet (one day of 12 s slots). */
export const DUTY_LOOKBACK_SLOTS = 7200;
export const HEARTBEAT_LOOKBACK_MS = 24 * 3_600_000;
/** Resolved incidents whose cost is still recomputed as duty values arrive. */
const COST_REFRESH_MS = 7 * 24 * 3_600_000;

export const INCIDENT_KINDS = [
  "MEMBER_OFFLINE",
  "DUTY_FAILED",
  "PEERS_DISCONNECTED",
  "SLASHING_PROTECTION_REFUSAL",
  "INVALID_PARTIALS",
  "CONFLICTING_MESSAGES",
  "MANUAL",
] as const;
export const INCIDENT_SEVERITIES = ["CRITICAL", "MAJOR", "MINOR", "INFO"] as const;
export const INCIDENT_STATUSES = ["OPEN", "ACKNOWLEDGED", "RESOLVED"] as const;
export type IncidentKindName = (typeof INCIDENT_KINDS)[number];
export type IncidentSeverityName = (typeof INCIDENT_SEVERITIES)[number];

/** Duty types whose miss costs the validator on-chain value (the cluster missed the duty). */
const VALUE_DUTIES = new Set(["ATTESTER", "PROPOSER", "AGGREGATOR", "SYNC_MESSAGE", "SYNC_CONTRIBUTION"]);

type Tx = PrismaTypes.TransactionClient;
type IncidentRow = Awaited<ReturnType<Db["incident"]["findFirstOrThrow"]>>;

const severitySchema = z.enum(INCIDENT_SEVERITIES, {
  message: `must be one of ${INCIDENT_SEVERITIES.join(", ")}`,
});
const textSchema = (max: number) =>
  z.string().trim().min(1, "is empty").max(max, `is longer than ${max} characters`);

const declareInput = z.object({
  clusterId: uuidSchema,
  title: textSchema(200),
  severity: severitySchema,
  summary: z.string().trim().max(5000, "is longer than 5000 characters").optional(),
  memberIds: z.array(uuidSchema).max(64, "allows at most 64 members").default([]),
});

const filterSchema = z
  .object({
    status: z.array(z.enum(INCIDENT_STATUSES, { message: "is not an incident status" })).optional(),
    kind: z.array(z.enum(INCIDENT_KINDS, { message: "is not an incident kind" })).optional(),
    severity: z.array(severitySchema).optional(),
    memberId: uuidSchema.optional(),
    from: z.coerce.date({ message: "must be an ISO-8601 timestamp" }).optional(),
    to: z.coerce.date({ message: "must be an ISO-8601 timestamp" }).optional(),
  })
  .refine((f) => !f.from || !f.to || f.to > f.from, { path: ["to"], message: "must be after from" });

export interface IncidentFilter {
  status?: string[] | null;
  kind?: string[] | null;
  severity?: string[] | null;
  memberId?: string | null;
  from?: Date | string | null;
  to?: Date | string | null;
}

const stripNulls = <T extends object>(o: T) =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null && v !== undefined));

/** Cursor: base64url of `<openedAt ISO>|<id>` (the list is ordered by openedAt desc, id desc). */
const encodeCursor = (i: { openedAt: Date; id: string }) =>
  Buffer.from(`${i.openedAt.toISOString()}|${i.id}`).toString("base64url");
function decodeCursor(cursor: string): { openedAt: Date; id: string } {
  const [at, id] = Buffer.from(cursor, "base64url").toString("utf8").split("|");
  const openedAt = new Date(at ?? "");
  if (!id || Number.isNaN(openedAt.getTime()) || !uuidSchema.safeParse(id).success) {
    throw badInput("after", "is not a cursor from this list");
  }
  return { openedAt, id };
}

/** One detector's view of one dedup key: its evidence in order, and how to describe a run. */
interface KeySpec {
  dedupKey: string;
  kind: IncidentKindName;
  minRun: number;
  rows: EvidenceRow[];
  memberIds: (run: Run) => Promise<string[]> | string[];
  memberReason: string;
  severity: (run: Run) => IncidentSeverityName;
  title: string;
  summary: (run: Run) => string;
}

interface Outcome {
  opened: Set<string>;
  updated: Set<string>;
  resolved: Set<string>;
}

/**
 * One row per slot (rows sorted by slot): good if any duty of the slot was good, bad if none was
 * good and one was bad, neutral (null) if every duty of the slot was neutral.
 */
function perSlot(rows: EvidenceRow[]): EvidenceRow[] {
  const out: EvidenceRow[] = [];
  for (const r of rows) {
    const last = out.at(-1);
    if (!last || last.slot !== r.slot) {
      out.push({ ...r, dutyIds: r.bad ? [r.dutyId!] : [] });
      continue;
    }
    if (last.bad === false || r.bad === null) continue;
    if (r.bad === false) out[out.length - 1] = { ...r, dutyIds: [] };
    else out[out.length - 1] = { ...last, bad: true, dutyIds: [...(last.dutyIds ?? []), r.dutyId!] };
  }
  return out;
}

const minDate = (a: Date, b: Date) => new Date(Math.min(a.getTime(), b.getTime()));
const maxDate = (a: Date, b: Date) => new Date(Math.max(a.getTime(), b.getTime()));

/**
 * Incidents: automatic detection from stored evidence (`evaluate`), manual handling by operators
 * (declare, acknowledge, note, attribute, severity, resolve) with a timeline, and queries.
 */
/** A member that reported within this long may still have evidence in flight (see evidenceHorizon). */
export const REPORT_GRACE_MS = 120_000;
/** The grace in slots (agents report every few seconds): short-slot devnets judge a silent member sooner. */
export const REPORT_GRACE_SLOTS = 10;
const MIN_REPORT_GRACE_MS = 20_000;

/** How long a member may stay silent before it is judged up to the cluster's horizon. */
export function reportGraceMs(secondsPerSlot: number | null | undefined): number {
  if (!secondsPerSlot) return REPORT_GRACE_MS;
  return Math.min(REPORT_GRACE_MS, Math.max(MIN_REPORT_GRACE_MS, REPORT_GRACE_SLOTS * secondsPerSlot * 1000));
}

export class IncidentService {
  constructor(
    private readonly db: Db,
    private readonly authz: Authz,
    private readonly jobs: JobsPort,
    private readonly events: EventsPort,
    private readonly onCall: OnCallService,
    private readonly notifications: NotificationService,
    private readonly now: () => Date = () => new Date(),
  ) {}

  // ───────────────────────────── Detection ─────────────────────────────

  /**
   * Runs every detector over the cluster's stored evidence: opens incidents, merges new evidence
   * into ongoing ones (same dedupKey) and resolves them on recovery. Idempotent: running it again
   * over the same evidence changes nothing. Serialised per cluster by an advisory lock.
   */
  async evaluate(clusterId: string, { now = this.now() }: { now?: Date } = {}) {
    const outcome: Outcome = { opened: new Set(), updated: new Set(), resolved: new Set() };
    const exists = await this.db.cluster.findUnique({ where: { id: clusterId }, select: { id: true } });
    if (!exists) throw notFound("cluster", clusterId);
    await this.db.$transaction(
      async (tx) => {
        await this.lockCluster(tx, clusterId);
        const specs = await this.collectSpecs(tx, clusterId, now);
        for (const spec of specs) await this.applySpec(tx, clusterId, spec, now, outcome);
        await this.refreshCosts(tx, clusterId, now);
      },
      { timeout: 120_000, maxWait: 30_000 },
    );
    await this.afterEvaluate(clusterId, outcome);
    return {
      opened: [...outcome.opened],
      updated: [...outcome.updated].filter((id) => !outcome.opened.has(id) && !outcome.resolved.has(id)),
      resolved: [...outcome.resolved],
    };
  }

  /** The timer's sweep: `evaluate` for every ACTIVE cluster; a failure in one does not stop the rest. */
  async evaluateAll({ now = this.now() }: { now?: Date } = {}) {
    const clusters = await this.db.cluster.findMany({ where: { status: "ACTIVE" }, select: { id: true } });
    const failed: { clusterId: string; error: string }[] = [];
    let opened = 0;
    let resolved = 0;
    for (const { id } of clusters) {
      try {
        const r = await this.evaluate(id, { now });
        opened += r.opened.length;
        resolved += r.resolved.length;
      } catch (e) {
        failed.push({ clusterId: id, error: (e as Error).message });
      }
    }
    return { clusters: clusters.length, opened, resolved, failed };
  }

  private async lockCluster(tx: Tx, clusterId: string) {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`incidents:${clusterId}`}, 0))`;
  }

  /** The latest incident per dedup key (an ongoing one wins over resolved ones). */
  private async latestByKey(tx: Tx, clusterId: string, keys: string[]) {
    const rows = keys.length
      ? await tx.incident.findMany({
          where: { clusterId, dedupKey: { in: keys }, automatic: true },
          orderBy: { openedAt: "desc" },
        })
      : [];
    const map = new Map<string, IncidentRow>();
    for (const r of rows) {
      const prev = map.get(r.dedupKey!);
      if (!prev || (prev.status === "RESOLVED" && r.status !== "RESOLVED")) map.set(r.dedupKey!, r);
    }
    return map;
  }

  /**
   * Up to which slot each member's participation can be judged. Evidence arrives in reports, not
   * all at once: a member's message for a slot is in once *it* has reported that far, and the
   * receipts once enough others have. So: the cluster horizon is the slot `threshold` members have
   * reported past (their sent messages or receipts); a member that reported within
   * the grace (`reportGraceMs`: 10 slots, between 20 s and REPORT_GRACE_MS) is judged only up to its own progress (the rest of its evidence may be in
   * flight); a member silent for longer — down, or its reporter is — is judged up to the horizon.
   */
  private async evidenceHorizon(tx: Tx, clusterId: string, threshold: number, now: Date, graceMs: number) {
    const rows = await tx.$queryRaw<{ id: string; progress: number | null; last: Date | null }[]>`
      SELECT m.id,
             GREATEST(
               (SELECT max(s.slot) FROM "SignedPartialMessage" s WHERE s."senderId" = m.id),
               (SELECT max(r.slot) FROM "MessageReceipt" r WHERE r."clusterId" = ${clusterId}::uuid AND r."receiverId" = m.id)
             ) AS progress,
             (SELECT max(a."receivedAt") FROM "AgentReport" a WHERE a."memberId" = m.id AND a.status = 'ACCEPTED') AS last
      FROM "ClusterMember" m WHERE m."clusterId" = ${clusterId}::uuid`;
    const [meta] = await tx.$queryRaw<{ first: Date | null; settled: number | null }[]>`
      SELECT (SELECT min(a."receivedAt") FROM "AgentReport" a WHERE a."clusterId" = ${clusterId}::uuid) AS first,
             (SELECT c."dutiesSettledSlot" FROM "Cluster" c WHERE c.id = ${clusterId}::uuid) AS settled`;
    const out = new Map<string, number>();
    // No agent has ever reported (evidence imported or entered otherwise): everything stored is final.
    if (!meta?.first) {
      for (const r of rows) out.set(r.id, Number.MAX_SAFE_INTEGER);
      return out;
    }
    const sorted = rows.map((r) => r.progress ?? -1).sort((a, b) => b - a);
    // Duties the scheduler settled (deadline long past, nobody reported them) are final too.
    const horizon = Math.max(sorted[threshold - 1] ?? -1, meta.settled ?? -1);
    const recent = (at: Date) => now.getTime() - at.getTime() < graceMs;
    for (const r of rows) {
      // Silent since its last report — or, if it never reported, since the cluster's first report.
      const fresh = r.last ? recent(r.last) : recent(meta.first);
      out.set(r.id, fresh ? Math.min(horizon, r.progress ?? -1) : horizon);
    }
    return out;
  }

  /** Where a key's evidence scan starts: the ongoing incident's start, after the last one, or the lookback. */
  private slotStart(latest: IncidentRow | undefined, fallback: number) {
    if (!latest) return fallback;
    if (latest.status !== "RESOLVED") return latest.fromSlot ?? fallback;
    return (latest.toSlot ?? fallback - 1) + 1;
  }

  private async collectSpecs(tx: Tx, clusterId: string, now: Date): Promise<KeySpec[]> {
    const cluster = await tx.cluster.findUniqueOrThrow({
      where: { id: clusterId },
      include: {
        members: {
          where: { status: { not: "REMOVED" } },
          include: { operator: true },
          orderBy: { shareIndex: "asc" },
        },
      },
    });
    const maxSlot = (await tx.duty.aggregate({ where: { clusterId }, _max: { slot: true } }))._max.slot ?? 0;
    const lookback = Math.max(0, maxSlot - DUTY_LOOKBACK_SLOTS);
    const specs: KeySpec[] = [];
    const label = (m: (typeof cluster.members)[number]) =>
      `member ${m.shareIndex} (${m.operator.nickname ?? m.operator.address})`;

    // Per member: offline runs, invalid partials, conflicting messages, peer connectivity.
    const memberKeys = cluster.members.flatMap((m) => [
      `member_offline:${m.id}`,
      `invalid_partials:${m.id}`,
      `conflicting_messages:${m.id}`,
      `peers_disconnected:${m.id}`,
    ]);
    const latest = await this.latestByKey(tx, clusterId, memberKeys);
    const judgeUpTo = await this.evidenceHorizon(
      tx,
      clusterId,
      cluster.threshold,
      now,
      reportGraceMs(cluster.secondsPerSlot ?? knownChain(cluster.network)?.secondsPerSlot),
    );
    // Duties some member contributed to: a duty nobody signed is the cluster's failure (DUTY_FAILED),
    // not evidence that one member is offline.
    const offlineFrom = Math.min(
      ...cluster.members.map((m) => this.slotStart(latest.get(`member_offline:${m.id}`), lookback)),
    );
    const signedByAnyone = new Set(
      (
        await tx.$queryRaw<{ dutyId: bigint }[]>`
          SELECT DISTINCT "dutyId" FROM "Participation"
          WHERE "clusterId" = ${clusterId}::uuid AND slot >= ${offlineFrom} AND contributed`
      ).map((r) => r.dutyId),
    );
    for (const m of cluster.members) {
      const keys = {
        offline: `member_offline:${m.id}`,
        invalid: `invalid_partials:${m.id}`,
        conflicting: `conflicting_messages:${m.id}`,
        peers: `peers_disconnected:${m.id}`,
      };
      const starts = {
        offline: this.slotStart(latest.get(keys.offline), lookback),
        invalid: this.slotStart(latest.get(keys.invalid), lookback),
        conflicting: this.slotStart(latest.get(keys.conflicting), lookback),
      };
      const participations = await tx.participation.findMany({
        where: {
          memberId: m.id,
          slot: { gte: Math.min(starts.offline, starts.invalid, starts.conflicting) },
        },
        select: {
          slot: true,
          dutyId: true,
          contributed: true,
          missReason: true,
          duty: { select: { startsAt: true } },
        },
        // Within a slot, misses first: an ongoing run is never "recovered" by its own first slot.
        orderBy: [{ slot: "asc" }, { contributed: "asc" }, { dutyId: "asc" }],
      });
      const horizon = judgeUpTo.get(m.id) ?? -1;
      const rowsFor = (from: number, bad: (p: (typeof participations)[number]) => boolean | null) =>
        participations
          .filter((p) => p.slot >= from && p.slot <= horizon)
          .map((p) => ({ slot: p.slot, at: p.duty.startsAt, dutyId: p.dutyId, bad: bad(p) }));

      specs.push({
        dedupKey: keys.offline,
        kind: "MEMBER_OFFLINE",
        minRun: OFFLINE_MIN_MISSES,
        rows: perSlot(
          rowsFor(starts.offline, (p) =>
            p.contributed ? false : signedByAnyone.has(p.dutyId) ? true : null,
          ),
        ),
        memberIds: () => [m.id],
        memberReason: `missed its duties in ${OFFLINE_MIN_MISSES} or more slots in a row`,
        severity: () => "MAJOR",
        title: `Member ${m.shareIndex} is offline`,
        summary: (run) =>
          `${label(m)} did not contribute in ${run.rows.length} consecutive slots (${run.rows[0]?.slot}–${run.rows.at(-1)?.slot}) while the others signed` +
          (run.recovery ? `; contributing again from slot ${run.recovery.slot}.` : "."),
      });
      specs.push({
        dedupKey: keys.invalid,
        kind: "INVALID_PARTIALS",
        minRun: 1,
        rows: rowsFor(starts.invalid, (p) =>
          p.missReason === "INVALID_PARTIAL" ? true : p.contributed ? false : null,
        ),
        memberIds: () => [m.id],
        memberReason: "sent partial signatures that do not verify against its public share",
        severity: () => "MAJOR",
        title: `Member ${m.shareIndex} sends invalid partial signatures`,
        summary: (run) =>
          `${label(m)} sent ${run.rows.length} partial signature(s) that do not verify against its public share (slots ${run.rows[0]?.slot}–${run.rows.at(-1)?.slot}).`,
      });
      specs.push({
        dedupKey: keys.conflicting,
        kind: "CONFLICTING_MESSAGES",
        minRun: 1,
        rows: rowsFor(starts.conflicting, (p) =>
          p.missReason === "CONFLICTING" ? true : p.contributed ? false : null,
        ),
        memberIds: () => [m.id],
        memberReason: "signed two different messages for one duty",
        severity: () => "CRITICAL",
        title: `Member ${m.shareIndex} signed conflicting messages`,
        summary: (run) =>
          `${label(m)} signed two different messages for ${run.rows.length} duty(ies) (slots ${run.rows[0]?.slot}–${run.rows.at(-1)?.slot}): a slashing risk if combined.`,
      });

      const peersLatest = latest.get(keys.peers);
      const hbFrom = !peersLatest
        ? new Date(now.getTime() - HEARTBEAT_LOOKBACK_MS)
        : peersLatest.status !== "RESOLVED"
          ? peersLatest.openedAt
          : new Date((peersLatest.resolvedAt ?? peersLatest.openedAt).getTime() + 1);
      const heartbeats = await tx.heartbeat.findMany({
        where: { memberId: m.id, at: { gte: hbFrom, lte: now } },
        select: { at: true, peersConnected: true },
        orderBy: [{ at: "asc" }, { id: "asc" }],
      });
      const minPeers = cluster.threshold - 1;
      specs.push({
        dedupKey: keys.peers,
        kind: "PEERS_DISCONNECTED",
        minRun: PEERS_MIN_HEARTBEATS,
        rows: heartbeats.map((h) => ({
          slot: null,
          at: h.at,
          dutyId: null,
          bad: h.peersConnected === null ? null : h.peersConnected < minPeers,
        })),
        memberIds: () => [m.id],
        memberReason: `connected to fewer than ${minPeers} peers`,
        severity: () => "MAJOR",
        title: `Member ${m.shareIndex} is disconnected from its peers`,
        summary: (run) =>
          `${label(m)} reported fewer than ${minPeers} connected peers (threshold ${cluster.threshold} − 1) in ${run.rows.length} consecutive heartbeats since ${run.rows[0]?.at.toISOString()}.`,
      });
    }

    // Failed duties, one ongoing incident per failure reason (slashing-protection refusals apart).
    const failedReasons = await tx.duty.findMany({
      where: { clusterId, outcome: "FAILED", slot: { gte: lookback } },
      distinct: ["failureReason"],
      select: { failureReason: true },
    });
    const ongoingDutyKeys = await tx.incident.findMany({
      where: {
        clusterId,
        automatic: true,
        status: { not: "RESOLVED" },
        kind: { in: ["DUTY_FAILED", "SLASHING_PROTECTION_REFUSAL"] },
      },
      select: { dedupKey: true },
    });
    const reasonOfKey = (k: string) => k.slice(k.indexOf(":") + 1);
    const reasons = new Set<string>([
      ...failedReasons.map((d) => d.failureReason ?? "unknown"),
      ...ongoingDutyKeys.map((i) => reasonOfKey(i.dedupKey ?? "duty_failed:unknown")),
    ]);
    const isSlashing = (r: string) => /slashing/i.test(r);
    const dutyKey = (r: string) => `${isSlashing(r) ? "slashing_refusal" : "duty_failed"}:${r}`;
    const dutyLatest = await this.latestByKey(tx, clusterId, [...reasons].map(dutyKey));
    const dutyStarts = new Map(
      [...reasons].map((r) => [r, this.slotStart(dutyLatest.get(dutyKey(r)), lookback)]),
    );
    if (reasons.size > 0) {
      const duties = await tx.duty.findMany({
        where: {
          clusterId,
          slot: { gte: Math.min(...dutyStarts.values()) },
          outcome: { in: ["FAILED", "AGGREGATED", "SUBMITTED", "INCLUDED"] },
        },
        select: { id: true, slot: true, startsAt: true, type: true, outcome: true, failureReason: true },
        orderBy: [{ slot: "asc" }, { outcome: "desc" }, { id: "asc" }],
      });
      const typeOf = new Map(duties.map((d) => [d.id, d.type]));
      for (const reason of reasons) {
        const from = dutyStarts.get(reason)!;
        const slashing = isSlashing(reason);
        const failedSlots = new Set(
          duties
            .filter((d) => d.outcome === "FAILED" && (d.failureReason ?? "unknown") === reason)
            .map((d) => d.slot),
        );
        specs.push({
          dedupKey: dutyKey(reason),
          kind: slashing ? "SLASHING_PROTECTION_REFUSAL" : "DUTY_FAILED",
          minRun: 1,
          rows: duties
            .filter((d) => d.slot >= from)
            .map((d) => ({
              slot: d.slot,
              at: d.startsAt,
              dutyId: d.id,
              bad:
                d.outcome === "FAILED"
                  ? (d.failureReason ?? "unknown") === reason
                    ? true
                    : null
                  : // A later success ends the run; successes in the run's own slots do not.
                    failedSlots.has(d.slot)
                    ? null
                    : false,
            })),
          memberIds: async (run) => {
            const misses = await tx.participation.findMany({
              where: { dutyId: { in: run.rows.map((r) => r.dutyId!) }, contributed: false },
              distinct: ["memberId"],
              select: { memberId: true },
            });
            return misses.map((p) => p.memberId);
          },
          memberReason: "did not contribute to a failed duty",
          severity: (run) =>
            slashing || run.rows.some((r) => VALUE_DUTIES.has(typeOf.get(r.dutyId!) ?? ""))
              ? "CRITICAL"
              : "MAJOR",
          title: slashing ? `Slashing protection refused to sign (${reason})` : `Duties failed: ${reason}`,
          summary: (run) => {
            const types = [...new Set(run.rows.map((r) => typeOf.get(r.dutyId!)))].join(", ");
            return `${run.rows.length} ${types} duty(ies) failed with reason "${reason}" (slots ${run.rows[0]?.slot}–${run.rows.at(-1)?.slot})${run.recovery ? `; duties succeed again from slot ${run.recovery.slot}` : ""}.`;
          },
        });
      }
    }
    return specs;
  }

  private async applySpec(tx: Tx, clusterId: string, spec: KeySpec, now: Date, outcome: Outcome) {
    const ongoing = await tx.incident.findFirst({
      where: { clusterId, dedupKey: spec.dedupKey, automatic: true, status: { not: "RESOLVED" } },
      orderBy: { openedAt: "desc" },
    });
    const runs = findRuns(spec.rows, spec.minRun, ongoing !== null);
    for (const run of runs) {
      const incident =
        run.continuesOngoing && ongoing ? ongoing : await this.openFromRun(tx, clusterId, spec, run, now);
      if (!run.continuesOngoing) outcome.opened.add(incident.id);
      else if (await this.mergeRun(tx, incident, spec, run, now)) outcome.updated.add(incident.id);
      if (run.recovery) {
        const at = minDate(maxDate(run.recovery.at, incident.openedAt), now);
        await tx.incident.update({
          where: { id: incident.id },
          data: { status: "RESOLVED", resolvedAt: at, resolvedBy: "system", lastEventAt: now },
        });
        await tx.incidentTimelineEntry.create({
          data: {
            incidentId: incident.id,
            at,
            kind: "RESOLVED",
            message:
              run.recovery.slot !== null
                ? `Recovered: evidence at slot ${run.recovery.slot} shows normal operation again.`
                : `Recovered: normal operation again at ${run.recovery.at.toISOString()}.`,
            data: {
              by: "system",
              recoverySlot: run.recovery.slot,
              recoveryAt: run.recovery.at.toISOString(),
            },
          },
        });
        outcome.resolved.add(incident.id);
      }
    }
  }

  private slotRange(run: Run) {
    const slots = run.rows.map((r) => r.slot).filter((s): s is number => s !== null);
    return slots.length
      ? { fromSlot: Math.min(...slots), toSlot: Math.max(...slots) }
      : { fromSlot: null, toSlot: null };
  }

  private async nextNumber(tx: Tx, clusterId: string) {
    const max = await tx.incident.aggregate({ where: { clusterId }, _max: { number: true } });
    return (max._max.number ?? 0) + 1;
  }

  private async openFromRun(tx: Tx, clusterId: string, spec: KeySpec, run: Run, now: Date) {
    const openedAt = minDate(run.rows[0]?.at ?? now, now);
    const { fromSlot, toSlot } = this.slotRange(run);
    const incident = await tx.incident.create({
      data: {
        clusterId,
        number: await this.nextNumber(tx, clusterId),
        kind: spec.kind,
        severity: spec.severity(run),
        title: spec.title,
        summary: spec.summary(run),
        dedupKey: spec.dedupKey,
        automatic: true,
        openedAt,
        fromSlot,
        toSlot,
        lastEventAt: now,
      },
    });
    await tx.incidentTimelineEntry.create({
      data: {
        incidentId: incident.id,
        at: openedAt,
        kind: "OPENED",
        message: spec.summary(run),
        data: {
          by: "system",
          dedupKey: spec.dedupKey,
          evidence: run.rows.length,
          lastAt: run.rows.at(-1)?.at.toISOString(),
        },
      },
    });
    await this.linkEvidence(tx, incident.id, spec, run);
    return incident;
  }

  /** Links a run's duties and members; returns how many duties were new. */
  private async linkEvidence(tx: Tx, incidentId: string, spec: KeySpec, run: Run) {
    const dutyIds = [
      ...new Set(run.rows.flatMap((r) => r.dutyIds ?? [r.dutyId]).filter((d): d is bigint => d !== null)),
    ];
    const linked = dutyIds.length
      ? await tx.incidentDuty.createMany({
          data: dutyIds.map((dutyId) => ({ incidentId, dutyId })),
          skipDuplicates: true,
        })
      : { count: 0 };
    const memberIds = await spec.memberIds(run);
    if (memberIds.length) {
      await tx.incidentMember.createMany({
        data: memberIds.map((memberId) => ({
          incidentId,
          memberId,
          reason: spec.memberReason,
          attributedBy: "system",
        })),
        skipDuplicates: true,
      });
    }
    return linked.count;
  }

  /** Adds new evidence to an ongoing incident; returns whether anything changed. */
  private async mergeRun(tx: Tx, incident: IncidentRow, spec: KeySpec, run: Run, now: Date) {
    if (run.rows.length === 0) return false;
    const added = await this.linkEvidence(tx, incident.id, spec, run);
    const { fromSlot, toSlot } = this.slotRange(run);
    const lastAt = run.rows.at(-1)!.at;
    let newHeartbeats = false;
    if (fromSlot === null) {
      const last = await tx.incidentTimelineEntry.findFirst({
        where: { incidentId: incident.id, kind: { in: ["OPENED", "MERGED"] } },
        orderBy: { id: "desc" },
      });
      const prev = (last?.data as { lastAt?: string } | null)?.lastAt;
      newHeartbeats = !prev || new Date(prev) < lastAt;
    }
    if (added === 0 && !newHeartbeats) return false;
    const nextFrom =
      fromSlot === null ? incident.fromSlot : Math.min(incident.fromSlot ?? fromSlot, fromSlot);
    const nextTo = toSlot === null ? incident.toSlot : Math.max(incident.toSlot ?? toSlot, toSlot);
    await tx.incident.update({
      where: { id: incident.id },
      data: { fromSlot: nextFrom, toSlot: nextTo, summary: spec.summary(run), lastEventAt: now },
    });
    await tx.incidentTimelineEntry.create({
      data: {
        incidentId: incident.id,
        at: maxDate(minDate(lastAt, now), incident.openedAt),
        kind: "MERGED",
        message:
          added > 0
            ? `${added} more affected duty(ies) merged (now slots ${nextFrom}–${nextTo}).`
            : `Still ongoing: ${run.rows.length} consecutive bad reports up to ${lastAt.toISOString()}.`,
        data: {
          by: "system",
          addedDuties: added,
          fromSlot: nextFrom,
          toSlot: nextTo,
          lastAt: lastAt.toISOString(),
        },
      },
    });
    return true;
  }

  /** costGwei = sum of the linked duties' valueGwei (once any is known), for live and recent incidents. */
  private async refreshCosts(tx: Tx, clusterId: string, now: Date) {
    const since = new Date(now.getTime() - COST_REFRESH_MS);
    await tx.$executeRaw`
      UPDATE "Incident" i SET "costGwei" = s.total
      FROM (
        SELECT d."incidentId", SUM(du."valueGwei")::bigint AS total
        FROM "IncidentDuty" d JOIN "Duty" du ON du.id = d."dutyId"
        WHERE du."valueGwei" IS NOT NULL
        GROUP BY d."incidentId"
      ) s
      WHERE i.id = s."incidentId" AND i."clusterId" = ${clusterId}::uuid
        AND (i.status <> 'RESOLVED' OR i."resolvedAt" > ${since})
        AND i."costGwei" IS DISTINCT FROM s.total`;
  }

  /** After the detection transaction commits: live events, notifications, escalation timers. */
  private async afterEvaluate(clusterId: string, outcome: Outcome) {
    const ids = new Set([...outcome.opened, ...outcome.updated, ...outcome.resolved]);
    if (ids.size === 0) return;
    const incidents = await this.db.incident.findMany({ where: { id: { in: [...ids] } } });
    for (const incident of incidents) {
      const type: IncidentEventType = outcome.opened.has(incident.id)
        ? "incident.opened"
        : incident.status === "RESOLVED"
          ? "incident.resolved"
          : "incident.updated";
      await this.publish(
        type,
        incident,
        outcome.opened.has(incident.id) ? "opened" : type === "incident.resolved" ? "recovered" : "merged",
      );
      if (outcome.opened.has(incident.id) && incident.status !== "RESOLVED")
        await this.announce(clusterId, incident.id);
    }
  }

  /** Notifies the PRIMARY on-call about a new incident and arms its escalation timer. */
  private async announce(clusterId: string, incidentId: string) {
    await this.notifications.notifyIncident(incidentId, "incident.opened", "PRIMARY");
    await this.jobs.scheduleEscalation(incidentId, (await this.ackTimeoutMinutes(clusterId)) * 60_000);
  }

  /** The PRIMARY rotation's acknowledgement timeout (the one on call now, else the oldest). */
  async ackTimeoutMinutes(clusterId: string): Promise<number> {
    const current = (await this.onCall.whoIsOnCall(clusterId, this.now())).find((o) => o.level === "PRIMARY");
    if (current) return current.ackTimeoutMinutes;
    const rotation = await this.db.onCallRotation.findFirst({
      where: { clusterId, level: "PRIMARY" },
      orderBy: { createdAt: "asc" },
    });
    return rotation?.ackTimeoutMinutes ?? DEFAULT_ACK_TIMEOUT_MINUTES;
  }

  private async publish(type: IncidentEventType, incident: IncidentRow, change: string) {
    const event: ClusterEvent = {
      type,
      clusterId: incident.clusterId,
      incidentId: incident.id,
      number: incident.number,
      status: incident.status,
      severity: incident.severity,
      kind: incident.kind,
      change,
      at: this.now().toISOString(),
    };
    await this.events.publish(event).catch(() => {});
  }

  /**
   * Background job, fired `ackTimeoutMinutes` after an incident opened: if nobody acknowledged it
   * (and it is not resolved), marks it escalated and notifies the SECONDARY on-call. Idempotent.
   */
  async escalate(incidentId: string): Promise<{ escalated: boolean; reason?: string }> {
    const now = this.now();
    const claimed = await this.db.incident.updateMany({
      where: { id: incidentId, status: "OPEN", escalatedAt: null },
      data: { escalatedAt: now, lastEventAt: now },
    });
    if (claimed.count === 0) {
      const incident = await this.db.incident.findUnique({ where: { id: incidentId } });
      return {
        escalated: false,
        reason: !incident
          ? "incident deleted"
          : incident.escalatedAt
            ? "already escalated"
            : `incident is ${incident.status.toLowerCase()}`,
      };
    }
    const minutes = await this.db.incident
      .findUniqueOrThrow({ where: { id: incidentId } })
      .then((i) => this.ackTimeoutMinutes(i.clusterId));
    await this.db.incidentTimelineEntry.create({
      data: {
        incidentId,
        at: now,
        kind: "ESCALATED",
        message: `Not acknowledged within ${minutes} minute(s): escalated to the secondary on-call.`,
        data: { by: "system", ackTimeoutMinutes: minutes },
      },
    });
    const incident = await this.db.incident.findUniqueOrThrow({ where: { id: incidentId } });
    await this.publish("incident.updated", incident, "escalated");
    await this.notifications.notifyIncident(incidentId, "incident.escalated", "SECONDARY");
    return { escalated: true };
  }

  // ───────────────────────────── Manual handling ─────────────────────────────

  /** Loads an incident for a change: NOT_FOUND for unknown ids, FORBIDDEN for read-only roles. */
  private async forWrite(ctx: ServiceContext, incidentId: string) {
    const id = parseInput("incidentId", uuidSchema, incidentId);
    const account = requireAccount(ctx);
    const incident = await this.db.incident.findUnique({ where: { id } });
    if (!incident) throw notFound("incident", id);
    await this.authz.assert(ctx, "cluster.manage", incident.clusterId);
    return { incident, account };
  }

  private async audit(
    ctx: ServiceContext,
    actorId: string,
    action: string,
    incident: { id: string; clusterId: string },
    data?: object,
  ) {
    await this.db.auditEvent.create({
      data: {
        actorKind: "account",
        actorId,
        action,
        clusterId: incident.clusterId,
        targetType: "Incident",
        targetId: incident.id,
        requestId: ctx.requestId ?? null,
        ...(data ? { data } : {}),
      },
    });
  }

  /** Opens a MANUAL incident (operators only) and notifies the on-call. */
  async declare(
    ctx: ServiceContext,
    input: {
      clusterId: string;
      title: string;
      severity: string;
      summary?: string | null;
      memberIds?: string[] | null;
    },
  ) {
    const v = parseInput("input", declareInput, stripNulls(input));
    await this.authz.assert(ctx, "cluster.manage", v.clusterId);
    const account = requireAccount(ctx);
    if (v.memberIds.length) {
      const known = await this.db.clusterMember.findMany({
        where: { id: { in: v.memberIds }, clusterId: v.clusterId },
        select: { id: true },
      });
      const ids = new Set(known.map((k) => k.id));
      v.memberIds.forEach((id, i) => {
        if (!ids.has(id)) throw badInput(`input.memberIds.${i}`, `is not a member of this cluster (${id})`);
      });
    }
    const now = this.now();
    const incident = await this.db.$transaction(async (tx) => {
      await this.lockCluster(tx, v.clusterId);
      const created = await tx.incident.create({
        data: {
          clusterId: v.clusterId,
          number: await this.nextNumber(tx, v.clusterId),
          kind: "MANUAL",
          severity: v.severity,
          title: v.title,
          summary: v.summary ?? null,
          openedAt: now,
          lastEventAt: now,
          members: {
            create: v.memberIds.map((memberId) => ({
              memberId,
              attributedBy: account.address,
              reason: "declared",
            })),
          },
        },
      });
      await tx.incidentTimelineEntry.create({
        data: {
          incidentId: created.id,
          at: now,
          kind: "OPENED",
          actorAddress: account.address,
          message: `Declared by ${account.address}: ${v.title}`,
        },
      });
      return created;
    });
    await this.audit(ctx, account.address, "incident.declare", incident, { severity: v.severity });
    await this.publish("incident.opened", incident, "declared");
    await this.announce(v.clusterId, incident.id);
    return incident;
  }

  /** A change by an operator: one update, one timeline entry, one audit event, one live event. */
  private async change(
    ctx: ServiceContext,
    incidentId: string,
    action: string,
    apply: (
      incident: IncidentRow,
      actor: string,
    ) => {
      data?: PrismaTypes.IncidentUpdateInput;
      entry: { kind: PrismaTypes.IncidentTimelineEntryCreateInput["kind"]; message: string; data?: object };
    },
    extra?: (tx: Tx, incident: IncidentRow) => Promise<void>,
  ) {
    const { incident, account } = await this.forWrite(ctx, incidentId);
    const { data, entry } = apply(incident, account.address);
    const now = this.now();
    const updated = await this.db.$transaction(async (tx) => {
      await extra?.(tx, incident);
      await tx.incidentTimelineEntry.create({
        data: {
          incidentId: incident.id,
          at: now,
          kind: entry.kind,
          actorAddress: account.address,
          message: entry.message,
          ...(entry.data ? { data: entry.data } : {}),
        },
      });
      return tx.incident.update({ where: { id: incident.id }, data: { ...data, lastEventAt: now } });
    });
    await this.audit(ctx, account.address, action, incident, entry.data);
    await this.publish(
      updated.status === "RESOLVED" && incident.status !== "RESOLVED"
        ? "incident.resolved"
        : "incident.updated",
      updated,
      action.replace("incident.", ""),
    );
    return updated;
  }

  async acknowledge(ctx: ServiceContext, incidentId: string) {
    return this.change(ctx, incidentId, "incident.acknowledge", (i, actor) => {
      if (i.status !== "OPEN") throw conflict(`incident #${i.number} is ${i.status.toLowerCase()} already`);
      return {
        data: { status: "ACKNOWLEDGED", acknowledgedAt: this.now(), acknowledgedBy: actor },
        entry: { kind: "ACKNOWLEDGED", message: `Acknowledged by ${actor}.` },
      };
    });
  }

  async addNote(ctx: ServiceContext, input: { incidentId: string; message: string }) {
    const message = parseInput("input.message", textSchema(5000), input.message);
    return this.change(ctx, input.incidentId, "incident.note", () => ({
      entry: { kind: "NOTE", message },
    }));
  }

  async resolve(ctx: ServiceContext, input: { incidentId: string; note?: string | null }) {
    const note = input.note ? parseInput("input.note", textSchema(5000), input.note) : null;
    return this.change(ctx, input.incidentId, "incident.resolve", (i, actor) => {
      if (i.status === "RESOLVED") throw conflict(`incident #${i.number} is resolved already`);
      return {
        data: { status: "RESOLVED", resolvedAt: this.now(), resolvedBy: actor },
        entry: {
          kind: "RESOLVED",
          message: note ? `Resolved by ${actor}: ${note}` : `Resolved by ${actor}.`,
        },
      };
    });
  }

  async changeSeverity(
    ctx: ServiceContext,
    input: { incidentId: string; severity: string; reason?: string | null },
  ) {
    const severity = parseInput("input.severity", severitySchema, input.severity);
    const reason = input.reason ? parseInput("input.reason", textSchema(1000), input.reason) : null;
    return this.change(ctx, input.incidentId, "incident.severity", (i, actor) => {
      if (i.severity === severity) throw badInput("input.severity", `is ${severity} already`);
      return {
        data: { severity },
        entry: {
          kind: "SEVERITY_CHANGED",
          message: `Severity ${i.severity} → ${severity} by ${actor}${reason ? `: ${reason}` : "."}`,
          data: { from: i.severity, to: severity },
        },
      };
    });
  }

  /** Attributes the incident to a member of its cluster, with a reason. */
  async attribute(ctx: ServiceContext, input: { incidentId: string; memberId: string; reason: string }) {
    const memberId = parseInput("input.memberId", uuidSchema, input.memberId);
    const reason = parseInput("input.reason", textSchema(1000), input.reason);
    let shareIndex = 0;
    return this.change(
      ctx,
      input.incidentId,
      "incident.attribute",
      (_i, actor) => ({
        entry: {
          kind: "ATTRIBUTED",
          message: `Attributed to member ${shareIndex} by ${actor}: ${reason}`,
          data: { memberId, reason },
        },
      }),
      async (tx, incident) => {
        const member = await tx.clusterMember.findFirst({
          where: { id: memberId, clusterId: incident.clusterId },
        });
        if (!member) throw badInput("input.memberId", "is not a member of this incident's cluster");
        shareIndex = member.shareIndex;
        await tx.incidentMember.upsert({
          where: { incidentId_memberId: { incidentId: incident.id, memberId } },
          create: { incidentId: incident.id, memberId, reason, attributedBy: requireAccount(ctx).address },
          update: { reason, attributedBy: requireAccount(ctx).address },
        });
      },
    );
  }

  // ───────────────────────────── Queries ─────────────────────────────

  /** A cluster's incidents, newest first, filtered, with cursor pagination. */
  async list(
    ctx: ServiceContext,
    clusterId: string,
    {
      filter = {},
      first = 20,
      after = null,
    }: { filter?: IncidentFilter | null; first?: number | null; after?: string | null } = {},
  ) {
    const id = parseInput("clusterId", uuidSchema, clusterId);
    const f = parseInput("filter", filterSchema, stripNulls(filter ?? {}));
    const take = first ?? 20;
    if (!Number.isInteger(take) || take < 1 || take > 100)
      throw badInput("first", "must be between 1 and 100");
    const cursor = after ? decodeCursor(after) : null;
    await this.authz.assert(ctx, "cluster.read", id);
    const where: PrismaTypes.IncidentWhereInput = {
      clusterId: id,
      ...(f.status?.length ? { status: { in: f.status } } : {}),
      ...(f.kind?.length ? { kind: { in: f.kind } } : {}),
      ...(f.severity?.length ? { severity: { in: f.severity } } : {}),
      ...(f.memberId ? { members: { some: { memberId: f.memberId } } } : {}),
      ...(f.from || f.to
        ? { openedAt: { ...(f.from ? { gte: f.from } : {}), ...(f.to ? { lt: f.to } : {}) } }
        : {}),
      ...(cursor
        ? {
            OR: [{ openedAt: { lt: cursor.openedAt } }, { openedAt: cursor.openedAt, id: { lt: cursor.id } }],
          }
        : {}),
    };
    const rows = await this.db.incident.findMany({
      where,
      orderBy: [{ openedAt: "desc" }, { id: "desc" }],
      take: take + 1,
    });
    const items = rows.slice(0, take);
    const last = items.at(-1);
    return {
      items,
      edges: items.map((node) => ({ cursor: encodeCursor(node), node })),
      pageInfo: { hasNextPage: rows.length > take, endCursor: last ? encodeCursor(last) : null },
    };
  }

  /** One incident (readers of its cluster). */
  async get(ctx: ServiceContext, incidentId: string, clusterId?: string) {
    const id = parseInput("id", uuidSchema, incidentId);
    const incident = await this.db.incident.findUnique({ where: { id } });
    if (!incident || (clusterId && incident.clusterId !== clusterId)) throw notFound("incident", id);
    await this.authz.assert(ctx, "cluster.read", incident.clusterId);
    return incident;
  }

  /** `get` with its timeline, members and (up to `maxDuties`) duties. */
  async detail(ctx: ServiceContext, incidentId: string, { maxDuties = 500 } = {}) {
    const incident = await this.get(ctx, incidentId);
    const [timeline, members, duties] = await Promise.all([
      this.timeline(incident.id),
      this.members(incident.id),
      this.duties(incident.id, maxDuties),
    ]);
    return { ...incident, timeline, members, duties };
  }

  /** Unchecked helpers for resolvers of an incident already authorised. */
  timeline(incidentId: string) {
    return this.db.incidentTimelineEntry.findMany({
      where: { incidentId },
      orderBy: [{ at: "asc" }, { id: "asc" }],
    });
  }
  members(incidentId: string) {
    return this.db.incidentMember.findMany({
      where: { incidentId },
      include: { member: { include: { operator: true } } },
      orderBy: { createdAt: "asc" },
    });
  }
  duties(incidentId: string, take = 500) {
    return this.db.duty.findMany({
      where: { incidentLinks: { some: { incidentId } } },
      orderBy: [{ slot: "asc" }, { id: "asc" }],
      take,
    });
  }
  dutyCount(incidentId: string) {
    return this.db.incidentDuty.count({ where: { incidentId } });
  }
}
