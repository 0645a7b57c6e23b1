"use client";

import { type Hex, toHex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { createSiweMessage } from "viem/siwe";
import { gql } from "./gql";
import type { Session } from "./session";

/** A dev-signer identity from the server's COHORT_DEV_IDENTITIES (insecure, public demo keys). */
export interface DevIdentity {
  role: string;
  label: string;
  address: string;
  privateKey: string;
}

/** EIP-712 typed data as the API serves it: uint256 values are decimal strings. */
export interface TypedDataJson {
  domain: Record<string, unknown>;
  types: Record<string, { name: string; type: string }[]>;
  primaryType: string;
  message: Record<string, unknown>;
}

export interface Signer {
  address: `0x${string}`;
  kind: "wallet" | "dev";
  signMessage(message: string): Promise<Hex>;
  signTypedData(typedData: TypedDataJson): Promise<Hex>;
  chainId(): Promise<number>;
}

interface Eip1193 {
  request(args: { method: string; params?: unknown[] }): Promise<unknown>;
}

export function browserWallet(): Eip1193 | null {
  if (typeof window === "undefined") return null;
  return (window as unknown as { ethereum?: Eip1193 }).ethereum ?? null;
}

/** The browser wallet (EIP-1193 `window.ethereum`) as a signer; asks for account access. */
export async function walletSigner(): Promise<Signer> {
  const provider = browserWallet();
  if (!provider) throw new Error("No browser wallet found (window.ethereum)");
  const accounts = (await provider.request({ method: "eth_requestAccounts" })) as string[];
  const address = accounts[0] as `0x${string}` | undefined;
  if (!address) throw new Error("The wallet returned no account");
  return {
    address,
    kind: "wallet",
    signMessage: async (message) =>
      (await provider.request({ method: "personal_sign", params: [toHex(message), address] })) as Hex,
    // eth_signTypedData_v4 takes the JSON as the API serves it (uint256 as decimal strings).
    signTypedData: async (typedData) =>
      (await provider.request({
        method: "eth_signTypedData_v4",
        params: [address, JSON.stringify(typedData)],
      })) as Hex,
    chainId: async () => Number.parseInt((await provider.request({ method: "eth_chainId" })) as string, 16),
  };
}

const INTEGER = /^u?int\d*$/;

/** Converts a typed-data value's integer fields (decimal strings) to BigInt, following its types. */
function toBigInts(value: unknown, type: string, types: TypedDataJson["types"]): unknown {
  if (type.endsWith("]")) {
    const inner = type.slice(0, type.lastIndexOf("["));
    return (value as unknown[]).map((v) => toBigInts(v, inner, types));
  }
  if (INTEGER.test(type)) return BigInt(value as string | number);
  const fields = types[type];
  if (fields && value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const f of fields)
      out[f.name] = toBigInts((value as Record<string, unknown>)[f.name], f.type, types);
    return out;
  }
  return value;
}

/** A dev identity's key as a signer (viem local account). Insecure: demo keys only. */
export function devSigner(identity: DevIdentity): Signer {
  const account = privateKeyToAccount(identity.privateKey as Hex);
  return {
    address: account.address,
    kind: "dev",
    signMessage: (message) => account.signMessage({ message }),
    signTypedData: (typedData) => {
      const { EIP712Domain: _domainType, ...types } = typedData.types;
      const domain = { ...typedData.domain };
      if (domain.chainId !== undefined) domain.chainId = BigInt(domain.chainId as string | number);
      return account.signTypedData({
        domain,
        types,
        primaryType: typedData.primaryType,
        message: toBigInts(typedData.message, typedData.primaryType, types) as Record<string, unknown>,
      } as Parameters<typeof account.signTypedData>[0]);
    },
    chainId: async () => 1,
  };
}

/** Sign-In with Ethereum: nonce → EIP-4361 message for this host → signature → session token. */
export async function signIn(signer: Signer, extra: Pick<Session, "label" | "role"> = {}): Promise<Session> {
  const { createSiweNonce } = await gql<{ createSiweNonce: { nonce: string } }>(
    "mutation Nonce { createSiweNonce { nonce } }",
  );
  const message = createSiweMessage({
    address: signer.address,
    chainId: await signer.chainId(),
    domain: window.location.host,
    nonce: createSiweNonce.nonce,
    uri: window.location.origin,
    version: "1",
    statement: "Sign in to Cohort",
    issuedAt: new Date(),
  });
  const signature = await signer.signMessage(message);
  const { signIn: session } = await gql<{ signIn: { token: string; address: string; expiresAt: string } }>(
    "mutation SignIn($input: SignInInput!) { signIn(input: $input) { token address expiresAt } }",
    { input: { message, signature } },
    "",
  );
  return { ...session, via: signer.kind, ...extra };
}
