import type { Address, Hex } from "viem";
import { type SplitterClients, sendSplitterTx, type TxResult } from "./clients.ts";
import { ChainError } from "./errors.ts";
import { type Settlement, validateSettlement } from "./typedData.ts";

export interface SubmitSettlementParameters {
  splitter: Address;
  settlement: Settlement;
  /** ≥ threshold 65-byte EIP-712 signatures (settlementTypedData) of distinct current operators, any order. */
  signatures: readonly Hex[];
  /** Use `settleAndPush`: also pays every recipient (a rejecting recipient keeps its credit). */
  push?: boolean;
}

/**
 * Submits a threshold-approved settlement. Anyone may submit; the signatures carry the authority.
 * A revert is thrown as ChainError("REVERTED") with `revert.errorName`, e.g. `PeriodAlreadySettled`,
 * `InsufficientSignatures`, `NotOperator`, `DuplicateSigner`, `InsufficientUnallocated`.
 *
 * @example
 * const sigs = await Promise.all(approvers.map((a) => a.signTypedData(settlementTypedData({ splitter, chainId, ...s }))));
 * await submitSettlement(clients, { splitter, settlement: s, signatures: sigs });
 */
export async function submitSettlement(
  clients: SplitterClients,
  p: SubmitSettlementParameters,
): Promise<TxResult> {
  const operation = p.push ? "settleAndPush" : "settle";
  const s = p.settlement;
  const details = {
    periodId: s.periodId,
    total: s.total,
    recipients: s.recipients.length,
    signatures: p.signatures.length,
  };
  const invalid = validateSettlement(s);
  if (invalid) throw new ChainError("INVALID_INPUT", operation, invalid, { details });
  return sendSplitterTx(
    clients,
    p.splitter,
    operation,
    [s.periodId, s.recipients, s.amounts, s.total, p.signatures],
    operation,
    details,
  );
}
