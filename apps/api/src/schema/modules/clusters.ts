import type { Cluster, ClusterMember, Operator, Validator } from "@cohort/db";
import { type ClusterRole, checksum } from "@cohort/domain";
import { listComplexity } from "../../limits";
import { builder } from "../builder";

const ClusterStatus = builder.enumType("ClusterStatus", {
  values: ["PENDING", "ACTIVE", "ARCHIVED"] as const,
});
const MemberStatus = builder.enumType("MemberStatus", { values: ["INVITED", "ACTIVE", "REMOVED"] as const });
const MemberRole = builder.enumType("MemberRole", { values: ["CREATOR", "OPERATOR"] as const });
const AccessRole = builder.enumType("AccessRole", { values: ["AUDITOR", "VIEWER"] as const });
const ClusterRoleEnum = builder.enumType("ClusterRole", {
  description: "Your role in a cluster.",
  values: ["OPERATOR", "AUDITOR", "VIEWER", "AGENT"] as const,
});

export const OperatorRef = builder.objectRef<Operator>("Operator").implement({
  description: "A node operator, identified by its Ethereum address.",
  fields: (t) => ({
    id: t.exposeID("id"),
    address: t.string({ description: "EIP-55 checksummed address.", resolve: (o) => checksum(o.address) }),
    nickname: t.exposeString("nickname", { nullable: true }),
    contact: t.exposeString("contact", { nullable: true }),
    timezone: t.exposeString("timezone"),
  }),
});

export const ClusterRef = builder.objectRef<Cluster>("Cluster");
export const MemberRef = builder.objectRef<ClusterMember>("ClusterMember");

MemberRef.implement({
  description: "An operator's seat in a cluster: one node, one key share.",
  fields: (t) => ({
    id: t.exposeID("id"),
    shareIndex: t.exposeInt("shareIndex", { description: "1-based Shamir share index." }),
    baseWeight: t.exposeInt("baseWeight"),
    role: t.field({ type: MemberRole, resolve: (m) => m.role }),
    status: t.field({ type: MemberStatus, resolve: (m) => m.status }),
    acceptedAt: t.expose("acceptedAt", { type: "DateTime", nullable: true }),
    enr: t.exposeString("enr", { nullable: true }),
    identityPubkey: t.exposeString("identityPubkey", { nullable: true }),
    operator: t.field({
      type: OperatorRef,
      resolve: (m, _a, { loaders }) => loaders.operator.load(m.operatorId),
    }),
    cluster: t.field({
      type: ClusterRef,
      resolve: (m, _a, { loaders }) => loaders.cluster.load(m.clusterId),
    }),
  }),
});

export const ValidatorRef = builder.objectRef<Validator>("Validator").implement({
  description: "A distributed validator: one group public key, one public share per member.",
  fields: (t) => ({
    id: t.exposeID("id"),
    pubkey: t.exposeString("pubkey", { description: "Group BLS public key, 0x-hex." }),
    index: t.exposeInt("index", { nullable: true, description: "Beacon chain validator index." }),
    publicShares: t.exposeStringList("publicShares", { description: "By share index (first = share 1)." }),
    status: t.exposeString("status", { nullable: true }),
    balanceGwei: t.string({ nullable: true, resolve: (v) => v.balanceGwei?.toString() ?? null }),
  }),
});

const roleName: Record<ClusterRole, "OPERATOR" | "AUDITOR" | "VIEWER" | "AGENT"> = {
  operator: "OPERATOR",
  auditor: "AUDITOR",
  viewer: "VIEWER",
  agent: "AGENT",
};

ClusterRef.implement({
  description: "A distributed-validator cluster run together by its operators.",
  fields: (t) => ({
    id: t.exposeID("id"),
    name: t.exposeString("name"),
    network: t.exposeString("network"),
    threshold: t.exposeInt("threshold", { description: "Partial signatures needed to sign (t of n)." }),
    status: t.field({ type: ClusterStatus, resolve: (c) => c.status }),
    configHash: t.exposeString("configHash", {
      description: "EIP-712 hash of the configuration operators sign.",
    }),
    lockHash: t.exposeString("lockHash", { nullable: true }),
    definitionHash: t.exposeString("definitionHash", { nullable: true }),
    feeRecipient: t.exposeString("feeRecipient", { nullable: true }),
    withdrawalAddress: t.exposeString("withdrawalAddress", { nullable: true }),
    splitterAddress: t.exposeString("splitterAddress", { nullable: true }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    beaconNodeUrl: t.string({
      nullable: true,
      description:
        "The beacon node the portal reads expected duties from (operators only: the URL may carry a key).",
      resolve: async (c, _a, ctx) =>
        c.beaconNodeUrl && (await ctx.services.authz.roleIn(ctx, c.id)) === "operator"
          ? c.beaconNodeUrl
          : null,
    }),
    myRole: t.field({
      type: ClusterRoleEnum,
      nullable: true,
      resolve: async (c, _a, ctx) => {
        const role = await ctx.services.authz.roleIn(ctx, c.id);
        return role ? roleName[role] : null;
      },
    }),
    members: t.field({
      type: [MemberRef],
      extensions: listComplexity,
      resolve: (c, _a, { loaders }) => loaders.membersByCluster.load(c.id),
    }),
    operators: t.field({
      type: [OperatorRef],
      description: "Operators in share-index order.",
      extensions: listComplexity,
      resolve: async (c, _a, { loaders }) => {
        const members = (await loaders.membersByCluster.load(c.id)).filter((m) => m.status !== "REMOVED");
        return Promise.all(members.map((m) => loaders.operator.load(m.operatorId)));
      },
    }),
    validators: t.field({
      type: [ValidatorRef],
      extensions: listComplexity,
      resolve: (c, _a, { loaders }) => loaders.validatorsByCluster.load(c.id),
    }),
  }),
});

const CreateClusterInput = builder.inputType("CreateClusterInput", {
  fields: (t) => ({
    name: t.string({ required: true }),
    network: t.string({ required: true, description: "mainnet | hoodi | holesky | sepolia | devnet" }),
    threshold: t.int({ description: "Defaults to ⌈2n/3⌉; must be a strict majority and ≤ n." }),
    operators: t.stringList({
      required: true,
      description: "Operator addresses in share-index order; must include yours.",
    }),
  }),
});

const AcceptMembershipInput = builder.inputType("AcceptMembershipInput", {
  fields: (t) => ({
    clusterId: t.id({ required: true }),
    signature: t.string({ required: true, description: "EIP-712 signature over `membershipTypedData`." }),
  }),
});

const GrantAccessInput = builder.inputType("GrantClusterAccessInput", {
  fields: (t) => ({
    clusterId: t.id({ required: true }),
    address: t.string({ required: true }),
    role: t.field({ type: AccessRole, required: true }),
  }),
});

const AccessGrantRef = builder
  .objectRef<{ id: string; address: string; role: "AUDITOR" | "VIEWER"; createdAt: Date }>(
    "ClusterAccessGrant",
  )
  .implement({
    fields: (t) => ({
      id: t.exposeID("id"),
      address: t.string({ resolve: (g) => checksum(g.address) }),
      role: t.field({ type: AccessRole, resolve: (g) => g.role }),
      createdAt: t.expose("createdAt", { type: "DateTime" }),
    }),
  });

const CreateApiKeyInput = builder.inputType("CreateAgentApiKeyInput", {
  fields: (t) => ({
    clusterId: t.id({ required: true }),
    shareIndex: t.int({ required: true, description: "The member whose agent will use the key." }),
    name: t.string({ required: true }),
  }),
});

const CreatedApiKey = builder
  .objectRef<{ key: string; id: string; prefix: string }>("CreatedAgentApiKey")
  .implement({
    description: "The plaintext key is shown once; only its hash is stored.",
    fields: (t) => ({
      id: t.exposeID("id"),
      prefix: t.exposeString("prefix"),
      key: t.exposeString("key"),
    }),
  });

builder.queryFields((t) => ({
  clusters: t.field({
    type: [ClusterRef],
    description: "Clusters you operate, audit or view.",
    extensions: listComplexity,
    resolve: (_r, _a, ctx) => ctx.services.clusters.list(ctx),
  }),
  cluster: t.field({
    type: ClusterRef,
    args: { id: t.arg.id({ required: true }) },
    resolve: (_r, { id }, ctx) => ctx.services.clusters.get(ctx, String(id)),
  }),
  membershipTypedData: t.field({
    type: "JSON",
    description: "The EIP-712 typed data you sign to accept your seat (eth_signTypedData_v4).",
    args: { clusterId: t.arg.id({ required: true }) },
    resolve: (_r, { clusterId }, ctx) => ctx.services.clusters.membershipTypedData(ctx, String(clusterId)),
  }),
}));

builder.mutationFields((t) => ({
  createCluster: t.field({
    type: ClusterRef,
    description: "Proposes a cluster; every listed operator then accepts by EIP-712 signature.",
    args: { input: t.arg({ type: CreateClusterInput, required: true }) },
    resolve: (_r, { input }, ctx) =>
      ctx.services.clusters.create(ctx, {
        name: input.name,
        network: input.network,
        operators: input.operators,
        ...(input.threshold != null ? { threshold: input.threshold } : {}),
      }),
  }),
  acceptMembership: t.field({
    type: MemberRef,
    args: { input: t.arg({ type: AcceptMembershipInput, required: true }) },
    resolve: (_r, { input }, ctx) =>
      ctx.services.clusters.acceptMembership(ctx, {
        clusterId: String(input.clusterId),
        signature: input.signature,
      }),
  }),
  grantClusterAccess: t.field({
    type: AccessGrantRef,
    description: "Gives an auditor (read + export) or a viewer (read) access. Operators only.",
    args: { input: t.arg({ type: GrantAccessInput, required: true }) },
    resolve: (_r, { input }, ctx) =>
      ctx.services.clusters.grantAccess(ctx, {
        clusterId: String(input.clusterId),
        address: input.address,
        role: input.role,
      }),
  }),
  createAgentApiKey: t.field({
    type: CreatedApiKey,
    description: "Creates an API key for a member's agent. Operators only.",
    args: { input: t.arg({ type: CreateApiKeyInput, required: true }) },
    resolve: (_r, { input }, ctx) =>
      ctx.services.auth.createApiKey(ctx, {
        clusterId: String(input.clusterId),
        shareIndex: input.shareIndex,
        name: input.name,
      }),
  }),
  setClusterBeaconNode: t.field({
    type: ClusterRef,
    description:
      "Sets the beacon node (http(s) REST API URL) the portal reads the cluster's expected duties from; null clears it. Operators only.",
    args: {
      clusterId: t.arg.id({ required: true }),
      url: t.arg.string({ required: false }),
    },
    resolve: (_r, { clusterId, url }, ctx) =>
      ctx.services.duties.setBeaconNode(ctx, String(clusterId), url ?? null),
  }),
  revokeAgentApiKey: t.boolean({
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_r, { id }, ctx) => {
      await ctx.services.auth.revokeApiKey(ctx, String(id));
      return true;
    },
  }),
}));
