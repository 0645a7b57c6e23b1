/** Stable codes of the duty workflow's errors (logs, tracker reasons and tests match on them). */
export type CoreErrorCode =
  | "BEACON_API"
  | "DUTYDB_CONFLICT"
  | "SLASHING_REFUSED"
  | "UNKNOWN_VALIDATOR"
  | "INVALID_UNSIGNED_DATA"
  | "AGGREGATION_FAILED"
  /** aggregator / sync_contribution: the prepare duty's combined selection proof never came. */
  | "NO_SELECTION_PROOF"
  /** sync_contribution: the cluster's own sync message (its block root) never came. */
  | "NO_SYNC_MESSAGE"
  /** aggregator / sync_contribution: the beacon node has no aggregate / contribution to offer. */
  | "NO_AGGREGATE"
  /** aggregator: the cluster's own attestation (its data) never came. */
  | "NO_ATTESTATION"
  /** bcast: the signed message is ready after the network stopped accepting it (e.g. a late sync contribution). */
  | "TOO_LATE";

/** One error class with a stable `code` and structured details (never secret material). */
export class CoreError extends Error {
  override readonly name = "CoreError";
  constructor(
    readonly code: CoreErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export const isCoreError = (e: unknown, code?: CoreErrorCode): e is CoreError =>
  e instanceof CoreError && (code === undefined || e.code === code);
