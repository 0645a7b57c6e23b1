/**
 * Every failure this package reports on purpose is an {@link EthError} with a stable `code` (for
 * programs) and structured `details` (for logs). Messages never contain secret keys or passwords.
 */
export type EthErrorCode =
  /** A hex string is malformed or has the wrong byte length. */
  | "INVALID_HEX"
  /** An argument is out of range or of the wrong shape. */
  | "INVALID_INPUT"
  /** No built-in network has this name. */
  | "UNKNOWN_NETWORK"
  /** No built-in network has this genesis fork version. */
  | "UNKNOWN_FORK_VERSION"
  /** A network config is inconsistent (fork order, versions, genesis values). */
  | "INVALID_NETWORK_CONFIG"
  /** The network has no fork scheduled that the operation needs (e.g. no Capella version). */
  | "FORK_NOT_SCHEDULED"
  /** Beacon-API JSON could not be read into an SSZ value. */
  | "INVALID_JSON"
  /** An SSZ value does not fit its type (e.g. a Deneb block passed where the schedule says Electra). */
  | "SSZ_ERROR"
  /** A deposit amount is not a whole number of Gwei within the allowed range. */
  | "INVALID_AMOUNT"
  /** An execution address is malformed or fails its EIP-55 checksum. */
  | "INVALID_ADDRESS"
  /** Withdrawal credentials are malformed or of an unsupported type. */
  | "INVALID_WITHDRAWAL_CREDENTIALS"
  /** A BLS signature does not verify (as reported by the caller's verify function). */
  | "INVALID_SIGNATURE"
  /** A deposit-data entry's roots or fork version do not match its contents. */
  | "DEPOSIT_DATA_MISMATCH"
  | "KEYSTORE_NOT_FOUND"
  | "KEYSTORE_EXISTS"
  | "KEYSTORE_INVALID"
  | "KEYSTORE_PASSWORD_INVALID"
  | "KEYSTORE_PUBKEY_MISMATCH"
  | "KEYSTORE_WORKER_FAILED";

export class EthError extends Error {
  override readonly name = "EthError";
  readonly code: EthErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(
    code: EthErrorCode,
    message: string,
    options: { details?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.code = code;
    this.details = options.details;
  }
}

/**
 * @example
 * try { networkByName("goerli") } catch (e) { if (isEthError(e) && e.code === "UNKNOWN_NETWORK") ... }
 */
export function isEthError(error: unknown): error is EthError {
  return error instanceof EthError;
}
