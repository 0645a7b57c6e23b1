import { verifyTypedData } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { newApiKey, parseApiKey, sameHash, sha256Hex } from "./auth/tokens";
import { defaultThreshold, minThreshold } from "./clusters/service";
import { clusterConfigHash, membershipTypedData } from "./clusters/typedData";
import type { CohortError } from "./errors";
import { addressSchema, parseInput } from "./validation";

const alice = privateKeyToAccount(`0x${"11".repeat(32)}`);
const bob = privateKeyToAccount(`0x${"22".repeat(32)}`);
const carol = privateKeyToAccount(`0x${"33".repeat(32)}`);
const config = {
  clusterId: "01a1fccd-6d55-73aa-a473-6e02ffe39c2f",
  name: "c",
  network: "devnet",
  threshold: 2,
  operators: [alice.address, bob.address, carol.address],
} as const;

describe("thresholds", () => {
  it.each([
    [3, 2, 2],
    [4, 3, 3],
    [7, 5, 4],
    [10, 7, 6],
  ])("n=%i: default ⌈2n/3⌉ = %i, minimum strict majority = %i", (n, def, min) => {
    expect(defaultThreshold(n)).toBe(def);
    expect(minThreshold(n)).toBe(min);
  });
});

describe("membership typed data (EIP-712)", () => {
  it("an operator's signature verifies for its own seat only", async () => {
    const typed = membershipTypedData(config, bob.address, 2);
    const signature = await bob.signTypedData(typed);
    expect(await verifyTypedData({ address: bob.address, ...typed, signature })).toBe(true);
    expect(await verifyTypedData({ address: alice.address, ...typed, signature })).toBe(false);
    const otherSeat = membershipTypedData(config, bob.address, 3);
    expect(await verifyTypedData({ address: bob.address, ...otherSeat, signature })).toBe(false);
  });

  it("the config hash changes with every field that defines the cluster", () => {
    const base = clusterConfigHash(config);
    const variants = [
      { ...config, name: "d" },
      { ...config, network: "mainnet" },
      { ...config, threshold: 3 },
      { ...config, operators: [bob.address, alice.address, carol.address] },
      { ...config, clusterId: "01a1fccd-6d55-73aa-a473-6e02ffe39c30" },
    ];
    for (const v of variants) expect(clusterConfigHash(v)).not.toBe(base);
    expect(clusterConfigHash({ ...config })).toBe(base);
  });
});

describe("parseInput", () => {
  const schema = z.object({ operators: z.array(addressSchema), n: z.number().int() });

  it("returns parsed values, addresses lowercased", () => {
    expect(parseInput("input", schema, { operators: [alice.address], n: 1 })).toEqual({
      operators: [alice.address.toLowerCase()],
      n: 1,
    });
  });

  it("throws BAD_USER_INPUT naming the first bad field, listing all", () => {
    try {
      parseInput("input", schema, { operators: [alice.address, "0xnope"], n: 1.5 });
      expect.unreachable();
    } catch (e) {
      const err = e as CohortError;
      expect(err.code).toBe("BAD_USER_INPUT");
      expect(err.field).toBe("input.operators.1");
      expect(err.message).toMatch(/^input\.operators\.1: must be a 0x-prefixed 20-byte Ethereum address/);
      expect((err.details!.issues as { field: string }[]).map((i) => i.field)).toEqual([
        "input.operators.1",
        "input.n",
      ]);
    }
  });
});

describe("API keys and token hashing", () => {
  it("round-trips the key format and never stores the secret", () => {
    const { key, prefix, secretHash } = newApiKey();
    const parsed = parseApiKey(key)!;
    expect(parsed.prefix).toBe(prefix);
    expect(sha256Hex(parsed.secret)).toBe(secretHash);
    expect(secretHash).not.toContain(parsed.secret);
  });

  it("rejects malformed keys", () => {
    for (const k of ["", "cohort_ak_", "cohort_ak_zzzzzzzz_x", `cohort_s_${"a".repeat(43)}`])
      expect(parseApiKey(k)).toBeNull();
  });

  it("compares hashes in constant time and by value", () => {
    expect(sameHash(sha256Hex("a"), sha256Hex("a"))).toBe(true);
    expect(sameHash(sha256Hex("a"), sha256Hex("b"))).toBe(false);
    expect(sameHash(sha256Hex("a"), "")).toBe(false);
  });
});
