import type { ApolloServerPlugin } from "@apollo/server";
import { GraphQLError, type GraphQLSchema, type ValidationContext, type ValidationRule } from "graphql";
import depthLimit from "graphql-depth-limit";
import { fieldExtensionsEstimator, getComplexity, simpleEstimator } from "graphql-query-complexity";

/**
 * Query depth limit (graphql-depth-limit), its errors tagged QUERY_TOO_DEEP. The library reports
 * plain GraphQLErrors; a thin proxy over the validation context adds the code.
 */
export function depthRule(maxDepth: number): ValidationRule {
  const rule = depthLimit(maxDepth);
  return (context: ValidationContext) =>
    rule(
      new Proxy(context, {
        get(target, prop, receiver) {
          if (prop === "reportError") {
            return (e: GraphQLError) =>
              target.reportError(
                new GraphQLError(e.message, {
                  nodes: e.nodes ?? null,
                  extensions: { reason: "QUERY_TOO_DEEP", maxDepth },
                }),
              );
          }
          const value = Reflect.get(target, prop, receiver);
          return typeof value === "function" ? value.bind(target) : value;
        },
      }),
    );
}

/** Default cost of a list field: its children's cost times this. */
export const LIST_COST = 10;

/**
 * Query complexity (graphql-query-complexity) as an Apollo plugin, because it needs the request's
 * variables: each field costs 1, list fields multiply their children's cost (Pothos
 * `extensions.complexity`); over `max` is refused with QUERY_TOO_COMPLEX and HTTP 400.
 */
export function complexityPlugin(schema: GraphQLSchema, max: number): ApolloServerPlugin<object> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ request, document }) {
          let actual: number;
          try {
            actual = getComplexity({
              schema,
              query: document,
              variables: request.variables ?? {},
              ...(request.operationName ? { operationName: request.operationName } : {}),
              estimators: [fieldExtensionsEstimator(), simpleEstimator({ defaultComplexity: 1 })],
            });
          } catch (e) {
            // Variables that do not coerce: Apollo reports them next (BAD_USER_INPUT, HTTP 400).
            if (e instanceof GraphQLError) return;
            throw e;
          }
          if (actual > max) {
            throw new GraphQLError(`query complexity ${actual} exceeds the maximum of ${max}`, {
              extensions: { code: "QUERY_TOO_COMPLEX", maximum: max, actual, http: { status: 400 } },
            });
          }
        },
      };
    },
  };
}

/** Pothos field option for list fields. */
export const listComplexity = {
  complexity: ({ childComplexity }: { childComplexity: number }) => 1 + childComplexity * LIST_COST,
};
