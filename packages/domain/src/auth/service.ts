import { randomBytes } from "node:crypto";
import type { Db } from "@cohort/db";
import { verifyMessage } from "viem";
import { parseSiweMessage, validateSiweMessage } from "viem/siwe";
import { z } from "zod";
import type { Actor, Authz, ServiceContext } from "../actor";
import { requireAccount } from "../actor";
import { CohortError, notFound } from "../errors";
import { parseInput, uuidSchema } from "../validation";
import {
  API_KEY_PREFIX,
  newApiKey,
  newSecret,
  parseApiKey,
  SESSION_TOKEN_PREFIX,
  sameHash,
  sha256Hex,
} from "./tokens";

export interface AuthConfig {
  /** Domains (host[:port]) a SIWE message may name; anything else is refused. */
  siweDomains: string[];
  nonceTtlMs: number;
  sessionTtlMs: number;
}

export const defaultAuthConfig: AuthConfig = {
  siweDomains: ["localhost:4000"],
  nonceTtlMs: 10 * 60_000,
  sessionTtlMs: 7 * 24 * 3_600_000,
};

const signInInput = z.object({
  message: z.string().min(1, "is empty").max(4096, "is longer than 4096 characters"),
  signature: z.string().regex(/^0x[0-9a-fA-F]+$/, "must be 0x-prefixed hex"),
});

const createKeyInput = z.object({
  clusterId: uuidSchema,
  shareIndex: z.number().int().min(1, "must be ≥ 1"),
  name: z.string().trim().min(1, "is empty").max(64, "is longer than 64 characters"),
});

/**
 * People sign in with Ethereum (EIP-4361): the server issues a one-time nonce, the wallet signs a
 * SIWE message carrying it, and a valid signature by the message's address opens a session.
 * Agents authenticate with per-member API keys.
 */
export class AuthService {
  constructor(
    private readonly db: Db,
    private readonly authz: Authz,
    private readonly config: AuthConfig,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** A fresh one-time nonce for a SIWE message (alphanumeric, as EIP-4361 requires). */
  async issueNonce(): Promise<{ nonce: string; expiresAt: Date }> {
    // 128 bits from the CSPRNG, hex (EIP-4361 wants ≥ 8 alphanumerics; viem's helper uses Math.random).
    const nonce = randomBytes(16).toString("hex");
    const expiresAt = new Date(this.now().getTime() + this.config.nonceTtlMs);
    await this.db.authNonce.create({ data: { value: nonce, expiresAt } });
    return { nonce, expiresAt };
  }

  async signIn(
    input: { message: string; signature: string },
    meta: { userAgent?: string } = {},
  ): Promise<{ token: string; expiresAt: Date; accountId: string; address: `0x${string}` }> {
    const { message, signature } = parseInput("input", signInInput, input);
    const fields = parseSiweMessage(message);
    if (!fields.address || !fields.nonce || !fields.domain || !fields.uri || !fields.version) {
      throw new CohortError("SIWE_INVALID", "message is not an EIP-4361 sign-in message", {
        field: "input.message",
      });
    }
    if (!this.config.siweDomains.includes(fields.domain)) {
      throw new CohortError("SIWE_INVALID", `message is for domain ${fields.domain}, not this portal`, {
        field: "input.message",
      });
    }
    const now = this.now();
    const nonce = await this.db.authNonce.findUnique({ where: { value: fields.nonce } });
    if (!nonce) {
      throw new CohortError("NONCE_UNKNOWN", "nonce was not issued by this portal", {
        field: "input.message",
      });
    }
    if (nonce.usedAt) {
      throw new CohortError("NONCE_USED", "nonce was already used; request a new one", {
        field: "input.message",
      });
    }
    if (nonce.expiresAt <= now) {
      throw new CohortError("NONCE_EXPIRED", "nonce expired; request a new one", { field: "input.message" });
    }
    if (!validateSiweMessage({ message: fields, domain: fields.domain, nonce: nonce.value, time: now })) {
      throw new CohortError("SIWE_INVALID", "message is expired or not yet valid", {
        field: "input.message",
      });
    }
    const valid = await verifyMessage({
      address: fields.address,
      message,
      signature: signature as `0x${string}`,
    }).catch(() => false);
    if (!valid) {
      throw new CohortError("SIGNATURE_INVALID", `signature is not by ${fields.address}`, {
        field: "input.signature",
      });
    }
    const address = fields.address.toLowerCase() as `0x${string}`;
    const token = SESSION_TOKEN_PREFIX + newSecret();
    const expiresAt = new Date(now.getTime() + this.config.sessionTtlMs);
    const accountId = await this.db.$transaction(async (tx) => {
      // Consume the nonce atomically: of two concurrent sign-ins with one nonce, one wins.
      const used = await tx.authNonce.updateMany({
        where: { id: nonce.id, usedAt: null },
        data: { usedAt: now },
      });
      if (used.count !== 1) {
        throw new CohortError("NONCE_USED", "nonce was already used; request a new one", {
          field: "input.message",
        });
      }
      const account = await tx.account.upsert({
        where: { address },
        create: { address, lastSeenAt: now },
        update: { lastSeenAt: now },
      });
      await tx.session.create({
        data: {
          tokenHash: sha256Hex(token),
          accountId: account.id,
          expiresAt,
          userAgent: meta.userAgent?.slice(0, 256) ?? null,
        },
      });
      await tx.auditEvent.create({
        data: { actorKind: "account", actorId: address, action: "auth.sign_in" },
      });
      return account.id;
    });
    return { token, expiresAt, accountId, address };
  }

  async signOut(ctx: ServiceContext): Promise<void> {
    const actor = requireAccount(ctx);
    await this.db.session.update({ where: { id: actor.sessionId }, data: { revokedAt: this.now() } });
  }

  /**
   * Resolves an `Authorization` header value to an actor: `Bearer cohort_s_…` (session) or
   * `Bearer cohort_ak_…` (agent API key). No header → anonymous; a bad credential is an error, never
   * a silent downgrade to anonymous.
   */
  async authenticate(authorization: string | undefined): Promise<Actor> {
    if (!authorization) return { kind: "anonymous" };
    const m = /^Bearer\s+(\S+)$/i.exec(authorization.trim());
    if (!m) {
      throw new CohortError("UNAUTHENTICATED", "Authorization header must be `Bearer <token>`");
    }
    const credential = m[1]!;
    if (credential.startsWith(API_KEY_PREFIX)) return this.authenticateApiKey(credential);
    if (credential.startsWith(SESSION_TOKEN_PREFIX)) return this.authenticateSession(credential);
    throw new CohortError("UNAUTHENTICATED", "unrecognised bearer token");
  }

  private async authenticateSession(token: string): Promise<Actor> {
    const now = this.now();
    const session = await this.db.session.findUnique({
      where: { tokenHash: sha256Hex(token) },
      include: { account: { select: { address: true } } },
    });
    if (!session || session.revokedAt) throw new CohortError("UNAUTHENTICATED", "session is not valid");
    if (session.expiresAt <= now) throw new CohortError("SESSION_EXPIRED", "session expired; sign in again");
    return {
      kind: "account",
      accountId: session.accountId,
      address: session.account.address as `0x${string}`,
      sessionId: session.id,
    };
  }

  private async authenticateApiKey(key: string): Promise<Actor> {
    const parsed = parseApiKey(key);
    const row = parsed && (await this.db.apiKey.findUnique({ where: { prefix: parsed.prefix } }));
    if (!parsed || !row || row.revokedAt || !sameHash(row.secretHash, sha256Hex(parsed.secret))) {
      throw new CohortError("API_KEY_INVALID", "API key is not valid");
    }
    // Record use at most once a minute: agents call often, and this must not be a write per request.
    const now = this.now();
    if (!row.lastUsedAt || now.getTime() - row.lastUsedAt.getTime() > 60_000) {
      await this.db.apiKey.update({ where: { id: row.id }, data: { lastUsedAt: now } });
    }
    return {
      kind: "agent",
      apiKeyId: row.id,
      prefix: row.prefix,
      clusterId: row.clusterId,
      memberId: row.memberId,
    };
  }

  /** An API key for the agent of the member at `shareIndex`. The plaintext key is returned once. */
  async createApiKey(
    ctx: ServiceContext,
    input: { clusterId: string; shareIndex: number; name: string },
  ): Promise<{ key: string; id: string; prefix: string }> {
    const account = requireAccount(ctx);
    const { clusterId, shareIndex, name } = parseInput("input", createKeyInput, input);
    await this.authz.assert(ctx, "cluster.manage", clusterId);
    const member = await this.db.clusterMember.findUnique({
      where: { clusterId_shareIndex: { clusterId, shareIndex } },
    });
    if (!member || member.status === "REMOVED") {
      throw new CohortError("BAD_USER_INPUT", `no member with share index ${shareIndex}`, {
        field: "input.shareIndex",
      });
    }
    const { key, prefix, secretHash } = newApiKey();
    const row = await this.db.apiKey.create({
      data: { prefix, secretHash, name, clusterId, memberId: member.id, createdById: account.accountId },
    });
    await this.db.auditEvent.create({
      data: {
        actorKind: "account",
        actorId: account.address,
        action: "api_key.create",
        clusterId,
        targetType: "ApiKey",
        targetId: row.id,
        requestId: ctx.requestId ?? null,
      },
    });
    return { key, id: row.id, prefix };
  }

  async revokeApiKey(ctx: ServiceContext, id: string): Promise<void> {
    requireAccount(ctx);
    const key = await this.db.apiKey.findUnique({ where: { id: parseInput("id", uuidSchema, id) } });
    if (!key) throw notFound("API key", id);
    await this.authz.assert(ctx, "cluster.manage", key.clusterId);
    await this.db.apiKey.update({ where: { id }, data: { revokedAt: this.now() } });
  }
}
