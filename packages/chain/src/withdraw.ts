import type { Address } from "viem";
import { type SplitterClients, sendSplitterTx, type TxResult } from "./clients.ts";

export interface WithdrawParameters {
  splitter: Address;
  /** Pay the wallet account's credit to this address instead of to the account itself. */
  to?: Address;
}

/** Pulls the wallet account's whole credit (`withdraw` / `withdrawTo`). Reverts `NothingToWithdraw` when zero. */
export async function withdraw(clients: SplitterClients, p: WithdrawParameters): Promise<TxResult> {
  const account = clients.walletClient.account.address;
  return p.to
    ? sendSplitterTx(clients, p.splitter, "withdrawTo", [p.to], "withdrawTo", { account, to: p.to })
    : sendSplitterTx(clients, p.splitter, "withdraw", [], "withdraw", { account });
}

/** Pays `recipient` its whole credit, sent by anyone (`push`). */
export async function pushCredit(
  clients: SplitterClients,
  p: { splitter: Address; recipient: Address },
): Promise<TxResult> {
  return sendSplitterTx(clients, p.splitter, "push", [p.recipient], "push", { recipient: p.recipient });
}
