import { BaseError, ContractFunctionRevertedError, type Hex } from "viem";

/**
 * Every failure this package reports is a {@link ChainError}: a stable `code`, the operation and
 * splitter it concerns, and — when the contract reverted with one of its custom errors — the
 * decoded error name and arguments (`revert`). The original viem error stays in `cause`.
 */
export type ChainErrorCode =
  /** The contract reverted; `revert` holds the decoded custom error when it is one of ours. */
  | "REVERTED"
  /** Arguments rejected before anything was sent (shape, lengths, totals). */
  | "INVALID_INPUT"
  /** The deployment transaction did not yield a contract. */
  | "DEPLOY_FAILED"
  /** Transport, node or signing failure (no revert data). */
  | "RPC_ERROR";

export interface DecodedRevert {
  /** Custom error name from the ABI, e.g. `PeriodAlreadySettled`, or `Error` / `Panic`. */
  errorName: string;
  args: readonly unknown[];
  /** Raw revert data, when the node returned it. */
  data?: Hex | undefined;
}

export class ChainError extends Error {
  override readonly name = "ChainError";
  readonly code: ChainErrorCode;
  readonly operation: string;
  readonly details: Record<string, unknown>;
  readonly revert: DecodedRevert | undefined;

  constructor(
    code: ChainErrorCode,
    operation: string,
    message: string,
    options: { details?: Record<string, unknown>; revert?: DecodedRevert; cause?: unknown } = {},
  ) {
    super(`${operation}: ${message}`, { cause: options.cause });
    this.code = code;
    this.operation = operation;
    this.details = options.details ?? {};
    this.revert = options.revert;
  }
}

/** Decodes the revert of a viem contract error (simulate / write / read), if there is one. */
export function decodeRevert(error: unknown): DecodedRevert | undefined {
  if (!(error instanceof BaseError)) return undefined;
  const reverted = error.walk((e) => e instanceof ContractFunctionRevertedError);
  if (!(reverted instanceof ContractFunctionRevertedError)) return undefined;
  if (reverted.data) {
    return { errorName: reverted.data.errorName, args: reverted.data.args ?? [], data: reverted.raw };
  }
  if (reverted.reason) return { errorName: "Error", args: [reverted.reason], data: reverted.raw };
  return { errorName: "Unknown", args: [], data: reverted.raw };
}

/** Re-wraps any error from viem with the operation's context and the decoded custom error. */
export function wrapChainError(
  error: unknown,
  operation: string,
  details: Record<string, unknown> = {},
): ChainError {
  if (error instanceof ChainError) return error;
  const revert = decodeRevert(error);
  if (revert) {
    const args = revert.args.map((a) => (typeof a === "bigint" ? a.toString() : String(a))).join(", ");
    return new ChainError("REVERTED", operation, `reverted with ${revert.errorName}(${args})`, {
      details,
      revert,
      cause: error,
    });
  }
  const short =
    error instanceof BaseError ? error.shortMessage : error instanceof Error ? error.message : String(error);
  return new ChainError("RPC_ERROR", operation, short, { details, cause: error });
}
