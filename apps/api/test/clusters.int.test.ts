import { membershipTypedData } from "@cohort/domain";
import { createLogger } from "@cohort/logger";
import { newAccount, startTestApp, type TestApp, waitFor } from "@cohort/test-utils";
import { startWorkers } from "@cohort/worker";
import type { PrivateKeyAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const CREATE = `mutation($input: CreateClusterInput!) {
  createCluster(input: $input) { id name threshold status configHash members { shareIndex status role operator { address } } }
}`;
const TYPED = "query($id: ID!) { membershipTypedData(clusterId: $id) }";
const ACCEPT = `mutation($input: AcceptMembershipInput!) { acceptMembership(input: $input) { shareIndex status acceptedAt } }`;
const GRANT = `mutation($input: GrantClusterAccessInput!) { grantClusterAccess(input: $input) { address role } }`;
const CREATE_KEY = `mutation($input: CreateAgentApiKeyInput!) { createAgentApiKey(input: $input) { id prefix key } }`;

interface Op {
  account: PrivateKeyAccount;
  token: string;
}

describe("clusters, membership and roles", () => {
  let app: TestApp;
  let worker: ReturnType<typeof startWorkers>;
  let ops: Op[];
  let outsider: Op;

  beforeAll(async () => {
    app = await startTestApp();
    worker = startWorkers({
      backend: app.backend,
      services: app.services,
      logger: createLogger({ name: "worker-test", level: "silent" }),
    });
    ops = await Promise.all(
      [0, 1, 2, 3].map(async () => {
        const account = newAccount();
        return { account, token: await app.signIn(account) };
      }),
    );
    const o = newAccount();
    outsider = { account: o, token: await app.signIn(o) };
  });
  afterAll(async () => {
    await worker.close();
    await app.close();
  });

  async function createCluster(creator: Op, members: Op[], extra: Record<string, unknown> = {}) {
    const res = await app.gql<{
      createCluster: { id: string; status: string; members: { status: string }[] };
    }>(
      CREATE,
      {
        input: {
          name: "Lido CSM 7",
          network: "hoodi",
          operators: members.map((m) => m.account.address),
          ...extra,
        },
      },
      creator.token,
    );
    expect(res.errors).toBeUndefined();
    return res.data!.createCluster;
  }

  async function accept(op: Op, clusterId: string) {
    const typed = await app.gql<{ membershipTypedData: Parameters<PrivateKeyAccount["signTypedData"]>[0] }>(
      TYPED,
      { id: clusterId },
      op.token,
    );
    expect(typed.errors).toBeUndefined();
    const signature = await op.account.signTypedData(typed.data!.membershipTypedData as never);
    return app.gql<{ acceptMembership: { status: string; shareIndex: number } }>(
      ACCEPT,
      { input: { clusterId, signature } },
      op.token,
    );
  }

  it("creates a cluster, every operator accepts by EIP-712 signature, and the roster job activates it", async () => {
    const cluster = await createCluster(ops[0]!, ops);
    expect(cluster.status).toBe("PENDING");
    expect(cluster.members.map((m) => m.status)).toEqual(["INVITED", "INVITED", "INVITED", "INVITED"]);
    expect((cluster as unknown as { threshold: number }).threshold).toBe(3); // ⌈2·4/3⌉

    for (const [i, op] of ops.entries()) {
      const res = await accept(op, cluster.id);
      expect(res.errors).toBeUndefined();
      expect(res.data!.acceptMembership).toMatchObject({ status: "ACTIVE", shareIndex: i + 1 });
    }
    // The worker (BullMQ on Redis) recomputes the roster after each acceptance.
    await waitFor(
      async () => (await app.db.cluster.findUniqueOrThrow({ where: { id: cluster.id } })).status === "ACTIVE",
      20_000,
      "cluster to become ACTIVE",
    );

    const read = await app.gql<{
      cluster: { operators: { address: string }[]; validators: unknown[]; lockHash: null };
    }>(
      "query($id: ID!) { cluster(id: $id) { id name threshold lockHash operators { address } validators { pubkey } } }",
      { id: cluster.id },
      ops[2]!.token,
    );
    expect(read.errors).toBeUndefined();
    expect(read.data!.cluster.operators.map((o) => o.address)).toEqual(ops.map((o) => o.account.address));
  });

  it("refuses an acceptance signed by another key, over another config, or twice", async () => {
    const cluster = await createCluster(ops[0]!, ops);
    // Signed by the wrong key.
    const typed = await app.gql<{ membershipTypedData: object }>(TYPED, { id: cluster.id }, ops[1]!.token);
    const forged = await outsider.account.signTypedData(typed.data!.membershipTypedData as never);
    const r1 = await app.gql(ACCEPT, { input: { clusterId: cluster.id, signature: forged } }, ops[1]!.token);
    expect(r1.errors?.[0]?.extensions).toMatchObject({ code: "SIGNATURE_INVALID", field: "input.signature" });

    // Signed over a different configuration (threshold 4 instead of 3).
    const config = await app.services.clusters.config(cluster.id);
    const other = membershipTypedData(
      { ...config, threshold: 4 },
      ops[1]!.account.address.toLowerCase() as `0x${string}`,
      2,
    );
    const r2 = await app.gql(
      ACCEPT,
      { input: { clusterId: cluster.id, signature: await ops[1]!.account.signTypedData(other) } },
      ops[1]!.token,
    );
    expect(r2.errors?.[0]?.extensions?.code).toBe("SIGNATURE_INVALID");

    expect((await accept(ops[1]!, cluster.id)).errors).toBeUndefined();
    expect((await accept(ops[1]!, cluster.id)).errors?.[0]?.extensions?.code).toBe("CONFLICT");
    const member = await app.db.clusterMember.findFirstOrThrow({
      where: { clusterId: cluster.id, shareIndex: 2 },
    });
    expect(member.status).toBe("ACTIVE");
  });

  it("a viewer reads but cannot mutate; an auditor reads; an outsider sees nothing", async () => {
    const cluster = await createCluster(ops[0]!, ops);
    const viewer = newAccount();
    const viewerToken = await app.signIn(viewer);
    const auditor = newAccount();
    const auditorToken = await app.signIn(auditor);
    expect(
      (
        await app.gql(
          GRANT,
          { input: { clusterId: cluster.id, address: viewer.address, role: "VIEWER" } },
          ops[0]!.token,
        )
      ).errors,
    ).toBeUndefined();
    expect(
      (
        await app.gql(
          GRANT,
          { input: { clusterId: cluster.id, address: auditor.address, role: "AUDITOR" } },
          ops[0]!.token,
        )
      ).errors,
    ).toBeUndefined();

    const read = await app.gql<{ cluster: { myRole: string } }>(
      "query($id: ID!) { cluster(id: $id) { name myRole } }",
      { id: cluster.id },
      viewerToken,
    );
    expect(read.data!.cluster.myRole).toBe("VIEWER");
    const audit = await app.gql<{ cluster: { myRole: string } }>(
      "query($id: ID!) { cluster(id: $id) { myRole } }",
      { id: cluster.id },
      auditorToken,
    );
    expect(audit.data!.cluster.myRole).toBe("AUDITOR");

    for (const [query, input] of [
      [GRANT, { clusterId: cluster.id, address: newAccount().address, role: "VIEWER" }],
      [CREATE_KEY, { clusterId: cluster.id, shareIndex: 1, name: "sneaky" }],
    ] as const) {
      for (const token of [viewerToken, auditorToken]) {
        const res = await app.gql(query, { input }, token);
        expect(res.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
      }
    }
    expect(await app.db.clusterAccessGrant.count({ where: { clusterId: cluster.id } })).toBe(2);
    expect(await app.db.apiKey.count({ where: { clusterId: cluster.id } })).toBe(0);

    const hidden = await app.gql(
      "query($id: ID!) { cluster(id: $id) { name } }",
      { id: cluster.id },
      outsider.token,
    );
    expect(hidden.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
    const list = await app.gql<{ clusters: { id: string }[] }>("{ clusters { id } }", {}, outsider.token);
    expect(list.data!.clusters.map((c) => c.id)).not.toContain(cluster.id);
  });

  it("an operator of one cluster cannot touch another", async () => {
    const mine = await createCluster(ops[0]!, [ops[0]!, ops[1]!, ops[2]!]);
    const theirs = await createCluster(ops[3]!, [ops[3]!, ops[1]!, ops[2]!]);
    expect(mine.id).not.toBe(theirs.id);
    const grant = await app.gql(
      GRANT,
      { input: { clusterId: theirs.id, address: newAccount().address, role: "VIEWER" } },
      ops[0]!.token,
    );
    expect(grant.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
    const key = await app.gql(
      CREATE_KEY,
      { input: { clusterId: theirs.id, shareIndex: 1, name: "x" } },
      ops[0]!.token,
    );
    expect(key.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
    const typed = await app.gql(TYPED, { id: theirs.id }, ops[0]!.token);
    expect(typed.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
    expect(await app.db.clusterAccessGrant.count({ where: { clusterId: theirs.id } })).toBe(0);
  });

  it("issues agent API keys that read only their own cluster; revoked keys stop working", async () => {
    const cluster = await createCluster(ops[0]!, ops);
    const other = await createCluster(ops[1]!, ops);
    const created = await app.gql<{ createAgentApiKey: { id: string; key: string; prefix: string } }>(
      CREATE_KEY,
      { input: { clusterId: cluster.id, shareIndex: 2, name: "node-2" } },
      ops[0]!.token,
    );
    expect(created.errors).toBeUndefined();
    const { key, id, prefix } = created.data!.createAgentApiKey;
    expect(key.startsWith(`cohort_ak_${prefix}_`)).toBe(true);
    const row = await app.db.apiKey.findUniqueOrThrow({ where: { id } });
    expect(row.secretHash).not.toContain(key.split("_").pop()!); // hashed at rest

    const me = await app.gql<{ me: { kind: string; clusterId: string } }>(
      "{ me { kind clusterId } }",
      {},
      key,
    );
    expect(me.data!.me).toEqual({ kind: "agent", clusterId: cluster.id });
    expect(
      (await app.gql("query($id: ID!) { cluster(id: $id) { name } }", { id: cluster.id }, key)).errors,
    ).toBeUndefined();
    const foreign = await app.gql("query($id: ID!) { cluster(id: $id) { name } }", { id: other.id }, key);
    expect(foreign.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
    // Agents cannot manage the cluster.
    const grant = await app.gql(
      GRANT,
      { input: { clusterId: cluster.id, address: newAccount().address, role: "VIEWER" } },
      key,
    );
    expect(grant.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");

    expect(
      (await app.gql("mutation($id: ID!) { revokeAgentApiKey(id: $id) }", { id }, ops[0]!.token)).errors,
    ).toBeUndefined();
    const after = await app.gql("{ me { kind } }", {}, key);
    expect(after.status).toBe(401);
    expect(after.errors?.[0]?.extensions?.code).toBe("API_KEY_INVALID");
  });
});
