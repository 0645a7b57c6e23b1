import {
  DOMAIN_DEPOSIT as ETH_DOMAIN_DEPOSIT,
  depositSigningRoot as ethDepositSigningRoot,
  HOODI,
} from "@cohort/eth";
import { recoverPublicKey, secretToPublicKey } from "@cohort/tbls";
import { describe, expect, it } from "vitest";
import {
  ClusterError,
  clusterNetwork,
  createDefinition,
  createLock,
  DOMAIN_DEPOSIT,
  decodeHex,
  depositSigningRoot,
  eip712ChainId,
  type Lock,
  NETWORKS,
  networkByForkVersion,
  to0xHex,
  verifyLock,
  withdrawalCredentials,
} from "../src";
import { generateCluster } from "./generate";
import { hex, scalarBytes } from "./helpers";

// The seams between this package's model and @cohort/eth / @cohort/tbls / viem.

describe("networks (from @cohort/eth, with its extra networks)", () => {
  it("resolves every network Charon knows to its EIP-712 chain id", () => {
    const cases: [string, number][] = [
      ["0x00000000", 1],
      ["0x00001020", 5], // goerli (deprecated in @cohort/eth, still in old cluster files)
      ["0x00000064", 100], // gnosis
      ["0x0000006f", 10200], // chiado
      ["0x90000069", 11155111],
      ["0x01017000", 17000],
      ["0x10000910", 560048],
    ];
    for (const [fork, chainId] of cases) {
      expect(eip712ChainId(decodeHex(fork)!)).toBe(chainId);
      expect(networkByForkVersion(decodeHex(fork)!)?.chainId).toBe(chainId);
    }
    expect(NETWORKS.map((n) => n.chainId).sort((a, b) => a - b)).toEqual(
      cases.map(([, c]) => c).sort((a, b) => a - b),
    );
    expect(clusterNetwork(decodeHex("0x10000910")!)).toBe(HOODI);
  });

  it("unknown or malformed fork versions resolve to nothing", () => {
    expect(clusterNetwork(decodeHex("0x12345678")!)).toBeUndefined();
    expect(clusterNetwork(new Uint8Array(3))).toBeUndefined();
    expect(networkByForkVersion(new Uint8Array())).toBeUndefined();
    expect(() => eip712ChainId(new Uint8Array())).toThrow(/fork_version: unknown fork version ""/);
    expect(eip712ChainId(new Uint8Array(), 1337)).toBe(1337);
  });

  it("re-exports the consensus domain constants from @cohort/eth", () => {
    expect(DOMAIN_DEPOSIT).toBe(ETH_DOMAIN_DEPOSIT);
  });
});

describe("signing roots and credentials (from @cohort/eth)", () => {
  const address = "0x3C75594181e03E8ECD8468A0037F058a9dAfad79";

  it("withdrawal credentials accept any spelling of the address, as Charon does", () => {
    const expected = `0x010000000000000000000000${address.slice(2).toLowerCase()}`;
    expect(to0xHex(withdrawalCredentials(address))).toBe(expected);
    expect(to0xHex(withdrawalCredentials(address.toLowerCase()))).toBe(expected);
    expect(to0xHex(withdrawalCredentials(address.slice(2).toUpperCase()))).toBe(expected);
    // A broken EIP-55 mix is not Charon's concern either.
    expect(to0xHex(withdrawalCredentials(address.replace("C75", "c75")))).toBe(expected);
    expect(to0xHex(withdrawalCredentials(address, true))).toBe(`0x02${expected.slice(4)}`);
    expect(() => withdrawalCredentials("0x1234")).toThrow(RangeError);
  });

  it("deposit signing roots take bigint Gwei and match @cohort/eth's", () => {
    const msg = {
      pubkey: secretToPublicKey(scalarBytes(42n)),
      withdrawalCredentials: withdrawalCredentials(address),
      amount: 32_000_000_000n,
    };
    const fork = decodeHex("0x00001020")!;
    expect(hex(depositSigningRoot(fork, msg))).toBe(
      hex(ethDepositSigningRoot(fork, { ...msg, amount: 32_000_000_000 })),
    );
    expect(() => depositSigningRoot(fork, { ...msg, amount: -1n })).toThrow(RangeError);
    expect(() => depositSigningRoot(fork, { ...msg, amount: 1n << 60n })).toThrow(RangeError);
  });
});

describe("verification reports out-of-range values as ClusterErrors", () => {
  const c = generateCluster("v1.8.0");
  // The lock hash is recomputed but the aggregate (signed over the old one) is not: leave it unchecked.
  const failure = async (l: Lock) => {
    const err = await verifyLock(l, { signatureAggregate: false }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ClusterError);
    return err as ClusterError;
  };

  it("a negative deposit amount", async () => {
    const l = structuredClone(c.lock);
    l.distributedValidators[0]!.partialDepositData[0]!.amount = -5n;
    const err = await failure(createLock({ ...l, nodeKeys: c.nodeKeys }));
    expect(err.code).toBe("invalid_deposit");
    expect(err.field).toBe("distributed_validators[0].partial_deposit_data[0]");
  });

  it("a negative builder registration timestamp", async () => {
    const l = structuredClone(c.lock);
    l.distributedValidators[1]!.builderRegistration.message.timestamp = -1;
    const err = await failure(createLock({ ...l, nodeKeys: c.nodeKeys }));
    expect(err.code).toBe("invalid_registration");
    expect(err.field).toBe("distributed_validators[1].builder_registration.message");
  });

  it("the point at infinity as signature_aggregate", async () => {
    const infinity = new Uint8Array(96);
    infinity[0] = 0xc0;
    const err = (await verifyLock({ ...c.lock, signatureAggregate: infinity }).catch(
      (e: unknown) => e,
    )) as ClusterError;
    expect(err.field).toBe("signature_aggregate");
    expect(err.message).toContain("does not verify");
  });

  it("public shares that interpolate to the point at infinity", async () => {
    // With shares at x = 1, 2 the key at 0 is 2·P1 − P2: P2 = 2·P1 makes it the identity, which
    // tbls refuses to return (the verifier must turn that into "does not reconstruct").
    const shares = [secretToPublicKey(scalarBytes(12345n)), secretToPublicKey(scalarBytes(24690n))];
    await expect(recoverPublicKey(shares.map((s, i) => [i + 1, s] as const))).rejects.toMatchObject({
      code: "INVALID_PUBLIC_KEY",
    });
    const def = createDefinition({
      version: "v1.5.0",
      name: "infinity",
      operators: [{}, {}],
      validators: [{ feeRecipientAddress: "", withdrawalAddress: "" }],
      threshold: 2,
      forkVersion: "0x00000000",
    });
    const lock = createLock({
      definition: def,
      distributedValidators: [
        {
          distributedPublicKey: secretToPublicKey(scalarBytes(7n)),
          publicShares: shares,
          partialDepositData: [],
          builderRegistration: {
            message: { feeRecipient: new Uint8Array(), gasLimit: 0, timestamp: 0, pubkey: new Uint8Array() },
            signature: new Uint8Array(),
          },
        },
      ],
    });
    const err = await verifyLock(lock, { signatures: false, enrs: false, signatureAggregate: false }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ClusterError);
    expect((err as ClusterError).code).toBe("invalid_share");
    expect((err as ClusterError).message).toContain("do not reconstruct distributed_public_key");
  });
});
