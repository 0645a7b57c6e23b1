import {
  type Address,
  createPublicClient,
  createWalletClient,
  defineChain,
  type Hex,
  http,
  parseEventLogs,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import type { SplitterClients } from "./clients.ts";
import { wrapChainError } from "./errors.ts";
import { cohortSplitterAbi } from "./generated/cohortSplitter.ts";
import { isPeriodSettled } from "./readSplitter.ts";
import { submitSettlement } from "./submitSettlement.ts";
import type { Settlement } from "./typedData.ts";

/** A transaction that applied a settlement. */
export interface SettlementTx {
  hash: Hex;
  blockNumber: bigint;
}

/**
 * What the portal's settlement jobs need from a chain: read what a splitter may allocate, submit an
 * approved settlement, find one already applied (a crash after sending, or someone else submitted),
 * and count confirmations. One RPC endpoint and one gas-paying key (it carries no authority: the
 * operators' signatures do).
 */
export interface SettlementChain {
  readonly chainId: number;
  /** `unallocated()` of the splitter and the block it was read at. */
  unallocated(splitter: Address): Promise<{ wei: bigint; blockNumber: bigint }>;
  isSettled(splitter: Address, periodId: bigint): Promise<boolean>;
  submit(splitter: Address, settlement: Settlement, signatures: readonly Hex[]): Promise<SettlementTx>;
  /** The transaction whose `Settled(periodId)` event is on chain, or null. */
  findSettled(splitter: Address, periodId: bigint): Promise<SettlementTx | null>;
  /** head − block + 1 for a mined transaction, or null when it is not (or no longer) in the chain. */
  confirmations(hash: Hex): Promise<number | null>;
}

export interface CreateSettlementChainParameters {
  rpcUrl: string;
  /** 0x-prefixed secp256k1 key of the account that pays gas for submissions. */
  submitterKey: Hex;
  /** Receipt polling interval (ms); viem's default is 4 s, too slow for a devnet. */
  pollingIntervalMs?: number;
}

/**
 * A {@link SettlementChain} over one JSON-RPC endpoint (checks the endpoint answers and learns its
 * chain id first).
 *
 * @example
 * const chain = await createSettlementChain({ rpcUrl: "http://127.0.0.1:8545", submitterKey });
 * await chain.submit(splitter, settlement, signatures);
 */
export async function createSettlementChain(p: CreateSettlementChainParameters): Promise<SettlementChain> {
  const transport = http(p.rpcUrl, { retryCount: 2, timeout: 20_000 });
  const probe = createPublicClient({ transport });
  let chainId: number;
  try {
    chainId = await probe.getChainId();
  } catch (error) {
    throw wrapChainError(error, "createSettlementChain", { rpcUrl: p.rpcUrl });
  }
  const chain = defineChain({
    id: chainId,
    name: `chain ${chainId}`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [p.rpcUrl] } },
  });
  const pollingInterval = p.pollingIntervalMs ?? 1_000;
  const clients: SplitterClients = {
    publicClient: createPublicClient({ chain, transport, pollingInterval }),
    walletClient: createWalletClient({
      chain,
      transport,
      account: privateKeyToAccount(p.submitterKey),
      pollingInterval,
    }),
  };
  const { publicClient } = clients;
  return {
    chainId,
    async unallocated(splitter) {
      try {
        const blockNumber = await publicClient.getBlockNumber({ cacheTime: 0 });
        const wei = await publicClient.readContract({
          address: splitter,
          abi: cohortSplitterAbi,
          functionName: "unallocated",
          blockNumber,
        });
        return { wei, blockNumber };
      } catch (error) {
        throw wrapChainError(error, "unallocated", { splitter });
      }
    },
    isSettled: (splitter, periodId) => isPeriodSettled(publicClient, splitter, periodId),
    async submit(splitter, settlement, signatures) {
      const { hash, receipt } = await submitSettlement(clients, { splitter, settlement, signatures });
      return { hash, blockNumber: receipt.blockNumber };
    },
    async findSettled(splitter, periodId) {
      try {
        const logs = await publicClient.getLogs({
          address: splitter,
          event: cohortSplitterAbi.find(
            (e): e is Extract<(typeof cohortSplitterAbi)[number], { type: "event"; name: "Settled" }> =>
              e.type === "event" && e.name === "Settled",
          )!,
          args: { periodId },
          fromBlock: 0n,
          toBlock: "latest",
        });
        const log = parseEventLogs({ abi: cohortSplitterAbi, logs, eventName: "Settled" })[0];
        return log ? { hash: log.transactionHash, blockNumber: log.blockNumber } : null;
      } catch (error) {
        throw wrapChainError(error, "findSettled", { splitter, periodId });
      }
    },
    async confirmations(hash) {
      try {
        const receipt = await publicClient.getTransactionReceipt({ hash }).catch(() => null);
        if (!receipt) return null;
        const head = await publicClient.getBlockNumber({ cacheTime: 0 });
        return Number(head - receipt.blockNumber + 1n);
      } catch (error) {
        throw wrapChainError(error, "confirmations", { hash });
      }
    },
  };
}
