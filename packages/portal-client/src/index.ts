import type { PrivateKeyAccount } from "viem/accounts";
import { createSiweMessage } from "viem/siwe";

export interface GraphQLResponse<T = Record<string, unknown>> {
  status: number;
  data?: T | null;
  errors?: { message: string; extensions?: { code?: string; field?: string; [k: string]: unknown } }[];
}

/**
 * A minimal client for the portal API: POSTs one GraphQL operation, with an optional bearer token
 * (a session token or an agent API key).
 *
 * @example
 * const { data } = await graphqlRequest("http://127.0.0.1:4000", "{ clusters { id name } }", {}, token);
 */
export async function graphqlRequest<T = Record<string, unknown>>(
  baseUrl: string,
  query: string,
  variables: Record<string, unknown> = {},
  token?: string,
): Promise<GraphQLResponse<T>> {
  const res = await fetch(`${baseUrl}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as Omit<GraphQLResponse<T>, "status">;
  return { status: res.status, ...body };
}

/** The EIP-4361 message a wallet signs to sign in to the portal at `domain`. */
export function portalSiweMessage(
  account: { address: `0x${string}` },
  nonce: string,
  domain: string,
  overrides: Partial<Parameters<typeof createSiweMessage>[0]> = {},
) {
  return createSiweMessage({
    address: account.address,
    chainId: 1,
    domain,
    nonce,
    uri: `http://${domain}/`,
    version: "1",
    statement: "Sign in to Cohort",
    ...overrides,
  });
}

/** The whole Sign-In with Ethereum flow against a running API; returns the session token. */
export async function signInWithEthereum(
  baseUrl: string,
  account: PrivateKeyAccount,
  domain: string,
): Promise<string> {
  const nonceRes = await graphqlRequest<{ createSiweNonce: { nonce: string } }>(
    baseUrl,
    "mutation { createSiweNonce { nonce } }",
  );
  const nonce = nonceRes.data?.createSiweNonce.nonce;
  if (!nonce) throw new Error(`could not get a sign-in nonce: ${JSON.stringify(nonceRes.errors)}`);
  const message = portalSiweMessage(account, nonce, domain);
  const res = await graphqlRequest<{ signIn: { token: string } }>(
    baseUrl,
    "mutation($input: SignInInput!) { signIn(input: $input) { token } }",
    { input: { message, signature: await account.signMessage({ message }) } },
  );
  if (!res.data?.signIn) throw new Error(`sign-in failed: ${JSON.stringify(res.errors)}`);
  return res.data.signIn.token;
}
