export type RewardsErrorCode =
  | "ERR_INVALID_POLICY"
  | "ERR_INVALID_MEMBERS"
  | "ERR_INVALID_PARTICIPATION"
  | "ERR_DUPLICATE_DUTY"
  | "ERR_INVALID_AMOUNT";

/** Every error of this package: a stable `code`, a message naming the offending field or record. */
export class RewardsError extends Error {
  override readonly name = "RewardsError";
  constructor(
    readonly code: RewardsErrorCode,
    message: string,
  ) {
    super(message);
  }
}
