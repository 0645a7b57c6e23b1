/**
 * Every error a user or an agent can cause carries a stable `code` (for programs) and, for input
 * mistakes, the `field` it is about (for people). Transports map these to their own shapes
 * (GraphQL `extensions.code`, HTTP status); anything that is not a CohortError is a bug and is
 * reported as an internal error without its message.
 */
export type ErrorCode =
  | "BAD_USER_INPUT"
  | "UNAUTHENTICATED"
  | "FORBIDDEN"
  | "NOT_FOUND"
  | "CONFLICT"
  | "NONCE_UNKNOWN"
  | "NONCE_EXPIRED"
  | "NONCE_USED"
  | "SIWE_INVALID"
  | "SIGNATURE_INVALID"
  | "SESSION_EXPIRED"
  | "API_KEY_INVALID";

export class CohortError extends Error {
  override readonly name = "CohortError";
  readonly code: ErrorCode;
  /** Dotted path of the offending input field, e.g. `input.operators.2`. */
  readonly field: string | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options: { field?: string; details?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    // Messages about a field name it first, so a person reading only the message knows what to fix.
    super(
      options.field && !message.startsWith(`${options.field}:`) ? `${options.field}: ${message}` : message,
      {
        cause: options.cause,
      },
    );
    this.code = code;
    this.field = options.field;
    this.details = options.details;
  }
}

export const badInput = (field: string, message: string, details?: Record<string, unknown>) =>
  new CohortError("BAD_USER_INPUT", `${field}: ${message}`, { field, details });

export const notFound = (what: string, id: string) =>
  new CohortError("NOT_FOUND", `${what} ${id} not found`, { details: { what, id } });

export const forbidden = (message: string) => new CohortError("FORBIDDEN", message);

export const unauthenticated = (message = "sign in first") => new CohortError("UNAUTHENTICATED", message);

export const conflict = (message: string, field?: string) =>
  new CohortError("CONFLICT", message, field ? { field } : {});

export function isCohortError(error: unknown): error is CohortError {
  return error instanceof CohortError;
}
