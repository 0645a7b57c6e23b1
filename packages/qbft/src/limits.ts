/**
 * Amplification limits applied to an incoming consensus message before any per-element work
 * (Charon's `verifyMsgLimits` and `maxConsensusMsgSize`).
 */

/** Maximum wire size of a consensus message: 32 MiB. */
export const MAX_CONSENSUS_MSG_SIZE = 32 * 1024 * 1024;

export type LimitReason = "too_many_justifications" | "too_many_values" | "msg_too_large";

export interface LimitCheckInput {
  /** Cluster size; required to check the counts. */
  nodes?: number;
  justificationCount?: number;
  valueCount?: number;
  wireSizeBytes?: number;
}

export interface LimitCheckResult {
  accepted: boolean;
  reason: LimitReason | null;
}

/** At most two justifications per node (a quorum of ROUND-CHANGEs plus a quorum of PREPAREs). */
export function maxJustifications(nodes: number): number {
  return 2 * nodes;
}

/** At most two values (value and prepared value) per message, the outer one included. */
export function maxValues(justificationCount: number): number {
  return 2 * (justificationCount + 1);
}

/**
 * Checks the limits in a fixed precedence: wire size (it is known before decoding), then the
 * justification count, then the value count (whose limit depends on the justification count).
 */
export function checkMessageLimits(msg: LimitCheckInput): LimitCheckResult {
  if (msg.wireSizeBytes !== undefined && msg.wireSizeBytes > MAX_CONSENSUS_MSG_SIZE) {
    return { accepted: false, reason: "msg_too_large" };
  }
  const justifications = msg.justificationCount ?? 0;
  if (msg.justificationCount !== undefined || msg.valueCount !== undefined) {
    if (msg.nodes === undefined) throw new Error("nodes is required to check message counts");
    if (justifications > maxJustifications(msg.nodes)) {
      return { accepted: false, reason: "too_many_justifications" };
    }
    if ((msg.valueCount ?? 0) > maxValues(justifications)) {
      return { accepted: false, reason: "too_many_values" };
    }
  }
  return { accepted: true, reason: null };
}
