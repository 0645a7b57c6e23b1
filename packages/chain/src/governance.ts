import type { Address, Hex } from "viem";
import { type SplitterClients, sendSplitterTx, type TxResult } from "./clients.ts";
import type { OperatorEntry } from "./typedData.ts";

/** Earmarks `amount` of unallocated ETH as returned stake of exit `exitId` (threshold-signed ReservePrincipal). */
export async function reservePrincipal(
  clients: SplitterClients,
  p: { splitter: Address; exitId: Hex; amount: bigint; signatures: readonly Hex[] },
): Promise<TxResult> {
  return sendSplitterTx(
    clients,
    p.splitter,
    "reservePrincipal",
    [p.exitId, p.amount, p.signatures],
    "reservePrincipal",
    {
      exitId: p.exitId,
      amount: p.amount,
    },
  );
}

/** The principal recipient claims unallocated ETH as principal (0 = as much as allowed) and is paid. */
export async function claimPrincipal(
  clients: SplitterClients,
  p: { splitter: Address; amount?: bigint },
): Promise<TxResult> {
  const amount = p.amount ?? 0n;
  return sendSplitterTx(clients, p.splitter, "claimPrincipal", [amount], "claimPrincipal", { amount });
}

/** Replaces the operator set (threshold-signed ChangeOperators over the current nonce). */
export async function changeOperators(
  clients: SplitterClients,
  p: {
    splitter: Address;
    operators: readonly OperatorEntry[];
    threshold: bigint;
    nonce: bigint;
    signatures: readonly Hex[];
  },
): Promise<TxResult> {
  return sendSplitterTx(
    clients,
    p.splitter,
    "changeOperators",
    [p.operators, p.threshold, p.nonce, p.signatures],
    "changeOperators",
    { operators: p.operators.length, threshold: p.threshold, nonce: p.nonce },
  );
}
