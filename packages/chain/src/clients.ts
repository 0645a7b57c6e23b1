import type {
  Account,
  Address,
  Chain,
  Hash,
  PublicClient,
  TransactionReceipt,
  Transport,
  WalletClient,
} from "viem";
import { ChainError, wrapChainError } from "./errors.ts";
import { cohortSplitterAbi } from "./generated/cohortSplitter.ts";

export type SplitterWalletClient = WalletClient<Transport, Chain, Account>;
export type SplitterPublicClient = PublicClient<Transport, Chain>;

export interface SplitterClients {
  publicClient: SplitterPublicClient;
  walletClient: SplitterWalletClient;
}

export interface TxResult {
  hash: Hash;
  receipt: TransactionReceipt;
  gasUsed: bigint;
}

type SplitterFunction = Extract<
  (typeof cohortSplitterAbi)[number],
  { type: "function"; stateMutability: "nonpayable" | "payable" }
>["name"];

/**
 * Simulates (so a revert comes back decoded), sends and waits for one splitter call; every
 * failure becomes a ChainError carrying `operation` and `details`.
 */
export async function sendSplitterTx(
  { publicClient, walletClient }: SplitterClients,
  splitter: Address,
  functionName: SplitterFunction,
  args: readonly unknown[],
  operation: string,
  details: Record<string, unknown> = {},
): Promise<TxResult> {
  const ctx = { splitter, ...details };
  let hash: Hash;
  try {
    const { request } = await publicClient.simulateContract({
      account: walletClient.account,
      address: splitter,
      abi: cohortSplitterAbi,
      functionName,
      // biome-ignore lint/suspicious/noExplicitAny: args are checked by the typed wrappers
      args: args as any,
    });
    // biome-ignore lint/suspicious/noExplicitAny: request comes from simulateContract above
    hash = await walletClient.writeContract(request as any);
  } catch (error) {
    throw wrapChainError(error, operation, ctx);
  }
  let receipt: TransactionReceipt;
  try {
    receipt = await publicClient.waitForTransactionReceipt({ hash });
  } catch (error) {
    throw wrapChainError(error, operation, { ...ctx, hash });
  }
  if (receipt.status !== "success") {
    throw new ChainError("REVERTED", operation, `transaction ${hash} reverted on-chain`, {
      details: { ...ctx, hash, blockNumber: receipt.blockNumber },
    });
  }
  return { hash, receipt, gasUsed: receipt.gasUsed };
}
