import { unwrapResolverError } from "@apollo/server/errors";
import { type CohortError, isCohortError } from "@cohort/domain";
import type { GraphQLFormattedError } from "graphql";
import { GraphQLError } from "graphql";

/** Codes the API's own validation rules attach (Apollo rewrites validation codes; see formatError). */
export const LIMIT_CODES = ["QUERY_TOO_DEEP"] as const;

/** HTTP status per domain error code, for errors raised outside GraphQL execution (auth headers). */
export const httpStatus = (code: string) =>
  code === "UNAUTHENTICATED" || code === "API_KEY_INVALID" || code === "SESSION_EXPIRED"
    ? 401
    : code === "FORBIDDEN"
      ? 403
      : 400;

export function toGraphQLError(error: CohortError): GraphQLError {
  return new GraphQLError(error.message, {
    extensions: {
      code: error.code,
      ...(error.field ? { field: error.field } : {}),
      ...(error.details ? { details: error.details } : {}),
    },
  });
}

/**
 * Shapes every error the client sees: domain errors keep their code and field; the API's limit
 * rules get their own codes; anything unexpected becomes INTERNAL_SERVER_ERROR without its message
 * (it is logged with the request id instead).
 */
export function formatError(
  formatted: GraphQLFormattedError,
  error: unknown,
  onInternal: (error: unknown) => void,
): GraphQLFormattedError {
  const original = unwrapResolverError(error);
  if (isCohortError(original)) {
    return { ...formatted, message: original.message, extensions: toGraphQLError(original).extensions };
  }
  const reason = formatted.extensions?.reason;
  if (typeof reason === "string" && (LIMIT_CODES as readonly string[]).includes(reason)) {
    const { reason: _drop, ...rest } = formatted.extensions ?? {};
    return { ...formatted, extensions: { ...rest, code: reason } };
  }
  if (formatted.extensions?.code === "INTERNAL_SERVER_ERROR") {
    onInternal(original);
    return {
      message: "internal error",
      ...(formatted.path ? { path: formatted.path } : {}),
      extensions: { code: "INTERNAL_SERVER_ERROR" },
    };
  }
  return formatted;
}
