export type SlashingProtectionErrorCode =
  | "DOUBLE_BLOCK_PROPOSAL"
  | "DOUBLE_VOTE"
  | "SURROUNDING_VOTE"
  | "SURROUNDED_VOTE"
  | "SOURCE_EXCEEDS_TARGET"
  | "BELOW_LOW_WATERMARK"
  | "BELOW_HIGH_WATERMARK"
  | "INVALID_INPUT"
  | "INVALID_INTERCHANGE"
  | "GENESIS_VALIDATORS_ROOT_MISMATCH"
  | "DB_CLOSED";

/** Thrown whenever signing is refused or the slashing-protection data cannot be used as given. */
export class SlashingProtectionError extends Error {
  override readonly name = "SlashingProtectionError";
  constructor(
    readonly code: SlashingProtectionErrorCode,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}

/** Codes that mean "this message is (or may be) slashable; do not sign". */
export const SLASHABLE_CODES: ReadonlySet<SlashingProtectionErrorCode> = new Set([
  "DOUBLE_BLOCK_PROPOSAL",
  "DOUBLE_VOTE",
  "SURROUNDING_VOTE",
  "SURROUNDED_VOTE",
  "SOURCE_EXCEEDS_TARGET",
  "BELOW_LOW_WATERMARK",
  "BELOW_HIGH_WATERMARK",
]);
