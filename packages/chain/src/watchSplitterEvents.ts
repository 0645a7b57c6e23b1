import type { Address, Log } from "viem";
import { parseEventLogs } from "viem";
import type { SplitterPublicClient } from "./clients.ts";
import { cohortSplitterAbi } from "./generated/cohortSplitter.ts";

export type SplitterEventLog = ReturnType<typeof parseEventLogs<typeof cohortSplitterAbi>>[number];

export interface WatchSplitterEventsParameters {
  splitter: Address;
  onLogs: (logs: SplitterEventLog[]) => void;
  onError?: (error: Error) => void;
  /** Polling interval (HTTP transports), ms. */
  pollingInterval?: number;
}

/**
 * Calls `onLogs` with every decoded splitter event (Received, Settled, Credited, Withdrawn,
 * PushFailed, OperatorsChanged, Principal*). Returns the unwatch function.
 * Note: consensus-layer withdrawals and priority fees raise the balance without any event.
 */
export function watchSplitterEvents(
  client: SplitterPublicClient,
  p: WatchSplitterEventsParameters,
): () => void {
  return client.watchContractEvent({
    address: p.splitter,
    abi: cohortSplitterAbi,
    onLogs: (logs) => p.onLogs(logs as unknown as SplitterEventLog[]),
    onError: p.onError,
    pollingInterval: p.pollingInterval,
  });
}

/** Decodes the splitter events of a receipt's logs. */
export function parseSplitterLogs(logs: readonly Log[]): SplitterEventLog[] {
  return parseEventLogs({ abi: cohortSplitterAbi, logs: [...logs] });
}
