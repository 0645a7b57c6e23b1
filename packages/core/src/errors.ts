/** Stable codes of the duty workflow's errors (logs, tracker reasons and tests match on them). */
export type CoreErrorCode =
  | "BEACON_API"
  | "DUTYDB_CONFLICT"
  | "SLASHING_REFUSED"
  | "UNKNOWN_VALIDATOR"
  | "INVALID_UNSIGNED_DATA"
  | "AGGREGATION_FAILED";

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
