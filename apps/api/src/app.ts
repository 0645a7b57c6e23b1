import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { ApolloServer, HeaderMap } from "@apollo/server";
import type { Db } from "@cohort/db";
import { type Actor, isCohortError, type Services } from "@cohort/domain";
import type { Logger } from "@cohort/logger";
import { createContext, type GraphQLContext } from "./context";
import { formatError, httpStatus } from "./errors";
import { complexityPlugin, depthRule } from "./limits";
import { type ApiMetrics, createApiMetrics } from "./metrics";
import { schema } from "./schema";

export interface ApiOptions {
  db: Db;
  services: Services;
  logger: Logger;
  /** Readiness checks beyond the database (e.g. the queue backend). */
  readinessChecks?: Record<string, () => Promise<void>>;
  maxDepth?: number;
  maxComplexity?: number;
  /** Largest accepted request body. */
  maxBodyBytes?: number;
  metrics?: ApiMetrics;
}

export interface Api {
  server: Server;
  metrics: ApiMetrics;
  listen(port: number, host?: string): Promise<{ url: string; port: number }>;
  close(): Promise<void>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const sendJson = (
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) => {
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", ...headers });
  res.end(JSON.stringify(body));
};

async function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new HttpError(413, "PAYLOAD_TOO_LARGE", `request body exceeds ${limit} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/**
 * The portal API: GraphQL at /graphql (Apollo Server over plain node:http), liveness at /healthz,
 * readiness at /readyz, Prometheus metrics at /metrics. Every request gets an id (x-request-id,
 * echoed back) that appears on every log line it causes.
 */
export async function createApi(options: ApiOptions): Promise<Api> {
  const { db, services, logger } = options;
  const metrics = options.metrics ?? createApiMetrics();
  const maxBody = options.maxBodyBytes ?? 1_000_000;

  const apollo = new ApolloServer<GraphQLContext>({
    schema,
    introspection: true,
    includeStacktraceInErrorResponses: false,
    // The process owner (main.ts, tests) decides when to stop; Apollo must not race it on SIGTERM.
    stopOnTerminationSignals: false,
    validationRules: [depthRule(options.maxDepth ?? 10)],
    plugins: [
      complexityPlugin(schema, options.maxComplexity ?? 5000),
      {
        async requestDidStart() {
          return {
            async willSendResponse({ response, operation, contextValue }) {
              const errors = response.body.kind === "single" ? response.body.singleResult.errors : undefined;
              metrics.graphqlOperations.inc({
                type: operation?.operation ?? "unknown",
                outcome: errors?.length ? "error" : "ok",
              });
              for (const e of errors ?? []) {
                metrics.graphqlErrors.inc({ code: String(e.extensions?.code ?? "UNKNOWN") });
              }
              if (errors?.length) {
                contextValue.logger?.info(
                  { errors: errors.map((e) => e.extensions?.code) },
                  "graphql errors",
                );
              }
            },
          };
        },
      },
    ],
    formatError: (formatted, error) =>
      formatError(formatted, error, (internal) =>
        logger.error({ err: internal }, "internal error in resolver"),
      ),
  });
  await apollo.start();

  const readiness: Record<string, () => Promise<void>> = {
    database: async () => {
      await db.$queryRaw`SELECT 1`;
    },
    ...options.readinessChecks,
  };

  async function handleGraphQL(req: IncomingMessage, res: ServerResponse, requestId: string, log: Logger) {
    let actor: Actor;
    try {
      actor = await services.auth.authenticate(req.headers.authorization);
    } catch (e) {
      if (!isCohortError(e)) throw e;
      const status = httpStatus(e.code);
      return sendJson(res, status, { errors: [{ message: e.message, extensions: { code: e.code } }] });
    }
    const url = new URL(req.url ?? "/", "http://localhost");
    const headers = new HeaderMap();
    for (const [k, v] of Object.entries(req.headers)) {
      if (v !== undefined) headers.set(k, Array.isArray(v) ? v.join(", ") : v);
    }
    let body: unknown;
    if (req.method === "POST") {
      const raw = await readBody(req, maxBody);
      try {
        body = raw ? JSON.parse(raw) : {};
      } catch {
        throw new HttpError(400, "BAD_REQUEST", "request body is not valid JSON");
      }
    }
    const result = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: req.method ?? "GET", headers, search: url.search, body },
      context: async () => createContext({ db, services, logger: log, actor, requestId }),
    });
    const outHeaders: Record<string, string> = {};
    for (const [k, v] of result.headers) outHeaders[k] = v;
    res.writeHead(result.status ?? 200, outHeaders);
    if (result.body.kind === "complete") {
      res.end(result.body.string);
    } else {
      for await (const chunk of result.body.asyncIterator) res.write(chunk);
      res.end();
    }
  }

  async function handleReady(res: ServerResponse) {
    const checks: Record<string, string> = {};
    await Promise.all(
      Object.entries(readiness).map(async ([name, check]) => {
        try {
          await Promise.race([
            check(),
            new Promise((_, reject) =>
              setTimeout(() => reject(new Error("timed out after 2 s")), 2000).unref(),
            ),
          ]);
          checks[name] = "ok";
        } catch (e) {
          checks[name] = `error: ${(e as Error).message}`;
        }
      }),
    );
    const ok = Object.values(checks).every((c) => c === "ok");
    sendJson(res, ok ? 200 : 503, { status: ok ? "ready" : "not_ready", checks });
  }

  const server = createServer(async (req, res) => {
    const started = process.hrtime.bigint();
    const requestId =
      (typeof req.headers["x-request-id"] === "string" && req.headers["x-request-id"].slice(0, 64)) ||
      randomUUID();
    res.setHeader("x-request-id", requestId);
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    const route = ["/graphql", "/healthz", "/readyz", "/metrics"].includes(path) ? path : "other";
    const log = logger.child({ requestId });
    try {
      if (path === "/graphql") await handleGraphQL(req, res, requestId, log);
      else if (path === "/healthz") sendJson(res, 200, { status: "ok" });
      else if (path === "/readyz") await handleReady(res);
      else if (path === "/metrics") {
        res.writeHead(200, { "content-type": metrics.register.contentType });
        res.end(await metrics.register.metrics());
      } else sendJson(res, 404, { error: { code: "NOT_FOUND", message: `no route ${path}` } });
    } catch (e) {
      if (e instanceof HttpError) {
        sendJson(res, e.status, { errors: [{ message: e.message, extensions: { code: e.code } }] });
      } else {
        log.error({ err: e }, "unhandled error");
        if (!res.headersSent)
          sendJson(res, 500, {
            errors: [{ message: "internal error", extensions: { code: "INTERNAL_SERVER_ERROR" } }],
          });
        else res.end();
      }
    } finally {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      metrics.httpRequests.inc({ route, method: req.method ?? "?", status: String(res.statusCode) });
      metrics.httpDuration.observe({ route }, seconds);
      log.debug(
        { method: req.method, path, status: res.statusCode, ms: Math.round(seconds * 1000) },
        "request",
      );
    }
  });

  return {
    server,
    metrics,
    listen: (port, host = "127.0.0.1") =>
      new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, host, () => {
          const address = server.address();
          const actual = typeof address === "object" && address ? address.port : port;
          resolve({ url: `http://${host}:${actual}`, port: actual });
        });
      }),
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Idle keep-alive connections would hold close() open indefinitely.
      server.closeIdleConnections();
      setTimeout(() => server.closeAllConnections(), 2_000).unref();
      await closed;
      await apollo.stop();
    },
  };
}
