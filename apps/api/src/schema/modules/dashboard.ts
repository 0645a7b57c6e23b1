// The dashboard's read model: live member status, cluster health, the duty heatmap and explorer,
// validator effectiveness, the audit report, and live cluster events (a subscription served over
// graphql-sse at /graphql/stream). Resolvers are thin; DashboardService owns queries and authz.
import type { ClusterMember, Validator } from "@cohort/db";
import {
  type AuditMemberRow,
  type AuditReport,
  type ClusterHealth,
  checksum,
  DUTY_OUTCOMES,
  DUTY_TYPES,
  type DutyIncidentRow,
  type DutyParticipationRow,
  type DutyRow,
  type HeatmapCell,
  LIVE_STALE_AFTER_MS,
  type LiveClusterEvent,
  MAX_HEATMAP_EPOCHS,
  type MemberLiveStatus,
  MISS_REASONS,
  type ValidatorEffectiveness,
} from "@cohort/domain";
import DataLoader from "dataloader";
import type { GraphQLContext } from "../../context";
import { listComplexity } from "../../limits";
import { builder } from "../builder";
import { ClusterRef, MemberRef, OperatorRef, ValidatorRef } from "./clusters";
import { IncidentRef } from "./incidents";

// ───────────────────────── per-request loaders ─────────────────────────

/** DataLoaders of this module, created lazily once per request (keyed by the request's context). */
const perRequest = new WeakMap<GraphQLContext, ReturnType<typeof createDashboardLoaders>>();

function createDashboardLoaders(ctx: GraphQLContext) {
  return {
    /** A cluster page with N members: one heartbeat query. */
    live: new DataLoader<ClusterMember, MemberLiveStatus, string>(
      (members) => ctx.services.dashboard.liveStatus(ctx, members),
      { cacheKeyFn: (m) => m.id },
    ),
    participations: new DataLoader<bigint, DutyParticipationRow[], string>(
      (ids) => ctx.services.dashboard.participationsOf(ids),
      { cacheKeyFn: String },
    ),
    incidents: new DataLoader<bigint, DutyIncidentRow[], string>(
      (ids) => ctx.services.dashboard.incidentsOf(ids),
      { cacheKeyFn: String },
    ),
    /** Key `clusterId|from|to`: one grouped query per cluster and range, whatever the validator count. */
    effectiveness: new DataLoader<string, Map<string, ValidatorEffectiveness>>((keys) =>
      Promise.all(
        keys.map((k) => {
          const [clusterId, from, to] = k.split("|");
          return ctx.services.dashboard
            .validatorEffectiveness(ctx, clusterId!, new Date(from!), new Date(to!))
            .catch((e: unknown) => e as Error);
        }),
      ),
    ),
  };
}

const loadersOf = (ctx: GraphQLContext) => {
  let l = perRequest.get(ctx);
  if (!l) {
    l = createDashboardLoaders(ctx);
    perRequest.set(ctx, l);
  }
  return l;
};

// ───────────────────────── enums ─────────────────────────

const DutyTypeEnum = builder.enumType("DutyType", { values: DUTY_TYPES });
const DutyOutcomeEnum = builder.enumType("DutyOutcome", { values: DUTY_OUTCOMES });
const MissReasonEnum = builder.enumType("MissReason", {
  description:
    "Why a member did not contribute: no signed message, received by too few members before the deadline, a partial that does not verify (or signs another root), or two conflicting messages.",
  values: MISS_REASONS,
});

// ───────────────────────── live status and health ─────────────────────────

const MemberLiveStatusRef = builder.objectRef<MemberLiveStatus>("MemberLiveStatus").implement({
  description: `A member's latest heartbeat (agents send one every 30 s and report every few seconds). Connected while that heartbeat is at most ${LIVE_STALE_AFTER_MS / 1000} s old.`,
  fields: (t) => ({
    connected: t.exposeBoolean("connected"),
    lastHeartbeatAt: t.expose("lastHeartbeatAt", { type: "DateTime", nullable: true }),
    clockOffsetMs: t.exposeInt("clockOffsetMs", { nullable: true }),
    version: t.exposeString("version", { nullable: true, description: "The agent's version." }),
    peersConnected: t.exposeInt("peersConnected", { nullable: true }),
    beaconStatus: t.exposeString("beaconStatus", { nullable: true, description: "ok | syncing | down" }),
  }),
});

builder.objectFields(MemberRef, (t) => ({
  live: t.field({
    type: MemberLiveStatusRef,
    description: "Live status from the member's latest heartbeat.",
    resolve: (m, _a, ctx) => loadersOf(ctx).live.load(m),
  }),
}));

const ClusterHealthRef = builder.objectRef<ClusterHealth>("ClusterHealth").implement({
  description:
    "The cluster right now. Duty success = outcome AGGREGATED, SUBMITTED or INCLUDED, over duties whose deadline passed in the window.",
  fields: (t) => ({
    membersConnected: t.exposeInt("membersConnected"),
    members: t.exposeInt("members", { description: "Members not removed." }),
    threshold: t.exposeInt("threshold"),
    quorumConnected: t.exposeBoolean("quorumConnected", {
      description: "At least `threshold` members are connected: the cluster can sign.",
    }),
    dutiesLastHour: t.exposeInt("dutiesLastHour"),
    dutySuccessLastHour: t.exposeFloat("dutySuccessLastHour", {
      nullable: true,
      description: "0–1; null when no duty's deadline passed in the last hour.",
    }),
    dutiesLastDay: t.exposeInt("dutiesLastDay"),
    dutySuccessLastDay: t.exposeFloat("dutySuccessLastDay", { nullable: true }),
    openIncidents: t.exposeInt("openIncidents", { description: "OPEN or ACKNOWLEDGED." }),
    lastDutyAt: t.expose("lastDutyAt", {
      type: "DateTime",
      nullable: true,
      description: "Start of the most recent duty slot that has begun.",
    }),
    lastSuccessfulDutyAt: t.expose("lastSuccessfulDutyAt", {
      type: "DateTime",
      nullable: true,
      description: "Start of the most recent duty that succeeded.",
    }),
  }),
});

const HeatmapCellRef = builder.objectRef<HeatmapCell>("HeatmapCell").implement({
  description: "One member in one epoch (from the per-epoch roll-ups): duties expected and contributed.",
  fields: (t) => ({
    memberId: t.exposeID("memberId"),
    shareIndex: t.exposeInt("shareIndex"),
    epoch: t.exposeInt("epoch"),
    expected: t.exposeInt("expected"),
    contributed: t.exposeInt("contributed"),
  }),
});

// ───────────────────────── duties ─────────────────────────

const DutyValidatorRef = builder
  .objectRef<{ pubkey: string; index: number | null }>("DutyValidator")
  .implement({
    fields: (t) => ({
      pubkey: t.exposeString("pubkey"),
      index: t.exposeInt("index", { nullable: true }),
    }),
  });

const DutyParticipationRef = builder.objectRef<DutyParticipationRow>("DutyParticipation").implement({
  description: "Whether one member contributed to the duty, and the evidence for it.",
  fields: (t) => ({
    member: t.field({ type: MemberRef, resolve: (p) => p.member }),
    contributed: t.exposeBoolean("contributed"),
    missReason: t.field({ type: MissReasonEnum, nullable: true, resolve: (p) => p.missReason }),
    receivedAt: t.expose("receivedAt", {
      type: "DateTime",
      nullable: true,
      description: "Earliest time another member received its message.",
    }),
    onTimeReceipts: t.exposeInt("onTimeReceipts", {
      description: "Other members that received its message by the deadline.",
    }),
  }),
});

const DutyRef = builder.objectRef<DutyRow>("Duty").implement({
  description: "One validator's duty at one slot.",
  fields: (t) => ({
    id: t.id({ resolve: (d) => d.id.toString() }),
    slot: t.exposeInt("slot"),
    epoch: t.exposeInt("epoch"),
    type: t.field({ type: DutyTypeEnum, resolve: (d) => d.type }),
    validator: t.field({ type: DutyValidatorRef, resolve: (d) => d.validator }),
    outcome: t.field({ type: DutyOutcomeEnum, resolve: (d) => d.outcome }),
    failureReason: t.exposeString("failureReason", { nullable: true }),
    startsAt: t.expose("startsAt", { type: "DateTime" }),
    deadlineAt: t.expose("deadlineAt", { type: "DateTime" }),
    includedSlot: t.exposeInt("includedSlot", { nullable: true }),
    valueGwei: t.string({ nullable: true, resolve: (d) => d.valueGwei?.toString() ?? null }),
    participations: t.field({
      type: [DutyParticipationRef],
      description: "One row per member, in share order (once the duty was reconciled).",
      extensions: listComplexity,
      resolve: (d, _a, ctx) => loadersOf(ctx).participations.load(d.id),
    }),
    incidents: t.field({
      type: [IncidentRef],
      extensions: listComplexity,
      resolve: (d, _a, ctx) => loadersOf(ctx).incidents.load(d.id),
    }),
  }),
});

const DutyEdge = builder.objectRef<{ cursor: string; node: DutyRow }>("DutyEdge").implement({
  fields: (t) => ({
    cursor: t.exposeString("cursor"),
    node: t.field({ type: DutyRef, resolve: (e) => e.node }),
  }),
});

const DutyPageInfo = builder
  .objectRef<{ hasNextPage: boolean; endCursor: string | null }>("DutyPageInfo")
  .implement({
    fields: (t) => ({
      hasNextPage: t.exposeBoolean("hasNextPage"),
      endCursor: t.exposeString("endCursor", { nullable: true }),
    }),
  });

const DutyConnection = builder
  .objectRef<{
    edges: { cursor: string; node: DutyRow }[];
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
  }>("DutyConnection")
  .implement({
    fields: (t) => ({
      edges: t.field({ type: [DutyEdge], resolve: (c) => c.edges }),
      pageInfo: t.field({ type: DutyPageInfo, resolve: (c) => c.pageInfo }),
    }),
  });

const DutyFilter = builder.inputType("DutyFilter", {
  fields: (t) => ({
    epoch: t.int(),
    fromSlot: t.int({ description: "At or after this slot." }),
    toSlot: t.int({ description: "At or before this slot." }),
    type: t.field({ type: DutyTypeEnum }),
    outcome: t.field({ type: DutyOutcomeEnum }),
    memberId: t.id({ description: "Duties this member was expected to sign (missed or contributed)." }),
    contributed: t.boolean({
      description: "With memberId: only the duties it contributed to (true) or missed (false).",
    }),
  }),
});

// ───────────────────────── validators ─────────────────────────

const ValidatorEffectivenessRef = builder
  .objectRef<ValidatorEffectiveness>("ValidatorEffectiveness")
  .implement({
    description:
      "Duties whose slot started in the range and whose deadline has passed: succeeded = aggregated, submitted or included.",
    fields: (t) => ({
      duties: t.exposeInt("duties"),
      succeeded: t.exposeInt("succeeded"),
      included: t.exposeInt("included"),
      failed: t.exposeInt("failed"),
      rate: t.exposeFloat("rate", {
        nullable: true,
        description: "succeeded / duties; null without duties.",
      }),
    }),
  });

builder.objectFields(ValidatorRef, (t) => ({
  effectiveBalanceGwei: t.string({
    nullable: true,
    resolve: (v: Validator) => v.effectiveBalanceGwei?.toString() ?? null,
  }),
  activationEpoch: t.exposeInt("activationEpoch", { nullable: true }),
  exitEpoch: t.exposeInt("exitEpoch", { nullable: true }),
  effectiveness: t.field({
    type: ValidatorEffectivenessRef,
    description: "Over duties starting in [from, to) (at most 31 days); computed once per cluster and range.",
    args: {
      from: t.arg({ type: "DateTime", required: true }),
      to: t.arg({ type: "DateTime", required: true }),
    },
    resolve: async (v, { from, to }, ctx) => {
      const byValidator = await loadersOf(ctx).effectiveness.load(
        `${v.clusterId}|${from.toISOString()}|${to.toISOString()}`,
      );
      return (
        byValidator.get(v.id) ?? {
          validatorId: v.id,
          duties: 0,
          succeeded: 0,
          included: 0,
          failed: 0,
          rate: null,
        }
      );
    },
  }),
}));

// ───────────────────────── audit report ─────────────────────────

const AuditMemberRef = builder.objectRef<AuditMemberRow>("AuditMemberParticipation").implement({
  description: "One member's record over the report's range.",
  fields: (t) => ({
    member: t.field({ type: MemberRef, resolve: (r) => r.member }),
    operator: t.field({
      type: OperatorRef,
      resolve: (r, _a, { loaders }) => loaders.operator.load(r.operatorId),
    }),
    shareIndex: t.exposeInt("shareIndex"),
    address: t.string({ resolve: (r) => checksum(r.operatorAddress) }),
    expectedDuties: t.exposeInt("expectedDuties"),
    contributedDuties: t.exposeInt("contributedDuties"),
    missedDuties: t.exposeInt("missedDuties"),
    missedByReason: t.field({
      type: "JSON",
      description: "{ NO_MESSAGE, LATE, INVALID_PARTIAL, CONFLICTING } → count.",
      resolve: (r) => r.missedByReason,
    }),
    rate: t.exposeFloat("rate", { nullable: true, description: "contributed / expected." }),
    uptimeRatio: t.exposeFloat("uptimeRatio", {
      nullable: true,
      description:
        "Seconds up (hourly uptime, heartbeats with a synced beacon node) ÷ seconds of the UTC hours the range touches, up to now; null when that is nothing.",
    }),
    incidentsAttributed: t.exposeInt("incidentsAttributed", {
      description: "Incidents attributed to the member that were open at some time in the range.",
    }),
    failedDutiesMissed: t.exposeInt("failedDutiesMissed", {
      description: "Duties the cluster failed that this member did not contribute to.",
    }),
  }),
});

const AuditTotalsRef = builder.objectRef<AuditReport["totals"]>("AuditTotals").implement({
  fields: (t) => ({
    expectedDuties: t.exposeInt("expectedDuties"),
    contributedDuties: t.exposeInt("contributedDuties"),
    missedDuties: t.exposeInt("missedDuties"),
    missedByReason: t.field({ type: "JSON", resolve: (r) => r.missedByReason }),
    rate: t.exposeFloat("rate", { nullable: true }),
    duties: t.exposeInt("duties", { description: "Validator duties of the cluster in the range." }),
    failedDuties: t.exposeInt("failedDuties"),
    incidents: t.exposeInt("incidents", { description: "Incidents open at some time in the range." }),
  }),
});

const AuditReportRef = builder.objectRef<AuditReport>("AuditReport").implement({
  description:
    "Per-member accountability over epochs starting in [from, to), with where to get the signed evidence and how to check it offline.",
  fields: (t) => ({
    from: t.expose("from", { type: "DateTime" }),
    to: t.expose("to", { type: "DateTime" }),
    fromEpoch: t.exposeInt("fromEpoch", { nullable: true }),
    toEpoch: t.exposeInt("toEpoch", { nullable: true, description: "Exclusive." }),
    fromSlot: t.exposeInt("fromSlot", { nullable: true }),
    toSlot: t.exposeInt("toSlot", { nullable: true, description: "Inclusive." }),
    members: t.field({ type: [AuditMemberRef], extensions: listComplexity, resolve: (r) => r.members }),
    totals: t.field({ type: AuditTotalsRef, resolve: (r) => r.totals }),
    evidenceBundleUrl: t.exposeString("evidenceBundleUrl", {
      nullable: true,
      description:
        "Path (on this API) of the evidence bundle for the whole range; null when it needs several bundles (see evidenceBundleUrls).",
    }),
    evidenceBundleUrls: t.exposeStringList("evidenceBundleUrls", {
      description: "The range's evidence bundles (each at most 7,200 slots), in order.",
    }),
    exportCommand: t.exposeString("exportCommand", {
      nullable: true,
      description: "Downloads the bundle with the CLI (fill in the portal URL and your session token).",
    }),
    verifyCommand: t.exposeString("verifyCommand", {
      description: "Checks a downloaded bundle offline against the cluster lock.",
    }),
    csvUrl: t.string({
      description: "Path (on this API) of this table as CSV.",
      resolve: (r) =>
        `/exports/v1/clusters/${r.clusterId}/participation.csv?from=${encodeURIComponent(r.from.toISOString())}&to=${encodeURIComponent(r.to.toISOString())}`,
    }),
  }),
});

// ───────────────────────── cluster fields ─────────────────────────

builder.objectFields(ClusterRef, (t) => ({
  health: t.field({
    type: ClusterHealthRef,
    resolve: (c, _a, ctx) => ctx.services.dashboard.health(ctx, c.id),
  }),
  dutyHeatmap: t.field({
    type: [HeatmapCellRef],
    description: `One cell per (member, epoch) for epochs [fromEpoch, toEpoch] (inclusive), epoch-major in share order. Without bounds: the lastEpochs epochs up to the current one; with one bound: lastEpochs epochs from / up to it. At most ${MAX_HEATMAP_EPOCHS} epochs.`,
    args: {
      fromEpoch: t.arg.int(),
      toEpoch: t.arg.int(),
      lastEpochs: t.arg.int({ defaultValue: 32 }),
    },
    extensions: listComplexity,
    resolve: (c, args, ctx) => ctx.services.dashboard.heatmap(ctx, c.id, args),
  }),
  duties: t.field({
    type: DutyConnection,
    description: "Newest first (slot, then id).",
    args: {
      filter: t.arg({ type: DutyFilter }),
      first: t.arg.int({ defaultValue: 50, description: "1–200." }),
      after: t.arg.string({ description: "endCursor of the previous page." }),
    },
    extensions: listComplexity,
    resolve: (c, { filter, first, after }, ctx) =>
      ctx.services.dashboard.duties(ctx, c.id, {
        filter: filter
          ? { ...filter, memberId: filter.memberId == null ? null : String(filter.memberId) }
          : null,
        first: first ?? 50,
        after: after ?? null,
      }),
  }),
  duty: t.field({
    type: DutyRef,
    args: { id: t.arg.id({ required: true }) },
    resolve: (c, { id }, ctx) => ctx.services.dashboard.duty(ctx, c.id, String(id)),
  }),
  auditReport: t.field({
    type: AuditReportRef,
    description: "Operators and auditors (cluster.export). At most 93 days.",
    args: {
      from: t.arg({ type: "DateTime", required: true }),
      to: t.arg({ type: "DateTime", required: true }),
    },
    resolve: (c, { from, to }, ctx) => ctx.services.dashboard.auditReport(ctx, c.id, from, to),
  }),
}));

// ───────────────────────── live events ─────────────────────────

const ClusterEventRef = builder.objectRef<LiveClusterEvent>("ClusterEvent").implement({
  description:
    "A live change in a cluster, as the event bus carries it (the same events as GET /events/clusters/:id): incident.opened | incident.updated | incident.resolved | participation.updated | settlement.updated.",
  fields: (t) => ({
    type: t.exposeString("type"),
    clusterId: t.exposeID("clusterId"),
    at: t.expose("at", { type: "DateTime" }),
    payload: t.field({
      type: "JSON",
      nullable: true,
      description:
        "The rest of the event: incidentId, number, status, severity, kind, change (incidents); fromSlot, toSlot, reportId (participation); periodId, index, status, change (settlement).",
      resolve: (e) => e.payload,
    }),
  }),
});

builder.subscriptionType({
  description: "Served over Server-Sent Events (graphql-sse, distinct connections) at /graphql/stream.",
});

builder.subscriptionFields((t) => ({
  clusterEvents: t.field({
    type: ClusterEventRef,
    description: "Live events of a cluster you may read.",
    args: { clusterId: t.arg.id({ required: true }) },
    subscribe: (_r, { clusterId }, ctx) => ctx.services.dashboard.clusterEvents(ctx, String(clusterId)),
    resolve: (event) => event,
  }),
}));
