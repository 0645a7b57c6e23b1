import type { Db } from "@cohort/db";
import { z } from "zod";
import type { Authz, ServiceContext } from "../actor";
import { requireAccount } from "../actor";
import { badInput, conflict, forbidden, notFound } from "../errors";
import { parseInput, uuidSchema } from "../validation";

export const ON_CALL_LEVELS = ["PRIMARY", "SECONDARY"] as const;
export type OnCallLevelName = (typeof ON_CALL_LEVELS)[number];
/** Escalation delay when a cluster has no PRIMARY rotation to take it from. */
export const DEFAULT_ACK_TIMEOUT_MINUTES = 15;
/** Most shifts one schedule query returns (a year of daily shifts for two rotations). */
export const MAX_SCHEDULE_SHIFTS = 800;

const HOUR_MS = 3_600_000;

const dateSchema = z.coerce.date({ message: "must be an ISO-8601 timestamp" });

const rotationFields = {
  name: z.string().trim().min(1, "is empty").max(64, "is longer than 64 characters"),
  level: z.enum(ON_CALL_LEVELS, { message: "must be PRIMARY or SECONDARY" }),
  startsAt: dateSchema,
  shiftHours: z
    .number()
    .int("must be an integer")
    .min(1, "must be at least 1 hour")
    .max(24 * 28, "must be at most 672 hours (4 weeks)"),
  ackTimeoutMinutes: z
    .number()
    .int("must be an integer")
    .min(1, "must be at least 1 minute")
    .max(24 * 60, "must be at most 1440 minutes"),
  memberIds: z
    .array(uuidSchema)
    .min(1, "needs at least one member")
    .max(64, "allows at most 64 members")
    .superRefine((ids, ctx) => {
      const seen = new Set<string>();
      ids.forEach((id, i) => {
        if (seen.has(id)) ctx.addIssue({ code: "custom", path: [i], message: `lists member ${id} twice` });
        seen.add(id);
      });
    }),
};

const createRotationInput = z.object({
  clusterId: uuidSchema,
  ...rotationFields,
  level: rotationFields.level.default("PRIMARY"),
  shiftHours: rotationFields.shiftHours.default(168),
  ackTimeoutMinutes: rotationFields.ackTimeoutMinutes.default(DEFAULT_ACK_TIMEOUT_MINUTES),
});

const updateRotationInput = z.object({
  rotationId: uuidSchema,
  name: rotationFields.name.optional(),
  level: rotationFields.level.optional(),
  startsAt: rotationFields.startsAt.optional(),
  shiftHours: rotationFields.shiftHours.optional(),
  ackTimeoutMinutes: rotationFields.ackTimeoutMinutes.optional(),
  memberIds: rotationFields.memberIds.optional(),
});

const windowInput = z
  .object({ from: dateSchema, to: dateSchema })
  .refine((v) => v.to > v.from, { path: ["to"], message: "must be after from" });

const coverInput = z
  .object({
    clusterId: uuidSchema,
    startsAt: dateSchema,
    endsAt: dateSchema,
    reason: z.string().trim().max(500, "is longer than 500 characters").optional(),
  })
  .refine((v) => v.endsAt > v.startsAt, { path: ["endsAt"], message: "must be after startsAt" });

const acceptCoverInput = z.object({
  coverRequestId: uuidSchema,
  handoffNote: z.string().trim().max(2000, "is longer than 2000 characters").optional(),
});

export interface CreateRotationInput {
  clusterId: string;
  name: string;
  level?: string;
  startsAt: Date | string;
  shiftHours?: number;
  ackTimeoutMinutes?: number;
  memberIds: string[];
}

export interface UpdateRotationInput {
  rotationId: string;
  name?: string;
  level?: string;
  startsAt?: Date | string;
  shiftHours?: number;
  ackTimeoutMinutes?: number;
  memberIds?: string[];
}

export interface OnCallNow {
  level: OnCallLevelName;
  rotationId: string;
  rotationName: string;
  /** Who answers: the scheduled member, or whoever accepted their cover request. */
  memberId: string;
  address: string;
  /** The scheduled member this person covers for, when covering. */
  coveredForMemberId: string | null;
  coverRequestId: string | null;
  shiftStartsAt: Date;
  shiftEndsAt: Date;
  ackTimeoutMinutes: number;
}

export interface LocalTime {
  address: string;
  timezone: string;
  startsAt: string;
  endsAt: string;
}

export interface ScheduledShift {
  rotationId: string;
  rotationName: string;
  level: OnCallLevelName;
  memberId: string;
  address: string;
  startsAt: Date;
  endsAt: Date;
  /** Accepted covers overlapping the shift (the cover's member answers during its interval). */
  covers: { coverRequestId: string; coveredById: string; startsAt: Date; endsAt: Date }[];
  /** The shift's start and end in every operator's own IANA timezone. */
  local: LocalTime[];
}

/** `2026-06-03T11:00:00+02:00`: a wall-clock time in `timeZone` with its UTC offset. */
export function formatInZone(date: Date, timeZone: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-GB", {
      timeZone,
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
      hourCycle: "h23",
      timeZoneName: "longOffset",
    })
      .formatToParts(date)
      .map((p) => [p.type, p.value]),
  );
  const offset = parts.timeZoneName === "GMT" ? "+00:00" : String(parts.timeZoneName).replace("GMT", "");
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:${parts.second}${offset}`;
}

export function isValidTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en-GB", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

type RotationWithMembers = {
  id: string;
  name: string;
  level: OnCallLevelName;
  startsAt: Date;
  shiftHours: number;
  ackTimeoutMinutes: number;
  createdAt: Date;
  members: { memberId: string; position: number }[];
};

/** The shift of `rotation` that contains `at` (null before the rotation starts or with no members). */
export function shiftAt(rotation: RotationWithMembers, at: Date) {
  if (rotation.members.length === 0 || at < rotation.startsAt) return null;
  const shiftMs = rotation.shiftHours * HOUR_MS;
  const index = Math.floor((at.getTime() - rotation.startsAt.getTime()) / shiftMs);
  const ordered = [...rotation.members].sort((a, b) => a.position - b.position);
  const memberId = ordered[index % ordered.length]!.memberId;
  const startsAt = new Date(rotation.startsAt.getTime() + index * shiftMs);
  return { index, memberId, startsAt, endsAt: new Date(startsAt.getTime() + shiftMs) };
}

/**
 * On-call: rotations per cluster (members take shifts in position order), who is on call at a
 * time (with accepted cover requests replacing the scheduled member), schedules in every
 * operator's timezone, and cover requests.
 */
export class OnCallService {
  constructor(
    private readonly db: Db,
    private readonly authz: Authz,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** The caller's own (non-removed) seat in the cluster, or FORBIDDEN. */
  private async ownMember(ctx: ServiceContext, clusterId: string) {
    const account = requireAccount(ctx);
    const member = await this.db.clusterMember.findFirst({
      where: { clusterId, status: { not: "REMOVED" }, operator: { address: account.address } },
    });
    if (!member) throw forbidden("only members of this cluster may do this");
    return { account, member };
  }

  private async checkMembers(clusterId: string, memberIds: string[], field: string) {
    const rows = await this.db.clusterMember.findMany({
      where: { id: { in: memberIds }, clusterId, status: { not: "REMOVED" } },
      select: { id: true },
    });
    const known = new Set(rows.map((r) => r.id));
    memberIds.forEach((id, i) => {
      if (!known.has(id)) throw badInput(`${field}.${i}`, `is not a member of this cluster (${id})`);
    });
  }

  async listRotations(ctx: ServiceContext, clusterId: string) {
    const id = parseInput("clusterId", uuidSchema, clusterId);
    await this.authz.assert(ctx, "cluster.read", id);
    return this.db.onCallRotation.findMany({
      where: { clusterId: id },
      include: { members: { orderBy: { position: "asc" } } },
      orderBy: [{ level: "asc" }, { createdAt: "asc" }],
    });
  }

  async createRotation(ctx: ServiceContext, input: CreateRotationInput) {
    const v = parseInput("input", createRotationInput, input);
    await this.authz.assert(ctx, "cluster.manage", v.clusterId);
    const account = requireAccount(ctx);
    await this.checkMembers(v.clusterId, v.memberIds, "input.memberIds");
    const clash = await this.db.onCallRotation.findUnique({
      where: { clusterId_name: { clusterId: v.clusterId, name: v.name } },
    });
    if (clash) throw conflict(`a rotation named "${v.name}" exists already`, "input.name");
    const rotation = await this.db.onCallRotation.create({
      data: {
        clusterId: v.clusterId,
        name: v.name,
        level: v.level,
        startsAt: v.startsAt,
        shiftHours: v.shiftHours,
        ackTimeoutMinutes: v.ackTimeoutMinutes,
        members: { create: v.memberIds.map((memberId, position) => ({ memberId, position })) },
      },
      include: { members: { orderBy: { position: "asc" } } },
    });
    await this.audit(account.address, "oncall.rotation.create", v.clusterId, rotation.id, ctx);
    return rotation;
  }

  async updateRotation(ctx: ServiceContext, input: UpdateRotationInput) {
    const v = parseInput("input", updateRotationInput, input);
    const existing = await this.db.onCallRotation.findUnique({ where: { id: v.rotationId } });
    if (!existing) throw notFound("rotation", v.rotationId);
    await this.authz.assert(ctx, "cluster.manage", existing.clusterId);
    const account = requireAccount(ctx);
    if (v.memberIds) await this.checkMembers(existing.clusterId, v.memberIds, "input.memberIds");
    if (v.name && v.name !== existing.name) {
      const clash = await this.db.onCallRotation.findUnique({
        where: { clusterId_name: { clusterId: existing.clusterId, name: v.name } },
      });
      if (clash) throw conflict(`a rotation named "${v.name}" exists already`, "input.name");
    }
    const rotation = await this.db.$transaction(async (tx) => {
      if (v.memberIds) {
        await tx.onCallRotationMember.deleteMany({ where: { rotationId: v.rotationId } });
        await tx.onCallRotationMember.createMany({
          data: v.memberIds.map((memberId, position) => ({ rotationId: v.rotationId, memberId, position })),
        });
      }
      return tx.onCallRotation.update({
        where: { id: v.rotationId },
        data: {
          ...(v.name !== undefined ? { name: v.name } : {}),
          ...(v.level !== undefined ? { level: v.level } : {}),
          ...(v.startsAt !== undefined ? { startsAt: v.startsAt } : {}),
          ...(v.shiftHours !== undefined ? { shiftHours: v.shiftHours } : {}),
          ...(v.ackTimeoutMinutes !== undefined ? { ackTimeoutMinutes: v.ackTimeoutMinutes } : {}),
        },
        include: { members: { orderBy: { position: "asc" } } },
      });
    });
    await this.audit(account.address, "oncall.rotation.update", existing.clusterId, rotation.id, ctx);
    return rotation;
  }

  async deleteRotation(ctx: ServiceContext, rotationId: string) {
    const id = parseInput("rotationId", uuidSchema, rotationId);
    const existing = await this.db.onCallRotation.findUnique({ where: { id } });
    if (!existing) throw notFound("rotation", id);
    await this.authz.assert(ctx, "cluster.manage", existing.clusterId);
    const account = requireAccount(ctx);
    await this.db.onCallRotation.delete({ where: { id } });
    await this.audit(account.address, "oncall.rotation.delete", existing.clusterId, id, ctx);
    return true;
  }

  /**
   * Who is on call at `at`, one entry per level that has a rotation (the oldest rotation of a
   * level wins). No authorisation: for the system (notifications); callers use `onCallNow`.
   */
  async whoIsOnCall(clusterId: string, at: Date): Promise<OnCallNow[]> {
    const rotations = await this.db.onCallRotation.findMany({
      where: { clusterId },
      include: { members: true },
      orderBy: { createdAt: "asc" },
    });
    const result: OnCallNow[] = [];
    for (const level of ON_CALL_LEVELS) {
      for (const rotation of rotations.filter((r) => r.level === level)) {
        const shift = shiftAt(rotation, at);
        if (!shift) continue;
        const cover = await this.db.coverRequest.findFirst({
          where: {
            clusterId,
            requesterId: shift.memberId,
            status: "ACCEPTED",
            coveredById: { not: null },
            startsAt: { lte: at },
            endsAt: { gt: at },
          },
          orderBy: { acceptedAt: "desc" },
        });
        const memberId = cover?.coveredById ?? shift.memberId;
        const member = await this.db.clusterMember.findUniqueOrThrow({
          where: { id: memberId },
          include: { operator: true },
        });
        result.push({
          level,
          rotationId: rotation.id,
          rotationName: rotation.name,
          memberId,
          address: member.operator.address,
          coveredForMemberId: cover ? shift.memberId : null,
          coverRequestId: cover?.id ?? null,
          shiftStartsAt: shift.startsAt,
          shiftEndsAt: shift.endsAt,
          ackTimeoutMinutes: rotation.ackTimeoutMinutes,
        });
        break;
      }
    }
    return result;
  }

  /** `whoIsOnCall` for a reader of the cluster, now (or at `at`). */
  async onCallNow(ctx: ServiceContext, clusterId: string, at?: Date) {
    const id = parseInput("clusterId", uuidSchema, clusterId);
    await this.authz.assert(ctx, "cluster.read", id);
    return this.whoIsOnCall(id, at ?? this.now());
  }

  /** Every shift overlapping [from, to), with covers and local times for each operator. */
  async schedule(ctx: ServiceContext, clusterId: string, window: { from: unknown; to: unknown }) {
    const id = parseInput("clusterId", uuidSchema, clusterId);
    const { from, to } = parseInput("window", windowInput, window);
    await this.authz.assert(ctx, "cluster.read", id);
    const [rotations, members, covers] = await Promise.all([
      this.db.onCallRotation.findMany({
        where: { clusterId: id },
        include: { members: true },
        orderBy: [{ level: "asc" }, { createdAt: "asc" }],
      }),
      this.db.clusterMember.findMany({
        where: { clusterId: id, status: { not: "REMOVED" } },
        include: { operator: true },
        orderBy: { shareIndex: "asc" },
      }),
      this.db.coverRequest.findMany({
        where: { clusterId: id, status: "ACCEPTED", startsAt: { lt: to }, endsAt: { gt: from } },
      }),
    ]);
    const addressOf = new Map(members.map((m) => [m.id, m.operator.address]));
    const shifts: ScheduledShift[] = [];
    for (const rotation of rotations) {
      if (rotation.members.length === 0) continue;
      const shiftMs = rotation.shiftHours * HOUR_MS;
      let cursor = new Date(Math.max(from.getTime(), rotation.startsAt.getTime()));
      while (cursor < to) {
        const shift = shiftAt(rotation, cursor);
        if (!shift) break;
        if (shifts.length >= MAX_SCHEDULE_SHIFTS) {
          throw badInput(
            "window.to",
            `the window holds more than ${MAX_SCHEDULE_SHIFTS} shifts; ask for less`,
          );
        }
        shifts.push({
          rotationId: rotation.id,
          rotationName: rotation.name,
          level: rotation.level,
          memberId: shift.memberId,
          address: addressOf.get(shift.memberId) ?? "",
          startsAt: shift.startsAt,
          endsAt: shift.endsAt,
          covers: covers
            .filter(
              (c) =>
                c.requesterId === shift.memberId &&
                c.coveredById &&
                c.startsAt < shift.endsAt &&
                c.endsAt > shift.startsAt,
            )
            .map((c) => ({
              coverRequestId: c.id,
              coveredById: c.coveredById!,
              startsAt: c.startsAt,
              endsAt: c.endsAt,
            })),
          local: members.map((m) => ({
            address: m.operator.address,
            timezone: m.operator.timezone,
            startsAt: formatInZone(shift.startsAt, m.operator.timezone),
            endsAt: formatInZone(shift.endsAt, m.operator.timezone),
          })),
        });
        cursor = new Date(shift.startsAt.getTime() + shiftMs);
      }
    }
    return shifts.sort(
      (a, b) => a.startsAt.getTime() - b.startsAt.getTime() || a.level.localeCompare(b.level),
    );
  }

  async listCoverRequests(ctx: ServiceContext, clusterId: string, { includeClosed = false } = {}) {
    const id = parseInput("clusterId", uuidSchema, clusterId);
    await this.authz.assert(ctx, "cluster.read", id);
    return this.db.coverRequest.findMany({
      where: { clusterId: id, ...(includeClosed ? {} : { status: { not: "CANCELLED" } }) },
      orderBy: { startsAt: "asc" },
    });
  }

  /** Asks for cover for the caller's own shifts in [startsAt, endsAt). */
  async requestCover(
    ctx: ServiceContext,
    input: { clusterId: string; startsAt: Date | string; endsAt: Date | string; reason?: string | null },
  ) {
    const v = parseInput("input", coverInput, { ...input, reason: input.reason ?? undefined });
    await this.authz.assert(ctx, "cluster.manage", v.clusterId);
    const { account, member } = await this.ownMember(ctx, v.clusterId);
    const request = await this.db.coverRequest.create({
      data: {
        clusterId: v.clusterId,
        requesterId: member.id,
        startsAt: v.startsAt,
        endsAt: v.endsAt,
        reason: v.reason ?? null,
      },
    });
    await this.audit(account.address, "oncall.cover.request", v.clusterId, request.id, ctx);
    return request;
  }

  /** Another member of the cluster takes the requester's shifts for the interval. */
  async acceptCover(ctx: ServiceContext, input: { coverRequestId: string; handoffNote?: string | null }) {
    const v = parseInput("input", acceptCoverInput, {
      ...input,
      handoffNote: input.handoffNote ?? undefined,
    });
    const request = await this.db.coverRequest.findUnique({ where: { id: v.coverRequestId } });
    if (!request) throw notFound("cover request", v.coverRequestId);
    await this.authz.assert(ctx, "cluster.manage", request.clusterId);
    const { account, member } = await this.ownMember(ctx, request.clusterId);
    if (member.id === request.requesterId) {
      throw badInput(
        "input.coverRequestId",
        "you cannot cover your own request; another member must accept it",
      );
    }
    if (request.status !== "OPEN") {
      throw conflict(`this cover request is ${request.status.toLowerCase()}`, "input.coverRequestId");
    }
    const updated = await this.db.coverRequest.updateMany({
      where: { id: request.id, status: "OPEN" },
      data: {
        status: "ACCEPTED",
        coveredById: member.id,
        acceptedAt: this.now(),
        handoffNote: v.handoffNote ?? null,
      },
    });
    if (updated.count === 0) throw conflict("this cover request was accepted or cancelled meanwhile");
    await this.audit(account.address, "oncall.cover.accept", request.clusterId, request.id, ctx);
    return this.db.coverRequest.findUniqueOrThrow({ where: { id: request.id } });
  }

  /** The requester withdraws its request (open or accepted). */
  async cancelCover(ctx: ServiceContext, coverRequestId: string) {
    const id = parseInput("coverRequestId", uuidSchema, coverRequestId);
    const request = await this.db.coverRequest.findUnique({ where: { id } });
    if (!request) throw notFound("cover request", id);
    await this.authz.assert(ctx, "cluster.manage", request.clusterId);
    const { account, member } = await this.ownMember(ctx, request.clusterId);
    if (member.id !== request.requesterId)
      throw forbidden("only the member who asked for cover may cancel it");
    if (request.status === "CANCELLED") throw conflict("this cover request is cancelled already");
    const updated = await this.db.coverRequest.update({ where: { id }, data: { status: "CANCELLED" } });
    await this.audit(account.address, "oncall.cover.cancel", request.clusterId, id, ctx);
    return updated;
  }

  /** Sets the caller's IANA timezone (used to show shifts in local time). */
  async setMyTimezone(ctx: ServiceContext, timezone: string) {
    const account = requireAccount(ctx);
    const zone = timezone.trim();
    if (!isValidTimeZone(zone))
      throw badInput("timezone", `is not an IANA timezone (e.g. Europe/Berlin): ${zone}`);
    return this.db.operator.upsert({
      where: { address: account.address },
      create: { address: account.address, timezone: zone },
      update: { timezone: zone },
    });
  }

  private async audit(
    actorId: string,
    action: string,
    clusterId: string,
    targetId: string,
    ctx: ServiceContext,
  ) {
    await this.db.auditEvent.create({
      data: {
        actorKind: "account",
        actorId,
        action,
        clusterId,
        targetType: action.includes("cover") ? "CoverRequest" : "OnCallRotation",
        targetId,
        requestId: ctx.requestId ?? null,
      },
    });
  }
}
