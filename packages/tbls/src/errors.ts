/**
 * Stable error codes of the tbls facade. The code is the contract (callers branch on it, logs index
 * it); the message wording is not.
 */
export const TBLS_ERROR_CODES = [
  /** Bytes are not a valid public key: wrong length, bad encoding, off-curve, outside G1, or infinity. */
  "INVALID_PUBLIC_KEY",
  /** Bytes are not a valid signature: wrong length, bad encoding, off-curve or outside G2. */
  "INVALID_SIGNATURE",
  /** Bytes are not a valid secret key: not 32 bytes, or not a scalar in [1, r−1] (big-endian). */
  "INVALID_SECRET_KEY",
  /** A message is not a `Uint8Array`. */
  "INVALID_MESSAGE",
  /** A list that must be non-empty is empty (aggregation of nothing). */
  "EMPTY_INPUT",
  /** Fewer shares than the threshold (or none at all) were supplied. */
  "INSUFFICIENT_SHARES",
  /** The same share index appears twice. */
  "DUPLICATE_SHARE_INDEX",
  /** A share index is not an integer in [1, 2^31 − 1] (0 is the secret itself, never a share). */
  "INVALID_SHARE_INDEX",
  /** Threshold/total are not integers with 1 ≤ t ≤ n ≤ 2^31 − 1. */
  "INVALID_THRESHOLD",
  /** The seed of the insecure deterministic split is not a non-empty `Uint8Array`. */
  "INVALID_SEED",
  /** The herumi WebAssembly module could not be initialised. */
  "INIT_FAILED",
  /** Lagrange interpolation failed inside herumi although every input had been validated. */
  "RECOVERY_FAILED",
] as const;

/** One of {@link TBLS_ERROR_CODES}. */
export type TblsErrorCode = (typeof TBLS_ERROR_CODES)[number];

/** Options of {@link TblsError}: structured, non-secret context and the underlying error. */
export interface TblsErrorOptions {
  /** Structured context (indices, lengths). Never put secret material here. */
  details?: Readonly<Record<string, unknown>>;
  /** The low-level error this one wraps (blst, herumi). */
  cause?: unknown;
}

/**
 * The only error type the facade throws on bad input. Branch on {@link TblsError.code}.
 *
 * @example
 * try { sign(sk, msg) } catch (e) { if (isTblsError(e, "INVALID_SECRET_KEY")) ... }
 */
export class TblsError extends Error {
  override readonly name = "TblsError";
  /** Stable, machine-readable reason. */
  readonly code: TblsErrorCode;
  /** Structured, non-secret context. */
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: TblsErrorCode, message: string, options: TblsErrorOptions = {}) {
    super(`${code}: ${message}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details ?? {};
  }
}

/** True iff `error` is a {@link TblsError} (with the given `code`, if one is passed). */
export function isTblsError(error: unknown, code?: TblsErrorCode): error is TblsError {
  return error instanceof TblsError && (code === undefined || error.code === code);
}
