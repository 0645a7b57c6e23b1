import type { Db } from "@cohort/db";
import { z } from "zod";
import type { Authz, ServiceContext } from "../actor";
import { requireAccount } from "../actor";
import { newSecret } from "../auth/tokens";
import { notFound } from "../errors";
import type { JobsPort } from "../jobs";
import type { OnCallLevelName, OnCallService } from "../oncall/service";
import { parseInput, uuidSchema } from "../validation";
import { type ChannelKindName, type ChannelSenders, defaultSenders } from "./channels";

export const NOTIFICATION_EVENTS = ["incident.opened", "incident.escalated"] as const;
export type NotificationEvent = (typeof NOTIFICATION_EVENTS)[number];

const createChannelInput = z
  .object({
    clusterId: uuidSchema,
    kind: z.enum(["WEBHOOK", "EMAIL", "DISCORD"], { message: "must be WEBHOOK, EMAIL or DISCORD" }),
    target: z.string().trim().min(1, "is empty").max(2000, "is longer than 2000 characters"),
    events: z
      .array(z.enum(NOTIFICATION_EVENTS, { message: `must be one of ${NOTIFICATION_EVENTS.join(", ")}` }))
      .default([...NOTIFICATION_EVENTS]),
    enabled: z.boolean().default(true),
  })
  .superRefine((v, ctx) => {
    if (v.kind === "WEBHOOK") {
      let url: URL | null = null;
      try {
        url = new URL(v.target);
      } catch {}
      if (!url || (url.protocol !== "https:" && url.protocol !== "http:")) {
        ctx.addIssue({
          code: "custom",
          path: ["target"],
          message: "must be an http(s) URL for a WEBHOOK channel",
        });
      }
    }
  });

/** The JSON body a channel receives (webhooks: exactly these bytes, signed). */
export interface IncidentNotificationPayload {
  event: NotificationEvent;
  cluster: { id: string; name: string };
  incident: {
    id: string;
    number: number;
    kind: string;
    severity: string;
    title: string;
    openedAt: string;
    members: { memberId: string; shareIndex: number; address: string }[];
  };
  onCall: {
    level: OnCallLevelName;
    memberId: string;
    address: string;
    coveredForMemberId: string | null;
  } | null;
  sentAt: string;
}

/** A channel as callers see it: never its secret. */
export type PublicChannel = {
  id: string;
  clusterId: string;
  kind: ChannelKindName;
  target: string;
  events: string[];
  enabled: boolean;
  createdAt: Date;
};

const publicChannel = (c: PublicChannel & { secret?: string | null }): PublicChannel => ({
  id: c.id,
  clusterId: c.clusterId,
  kind: c.kind,
  target: c.target,
  events: c.events,
  enabled: c.enabled,
  createdAt: c.createdAt,
});

/**
 * Notification channels per cluster and the deliveries to them: one NotificationDelivery row per
 * (channel, event), sent by a background job with retries (`deliver`).
 */
export class NotificationService {
  constructor(
    private readonly db: Db,
    private readonly authz: Authz,
    private readonly jobs: JobsPort,
    private readonly onCall: OnCallService,
    private readonly senders: ChannelSenders = defaultSenders(),
    private readonly now: () => Date = () => new Date(),
  ) {}

  async listChannels(ctx: ServiceContext, clusterId: string): Promise<PublicChannel[]> {
    const id = parseInput("clusterId", uuidSchema, clusterId);
    await this.authz.assert(ctx, "cluster.read", id);
    const rows = await this.db.notificationChannel.findMany({
      where: { clusterId: id },
      orderBy: { createdAt: "asc" },
    });
    return rows.map(publicChannel);
  }

  /** Creates a channel; a webhook's HMAC secret is generated here and returned only this once. */
  async createChannel(
    ctx: ServiceContext,
    input: {
      clusterId: string;
      kind: string;
      target: string;
      events?: string[] | null;
      enabled?: boolean | null;
    },
  ): Promise<{ channel: PublicChannel; secret: string | null }> {
    const v = parseInput("input", createChannelInput, {
      ...input,
      events: input.events ?? undefined,
      enabled: input.enabled ?? undefined,
    });
    await this.authz.assert(ctx, "cluster.manage", v.clusterId);
    const account = requireAccount(ctx);
    const secret = v.kind === "WEBHOOK" ? `whsec_${newSecret()}` : null;
    const channel = await this.db.notificationChannel.create({
      data: {
        clusterId: v.clusterId,
        kind: v.kind,
        target: v.target,
        events: v.events,
        enabled: v.enabled,
        secret,
      },
    });
    await this.db.auditEvent.create({
      data: {
        actorKind: "account",
        actorId: account.address,
        action: "notification.channel.create",
        clusterId: v.clusterId,
        targetType: "NotificationChannel",
        targetId: channel.id,
        requestId: ctx.requestId ?? null,
        data: { kind: v.kind, target: v.target, events: v.events },
      },
    });
    return { channel: publicChannel(channel), secret };
  }

  async deleteChannel(ctx: ServiceContext, channelId: string) {
    const id = parseInput("channelId", uuidSchema, channelId);
    const channel = await this.db.notificationChannel.findUnique({ where: { id } });
    if (!channel) throw notFound("notification channel", id);
    await this.authz.assert(ctx, "cluster.manage", channel.clusterId);
    const account = requireAccount(ctx);
    await this.db.notificationChannel.delete({ where: { id } });
    await this.db.auditEvent.create({
      data: {
        actorKind: "account",
        actorId: account.address,
        action: "notification.channel.delete",
        clusterId: channel.clusterId,
        targetType: "NotificationChannel",
        targetId: id,
        requestId: ctx.requestId ?? null,
      },
    });
    return true;
  }

  async listDeliveries(ctx: ServiceContext, incidentId: string) {
    const id = parseInput("incidentId", uuidSchema, incidentId);
    const incident = await this.db.incident.findUnique({ where: { id }, select: { clusterId: true } });
    if (!incident) throw notFound("incident", id);
    await this.authz.assert(ctx, "cluster.read", incident.clusterId);
    return this.db.notificationDelivery.findMany({ where: { incidentId: id }, orderBy: { id: "asc" } });
  }

  /**
   * Notifies whoever is on call at `level` now about an incident, through every enabled channel
   * of the cluster that subscribes to `event`: writes the delivery rows and a NOTIFIED timeline
   * entry, then enqueues one send job per delivery. Returns the delivery ids.
   */
  async notifyIncident(
    incidentId: string,
    event: NotificationEvent,
    level: OnCallLevelName,
  ): Promise<string[]> {
    const incident = await this.db.incident.findUnique({
      where: { id: incidentId },
      include: {
        cluster: { select: { id: true, name: true } },
        members: { include: { member: { include: { operator: true } } }, orderBy: { createdAt: "asc" } },
      },
    });
    if (!incident) throw notFound("incident", incidentId);
    const now = this.now();
    const onCall =
      (await this.onCall.whoIsOnCall(incident.clusterId, now)).find((o) => o.level === level) ?? null;
    const channels = await this.db.notificationChannel.findMany({
      where: { clusterId: incident.clusterId, enabled: true },
      orderBy: { createdAt: "asc" },
    });
    const targets = channels.filter((c) => c.events.length === 0 || c.events.includes(event));
    const payload: Omit<IncidentNotificationPayload, "sentAt"> = {
      event,
      cluster: { id: incident.cluster.id, name: incident.cluster.name },
      incident: {
        id: incident.id,
        number: incident.number,
        kind: incident.kind,
        severity: incident.severity,
        title: incident.title,
        openedAt: incident.openedAt.toISOString(),
        members: incident.members.map((m) => ({
          memberId: m.memberId,
          shareIndex: m.member.shareIndex,
          address: m.member.operator.address,
        })),
      },
      onCall: onCall
        ? {
            level: onCall.level,
            memberId: onCall.memberId,
            address: onCall.address,
            coveredForMemberId: onCall.coveredForMemberId,
          }
        : null,
    };
    const ids = await this.db.$transaction(async (tx) => {
      const created: string[] = [];
      for (const channel of targets) {
        const delivery = await tx.notificationDelivery.create({
          data: {
            channelId: channel.id,
            incidentId: incident.id,
            event,
            recipient: onCall?.address ?? null,
            payload: payload as object,
          },
        });
        created.push(delivery.id.toString());
      }
      await tx.incidentTimelineEntry.create({
        data: {
          incidentId: incident.id,
          at: now,
          kind: "NOTIFIED",
          message: onCall
            ? `${event}: notified ${level.toLowerCase()} on-call ${onCall.address} via ${targets.length} channel(s)`
            : `${event}: nobody is on call at ${level.toLowerCase()} level; ${targets.length} channel(s) notified`,
          data: { event, level, recipient: onCall?.address ?? null, deliveries: created },
        },
      });
      return created;
    });
    for (const id of ids) await this.jobs.deliverNotification(id);
    return ids;
  }

  /**
   * Background job: sends one delivery. The row records every attempt (attempts, lastError) and
   * the outcome of the latest one (SENT or FAILED). Returns whether a retry could help.
   */
  async deliver(
    deliveryId: string,
  ): Promise<{ status: "SENT" | "FAILED" | "SKIPPED"; retry: boolean; error?: string }> {
    const id = BigInt(deliveryId);
    const delivery = await this.db.notificationDelivery.findUnique({
      where: { id },
      include: { channel: true },
    });
    if (!delivery) return { status: "SKIPPED", retry: false, error: "delivery no longer exists" };
    if (delivery.status === "SENT") return { status: "SKIPPED", retry: false };
    const sentAt = this.now();
    const body = JSON.stringify({ ...(delivery.payload as object), sentAt: sentAt.toISOString() });
    const sender = this.senders[delivery.channel.kind];
    const result = delivery.channel.enabled
      ? await sender.send(
          { kind: delivery.channel.kind, target: delivery.channel.target, secret: delivery.channel.secret },
          { event: delivery.event, body },
        )
      : ({ ok: false, error: "channel is disabled", retry: false } as const);
    if (result.ok) {
      await this.db.notificationDelivery.update({
        where: { id },
        data: { status: "SENT", attempts: { increment: 1 }, sentAt, lastError: null },
      });
      return { status: "SENT", retry: false };
    }
    await this.db.notificationDelivery.update({
      where: { id },
      data: { status: "FAILED", attempts: { increment: 1 }, lastError: result.error.slice(0, 1000) },
    });
    return { status: "FAILED", retry: result.retry, error: result.error };
  }
}
