import { type Api, createApi } from "@cohort/api";
import {
  type GraphQLResponse,
  graphqlRequest,
  portalSiweMessage,
  signInWithEthereum,
} from "@cohort/api/client";
import { createDb, createSql, type Db } from "@cohort/db";
import { createServices, defaultSenders, type Services, type SettlementOptions } from "@cohort/domain";
import { createLogger } from "@cohort/logger";
import {
  createRedisEventBus,
  type EventBus,
  JobProducer,
  jobsPortFor,
  type QueueBackend,
} from "@cohort/queue";
import { generatePrivateKey, type PrivateKeyAccount, privateKeyToAccount } from "viem/accounts";
import { inject } from "vitest";

export type { GraphQLResponse };

export interface TestApp {
  db: Db;
  services: Services;
  api: Api;
  url: string;
  producer: JobProducer;
  backend: QueueBackend;
  /** Live cluster events (Redis pub/sub under the run's prefix), as the API's SSE endpoint uses. */
  events: EventBus;
  /** POSTs a GraphQL operation, with an optional bearer token. */
  gql<T = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
    token?: string,
  ): Promise<GraphQLResponse<T>>;
  /** Runs the full SIWE flow over HTTP for `account`; returns the session token. */
  signIn(account: PrivateKeyAccount): Promise<string>;
  close(): Promise<void>;
}

export const newAccount = () => privateKeyToAccount(generatePrivateKey());

/** The domain the test API accepts in SIWE messages. */
export const TEST_SIWE_DOMAIN = "cohort.test";

export const siweMessage = (
  account: PrivateKeyAccount,
  nonce: string,
  overrides: Parameters<typeof portalSiweMessage>[3] = {},
) =>
  portalSiweMessage(account, nonce, TEST_SIWE_DOMAIN, {
    uri: `https://${TEST_SIWE_DOMAIN}/login`,
    ...overrides,
  });

/**
 * A real API (HTTP, Apollo, Prisma on the run's Postgres database, BullMQ on the run's Redis
 * prefix) on a free loopback port. Defaults come from the integration tier's global setup.
 */
export async function startTestApp({
  databaseUrl = inject("databaseUrl"),
  redisUrl = inject("redisUrl"),
  queuePrefix = inject("queuePrefix"),
  now,
  fetchImpl,
  settlement,
}: {
  databaseUrl?: string;
  redisUrl?: string;
  queuePrefix?: string;
  now?: () => Date;
  /** What webhook deliveries use instead of the global fetch. */
  fetchImpl?: typeof fetch;
  /** The settlement chain (e.g. a private anvil) and confirmation depth. */
  settlement?: SettlementOptions;
} = {}): Promise<TestApp> {
  const db = createDb(databaseUrl, { maxConnections: 4 });
  const backend: QueueBackend = { kind: "redis", url: redisUrl, prefix: queuePrefix };
  const producer = new JobProducer(backend);
  const events = createRedisEventBus(redisUrl, queuePrefix);
  const sql = createSql(databaseUrl, { max: 4 });
  const services = createServices({
    db,
    sql,
    jobs: jobsPortFor(producer),
    events,
    ...(fetchImpl ? { senders: defaultSenders(fetchImpl) } : {}),
    auth: { siweDomains: [TEST_SIWE_DOMAIN], nonceTtlMs: 60_000, sessionTtlMs: 3_600_000 },
    ...(now ? { now } : {}),
    ...(settlement ? { settlement } : {}),
  });
  const logger = createLogger({ name: "api-test", level: process.env.TEST_LOG_LEVEL ?? "silent" });
  const api = await createApi({ db, services, logger, maxDepth: 10, maxComplexity: 5000, events });
  const { url } = await api.listen(0);

  const gql: TestApp["gql"] = (query, variables, token) => graphqlRequest(url, query, variables, token);
  const signIn = (account: PrivateKeyAccount) => signInWithEthereum(url, account, TEST_SIWE_DOMAIN);

  return {
    db,
    services,
    api,
    url,
    producer,
    backend,
    events,
    gql,
    signIn,
    async close() {
      await api.close();
      await producer.close();
      await events.close();
      await sql.end({ timeout: 5 });
      await db.$disconnect();
    },
  };
}

/** Polls `check` until it returns a truthy value or `timeoutMs` passes. */
export async function waitFor<T>(
  check: () => Promise<T | undefined | null | false>,
  timeoutMs = 15_000,
  what = "condition",
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
