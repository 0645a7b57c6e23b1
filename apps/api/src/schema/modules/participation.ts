import type { MemberParticipation, UptimePoint } from "@cohort/domain";
import { checksum } from "@cohort/domain";
import { listComplexity } from "../../limits";
import { builder } from "../builder";
import { ClusterRef, OperatorRef } from "./clusters";

const MemberParticipationRef = builder.objectRef<MemberParticipation>("MemberParticipation").implement({
  description:
    "A member's signed duty participation over a range: duties it was expected to sign and those it provably contributed to (its identity-signed message carried valid partials and at least q other members received it before the deadline).",
  fields: (t) => ({
    memberId: t.exposeID("memberId"),
    operator: t.field({
      type: OperatorRef,
      resolve: (p, _a, { loaders }) => loaders.operator.load(p.operatorId),
    }),
    shareIndex: t.exposeInt("shareIndex"),
    address: t.string({ resolve: (p) => checksum(p.operatorAddress) }),
    expectedDuties: t.exposeInt("expectedDuties"),
    contributedDuties: t.exposeInt("contributedDuties"),
    rate: t.exposeFloat("rate", {
      nullable: true,
      description: "contributed / expected; null when nothing was expected.",
    }),
  }),
});

const UptimePointRef = builder.objectRef<UptimePoint>("UptimePoint").implement({
  description:
    "One member-hour: seconds vouched for by heartbeats with a reachable, synced beacon node (each covers the 30 s before it).",
  fields: (t) => ({
    memberId: t.exposeID("memberId"),
    shareIndex: t.exposeInt("shareIndex"),
    hour: t.expose("hour", { type: "DateTime" }),
    secondsUp: t.exposeInt("secondsUp"),
    heartbeats: t.exposeInt("heartbeats"),
    ratio: t.float({ resolve: (u) => u.secondsUp / 3600 }),
  }),
});

builder.objectFields(ClusterRef, (t) => ({
  participation: t.field({
    type: [MemberParticipationRef],
    description: "Per member, epochs starting in [from, to).",
    args: {
      from: t.arg({ type: "DateTime", required: true }),
      to: t.arg({ type: "DateTime", required: true }),
    },
    resolve: (c, { from, to }, ctx) => ctx.services.participation.participation(ctx, c.id, from, to),
  }),
  uptime: t.field({
    type: [UptimePointRef],
    description: "Hourly uptime per member in [from, to).",
    args: {
      from: t.arg({ type: "DateTime", required: true }),
      to: t.arg({ type: "DateTime", required: true }),
    },
    extensions: listComplexity,
    resolve: (c, { from, to }, ctx) => ctx.services.participation.uptime(ctx, c.id, from, to),
  }),
}));

builder.mutationFields((t) => ({
  attachClusterLock: t.field({
    type: ClusterRef,
    description:
      "Attaches the cluster lock from key generation (verified in full; its operators must be the members in share order). Agents' reports are verified against it.",
    args: {
      clusterId: t.arg.id({ required: true }),
      lock: t.arg({ type: "JSON", required: true }),
      chainId: t.arg.int({ description: "EIP-712 chain id for devnet locks." }),
    },
    resolve: (_r, { clusterId, lock, chainId }, ctx) =>
      ctx.services.clusters.attachLock(ctx, String(clusterId), lock, chainId ?? undefined),
  }),
}));
