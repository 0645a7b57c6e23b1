/**
 * Machine-readable failure categories. The `field` of a {@link ClusterError} says where; the code says
 * what kind of problem it is.
 */
export type ClusterErrorCode =
  | "invalid_json"
  | "unsupported_version"
  | "invalid_field"
  | "hash_mismatch"
  | "count_mismatch"
  | "missing_signature"
  | "invalid_signature"
  | "unsupported_network"
  | "invalid_enr"
  | "duplicate"
  | "invalid_public_key"
  | "invalid_share"
  | "invalid_deposit"
  | "invalid_registration";

/**
 * The one error type this package throws for bad input. `field` is a JSON path into the cluster file
 * (`cluster_definition.operators[2].config_signature`, `distributed_validators[0].public_shares[1]`,
 * `lock_hash`, or empty when the whole document is at fault) and `message` always starts with it.
 */
export class ClusterError extends Error {
  override readonly name = "ClusterError";
  readonly code: ClusterErrorCode;
  readonly field: string;
  /** The message without the field prefix. */
  readonly reason: string;

  constructor(code: ClusterErrorCode, field: string, reason: string, options?: { cause?: unknown }) {
    super(field ? `${field}: ${reason}` : reason, options);
    this.code = code;
    this.field = field;
    this.reason = reason;
  }

  /** The same error reported against `prefix.field` (used when a definition is checked inside a lock). */
  withPrefix(prefix: string): ClusterError {
    const field = this.field ? `${prefix}.${this.field}` : prefix;
    return new ClusterError(this.code, field, this.reason, { cause: this.cause });
  }
}

export const fail = (code: ClusterErrorCode, field: string, reason: string, cause?: unknown): never => {
  throw new ClusterError(code, field, reason, cause === undefined ? undefined : { cause });
};

/** Joins JSON path segments: `join("a", "b")` → `a.b`, `join("", "b")` → `b`. */
export const joinField = (prefix: string, name: string) => (prefix ? `${prefix}.${name}` : name);
