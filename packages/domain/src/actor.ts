import type { Db } from "@cohort/db";
import { forbidden, notFound, unauthenticated } from "./errors";

/** Who is calling: a signed-in person, a cluster member's agent, or nobody. */
export type Actor =
  | { kind: "anonymous" }
  | { kind: "account"; accountId: string; address: `0x${string}`; sessionId: string }
  | { kind: "agent"; apiKeyId: string; prefix: string; clusterId: string; memberId: string };

export const anonymous: Actor = { kind: "anonymous" };

/** A caller's role in one cluster, strongest first. */
export type ClusterRole = "operator" | "auditor" | "viewer" | "agent";

export type ClusterAction =
  | "cluster.read" // see the cluster, its members, validators, duties, incidents
  | "cluster.export" // export evidence bundles and CSVs
  | "cluster.manage" // grant access, create agent keys, change settings
  | "evidence.report"; // submit agent reports

const allowed: Record<ClusterRole, readonly ClusterAction[]> = {
  operator: ["cluster.read", "cluster.export", "cluster.manage"],
  auditor: ["cluster.read", "cluster.export"],
  viewer: ["cluster.read"],
  agent: ["cluster.read", "evidence.report"],
};

export function roleAllows(role: ClusterRole | null, action: ClusterAction): boolean {
  return role !== null && allowed[role].includes(action);
}

/** Per-request context every service call receives. */
export interface ServiceContext {
  actor: Actor;
  requestId?: string;
  /** Memoised role look-ups for this request. */
  roleCache?: Map<string, ClusterRole | null>;
}

export function requireAccount(ctx: ServiceContext): Extract<Actor, { kind: "account" }> {
  if (ctx.actor.kind !== "account") throw unauthenticated("sign in with Ethereum first");
  return ctx.actor;
}

/**
 * Authorisation: resolves the caller's role in a cluster (member operator, auditor, viewer, or the
 * cluster's own agent) and checks an action against it.
 */
export class Authz {
  constructor(private readonly db: Db) {}

  async roleIn(ctx: ServiceContext, clusterId: string): Promise<ClusterRole | null> {
    const cached = ctx.roleCache?.get(clusterId);
    if (cached !== undefined) return cached;
    const role = await this.lookupRole(ctx.actor, clusterId);
    ctx.roleCache?.set(clusterId, role);
    return role;
  }

  private async lookupRole(actor: Actor, clusterId: string): Promise<ClusterRole | null> {
    switch (actor.kind) {
      case "anonymous":
        return null;
      case "agent":
        return actor.clusterId === clusterId ? "agent" : null;
      case "account": {
        const member = await this.db.clusterMember.findFirst({
          where: { clusterId, status: { not: "REMOVED" }, operator: { address: actor.address } },
          select: { id: true },
        });
        if (member) return "operator";
        const grant = await this.db.clusterAccessGrant.findUnique({
          where: { clusterId_address: { clusterId, address: actor.address } },
          select: { role: true },
        });
        if (!grant) return null;
        return grant.role === "AUDITOR" ? "auditor" : "viewer";
      }
    }
  }

  /**
   * Throws unless the caller may perform `action` on the cluster. A caller with no role at all gets
   * NOT_FOUND, so cluster ids cannot be probed.
   */
  async assert(ctx: ServiceContext, action: ClusterAction, clusterId: string): Promise<ClusterRole> {
    if (ctx.actor.kind === "anonymous") throw unauthenticated();
    const role = await this.roleIn(ctx, clusterId);
    if (role === null) throw notFound("cluster", clusterId);
    if (!roleAllows(role, action)) {
      throw forbidden(`your role in this cluster (${role}) does not allow ${action}`);
    }
    return role;
  }
}
