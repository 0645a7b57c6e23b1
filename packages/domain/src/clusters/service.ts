import type { Db } from "@cohort/db";
import { verifyTypedData } from "viem";
import { z } from "zod";
import type { Authz, ServiceContext } from "../actor";
import { requireAccount } from "../actor";
import { badInput, CohortError, conflict, notFound } from "../errors";
import type { JobsPort } from "../jobs";
import { addressSchema, parseInput, uuidSchema } from "../validation";
import { attachLock } from "./lock";
import { type ClusterConfig, clusterConfigHash, membershipTypedData, rosterHash } from "./typedData";

export const NETWORKS = ["mainnet", "hoodi", "holesky", "sepolia", "devnet"] as const;
export const MIN_OPERATORS = 3;
export const MAX_OPERATORS = 64;

/** Default threshold for n operators: ⌈2n/3⌉ (Charon's choice). */
export const defaultThreshold = (n: number) => Math.ceil((2 * n) / 3);
/** Smallest safe threshold: a strict majority, so two disjoint quorums cannot both sign. */
export const minThreshold = (n: number) => Math.floor(n / 2) + 1;

const createClusterInput = z
  .object({
    name: z
      .string()
      .trim()
      .min(1, "is empty")
      .max(64, "is longer than 64 characters")
      .regex(/^[\w .-]+$/u, "may contain only letters, digits, spaces, '.', '_' and '-'"),
    network: z.enum(NETWORKS, { message: `must be one of ${NETWORKS.join(", ")}` }),
    threshold: z.number().int("must be an integer").optional(),
    operators: z
      .array(addressSchema)
      .min(MIN_OPERATORS, `needs at least ${MIN_OPERATORS} operators`)
      .max(MAX_OPERATORS, `allows at most ${MAX_OPERATORS} operators`),
  })
  .superRefine((v, ctx) => {
    const seen = new Map<string, number>();
    v.operators.forEach((a, i) => {
      if (seen.has(a)) {
        ctx.addIssue({
          code: "custom",
          path: ["operators", i],
          message: `duplicates operator ${seen.get(a)} (${a})`,
        });
      }
      seen.set(a, i);
    });
    const n = v.operators.length;
    if (v.threshold !== undefined && (v.threshold < minThreshold(n) || v.threshold > n)) {
      ctx.addIssue({
        code: "custom",
        path: ["threshold"],
        message: `must be between ${minThreshold(n)} and ${n} for ${n} operators (default ${defaultThreshold(n)})`,
      });
    }
  });

const acceptInput = z.object({
  clusterId: uuidSchema,
  signature: z.string().regex(/^0x[0-9a-fA-F]{130}$/, "must be a 65-byte 0x-hex signature"),
});

const grantInput = z.object({
  clusterId: uuidSchema,
  address: addressSchema,
  role: z.enum(["AUDITOR", "VIEWER"], { message: "must be AUDITOR or VIEWER" }),
});

/** What a caller may send; `create` validates every field (see createClusterInput). */
export interface CreateClusterInput {
  name: string;
  network: string;
  threshold?: number;
  operators: string[];
}

export class ClusterService {
  constructor(
    private readonly db: Db,
    private readonly authz: Authz,
    private readonly jobs: JobsPort,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Clusters the caller can see, newest first. */
  async list(ctx: ServiceContext) {
    const actor = ctx.actor;
    if (actor.kind === "anonymous") return [];
    if (actor.kind === "agent") return this.db.cluster.findMany({ where: { id: actor.clusterId } });
    return this.db.cluster.findMany({
      where: {
        OR: [
          { members: { some: { status: { not: "REMOVED" }, operator: { address: actor.address } } } },
          { grants: { some: { address: actor.address } } },
        ],
      },
      orderBy: { createdAt: "desc" },
    });
  }

  /**
   * Attaches the cluster lock produced by key generation: verified in full, operators matched to
   * the members (see lock.ts). Operators only.
   */
  async attachLock(ctx: ServiceContext, clusterId: string, lockJson: unknown, chainId?: number) {
    const id = parseInput("clusterId", uuidSchema, clusterId);
    await this.authz.assert(ctx, "cluster.manage", id);
    await attachLock(this.db, id, lockJson, chainId !== undefined ? { chainId } : {});
    return this.db.cluster.findUniqueOrThrow({ where: { id } });
  }

  async get(ctx: ServiceContext, id: string) {
    const clusterId = parseInput("id", uuidSchema, id);
    await this.authz.assert(ctx, "cluster.read", clusterId);
    const cluster = await this.db.cluster.findUnique({ where: { id: clusterId } });
    if (!cluster) throw notFound("cluster", clusterId);
    return cluster;
  }

  /**
   * Proposes a cluster. The caller must be one of the operators; every operator (the caller too)
   * then accepts by signing the membership typed data. Share indices follow the given order.
   */
  async create(ctx: ServiceContext, input: CreateClusterInput) {
    const account = requireAccount(ctx);
    const v = parseInput("input", createClusterInput, input);
    if (!v.operators.includes(account.address)) {
      throw badInput("input.operators", `must include your own address ${account.address}`);
    }
    const threshold = v.threshold ?? defaultThreshold(v.operators.length);
    const cluster = await this.db.$transaction(async (tx) => {
      for (const address of v.operators) {
        await tx.operator.upsert({ where: { address }, create: { address }, update: {} });
      }
      const operators = await tx.operator.findMany({ where: { address: { in: v.operators } } });
      const byAddress = new Map(operators.map((o) => [o.address, o.id]));
      const created = await tx.cluster.create({
        data: {
          name: v.name,
          network: v.network,
          threshold,
          configHash: "0x", // set below, once the id (part of the config) exists
          createdByAddress: account.address,
          members: {
            create: v.operators.map((address, i) => ({
              operatorId: byAddress.get(address)!,
              shareIndex: i + 1,
              role: address === account.address ? "CREATOR" : "OPERATOR",
            })),
          },
        },
      });
      const config: ClusterConfig = {
        clusterId: created.id,
        name: v.name,
        network: v.network,
        threshold,
        operators: v.operators,
      };
      const updated = await tx.cluster.update({
        where: { id: created.id },
        data: { configHash: clusterConfigHash(config) },
      });
      await tx.auditEvent.create({
        data: {
          actorKind: "account",
          actorId: account.address,
          action: "cluster.create",
          clusterId: created.id,
          targetType: "Cluster",
          targetId: created.id,
          requestId: ctx.requestId ?? null,
          data: { name: v.name, network: v.network, threshold, operators: v.operators },
        },
      });
      return updated;
    });
    return cluster;
  }

  /** The configuration every operator signs, as stored. */
  async config(clusterId: string): Promise<ClusterConfig> {
    const cluster = await this.db.cluster.findUnique({
      where: { id: clusterId },
      include: { members: { include: { operator: true }, orderBy: { shareIndex: "asc" } } },
    });
    if (!cluster) throw notFound("cluster", clusterId);
    return {
      clusterId: cluster.id,
      name: cluster.name,
      network: cluster.network,
      threshold: cluster.threshold,
      operators: cluster.members.map((m) => m.operator.address as `0x${string}`),
    };
  }

  /** Typed data the signed-in operator must sign to accept its seat. */
  async membershipTypedData(ctx: ServiceContext, id: string) {
    const account = requireAccount(ctx);
    const clusterId = parseInput("clusterId", uuidSchema, id);
    await this.authz.assert(ctx, "cluster.read", clusterId);
    const config = await this.config(clusterId);
    const shareIndex = config.operators.indexOf(account.address) + 1;
    if (shareIndex === 0) throw new CohortError("FORBIDDEN", "you are not an operator of this cluster");
    return membershipTypedData(config, account.address, shareIndex);
  }

  /** Accepts the signed-in operator's seat, given its EIP-712 signature over the membership. */
  async acceptMembership(ctx: ServiceContext, input: { clusterId: string; signature: string }) {
    const account = requireAccount(ctx);
    const { clusterId, signature } = parseInput("input", acceptInput, input);
    await this.authz.assert(ctx, "cluster.read", clusterId);
    const config = await this.config(clusterId);
    const shareIndex = config.operators.indexOf(account.address) + 1;
    if (shareIndex === 0) throw new CohortError("FORBIDDEN", "you are not an operator of this cluster");
    const valid = await verifyTypedData({
      address: account.address,
      ...membershipTypedData(config, account.address, shareIndex),
      signature: signature as `0x${string}`,
    }).catch(() => false);
    if (!valid) {
      throw new CohortError(
        "SIGNATURE_INVALID",
        `not ${account.address}'s EIP-712 signature over this cluster's membership`,
        { field: "input.signature" },
      );
    }
    const result = await this.db.$transaction(async (tx) => {
      const member = await tx.clusterMember.findUniqueOrThrow({
        where: { clusterId_shareIndex: { clusterId, shareIndex } },
      });
      if (member.status === "ACTIVE") throw conflict("you already accepted this membership");
      if (member.status === "REMOVED") throw conflict("you were removed from this cluster");
      const updated = await tx.clusterMember.update({
        where: { id: member.id },
        data: { status: "ACTIVE", acceptedAt: this.now(), acceptSignature: signature.toLowerCase() },
      });
      const cluster = await tx.cluster.update({
        where: { id: clusterId },
        data: { rosterVersion: { increment: 1 } },
      });
      await tx.auditEvent.create({
        data: {
          actorKind: "account",
          actorId: account.address,
          action: "membership.accept",
          clusterId,
          targetType: "ClusterMember",
          targetId: member.id,
          requestId: ctx.requestId ?? null,
        },
      });
      return { member: updated, rosterVersion: cluster.rosterVersion };
    });
    await this.jobs.rosterChanged(clusterId, result.rosterVersion);
    return result.member;
  }

  /**
   * Background job: recomputes what follows from the member roster (the cluster becomes ACTIVE once
   * every operator accepted). Idempotent: re-running with the same roster changes nothing.
   */
  async recomputeRoster(
    clusterId: string,
  ): Promise<{ status: string; rosterHash: string; changed: boolean }> {
    return this.db.$transaction(async (tx) => {
      const cluster = await tx.cluster.findUnique({
        where: { id: clusterId },
        include: { members: { include: { operator: true }, orderBy: { shareIndex: "asc" } } },
      });
      if (!cluster) throw notFound("cluster", clusterId);
      const live = cluster.members.filter((m) => m.status !== "REMOVED");
      const hash = rosterHash(live.map((m) => `${m.shareIndex}:${m.operator.address}:${m.status}`));
      const allAccepted = live.length > 0 && live.every((m) => m.status === "ACTIVE");
      const status = cluster.status === "ARCHIVED" ? "ARCHIVED" : allAccepted ? "ACTIVE" : "PENDING";
      if (cluster.rosterHash === hash && cluster.status === status) {
        return { status, rosterHash: hash, changed: false };
      }
      await tx.cluster.update({ where: { id: clusterId }, data: { rosterHash: hash, status } });
      if (status !== cluster.status) {
        await tx.auditEvent.create({
          data: {
            actorKind: "system",
            actorId: "roster.recompute",
            action: `cluster.status.${status.toLowerCase()}`,
            clusterId,
            targetType: "Cluster",
            targetId: clusterId,
          },
        });
      }
      return { status, rosterHash: hash, changed: true };
    });
  }

  /** Gives an auditor or viewer read access. Operators only. */
  async grantAccess(ctx: ServiceContext, input: { clusterId: string; address: string; role: string }) {
    const account = requireAccount(ctx);
    const v = parseInput("input", grantInput, input);
    await this.authz.assert(ctx, "cluster.manage", v.clusterId);
    const isMember = await this.db.clusterMember.findFirst({
      where: { clusterId: v.clusterId, operator: { address: v.address }, status: { not: "REMOVED" } },
    });
    if (isMember) throw badInput("input.address", "is an operator of this cluster already");
    const grant = await this.db.clusterAccessGrant.upsert({
      where: { clusterId_address: { clusterId: v.clusterId, address: v.address } },
      create: { clusterId: v.clusterId, address: v.address, role: v.role, grantedByAddress: account.address },
      update: { role: v.role, grantedByAddress: account.address },
    });
    await this.db.auditEvent.create({
      data: {
        actorKind: "account",
        actorId: account.address,
        action: "access.grant",
        clusterId: v.clusterId,
        targetType: "ClusterAccessGrant",
        targetId: grant.id,
        requestId: ctx.requestId ?? null,
        data: { address: v.address, role: v.role },
      },
    });
    return grant;
  }
}
