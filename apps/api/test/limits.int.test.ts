import { startTestApp, type TestApp } from "@cohort/test-utils";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

describe("query limits, health, metrics", () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.close());

  it("refuses a query deeper than the limit with QUERY_TOO_DEEP (HTTP 400) before running it", async () => {
    // cluster → members → cluster → … nests without bound; the limit is 10.
    let selection = "id";
    for (let i = 0; i < 6; i++) selection = `members { cluster { ${selection} } }`;
    const res = await app.gql(`{ clusters { ${selection} } }`);
    expect(res.status).toBe(400);
    expect(res.errors?.[0]?.extensions?.code).toBe("QUERY_TOO_DEEP");
  });

  it("accepts a query at a reasonable depth", async () => {
    const res = await app.gql("{ clusters { members { cluster { members { operator { address } } } } } }");
    expect(res.errors).toBeUndefined();
  });

  it("refuses a query whose estimated cost is over the limit with QUERY_TOO_COMPLEX", async () => {
    // Lists multiply their children's cost by 10: many aliased nested lists blow the 5000 budget.
    const inner = "validators { id pubkey publicShares } members { id operator { id address } }";
    const aliases = Array.from({ length: 12 }, (_, i) => `a${i}: clusters { ${inner} }`).join(" ");
    const res = await app.gql(`{ ${aliases} }`);
    expect(res.status).toBe(400);
    expect(res.errors?.[0]?.extensions?.code).toBe("QUERY_TOO_COMPLEX");
    expect(res.errors?.[0]?.extensions?.maximum).toBe(5000);
  });

  it("serves /healthz, /readyz and Prometheus /metrics", async () => {
    expect((await fetch(`${app.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${app.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: "ready", checks: { database: "ok" } });
    await app.gql("{ me { kind } }");
    const metrics = await (await fetch(`${app.url}/metrics`)).text();
    expect(metrics).toMatch(
      /cohort_api_http_requests_total\{route="\/graphql",method="POST",status="200"\} \d+/,
    );
    expect(metrics).toMatch(/cohort_api_graphql_operations_total\{type="query",outcome="ok"\} \d+/);
  });

  it("echoes a request id, or makes one", async () => {
    const given = await fetch(`${app.url}/healthz`, { headers: { "x-request-id": "abc-123" } });
    expect(given.headers.get("x-request-id")).toBe("abc-123");
    const made = await fetch(`${app.url}/healthz`);
    expect(made.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });
});
