import type { Address } from "viem";
import type { SplitterPublicClient } from "./clients.ts";
import { wrapChainError } from "./errors.ts";
import { cohortSplitterAbi } from "./generated/cohortSplitter.ts";
import type { OperatorEntry } from "./typedData.ts";

export interface SplitterState {
  address: Address;
  balance: bigint;
  /** balance − totalCredits − reservedPrincipal: what the next settlement may allocate. */
  unallocated: bigint;
  totalCredits: bigint;
  reservedPrincipal: bigint;
  principalOutstanding: bigint;
  principalRecipient: Address;
  operators: readonly OperatorEntry[];
  threshold: bigint;
  /** The nonce the next `changeOperators` must sign. */
  operatorsNonce: bigint;
}

/** Reads the splitter's whole state at one block (plain reads pinned to one block number; no multicall needed). */
export async function readSplitterState(
  client: SplitterPublicClient,
  splitter: Address,
): Promise<SplitterState> {
  try {
    const blockNumber = await client.getBlockNumber({ cacheTime: 0 });
    const read = <F extends Parameters<typeof client.readContract>[0]["functionName"]>(functionName: F) =>
      // biome-ignore lint/suspicious/noExplicitAny: generic helper over the typed ABI
      client.readContract({ address: splitter, abi: cohortSplitterAbi, functionName, blockNumber } as any);
    const [
      balance,
      unallocated,
      totalCredits,
      reservedPrincipal,
      principalOutstanding,
      principalRecipient,
      operators,
      threshold,
      operatorsNonce,
    ] = await Promise.all([
      client.getBalance({ address: splitter, blockNumber }),
      read("unallocated"),
      read("totalCredits"),
      read("reservedPrincipal"),
      read("principalOutstanding"),
      read("principalRecipient"),
      read("operators"),
      read("threshold"),
      read("operatorsNonce"),
    ]);
    return {
      address: splitter,
      balance,
      unallocated: unallocated as bigint,
      totalCredits: totalCredits as bigint,
      reservedPrincipal: reservedPrincipal as bigint,
      principalOutstanding: principalOutstanding as bigint,
      principalRecipient: principalRecipient as Address,
      operators: operators as readonly OperatorEntry[],
      threshold: threshold as bigint,
      operatorsNonce: operatorsNonce as bigint,
    };
  } catch (error) {
    throw wrapChainError(error, "readSplitterState", { splitter });
  }
}

/** Unwithdrawn credit of `account` (wei). */
export async function readCredit(
  client: SplitterPublicClient,
  splitter: Address,
  account: Address,
): Promise<bigint> {
  try {
    return await client.readContract({
      address: splitter,
      abi: cohortSplitterAbi,
      functionName: "credits",
      args: [account],
    });
  } catch (error) {
    throw wrapChainError(error, "readCredit", { splitter, account });
  }
}

/** Whether the settlement of `periodId` has been applied. */
export async function isPeriodSettled(
  client: SplitterPublicClient,
  splitter: Address,
  periodId: bigint,
): Promise<boolean> {
  try {
    return await client.readContract({
      address: splitter,
      abi: cohortSplitterAbi,
      functionName: "periodSettled",
      args: [periodId],
    });
  } catch (error) {
    throw wrapChainError(error, "isPeriodSettled", { splitter, periodId });
  }
}
