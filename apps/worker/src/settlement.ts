import { createSettlementChain } from "@cohort/chain";
import type { SettlementOptions } from "@cohort/domain";
import type { Logger } from "@cohort/logger";
import { z } from "zod";

/** Settlement configuration shared by the worker and the API's inline worker (README, configuration). */
export const settlementEnvShape = {
  /** JSON-RPC endpoint of the chain the clusters' splitters live on. Unset: settlements are not drafted or submitted. */
  CHAIN_RPC_URL: z.url().optional(),
  /** 0x private key of the account that pays gas for submissions (no authority: the operators' signatures carry it). */
  CHAIN_SUBMITTER_KEY: z
    .string()
    .regex(/^0x[0-9a-fA-F]{64}$/, "must be a 0x-prefixed 32-byte hex private key")
    .optional(),
  /** Confirmations before a settlement counts as CONFIRMED. */
  CHAIN_CONFIRMATIONS: z.coerce.number().int().min(1).max(1000).default(1),
  /** How often to look for finished settlement periods (ms; 0 = never). */
  SETTLEMENT_TICK_MS: z.coerce.number().int().min(0).default(30_000),
};

/** Connects to the settlement chain when configured (a wrong URL fails the start, loudly). */
export async function settlementOptionsFromEnv(
  env: {
    CHAIN_RPC_URL?: string | undefined;
    CHAIN_SUBMITTER_KEY?: string | undefined;
    CHAIN_CONFIRMATIONS: number;
  },
  logger: Logger,
): Promise<SettlementOptions> {
  if (!env.CHAIN_RPC_URL) return { confirmations: env.CHAIN_CONFIRMATIONS };
  if (!env.CHAIN_SUBMITTER_KEY) throw new Error("CHAIN_RPC_URL is set but CHAIN_SUBMITTER_KEY is not");
  const chain = await createSettlementChain({
    rpcUrl: env.CHAIN_RPC_URL,
    submitterKey: env.CHAIN_SUBMITTER_KEY as `0x${string}`,
  });
  logger.info({ chainId: chain.chainId }, "settlement chain connected");
  return { chain, confirmations: env.CHAIN_CONFIRMATIONS };
}
