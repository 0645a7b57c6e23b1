import type { Allocation, SettlementApproval, SettlementDispute, SettlementPeriod } from "@cohort/db";
import { checksum, clusterChain, periodBounds } from "@cohort/domain";
import type { GraphQLContext } from "../../context";
import { builder } from "../builder";
import { ClusterRef, MemberRef } from "./clusters";

const SettlementStatus = builder.enumType("SettlementStatus", {
  values: ["DRAFT", "DISPUTED", "APPROVED", "SUBMITTED", "CONFIRMED", "FAILED"] as const,
});

/** A period row with what its fields need (`SettlementService` includes these). */
type PeriodRow = SettlementPeriod & {
  allocations?: (Allocation & { member: { shareIndex: number } })[];
  approvals?: (SettlementApproval & { member: { shareIndex: number } })[];
  disputes?: SettlementDispute[];
  cluster?: { threshold: number };
};

const wei = (d: { toFixed(): string }) => d.toFixed();

const ApprovalRef = builder.objectRef<SettlementApproval>("SettlementApproval").implement({
  description: "A member's EIP-712 signature over the settlement (what the splitter verifies).",
  fields: (t) => ({
    id: t.exposeID("id"),
    member: t.field({ type: MemberRef, resolve: (a, _x, { loaders }) => loaders.member.load(a.memberId) }),
    signer: t.string({ resolve: (a) => checksum(a.signer) }),
    signature: t.exposeString("signature"),
    signedAt: t.expose("signedAt", { type: "DateTime" }),
  }),
});

const DisputeRef = builder.objectRef<SettlementDispute>("SettlementDispute").implement({
  description: "A member's objection to a draft, before approving it (resolved when it approves).",
  fields: (t) => ({
    id: t.exposeID("id"),
    member: t.field({ type: MemberRef, resolve: (d, _x, { loaders }) => loaders.member.load(d.memberId) }),
    note: t.exposeString("note"),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    resolvedAt: t.expose("resolvedAt", { type: "DateTime", nullable: true }),
  }),
});

export const SettlementPeriodRef = builder.objectRef<PeriodRow>("SettlementPeriod");

const AllocationRef = builder.objectRef<Allocation>("Allocation").implement({
  description: "One member's part of a settlement and how it was derived (docs/rewards.md).",
  fields: (t) => ({
    id: t.exposeID("id"),
    member: t.field({ type: MemberRef, resolve: (a, _x, { loaders }) => loaders.member.load(a.memberId) }),
    period: t.field({
      type: SettlementPeriodRef,
      resolve: async (a, _x, ctx) => {
        const period = (a as Allocation & { period?: SettlementPeriod }).period;
        if (period) return period;
        const m = await ctx.loaders.member.load(a.memberId);
        return ctx.services.settlement.get(ctx, m.clusterId, a.periodId);
      },
    }),
    recipient: t.string({ resolve: (a) => checksum(a.recipient) }),
    amountWei: t.string({ resolve: (a) => wei(a.amountWei) }),
    baseWeight: t.exposeInt("baseWeight"),
    expectedDuties: t.exposeInt("expectedDuties"),
    contributedDuties: t.exposeInt("contributedDuties"),
    penaltyWei: t.string({ resolve: (a) => wei(a.penaltyWei) }),
    carriedWei: t.string({
      description: "Penalty its earnings could not cover, carried to the next period (policy `carry`).",
      resolve: (a) => wei(a.carriedWei),
    }),
    explanation: t.field({
      type: "JSON",
      nullable: true,
      description:
        "{ summary, steps: [weight | gross | penalty | compensation | rounding | net], grossWei, compensationWei, roundingWei, weight, share } — amounts in wei as decimal strings.",
      resolve: (a) => a.explanation,
    }),
  }),
});

/** Loads the includes a field needs when the row came without them (e.g. via Allocation.period). */
async function full(p: PeriodRow, ctx: GraphQLContext): Promise<Required<PeriodRow>> {
  if (p.allocations && p.approvals && p.disputes && p.cluster) return p as Required<PeriodRow>;
  return ctx.services.settlement.get(ctx, p.clusterId, p.id);
}

/** The period's wall-clock bounds from its cluster's chain clock (null while the clock is unknown). */
async function bounds(p: PeriodRow, ctx: GraphQLContext) {
  const clock = clusterChain(await ctx.loaders.cluster.load(p.clusterId));
  return clock ? periodBounds(p.index, p.endEpoch - p.startEpoch, clock) : null;
}

SettlementPeriodRef.implement({
  description:
    "One settlement period of a cluster: the draft computed from measured participation and what the splitter received, members' approvals and disputes, and its on-chain status.",
  fields: (t) => ({
    id: t.exposeID("id"),
    index: t.exposeInt("index", { description: "The on-chain period id." }),
    startEpoch: t.exposeInt("startEpoch"),
    endEpoch: t.exposeInt("endEpoch", {
      description: "Exclusive: the period covers [startEpoch, endEpoch).",
    }),
    startsAt: t.field({
      type: "DateTime",
      nullable: true,
      resolve: async (p, _a, ctx) => (await bounds(p, ctx))?.startsAt ?? null,
    }),
    endsAt: t.field({
      type: "DateTime",
      nullable: true,
      resolve: async (p, _a, ctx) => (await bounds(p, ctx))?.endsAt ?? null,
    }),
    status: t.field({ type: SettlementStatus, resolve: (p) => p.status }),
    amountWei: t.string({
      description: "What the splitter received for the period (its unallocated balance less earlier drafts).",
      resolve: (p) => wei(p.rewardsWei),
    }),
    distributableWei: t.string({ resolve: (p) => wei(p.distributableWei) }),
    allocatedWei: t.string({
      description: "Σ allocations: the settlement's total.",
      resolve: (p) => wei(p.allocatedWei),
    }),
    carriedOutWei: t.string({
      description: "Left unallocated (stays in the splitter for the next period).",
      resolve: (p) => wei(p.carriedOutWei),
    }),
    penaltiesWei: t.string({ resolve: (p) => wei(p.penaltiesWei) }),
    policy: t.field({ type: "JSON", nullable: true, resolve: (p) => p.policy }),
    inputs: t.field({
      type: "JSON",
      nullable: true,
      description:
        "Everything the draft was computed from; `inputsHash` is the SHA-256 of its canonical JSON.",
      resolve: (p) => p.inputs,
    }),
    inputsHash: t.exposeString("inputsHash", { nullable: true }),
    digest: t.exposeString("digest", { nullable: true, description: "The EIP-712 digest members sign." }),
    typedData: t.field({
      type: "JSON",
      nullable: true,
      description:
        "The EIP-712 typed data to sign (eth_signTypedData_v4; uint256 values as decimal strings).",
      resolve: async (p, _a, ctx) => ctx.services.settlement.typedDataOf(await full(p, ctx)),
    }),
    threshold: t.int({ resolve: async (p, _a, ctx) => (await full(p, ctx)).cluster.threshold }),
    approvals: t.field({
      type: [ApprovalRef],
      resolve: async (p, _a, ctx) =>
        [...(await full(p, ctx)).approvals].sort((a, b) => a.member.shareIndex - b.member.shareIndex),
    }),
    disputes: t.field({ type: [DisputeRef], resolve: async (p, _a, ctx) => (await full(p, ctx)).disputes }),
    allocations: t.field({
      type: [AllocationRef],
      resolve: async (p, _a, ctx) =>
        [...(await full(p, ctx)).allocations].sort((a, b) => a.member.shareIndex - b.member.shareIndex),
    }),
    splitterAddress: t.string({
      nullable: true,
      resolve: (p) => (p.splitterAddress ? checksum(p.splitterAddress) : null),
    }),
    chainId: t.exposeInt("chainId", { nullable: true }),
    txHash: t.exposeString("txHash", { nullable: true }),
    blockNumber: t.string({ nullable: true, resolve: (p) => p.blockNumber?.toString() ?? null }),
    confirmations: t.exposeInt("confirmations"),
    submittedAt: t.expose("submittedAt", { type: "DateTime", nullable: true }),
    confirmedAt: t.expose("confirmedAt", { type: "DateTime", nullable: true }),
    error: t.exposeString("error", { nullable: true, description: "Why the last submission failed." }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
  }),
});

builder.objectFields(ClusterRef, (t) => ({
  settlements: t.field({
    type: [SettlementPeriodRef],
    description: "Settlement periods, newest first.",
    args: { first: t.arg.int({ defaultValue: 10 }) },
    resolve: (c, { first }, ctx) => ctx.services.settlement.list(ctx, c.id, first ?? 10),
  }),
  settlement: t.field({
    type: SettlementPeriodRef,
    args: { id: t.arg.id({ required: true }) },
    resolve: (c, { id }, ctx) => ctx.services.settlement.get(ctx, c.id, String(id)),
  }),
  periodEpochs: t.exposeInt("periodEpochs", { description: "Settlement period length in epochs." }),
  splitterChainId: t.exposeInt("splitterChainId", { nullable: true }),
  nextSettlementAt: t.field({
    type: "DateTime",
    nullable: true,
    description: "When the current settlement period ends (its draft follows a few slots later).",
    resolve: (c, _a, ctx) => ctx.services.settlement.nextSettlementAt(c.id),
  }),
}));

builder.objectFields(MemberRef, (t) => ({
  allocations: t.field({
    type: [AllocationRef],
    description: "This member's allocations, newest period first.",
    args: { first: t.arg.int({ defaultValue: 20 }) },
    resolve: (m, { first }, ctx) => ctx.services.settlement.memberHistory(ctx, m.id, first ?? 20),
  }),
}));

const ApproveSettlementInput = builder.inputType("ApproveSettlementInput", {
  fields: (t) => ({
    periodId: t.id({ required: true }),
    signature: t.string({
      required: true,
      description: "Your operator key's EIP-712 signature over the period's `typedData` (65 bytes, 0x-hex).",
    }),
  }),
});

const DisputeSettlementInput = builder.inputType("DisputeSettlementInput", {
  fields: (t) => ({
    periodId: t.id({ required: true }),
    note: t.string({ required: true, description: "What is wrong with the draft (1–2000 characters)." }),
  }),
});

const ConfigureSettlementInput = builder.inputType("ConfigureSettlementInput", {
  fields: (t) => ({
    clusterId: t.id({ required: true }),
    splitterAddress: t.string({ required: true }),
    chainId: t.int({ required: true }),
    periodEpochs: t.int({ description: "Period length in epochs (default 225 ≈ 1 day)." }),
    policy: t.field({ type: "JSON", description: "Settlement policy overrides (docs/rewards.md)." }),
  }),
});

const DraftRequestRef = builder
  .objectRef<{ clusterId: string; index: number }>("SettlementDraftRequest")
  .implement({
    fields: (t) => ({ clusterId: t.exposeID("clusterId"), index: t.exposeInt("index") }),
  });

builder.mutationFields((t) => ({
  approveSettlement: t.field({
    type: SettlementPeriodRef,
    description:
      "Approve a draft with your EIP-712 signature (members only; it must recover to your operator address). At the threshold the settlement is submitted on-chain.",
    args: { input: t.arg({ type: ApproveSettlementInput, required: true }) },
    resolve: (_r, { input }, ctx) => ctx.services.settlement.approve(ctx, input),
  }),
  disputeSettlement: t.field({
    type: SettlementPeriodRef,
    description: "Dispute a draft with a note, before approving it (members only).",
    args: { input: t.arg({ type: DisputeSettlementInput, required: true }) },
    resolve: (_r, { input }, ctx) => ctx.services.settlement.dispute(ctx, input),
  }),
  retrySettlementSubmission: t.field({
    type: SettlementPeriodRef,
    description: "Queue the submission of an APPROVED or FAILED settlement again (operators).",
    args: { periodId: t.arg.id({ required: true }) },
    resolve: (_r, { periodId }, ctx) => ctx.services.settlement.retrySubmission(ctx, String(periodId)),
  }),
  configureSettlement: t.field({
    type: ClusterRef,
    description: "Set the cluster's splitter, its chain, the period length and policy (operators).",
    args: { input: t.arg({ type: ConfigureSettlementInput, required: true }) },
    resolve: (_r, { input }, ctx) =>
      ctx.services.settlement.configure(ctx, { ...input, clusterId: String(input.clusterId) }),
  }),
  requestSettlementDraft: t.field({
    type: DraftRequestRef,
    nullable: true,
    description:
      "Queue the draft of the cluster's next finished period now (operators); null when no period is due.",
    args: { clusterId: t.arg.id({ required: true }) },
    resolve: (_r, { clusterId }, ctx) => ctx.services.settlement.requestDraft(ctx, String(clusterId)),
  }),
}));
