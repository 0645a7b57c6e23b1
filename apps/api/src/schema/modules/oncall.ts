import type { CoverRequest, OnCallRotation, OnCallRotationMember } from "@cohort/db";
import { checksum, type OnCallNow, type PublicChannel, type ScheduledShift } from "@cohort/domain";
import type { GraphQLContext } from "../../context";
import { listComplexity } from "../../limits";
import { builder } from "../builder";
import { ClusterRef, MemberRef, OperatorRef } from "./clusters";

const OnCallLevelEnum = builder.enumType("OnCallLevel", { values: ["PRIMARY", "SECONDARY"] as const });
const CoverStatusEnum = builder.enumType("CoverStatus", {
  values: ["OPEN", "ACCEPTED", "CANCELLED"] as const,
});
const ChannelKindEnum = builder.enumType("NotificationChannelKind", {
  values: ["WEBHOOK", "EMAIL", "DISCORD"] as const,
});

/** A member of the cluster by id, through the per-request members loader. */
async function memberById(ctx: GraphQLContext, clusterId: string, memberId: string) {
  const members = await ctx.loaders.membersByCluster.load(clusterId);
  const member = members.find((m) => m.id === memberId);
  if (!member) throw new Error(`member ${memberId} not found in cluster ${clusterId}`);
  return member;
}

type RotationRow = OnCallRotation & { members: OnCallRotationMember[] };

const RotationRef = builder.objectRef<RotationRow>("OnCallRotation").implement({
  description: "Members take shifts of `shiftHours` in order, starting at `startsAt`.",
  fields: (t) => ({
    id: t.exposeID("id"),
    name: t.exposeString("name"),
    level: t.field({ type: OnCallLevelEnum, resolve: (r) => r.level }),
    startsAt: t.expose("startsAt", { type: "DateTime" }),
    shiftHours: t.exposeInt("shiftHours"),
    ackTimeoutMinutes: t.exposeInt("ackTimeoutMinutes", {
      description: "Escalate to the next level when an incident is not acknowledged within this time.",
    }),
    members: t.field({
      type: [MemberRef],
      description: "In shift order.",
      extensions: listComplexity,
      resolve: (r, _a, ctx) =>
        Promise.all(
          [...r.members]
            .sort((a, b) => a.position - b.position)
            .map((m) => memberById(ctx, r.clusterId, m.memberId)),
        ),
    }),
  }),
});

const OnCallNowRef = builder.objectRef<OnCallNow & { clusterId: string }>("OnCallNow").implement({
  fields: (t) => ({
    level: t.field({ type: OnCallLevelEnum, resolve: (o) => o.level }),
    rotationId: t.exposeID("rotationId"),
    rotationName: t.exposeString("rotationName"),
    member: t.field({ type: MemberRef, resolve: (o, _a, ctx) => memberById(ctx, o.clusterId, o.memberId) }),
    operator: t.field({
      type: OperatorRef,
      resolve: async (o, _a, ctx) =>
        ctx.loaders.operator.load((await memberById(ctx, o.clusterId, o.memberId)).operatorId),
    }),
    coveredFor: t.field({
      type: MemberRef,
      nullable: true,
      description: "The scheduled member this person covers for (an accepted cover request).",
      resolve: (o, _a, ctx) =>
        o.coveredForMemberId ? memberById(ctx, o.clusterId, o.coveredForMemberId) : null,
    }),
    coverRequestId: t.exposeID("coverRequestId", { nullable: true }),
    shiftStartsAt: t.expose("shiftStartsAt", { type: "DateTime" }),
    shiftEndsAt: t.expose("shiftEndsAt", { type: "DateTime" }),
    ackTimeoutMinutes: t.exposeInt("ackTimeoutMinutes"),
  }),
});

const LocalTimeRef = builder.objectRef<ScheduledShift["local"][number]>("OnCallShiftLocalTime").implement({
  description: "A shift's start and end on one operator's wall clock.",
  fields: (t) => ({
    address: t.string({ resolve: (l) => checksum(l.address) }),
    timezone: t.exposeString("timezone", { description: "IANA zone." }),
    startsAt: t.exposeString("startsAt", {
      description: "Local time with offset, e.g. 2026-06-03T11:00:00+02:00.",
    }),
    endsAt: t.exposeString("endsAt"),
  }),
});

const ShiftCoverRef = builder
  .objectRef<ScheduledShift["covers"][number] & { clusterId: string }>("OnCallShiftCover")
  .implement({
    fields: (t) => ({
      coverRequestId: t.exposeID("coverRequestId"),
      coveredBy: t.field({
        type: MemberRef,
        resolve: (c, _a, ctx) => memberById(ctx, c.clusterId, c.coveredById),
      }),
      startsAt: t.expose("startsAt", { type: "DateTime" }),
      endsAt: t.expose("endsAt", { type: "DateTime" }),
    }),
  });

const ShiftRef = builder.objectRef<ScheduledShift & { clusterId: string }>("OnCallShift").implement({
  fields: (t) => ({
    rotationId: t.exposeID("rotationId"),
    rotationName: t.exposeString("rotationName"),
    level: t.field({ type: OnCallLevelEnum, resolve: (s) => s.level }),
    member: t.field({ type: MemberRef, resolve: (s, _a, ctx) => memberById(ctx, s.clusterId, s.memberId) }),
    startsAt: t.expose("startsAt", { type: "DateTime", description: "UTC." }),
    endsAt: t.expose("endsAt", { type: "DateTime", description: "UTC." }),
    covers: t.field({
      type: [ShiftCoverRef],
      resolve: (s) => s.covers.map((c) => ({ ...c, clusterId: s.clusterId })),
    }),
    local: t.field({
      type: [LocalTimeRef],
      description: "The shift in every operator's timezone.",
      resolve: (s) => s.local,
    }),
  }),
});

const CoverRequestRef = builder.objectRef<CoverRequest>("CoverRequest").implement({
  description: "A member's request for someone to take its on-call shifts for an interval.",
  fields: (t) => ({
    id: t.exposeID("id"),
    requester: t.field({
      type: MemberRef,
      resolve: (c, _a, ctx) => memberById(ctx, c.clusterId, c.requesterId),
    }),
    startsAt: t.expose("startsAt", { type: "DateTime" }),
    endsAt: t.expose("endsAt", { type: "DateTime" }),
    reason: t.exposeString("reason", { nullable: true }),
    status: t.field({ type: CoverStatusEnum, resolve: (c) => c.status }),
    coveredBy: t.field({
      type: MemberRef,
      nullable: true,
      resolve: (c, _a, ctx) => (c.coveredById ? memberById(ctx, c.clusterId, c.coveredById) : null),
    }),
    acceptedAt: t.expose("acceptedAt", { type: "DateTime", nullable: true }),
    handoffNote: t.exposeString("handoffNote", { nullable: true }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
  }),
});

const ChannelRef = builder.objectRef<PublicChannel>("NotificationChannel").implement({
  fields: (t) => ({
    id: t.exposeID("id"),
    kind: t.field({ type: ChannelKindEnum, resolve: (c) => c.kind }),
    target: t.exposeString("target"),
    events: t.exposeStringList("events"),
    enabled: t.exposeBoolean("enabled"),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
  }),
});

const CreatedChannelRef = builder
  .objectRef<{ channel: PublicChannel; secret: string | null }>("CreatedNotificationChannel")
  .implement({
    description: "A webhook's HMAC secret is shown once; it signs every payload (x-cohort-signature).",
    fields: (t) => ({
      channel: t.field({ type: ChannelRef, resolve: (c) => c.channel }),
      secret: t.exposeString("secret", { nullable: true }),
    }),
  });

builder.objectFields(ClusterRef, (t) => ({
  onCallNow: t.field({
    type: [OnCallNowRef],
    description: "Who is on call, per level (covers applied), now or at `at`.",
    args: { at: t.arg({ type: "DateTime" }) },
    resolve: async (c, { at }, ctx) =>
      (await ctx.services.onCall.onCallNow(ctx, c.id, at ?? undefined)).map((o) => ({
        ...o,
        clusterId: c.id,
      })),
  }),
  onCallSchedule: t.field({
    type: [ShiftRef],
    args: {
      from: t.arg({ type: "DateTime", required: true }),
      to: t.arg({ type: "DateTime", required: true }),
    },
    extensions: listComplexity,
    resolve: async (c, { from, to }, ctx) =>
      (await ctx.services.onCall.schedule(ctx, c.id, { from, to })).map((s) => ({ ...s, clusterId: c.id })),
  }),
  onCallRotations: t.field({
    type: [RotationRef],
    extensions: listComplexity,
    resolve: (c, _a, ctx) => ctx.services.onCall.listRotations(ctx, c.id),
  }),
  coverRequests: t.field({
    type: [CoverRequestRef],
    args: { includeCancelled: t.arg.boolean({ defaultValue: false }) },
    extensions: listComplexity,
    resolve: (c, { includeCancelled }, ctx) =>
      ctx.services.onCall.listCoverRequests(ctx, c.id, { includeClosed: includeCancelled ?? false }),
  }),
  notificationChannels: t.field({
    type: [ChannelRef],
    extensions: listComplexity,
    resolve: (c, _a, ctx) => ctx.services.notifications.listChannels(ctx, c.id),
  }),
}));

const CreateRotationInput = builder.inputType("CreateOnCallRotationInput", {
  fields: (t) => ({
    clusterId: t.id({ required: true }),
    name: t.string({ required: true }),
    level: t.field({ type: OnCallLevelEnum, defaultValue: "PRIMARY" }),
    startsAt: t.field({ type: "DateTime", required: true }),
    shiftHours: t.int({ defaultValue: 168 }),
    ackTimeoutMinutes: t.int({ defaultValue: 15 }),
    memberIds: t.idList({ required: true, description: "Cluster member ids in shift order." }),
  }),
});

const UpdateRotationInput = builder.inputType("UpdateOnCallRotationInput", {
  fields: (t) => ({
    rotationId: t.id({ required: true }),
    name: t.string(),
    level: t.field({ type: OnCallLevelEnum }),
    startsAt: t.field({ type: "DateTime" }),
    shiftHours: t.int(),
    ackTimeoutMinutes: t.int(),
    memberIds: t.idList(),
  }),
});

const RequestCoverInput = builder.inputType("RequestCoverInput", {
  fields: (t) => ({
    clusterId: t.id({ required: true }),
    startsAt: t.field({ type: "DateTime", required: true }),
    endsAt: t.field({ type: "DateTime", required: true }),
    reason: t.string(),
  }),
});

const AcceptCoverInput = builder.inputType("AcceptCoverInput", {
  fields: (t) => ({ coverRequestId: t.id({ required: true }), handoffNote: t.string() }),
});

const CreateChannelInput = builder.inputType("CreateNotificationChannelInput", {
  fields: (t) => ({
    clusterId: t.id({ required: true }),
    kind: t.field({ type: ChannelKindEnum, required: true }),
    target: t.string({
      required: true,
      description: "URL (WEBHOOK), address (EMAIL) or channel id (DISCORD).",
    }),
    events: t.stringList({ description: "incident.opened, incident.escalated (default: both)." }),
    enabled: t.boolean(),
  }),
});

const undef = <T>(v: T | null | undefined) => (v === null ? undefined : v);

builder.mutationFields((t) => ({
  createOnCallRotation: t.field({
    type: RotationRef,
    args: { input: t.arg({ type: CreateRotationInput, required: true }) },
    resolve: (_r, { input }, ctx) =>
      ctx.services.onCall.createRotation(ctx, {
        clusterId: String(input.clusterId),
        name: input.name,
        startsAt: input.startsAt,
        memberIds: input.memberIds.map(String),
        ...(input.level != null ? { level: input.level } : {}),
        ...(input.shiftHours != null ? { shiftHours: input.shiftHours } : {}),
        ...(input.ackTimeoutMinutes != null ? { ackTimeoutMinutes: input.ackTimeoutMinutes } : {}),
      }),
  }),
  updateOnCallRotation: t.field({
    type: RotationRef,
    args: { input: t.arg({ type: UpdateRotationInput, required: true }) },
    resolve: (_r, { input }, ctx) =>
      ctx.services.onCall.updateRotation(ctx, {
        rotationId: String(input.rotationId),
        ...(input.name != null ? { name: input.name } : {}),
        ...(input.level != null ? { level: input.level } : {}),
        ...(input.startsAt != null ? { startsAt: input.startsAt } : {}),
        ...(input.shiftHours != null ? { shiftHours: input.shiftHours } : {}),
        ...(input.ackTimeoutMinutes != null ? { ackTimeoutMinutes: input.ackTimeoutMinutes } : {}),
        ...(input.memberIds != null ? { memberIds: input.memberIds.map(String) } : {}),
      }),
  }),
  deleteOnCallRotation: t.boolean({
    args: { id: t.arg.id({ required: true }) },
    resolve: (_r, { id }, ctx) => ctx.services.onCall.deleteRotation(ctx, String(id)),
  }),
  requestCover: t.field({
    type: CoverRequestRef,
    description: "Asks another member to take your shifts for an interval (only for yourself).",
    args: { input: t.arg({ type: RequestCoverInput, required: true }) },
    resolve: (_r, { input }, ctx) =>
      ctx.services.onCall.requestCover(ctx, {
        clusterId: String(input.clusterId),
        startsAt: input.startsAt,
        endsAt: input.endsAt,
        reason: undef(input.reason) ?? null,
      }),
  }),
  acceptCover: t.field({
    type: CoverRequestRef,
    description: "Takes over another member's shifts for the request's interval.",
    args: { input: t.arg({ type: AcceptCoverInput, required: true }) },
    resolve: (_r, { input }, ctx) =>
      ctx.services.onCall.acceptCover(ctx, {
        coverRequestId: String(input.coverRequestId),
        handoffNote: input.handoffNote ?? null,
      }),
  }),
  cancelCover: t.field({
    type: CoverRequestRef,
    args: { id: t.arg.id({ required: true }) },
    resolve: (_r, { id }, ctx) => ctx.services.onCall.cancelCover(ctx, String(id)),
  }),
  setMyTimezone: t.field({
    type: OperatorRef,
    description: "Your IANA timezone, used to show on-call shifts in local time.",
    args: { timezone: t.arg.string({ required: true }) },
    resolve: (_r, { timezone }, ctx) => ctx.services.onCall.setMyTimezone(ctx, timezone),
  }),
  createNotificationChannel: t.field({
    type: CreatedChannelRef,
    args: { input: t.arg({ type: CreateChannelInput, required: true }) },
    resolve: (_r, { input }, ctx) =>
      ctx.services.notifications.createChannel(ctx, {
        clusterId: String(input.clusterId),
        kind: input.kind,
        target: input.target,
        events: input.events ?? null,
        enabled: input.enabled ?? null,
      }),
  }),
  deleteNotificationChannel: t.boolean({
    args: { id: t.arg.id({ required: true }) },
    resolve: (_r, { id }, ctx) => ctx.services.notifications.deleteChannel(ctx, String(id)),
  }),
}));
