import type { Duty, Incident, IncidentTimelineEntry, NotificationDelivery } from "@cohort/db";
import { checksum, INCIDENT_KINDS, INCIDENT_SEVERITIES, INCIDENT_STATUSES } from "@cohort/domain";
import { listComplexity } from "../../limits";
import { builder } from "../builder";
import { ClusterRef, MemberRef } from "./clusters";

export const IncidentKindEnum = builder.enumType("IncidentKind", { values: INCIDENT_KINDS });
export const IncidentSeverityEnum = builder.enumType("IncidentSeverity", { values: INCIDENT_SEVERITIES });
export const IncidentStatusEnum = builder.enumType("IncidentStatus", { values: INCIDENT_STATUSES });
const TimelineKindEnum = builder.enumType("IncidentTimelineKind", {
  values: [
    "OPENED",
    "MERGED",
    "ACKNOWLEDGED",
    "NOTE",
    "ATTRIBUTED",
    "SEVERITY_CHANGED",
    "ESCALATED",
    "NOTIFIED",
    "RESOLVED",
    "REOPENED",
  ] as const,
});
const DeliveryStatusEnum = builder.enumType("NotificationDeliveryStatus", {
  values: ["PENDING", "SENT", "FAILED"] as const,
});

const TimelineEntryRef = builder.objectRef<IncidentTimelineEntry>("IncidentTimelineEntry").implement({
  fields: (t) => ({
    id: t.id({ resolve: (e) => e.id.toString() }),
    at: t.expose("at", { type: "DateTime" }),
    kind: t.field({ type: TimelineKindEnum, resolve: (e) => e.kind }),
    actorAddress: t.string({
      nullable: true,
      description: "Who did it (EIP-55); null for the system.",
      resolve: (e) => (e.actorAddress ? checksum(e.actorAddress) : null),
    }),
    message: t.exposeString("message"),
    data: t.field({ type: "JSON", nullable: true, resolve: (e) => e.data ?? null }),
  }),
});

type IncidentMemberRow = Awaited<ReturnType<import("@cohort/domain").IncidentService["members"]>>[number];

const IncidentMemberRef = builder.objectRef<IncidentMemberRow>("IncidentMember").implement({
  description: "A member the incident is attributed to.",
  fields: (t) => ({
    member: t.field({ type: MemberRef, resolve: (m) => m.member }),
    reason: t.exposeString("reason", { nullable: true }),
    attributedBy: t.exposeString("attributedBy", {
      nullable: true,
      description: "An account address, or `system`.",
    }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
  }),
});

const IncidentDutyRef = builder.objectRef<Duty>("IncidentDuty").implement({
  description: "A duty an incident affected.",
  fields: (t) => ({
    id: t.id({ resolve: (d) => d.id.toString() }),
    validatorId: t.exposeID("validatorId"),
    slot: t.exposeInt("slot"),
    epoch: t.exposeInt("epoch"),
    type: t.exposeString("type"),
    outcome: t.exposeString("outcome"),
    failureReason: t.exposeString("failureReason", { nullable: true }),
    startsAt: t.expose("startsAt", { type: "DateTime" }),
    valueGwei: t.string({ nullable: true, resolve: (d) => d.valueGwei?.toString() ?? null }),
  }),
});

const DeliveryRef = builder.objectRef<NotificationDelivery>("NotificationDelivery").implement({
  fields: (t) => ({
    id: t.id({ resolve: (d) => d.id.toString() }),
    channelId: t.exposeID("channelId"),
    event: t.exposeString("event"),
    recipient: t.string({ nullable: true, resolve: (d) => (d.recipient ? checksum(d.recipient) : null) }),
    status: t.field({ type: DeliveryStatusEnum, resolve: (d) => d.status }),
    attempts: t.exposeInt("attempts"),
    lastError: t.exposeString("lastError", { nullable: true }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    sentAt: t.expose("sentAt", { type: "DateTime", nullable: true }),
  }),
});

export const IncidentRef = builder.objectRef<Incident>("Incident").implement({
  description: "Something that went wrong in a cluster: opened automatically from evidence, or declared.",
  fields: (t) => ({
    id: t.exposeID("id"),
    number: t.exposeInt("number", { description: "Per-cluster number (#1, #2, …)." }),
    kind: t.field({ type: IncidentKindEnum, resolve: (i) => i.kind }),
    severity: t.field({ type: IncidentSeverityEnum, resolve: (i) => i.severity }),
    status: t.field({ type: IncidentStatusEnum, resolve: (i) => i.status }),
    title: t.exposeString("title"),
    summary: t.exposeString("summary", { nullable: true }),
    automatic: t.exposeBoolean("automatic"),
    dedupKey: t.exposeString("dedupKey", { nullable: true }),
    openedAt: t.expose("openedAt", { type: "DateTime" }),
    acknowledgedAt: t.expose("acknowledgedAt", { type: "DateTime", nullable: true }),
    acknowledgedBy: t.string({
      nullable: true,
      resolve: (i) => (i.acknowledgedBy ? checksum(i.acknowledgedBy) : null),
    }),
    resolvedAt: t.expose("resolvedAt", { type: "DateTime", nullable: true }),
    resolvedBy: t.string({
      nullable: true,
      description: "An account address, or `system` on recovery.",
      resolve: (i) => (i.resolvedBy?.startsWith("0x") ? checksum(i.resolvedBy) : i.resolvedBy),
    }),
    escalatedAt: t.expose("escalatedAt", { type: "DateTime", nullable: true }),
    fromSlot: t.exposeInt("fromSlot", { nullable: true }),
    toSlot: t.exposeInt("toSlot", { nullable: true }),
    costGwei: t.string({
      nullable: true,
      description: "Sum of the affected duties' value (gwei), once known.",
      resolve: (i) => i.costGwei?.toString() ?? null,
    }),
    lastEventAt: t.expose("lastEventAt", { type: "DateTime" }),
    timeline: t.field({
      type: [TimelineEntryRef],
      extensions: listComplexity,
      resolve: (i, _a, ctx) => ctx.services.incidents.timeline(i.id),
    }),
    members: t.field({
      type: [IncidentMemberRef],
      extensions: listComplexity,
      resolve: (i, _a, ctx) => ctx.services.incidents.members(i.id),
    }),
    dutyCount: t.int({ resolve: (i, _a, ctx) => ctx.services.incidents.dutyCount(i.id) }),
    duties: t.field({
      type: [IncidentDutyRef],
      description: "Affected duties in slot order (at most `first`, ≤ 500).",
      args: { first: t.arg.int({ defaultValue: 100 }) },
      extensions: listComplexity,
      resolve: (i, { first }, ctx) =>
        ctx.services.incidents.duties(i.id, Math.min(Math.max(first ?? 100, 1), 500)),
    }),
    notifications: t.field({
      type: [DeliveryRef],
      extensions: listComplexity,
      resolve: (i, _a, ctx) => ctx.services.notifications.listDeliveries(ctx, i.id),
    }),
  }),
});

const IncidentEdge = builder.objectRef<{ cursor: string; node: Incident }>("IncidentEdge").implement({
  fields: (t) => ({
    cursor: t.exposeString("cursor"),
    node: t.field({ type: IncidentRef, resolve: (e) => e.node }),
  }),
});

const IncidentPageInfo = builder
  .objectRef<{ hasNextPage: boolean; endCursor: string | null }>("IncidentPageInfo")
  .implement({
    fields: (t) => ({
      hasNextPage: t.exposeBoolean("hasNextPage"),
      endCursor: t.exposeString("endCursor", { nullable: true }),
    }),
  });

const IncidentConnection = builder
  .objectRef<{
    edges: { cursor: string; node: Incident }[];
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
  }>("IncidentConnection")
  .implement({
    fields: (t) => ({
      edges: t.field({ type: [IncidentEdge], resolve: (c) => c.edges }),
      pageInfo: t.field({ type: IncidentPageInfo, resolve: (c) => c.pageInfo }),
    }),
  });

const IncidentFilter = builder.inputType("IncidentFilter", {
  fields: (t) => ({
    status: t.field({ type: [IncidentStatusEnum] }),
    kind: t.field({ type: [IncidentKindEnum] }),
    severity: t.field({ type: [IncidentSeverityEnum] }),
    memberId: t.id({ description: "Incidents attributed to this member." }),
    from: t.field({ type: "DateTime", description: "Opened at or after." }),
    to: t.field({ type: "DateTime", description: "Opened before." }),
  }),
});

builder.objectFields(ClusterRef, (t) => ({
  incidents: t.field({
    type: IncidentConnection,
    description: "Newest first.",
    args: {
      filter: t.arg({ type: IncidentFilter }),
      first: t.arg.int({ defaultValue: 20, description: "1–100." }),
      after: t.arg.string({ description: "endCursor of the previous page." }),
    },
    extensions: listComplexity,
    resolve: (c, { filter, first, after }, ctx) =>
      ctx.services.incidents.list(ctx, c.id, {
        filter: filter
          ? { ...filter, memberId: filter.memberId == null ? null : String(filter.memberId) }
          : null,
        first: first ?? 20,
        after: after ?? null,
      }),
  }),
  incident: t.field({
    type: IncidentRef,
    args: { id: t.arg.id({ required: true }) },
    resolve: (c, { id }, ctx) => ctx.services.incidents.get(ctx, String(id), c.id),
  }),
}));

const DeclareIncidentInput = builder.inputType("DeclareIncidentInput", {
  fields: (t) => ({
    clusterId: t.id({ required: true }),
    title: t.string({ required: true }),
    severity: t.field({ type: IncidentSeverityEnum, required: true }),
    summary: t.string(),
    memberIds: t.idList({ description: "Members it is attributed to." }),
  }),
});
const IncidentNoteInput = builder.inputType("IncidentNoteInput", {
  fields: (t) => ({ incidentId: t.id({ required: true }), message: t.string({ required: true }) }),
});
const ResolveIncidentInput = builder.inputType("ResolveIncidentInput", {
  fields: (t) => ({ incidentId: t.id({ required: true }), note: t.string() }),
});
const AttributeIncidentInput = builder.inputType("AttributeIncidentInput", {
  fields: (t) => ({
    incidentId: t.id({ required: true }),
    memberId: t.id({ required: true }),
    reason: t.string({ required: true }),
  }),
});
const ChangeSeverityInput = builder.inputType("ChangeIncidentSeverityInput", {
  fields: (t) => ({
    incidentId: t.id({ required: true }),
    severity: t.field({ type: IncidentSeverityEnum, required: true }),
    reason: t.string(),
  }),
});

builder.mutationFields((t) => ({
  declareIncident: t.field({
    type: IncidentRef,
    description: "Opens a MANUAL incident and notifies the on-call. Operators only.",
    args: { input: t.arg({ type: DeclareIncidentInput, required: true }) },
    resolve: (_r, { input }, ctx) =>
      ctx.services.incidents.declare(ctx, {
        clusterId: String(input.clusterId),
        title: input.title,
        severity: input.severity,
        summary: input.summary ?? null,
        memberIds: input.memberIds?.map(String) ?? null,
      }),
  }),
  acknowledgeIncident: t.field({
    type: IncidentRef,
    description: "Stops escalation. Operators only.",
    args: { id: t.arg.id({ required: true }) },
    resolve: (_r, { id }, ctx) => ctx.services.incidents.acknowledge(ctx, String(id)),
  }),
  addIncidentNote: t.field({
    type: IncidentRef,
    args: { input: t.arg({ type: IncidentNoteInput, required: true }) },
    resolve: (_r, { input }, ctx) =>
      ctx.services.incidents.addNote(ctx, { incidentId: String(input.incidentId), message: input.message }),
  }),
  resolveIncident: t.field({
    type: IncidentRef,
    args: { input: t.arg({ type: ResolveIncidentInput, required: true }) },
    resolve: (_r, { input }, ctx) =>
      ctx.services.incidents.resolve(ctx, { incidentId: String(input.incidentId), note: input.note ?? null }),
  }),
  attributeIncident: t.field({
    type: IncidentRef,
    args: { input: t.arg({ type: AttributeIncidentInput, required: true }) },
    resolve: (_r, { input }, ctx) =>
      ctx.services.incidents.attribute(ctx, {
        incidentId: String(input.incidentId),
        memberId: String(input.memberId),
        reason: input.reason,
      }),
  }),
  changeIncidentSeverity: t.field({
    type: IncidentRef,
    args: { input: t.arg({ type: ChangeSeverityInput, required: true }) },
    resolve: (_r, { input }, ctx) =>
      ctx.services.incidents.changeSeverity(ctx, {
        incidentId: String(input.incidentId),
        severity: input.severity,
        reason: input.reason ?? null,
      }),
  }),
}));
