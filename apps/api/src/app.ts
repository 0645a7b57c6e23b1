import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { ApolloServer, HeaderMap } from "@apollo/server";
import type { Db } from "@cohort/db";
import { type Actor, isCohortError, type Services } from "@cohort/domain";
import type { Logger } from "@cohort/logger";
import type { EventBus } from "@cohort/queue";
import {
  type ExecutionResult,
  execute,
  type GraphQLError,
  specifiedRules,
  subscribe,
  validate,
} from "graphql";
import { createHandler as createSseHandler } from "graphql-sse/lib/use/http";
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
  /** Largest accepted agent report batch (default 16 MiB). */
  maxIngestBytes?: number;
  metrics?: ApiMetrics;
  /**
   * Live cluster events for `GET /events/clusters/:id` (SSE) and the GraphQL subscriptions at
   * `/graphql/stream`; both answer 503 without it.
   */
  events?: EventBus;
  /** SSE keep-alive comment interval. */
  sseKeepAliveMs?: number;
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

  /**
   * `GET /events/clusters/:id`: Server-Sent Events with the cluster's incident changes
   * (`incident.opened|updated|resolved`), for anyone who may read the cluster. Same credentials
   * as GraphQL (bearer session token or agent API key).
   */
  async function handleEvents(
    req: IncomingMessage,
    res: ServerResponse,
    clusterId: string,
    requestId: string,
  ) {
    if (req.method !== "GET") throw new HttpError(405, "METHOD_NOT_ALLOWED", "use GET");
    if (!options.events) throw new HttpError(503, "UNAVAILABLE", "live events are not configured");
    let actor: Actor;
    try {
      actor = await services.auth.authenticate(req.headers.authorization);
      await services.clusters.get({ actor, requestId, roleCache: new Map() }, clusterId);
    } catch (e) {
      if (!isCohortError(e)) throw e;
      const status = e.code === "NOT_FOUND" ? 404 : httpStatus(e.code);
      return sendJson(res, status, { errors: [{ message: e.message, extensions: { code: e.code } }] });
    }
    res.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache, no-transform",
      connection: "keep-alive",
      "x-accel-buffering": "no",
    });
    res.write(`: subscribed to cluster ${clusterId}\n\n`);
    let seq = 0;
    const unsubscribe = await options.events.subscribe(clusterId, (event) => {
      seq += 1;
      res.write(`id: ${seq}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
    });
    const keepAlive = setInterval(() => res.write(": keep-alive\n\n"), options.sseKeepAliveMs ?? 15_000);
    keepAlive.unref();
    await new Promise<void>((resolve) => {
      res.on("close", resolve);
      req.on("close", resolve);
    });
    clearInterval(keepAlive);
    await unsubscribe();
  }

  /**
   * `POST /ingest/v1/reports`: an agent's signed report batch (see `@cohort/evidence` report.ts),
   * authenticated by its API key. 202 `{accepted, reportId, batchHash, duplicate}` once the batch is
   * stored; verification of its partials and its effects happen in the worker. Errors are
   * `{code, message, field?}` with 400 (shape, unknown chain), 401 (key), 403 (another cluster or
   * member), 409 (SEQ_CONFLICT: the sequence number was used for another batch).
   */
  async function handleIngest(req: IncomingMessage, res: ServerResponse) {
    if (req.method !== "POST") throw new HttpError(405, "METHOD_NOT_ALLOWED", "use POST");
    let body: unknown;
    try {
      body = JSON.parse(await readBody(req, options.maxIngestBytes ?? 16 * 1024 * 1024));
    } catch (e) {
      if (e instanceof HttpError) throw e;
      return sendJson(res, 400, { code: "BAD_USER_INPUT", message: "body: not valid JSON", field: "body" });
    }
    try {
      const actor = await services.auth.authenticate(req.headers.authorization);
      const result = await services.ingest.accept(actor, body);
      sendJson(res, 202, result);
    } catch (e) {
      if (!isCohortError(e)) throw e;
      const seqConflict = e.code === "CONFLICT" && e.details?.reason === "SEQ_CONFLICT";
      const status = seqConflict ? 409 : e.code === "CONFLICT" ? 409 : httpStatus(e.code);
      sendJson(res, status, {
        code: seqConflict ? "SEQ_CONFLICT" : e.code,
        message: e.message,
        ...(e.field ? { field: e.field } : {}),
        ...(e.details ? { details: e.details } : {}),
      });
    }
  }

  /**
   * `GET /evidence/v1/clusters/:id/bundle?fromSlot=&toSlot=`: the offline audit bundle (JSON) for
   * operators and auditors of the cluster; `cohort evidence export` downloads it and `cohort
   * evidence verify` checks it without the portal.
   */
  async function handleBundle(
    req: IncomingMessage,
    res: ServerResponse,
    clusterId: string,
    requestId: string,
  ) {
    if (req.method !== "GET") throw new HttpError(405, "METHOD_NOT_ALLOWED", "use GET");
    const url = new URL(req.url ?? "/", "http://localhost");
    const slot = (name: string) => {
      const v = url.searchParams.get(name);
      return v !== null && /^\d+$/.test(v) ? Number(v) : Number.NaN;
    };
    try {
      const actor = await services.auth.authenticate(req.headers.authorization);
      const bundle = await services.participation.exportBundle(
        { actor, requestId, roleCache: new Map() },
        clusterId,
        slot("fromSlot"),
        slot("toSlot"),
      );
      sendJson(res, 200, bundle);
    } catch (e) {
      if (!isCohortError(e)) throw e;
      const status = e.code === "NOT_FOUND" ? 404 : e.code === "CONFLICT" ? 409 : httpStatus(e.code);
      sendJson(res, status, { code: e.code, message: e.message, ...(e.field ? { field: e.field } : {}) });
    }
  }

  /**
   * `/graphql/stream`: GraphQL subscriptions (`clusterEvents`) over Server-Sent Events with
   * graphql-sse in distinct-connections mode (POST or GET with `accept: text/event-stream`). Same
   * credentials as /graphql; the cluster read check is the subscription resolver's.
   */
  const streamCallers = new WeakMap<IncomingMessage, { actor: Actor; requestId: string; log: Logger }>();
  const sse = createSseHandler({
    schema,
    // The API's own graphql instance (one module realm with the schema) and its depth limit.
    validate: (s, document) => validate(s, document, [...specifiedRules, depthRule(options.maxDepth ?? 10)]),
    execute,
    subscribe,
    authenticate: () => null, // distinct connections only: no stream tokens to keep
    context: (req) => {
      const caller = streamCallers.get(req.raw)!;
      return createContext({
        db,
        services,
        logger: caller.log,
        actor: caller.actor,
        requestId: caller.requestId,
      }) as unknown as Record<string, unknown>;
    },
    onNext: (_ctx, req, result) => {
      if (!result.errors?.length) return;
      const log = streamCallers.get(req.raw)?.log ?? logger;
      return {
        ...result,
        errors: result.errors.map(
          (e) =>
            formatError(e.toJSON(), e, (internal) =>
              log.error({ err: internal }, "internal error in subscription"),
            ) as unknown as GraphQLError,
        ),
      } as ExecutionResult;
    },
  });

  async function handleStream(req: IncomingMessage, res: ServerResponse, requestId: string, log: Logger) {
    if (!options.events) throw new HttpError(503, "UNAVAILABLE", "live events are not configured");
    let actor: Actor;
    try {
      actor = await services.auth.authenticate(req.headers.authorization);
    } catch (e) {
      if (!isCohortError(e)) throw e;
      return sendJson(res, httpStatus(e.code), {
        errors: [{ message: e.message, extensions: { code: e.code } }],
      });
    }
    if (actor.kind === "anonymous") {
      return sendJson(res, 401, {
        errors: [
          {
            message: "authorization: send a session token or agent API key as a bearer token",
            extensions: { code: "UNAUTHENTICATED" },
          },
        ],
      });
    }
    streamCallers.set(req, { actor, requestId, log });
    await sse(req, res);
  }

  /**
   * `GET /exports/v1/clusters/:id/participation.csv?from=&to=` (ISO-8601 timestamps): the audit
   * report's per-member table as RFC 4180 CSV, for operators and auditors (`cluster.export`); same
   * credentials as the evidence bundle.
   */
  async function handleParticipationCsv(
    req: IncomingMessage,
    res: ServerResponse,
    clusterId: string,
    requestId: string,
  ) {
    if (req.method !== "GET") throw new HttpError(405, "METHOD_NOT_ALLOWED", "use GET");
    const url = new URL(req.url ?? "/", "http://localhost");
    try {
      const actor = await services.auth.authenticate(req.headers.authorization);
      const { filename, csv } = await services.dashboard.auditCsv(
        { actor, requestId, roleCache: new Map() },
        clusterId,
        url.searchParams.get("from"),
        url.searchParams.get("to"),
      );
      res.writeHead(200, {
        "content-type": "text/csv; charset=utf-8; header=present",
        "content-disposition": `attachment; filename="${filename}"`,
        "cache-control": "no-store",
      });
      res.end(csv);
    } catch (e) {
      if (!isCohortError(e)) throw e;
      const status = e.code === "NOT_FOUND" ? 404 : e.code === "CONFLICT" ? 409 : httpStatus(e.code);
      sendJson(res, status, { code: e.code, message: e.message, ...(e.field ? { field: e.field } : {}) });
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
    const route = [
      "/graphql",
      "/graphql/stream",
      "/healthz",
      "/readyz",
      "/metrics",
      "/ingest/v1/reports",
    ].includes(path)
      ? path
      : path.startsWith("/events/clusters/")
        ? "/events/clusters/:id"
        : path.startsWith("/evidence/v1/clusters/")
          ? "/evidence/v1/clusters/:id/bundle"
          : path.startsWith("/exports/v1/clusters/")
            ? "/exports/v1/clusters/:id/participation.csv"
            : "other";
    const log = logger.child({ requestId });
    try {
      const eventsMatch = /^\/events\/clusters\/([^/]+)$/.exec(path);
      const bundleMatch = /^\/evidence\/v1\/clusters\/([^/]+)\/bundle$/.exec(path);
      const csvMatch = /^\/exports\/v1\/clusters\/([^/]+)\/participation\.csv$/.exec(path);
      if (path === "/graphql") await handleGraphQL(req, res, requestId, log);
      else if (path === "/graphql/stream") await handleStream(req, res, requestId, log);
      else if (csvMatch) await handleParticipationCsv(req, res, decodeURIComponent(csvMatch[1]!), requestId);
      else if (path === "/ingest/v1/reports") await handleIngest(req, res);
      else if (bundleMatch) await handleBundle(req, res, decodeURIComponent(bundleMatch[1]!), requestId);
      else if (eventsMatch) await handleEvents(req, res, decodeURIComponent(eventsMatch[1]!), requestId);
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
