import { newAccount, startTestApp, type TestApp } from "@cohort/test-utils";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * Every mutation, given bad input, answers with a coded error naming the field — never a 500 —
 * and stores nothing.
 */
describe("bad input to every mutation", () => {
  let app: TestApp;
  let token: string;
  let me: `0x${string}`;
  let clusterId: string;

  beforeAll(async () => {
    app = await startTestApp();
    const account = newAccount();
    me = account.address;
    token = await app.signIn(account);
    const res = await app.gql<{ createCluster: { id: string } }>(
      "mutation($input: CreateClusterInput!) { createCluster(input: $input) { id } }",
      {
        input: { name: "ok", network: "devnet", operators: [me, newAccount().address, newAccount().address] },
      },
      token,
    );
    clusterId = res.data!.createCluster.id;
  });
  afterAll(() => app.close());

  const others = () => [newAccount().address, newAccount().address, newAccount().address];
  const CREATE = "mutation($input: CreateClusterInput!) { createCluster(input: $input) { id } }";

  const cases: [string, string, () => Record<string, unknown>, string, string?][] = [
    [
      "createCluster: empty name",
      CREATE,
      () => ({ input: { name: " ", network: "devnet", operators: [me, ...others()] } }),
      "input.name",
    ],
    [
      "createCluster: unknown network",
      CREATE,
      () => ({ input: { name: "x", network: "moon", operators: [me, ...others()] } }),
      "input.network",
    ],
    [
      "createCluster: threshold below a majority",
      CREATE,
      () => ({ input: { name: "x", network: "devnet", threshold: 2, operators: [me, ...others()] } }),
      "input.threshold",
    ],
    [
      "createCluster: threshold above n",
      CREATE,
      () => ({ input: { name: "x", network: "devnet", threshold: 5, operators: [me, ...others()] } }),
      "input.threshold",
    ],
    [
      "createCluster: malformed address",
      CREATE,
      () => ({ input: { name: "x", network: "devnet", operators: [me, "0x1234", newAccount().address] } }),
      "input.operators.1",
    ],
    [
      "createCluster: duplicate operator",
      CREATE,
      () => ({ input: { name: "x", network: "devnet", operators: [me, me, newAccount().address] } }),
      "input.operators.1",
    ],
    [
      "createCluster: too few operators",
      CREATE,
      () => ({ input: { name: "x", network: "devnet", operators: [me, newAccount().address] } }),
      "input.operators",
    ],
    [
      "createCluster: without yourself",
      CREATE,
      () => ({ input: { name: "x", network: "devnet", operators: others() } }),
      "input.operators",
    ],
    [
      "signIn: empty message",
      "mutation($input: SignInInput!) { signIn(input: $input) { token } }",
      () => ({ input: { message: "", signature: "0x00" } }),
      "input.message",
    ],
    [
      "signIn: not a SIWE message",
      "mutation($input: SignInInput!) { signIn(input: $input) { token } }",
      () => ({ input: { message: "hello", signature: "0x00" } }),
      "input.message",
      "SIWE_INVALID",
    ],
    [
      "signIn: signature not hex",
      "mutation($input: SignInInput!) { signIn(input: $input) { token } }",
      () => ({ input: { message: "hello", signature: "nope" } }),
      "input.signature",
    ],
    [
      "acceptMembership: malformed signature",
      "mutation($input: AcceptMembershipInput!) { acceptMembership(input: $input) { id } }",
      () => ({ input: { clusterId, signature: "0xdead" } }),
      "input.signature",
    ],
    [
      "acceptMembership: malformed cluster id",
      "mutation($input: AcceptMembershipInput!) { acceptMembership(input: $input) { id } }",
      () => ({ input: { clusterId: "42", signature: `0x${"11".repeat(65)}` } }),
      "input.clusterId",
    ],
    [
      "grantClusterAccess: malformed address",
      "mutation($input: GrantClusterAccessInput!) { grantClusterAccess(input: $input) { id } }",
      () => ({ input: { clusterId, address: "alice.eth", role: "VIEWER" } }),
      "input.address",
    ],
    [
      "grantClusterAccess: an operator",
      "mutation($input: GrantClusterAccessInput!) { grantClusterAccess(input: $input) { id } }",
      () => ({ input: { clusterId, address: me, role: "VIEWER" } }),
      "input.address",
    ],
    [
      "createAgentApiKey: no such share index",
      "mutation($input: CreateAgentApiKeyInput!) { createAgentApiKey(input: $input) { id } }",
      () => ({ input: { clusterId, shareIndex: 9, name: "n" } }),
      "input.shareIndex",
    ],
    [
      "createAgentApiKey: empty name",
      "mutation($input: CreateAgentApiKeyInput!) { createAgentApiKey(input: $input) { id } }",
      () => ({ input: { clusterId, shareIndex: 1, name: "" } }),
      "input.name",
    ],
    [
      "revokeAgentApiKey: malformed id",
      "mutation($id: ID!) { revokeAgentApiKey(id: $id) }",
      () => ({ id: "not-a-uuid" }),
      "id",
    ],
  ];

  it.each(cases)(
    "%s → a coded error naming the field",
    async (_name, query, vars, field, code = "BAD_USER_INPUT") => {
      // Other test files share the database: count only what this caller could have created.
      const mine = () => app.db.cluster.count({ where: { createdByAddress: me.toLowerCase() } });
      const before = await mine();
      const res = await app.gql(query, vars(), token);
      expect(res.status).toBeLessThan(500);
      expect(res.errors?.[0]?.extensions?.code).toBe(code);
      expect(res.errors?.[0]?.extensions?.field).toBe(field);
      expect(res.errors?.[0]?.message).toContain(field);
      expect(await mine()).toBe(before);
    },
  );

  it("wrongly typed variables are refused by GraphQL validation with the variable named, HTTP 400", async () => {
    const res = await app.gql(
      CREATE,
      { input: { name: "x", network: "devnet", threshold: "three", operators: [me] } },
      token,
    );
    expect(res.status).toBe(400);
    expect(res.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    expect(res.errors?.[0]?.message).toMatch(/threshold/);
  });

  it("mutations without a session are UNAUTHENTICATED, not 500", async () => {
    for (const q of [
      "mutation { signOut }",
      `mutation { createCluster(input: {name: "x", network: "devnet", operators: []}) { id } }`,
    ]) {
      const res = await app.gql(q);
      expect(res.status).toBeLessThan(500);
      expect(res.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    }
  });

  it("a body that is not JSON is a 400 with a code", async () => {
    const res = await fetch(`${app.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{nope",
    });
    expect(res.status).toBe(400);
    expect(
      ((await res.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code,
    ).toBe("BAD_REQUEST");
  });
});
