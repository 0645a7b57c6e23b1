import { Counter, collectDefaultMetrics, Histogram, Registry } from "prom-client";

/** The API's Prometheus metrics (units in names; labels bounded). */
export function createApiMetrics(register = new Registry()) {
  collectDefaultMetrics({ register, prefix: "cohort_api_" });
  return {
    register,
    httpRequests: new Counter({
      name: "cohort_api_http_requests_total",
      help: "HTTP requests by route and status code.",
      labelNames: ["route", "method", "status"] as const,
      registers: [register],
    }),
    httpDuration: new Histogram({
      name: "cohort_api_http_request_duration_seconds",
      help: "HTTP request duration by route.",
      labelNames: ["route"] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [register],
    }),
    graphqlOperations: new Counter({
      name: "cohort_api_graphql_operations_total",
      help: "GraphQL operations by type and outcome (ok | error).",
      labelNames: ["type", "outcome"] as const,
      registers: [register],
    }),
    graphqlErrors: new Counter({
      name: "cohort_api_graphql_errors_total",
      help: "GraphQL errors by code.",
      labelNames: ["code"] as const,
      registers: [register],
    }),
  };
}

export type ApiMetrics = ReturnType<typeof createApiMetrics>;
