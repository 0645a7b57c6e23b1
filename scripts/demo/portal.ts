// The demo's conversations with the portal API, all through its public GraphQL API (as a real
// operator, auditor or dashboard would): register the cluster, read participation and incidents.
import { graphqlRequest, signInWithEthereum } from "@cohort/api/client";
import { createSql } from "@cohort/db";
import type { PrivateKeyAccount } from "viem/accounts";

export class PortalError extends Error {
  override readonly name = "PortalError";
}

/** One GraphQL operation; throws with the API's error messages unless it returned data. */
export async function gql<T>(
  base: string,
  query: string,
  variables: Record<string, unknown>,
  token: string | undefined,
  what: string,
): Promise<T> {
  const res = await graphqlRequest<T>(base, query, variables, token);
  if (res.errors?.length || !res.data) {
    const detail = (res.errors ?? [])
      .map((e) => `${e.message}${e.extensions?.field ? ` (${e.extensions.field})` : ""}`)
      .join("; ");
    throw new PortalError(`${what} failed (HTTP ${res.status}): ${detail || "no data"}`);
  }
  return res.data;
}

export interface RegisterClusterInput {
  name: string;
  /** Operators in share-index order (their keys sign in and accept the seats). */
  operators: PrivateKeyAccount[];
  threshold: number;
  /** The parsed cluster-lock.json. */
  lock: unknown;
  /** EIP-712 chain id the lock's operator signatures use (devnet locks). */
  lockChainId: number;
  grants: { address: string; role: "AUDITOR" | "VIEWER" }[];
}

export interface RegisteredCluster {
  clusterId: string;
  /** Session token per operator (share index − 1). */
  tokens: string[];
  /** Agent API key per operator (share index − 1). */
  agentKeys: string[];
}

/**
 * Registers a cluster for real: operator 1 proposes it, every operator signs in with Ethereum and
 * accepts its seat with an EIP-712 signature over the membership typed data, operator 1 attaches
 * the lock, every operator creates its agent's API key, and read-only grants are added.
 */
export async function registerCluster(
  base: string,
  domain: string,
  o: RegisterClusterInput,
  log: (line: string) => void,
): Promise<RegisteredCluster> {
  const tokens: string[] = [];
  for (const op of o.operators) tokens.push(await signInWithEthereum(base, op, domain));
  const creator = tokens[0]!;
  const { createCluster } = await gql<{ createCluster: { id: string } }>(
    base,
    "mutation($input: CreateClusterInput!) { createCluster(input: $input) { id } }",
    {
      input: {
        name: o.name,
        network: "devnet",
        operators: o.operators.map((x) => x.address),
        threshold: o.threshold,
      },
    },
    creator,
    "createCluster",
  );
  const clusterId = createCluster.id;
  for (const [i, op] of o.operators.entries()) {
    const { membershipTypedData } = await gql<{ membershipTypedData: unknown }>(
      base,
      "query($id: ID!) { membershipTypedData(clusterId: $id) }",
      { id: clusterId },
      tokens[i],
      `membershipTypedData (operator ${i + 1})`,
    );
    const signature = await op.signTypedData(membershipTypedData as Parameters<typeof op.signTypedData>[0]);
    await gql(
      base,
      "mutation($input: AcceptMembershipInput!) { acceptMembership(input: $input) { shareIndex status } }",
      { input: { clusterId, signature } },
      tokens[i],
      `acceptMembership (operator ${i + 1})`,
    );
  }
  log(`portal: cluster ${clusterId} created; ${o.operators.length} operators accepted their seats (EIP-712)`);
  await gql(
    base,
    "mutation($id: ID!, $lock: JSON!, $chainId: Int) { attachClusterLock(clusterId: $id, lock: $lock, chainId: $chainId) { id lockHash } }",
    { id: clusterId, lock: o.lock, chainId: o.lockChainId },
    creator,
    "attachClusterLock",
  );
  const agentKeys: string[] = [];
  for (const [i] of o.operators.entries()) {
    const { createAgentApiKey } = await gql<{ createAgentApiKey: { key: string } }>(
      base,
      "mutation($input: CreateAgentApiKeyInput!) { createAgentApiKey(input: $input) { key } }",
      { input: { clusterId, name: `demo agent ${i + 1}`, shareIndex: i + 1 } },
      tokens[i],
      `createAgentApiKey (operator ${i + 1})`,
    );
    agentKeys.push(createAgentApiKey.key);
  }
  for (const g of o.grants)
    await gql(
      base,
      "mutation($input: GrantClusterAccessInput!) { grantClusterAccess(input: $input) { id } }",
      { input: { clusterId, address: g.address, role: g.role } },
      creator,
      `grantClusterAccess (${g.role})`,
    );
  log(
    `portal: lock attached (verified), ${agentKeys.length} agent API keys, access granted to ${o.grants
      .map((g) => g.role.toLowerCase())
      .join(" and ")}`,
  );
  return { clusterId, tokens, agentKeys };
}

export async function setBeaconNode(base: string, token: string, clusterId: string, url: string) {
  await gql(
    base,
    "mutation($id: ID!, $url: String) { setClusterBeaconNode(clusterId: $id, url: $url) { id } }",
    { id: clusterId, url },
    token,
    "setClusterBeaconNode",
  );
}

interface IntrospectedType {
  name: string | null;
  kind: string;
  ofType: IntrospectedType | null;
}
const typeRef = (t: IntrospectedType): string =>
  t.kind === "NON_NULL" ? `${typeRef(t.ofType!)}!` : t.kind === "LIST" ? `[${typeRef(t.ofType!)}]` : t.name!;
const namedKind = (t: IntrospectedType): string => (t.ofType ? namedKind(t.ofType) : t.kind);

export interface SettlementConfig {
  clusterId: string;
  splitterAddress: string;
  chainId: number;
  periodEpochs: number;
}

/**
 * Turns on settlement for the cluster with `configureSettlement(input: …)` if the running API has
 * that mutation (found by introspection); otherwise says "settlement not available yet" and returns
 * false instead of failing the demo.
 */
export async function configureSettlementIfAvailable(
  base: string,
  token: string,
  input: SettlementConfig,
  log: (line: string) => void,
): Promise<boolean> {
  const { __type } = await gql<{
    __type: {
      fields: { name: string; args: { name: string; type: IntrospectedType }[]; type: IntrospectedType }[];
    } | null;
  }>(
    base,
    `{ __type(name: "Mutation") { fields { name
        args { name type { name kind ofType { name kind ofType { name kind ofType { name kind } } } } }
        type { name kind ofType { name kind ofType { name kind ofType { name kind } } } } } } }`,
    {},
    token,
    "introspection",
  );
  const field = __type?.fields.find((f) => f.name === "configureSettlement");
  const arg = field?.args.find((a) => a.name === "input");
  if (!field || !arg) {
    log("settlement not available yet (the API has no configureSettlement mutation)");
    return false;
  }
  const selection = ["OBJECT", "INTERFACE", "UNION"].includes(namedKind(field.type)) ? " { __typename }" : "";
  await gql(
    base,
    `mutation($input: ${typeRef(arg.type)}) { configureSettlement(input: $input)${selection} }`,
    { input },
    token,
    "configureSettlement",
  );
  log(
    `settlement configured: splitter ${input.splitterAddress} on chain ${input.chainId}, a period every ${input.periodEpochs} epochs`,
  );
  return true;
}

export interface ClusterProgress {
  participation: { shareIndex: number; expectedDuties: number; contributedDuties: number }[];
  incidents: {
    kind: string;
    status: string;
    openedAt: string;
    members: { member: { shareIndex: number } }[];
  }[];
}

/** Per member duties as the portal has reconciled them since `from`, and the latest 100 incidents. */
export async function clusterProgress(
  base: string,
  token: string,
  clusterId: string,
  from: Date,
): Promise<ClusterProgress> {
  const { cluster } = await gql<{
    cluster: {
      participation: ClusterProgress["participation"];
      incidents: { edges: { node: ClusterProgress["incidents"][number] }[] };
    };
  }>(
    base,
    `query($id: ID!, $from: DateTime!, $to: DateTime!) { cluster(id: $id) {
      participation(from: $from, to: $to) { shareIndex expectedDuties contributedDuties }
      incidents(first: 100) { edges { node { kind status openedAt members { member { shareIndex } } } } }
    } }`,
    { id: clusterId, from: from.toISOString(), to: new Date(Date.now() + 86_400_000).toISOString() },
    token,
    "cluster progress",
  );
  return {
    participation: [...cluster.participation].sort((a, b) => a.shareIndex - b.shareIndex),
    incidents: cluster.incidents.edges.map((e) => e.node),
  };
}

/** The newest settlement period (index, status, amount), or null (none yet, or no settlement in this API). */
export async function latestSettlement(
  base: string,
  token: string,
  clusterId: string,
): Promise<{ index: number; status: string; amountWei: string } | null> {
  try {
    const { cluster } = await gql<{
      cluster: { settlements: { index: number; status: string; amountWei: string }[] };
    }>(
      base,
      "query($id: ID!) { cluster(id: $id) { settlements(first: 1) { index status amountWei } } }",
      { id: clusterId },
      token,
      "settlements",
    );
    return cluster.settlements[0] ?? null;
  } catch {
    return null;
  }
}

/**
 * Retires the clusters of earlier demo runs kept in the embedded database: their chain, keys and
 * processes are gone, but the portal would keep polling their (dead) beacon nodes and drafting their
 * settlements. There is no API for archiving a cluster, so this writes `status = ARCHIVED` straight
 * into the demo's own embedded database (never into a DATABASE_URL one). Returns how many.
 */
export async function archiveEarlierDemoClusters(databaseUrl: string, currentId: string): Promise<number> {
  const sql = createSql(databaseUrl, { max: 1 });
  try {
    const rows = await sql`
      UPDATE "Cluster" SET status = 'ARCHIVED'
      WHERE id <> ${currentId}::uuid AND status <> 'ARCHIVED'
        AND (name = 'Cohort demo' OR name LIKE 'Cohort demo %')
      RETURNING id`;
    return rows.length;
  } finally {
    await sql.end({ timeout: 5 });
  }
}
