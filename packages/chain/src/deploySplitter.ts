import type { Address } from "viem";
import type { SplitterClients, TxResult } from "./clients.ts";
import { ChainError, wrapChainError } from "./errors.ts";
import { cohortSplitterAbi, cohortSplitterBytecode } from "./generated/cohortSplitter.ts";
import type { OperatorEntry } from "./typedData.ts";

export interface DeploySplitterParameters {
  /** Ordered operator set: signing key and payout address of each member. */
  operators: readonly OperatorEntry[];
  /** Signatures needed (a majority: 2t > n, t ≤ n). */
  threshold: bigint;
  /** Receives returned stake; immutable. */
  principalRecipient: Address;
  /** Principal initially owed to `principalRecipient` (e.g. 32 ETH × validators), wei. */
  principal: bigint;
}

export interface DeploySplitterReturnType extends TxResult {
  address: Address;
}

/**
 * Deploys a CohortSplitter.
 *
 * @example
 * const { address } = await deploySplitter({ publicClient, walletClient }, {
 *   operators, threshold: 3n, principalRecipient: staker, principal: parseEther("32"),
 * });
 */
export async function deploySplitter(
  clients: SplitterClients,
  p: DeploySplitterParameters,
): Promise<DeploySplitterReturnType> {
  const operation = "deploySplitter";
  const details = { operators: p.operators.length, threshold: p.threshold };
  const n = BigInt(p.operators.length);
  if (n === 0n || p.threshold === 0n || p.threshold > n || 2n * p.threshold <= n) {
    throw new ChainError("INVALID_INPUT", operation, `threshold ${p.threshold} of ${n} is not a majority`, {
      details,
    });
  }
  try {
    const hash = await clients.walletClient.deployContract({
      abi: cohortSplitterAbi,
      bytecode: cohortSplitterBytecode,
      args: [
        p.operators.map((o) => ({ signer: o.signer, payout: o.payout })),
        p.threshold,
        p.principalRecipient,
        p.principal,
      ],
    });
    const receipt = await clients.publicClient.waitForTransactionReceipt({ hash });
    if (receipt.status !== "success" || !receipt.contractAddress) {
      throw new ChainError("DEPLOY_FAILED", operation, `deployment ${hash} did not create a contract`, {
        details: { ...details, hash },
      });
    }
    return { address: receipt.contractAddress, hash, receipt, gasUsed: receipt.gasUsed };
  } catch (error) {
    throw wrapChainError(error, operation, details);
  }
}
