import { recoverPublicKey } from "@cohort/tbls";
import { describe, expect, it } from "vitest";
import {
  ClusterError,
  computeConfigHash,
  computeDefinitionHash,
  computeLockHash,
  createEnr,
  k1Recover,
  k1Sign,
  k1Verify65,
  parseDefinition,
  parseEnr,
  parseLock,
  verifyLock,
  writeDefinition,
  writeLock,
} from "../src";
import { fromHex, hex, readVector } from "./helpers";

interface Case {
  name: string;
  input: Record<string, unknown>;
  notes?: string;
}
interface DefinitionCase extends Case {
  config_hash: string;
  definition_hash: string;
}
interface LockCase extends Case {
  lock_hash: string;
  node_pubkeys?: string[];
}

const hashing = readVector<{ suite: string; definition: DefinitionCase[]; lock: LockCase[] }>(
  "cluster_hashing.json",
);

describe("cluster_hashing.json", () => {
  it("is the suite it claims to be", () => {
    expect(hashing.suite).toBe("cluster_hashing");
  });

  describe.each(hashing.definition.map((c) => [c.name, c] as const))("definition %s", (_, c) => {
    const def = parseDefinition(c.input);

    it("config hash and definition hash", () => {
      expect(hex(computeConfigHash(def))).toBe(c.config_hash);
      expect(hex(computeDefinitionHash(def))).toBe(c.definition_hash);
      expect(hex(def.configHash)).toBe(c.config_hash);
      expect(hex(def.definitionHash)).toBe(c.definition_hash);
    });

    it("writes back as Charon wrote it", () => {
      // The inputs are Charon's own JSON writer output; one-space indent is its on-disk form.
      expect(writeDefinition(def)).toBe(JSON.stringify(c.input, null, 1));
    });
  });

  it("adding signatures leaves the config hash alone and moves the definition hash", () => {
    const find = (n: string) => hashing.definition.find((c) => c.name === n)!;
    const unsigned = find("unsigned_single_operator");
    const signed = find("signed_single_operator");
    expect(signed.config_hash).toBe(unsigned.config_hash);
    expect(signed.definition_hash).not.toBe(unsigned.definition_hash);
  });

  describe.each(hashing.lock.map((c) => [c.name, c] as const))("lock %s", (_, c) => {
    const lock = parseLock(c.input);

    it("lock hash", () => {
      expect(hex(computeLockHash(lock))).toBe(c.lock_hash);
      expect(hex(lock.lockHash)).toBe(c.lock_hash);
    });

    it("writes back as Charon wrote it", () => {
      expect(writeLock(lock)).toBe(JSON.stringify(c.input, null, 1));
    });
  });

  describe("real_keys_3_of_4", () => {
    const c = hashing.lock.find((x) => x.name === "real_keys_3_of_4")!;
    const lock = parseLock(c.input);

    it("verifies end to end: hashes, ENRs, share reconstruction, signature aggregate, node signatures", async () => {
      // The vector's EIP-712 signatures, builder registration and deposit signature are placeholder
      // bytes (see its notes), so those checks are switched off; everything Charon signed is checked.
      const result = await verifyLock(lock, {
        signatures: false,
        builderRegistrations: false,
        depositData: false,
      });
      expect(result.checks).toEqual([
        "config_hash",
        "validator_count",
        "enrs",
        "public_shares",
        "definition_hash",
        "lock_hash",
        "signature_aggregate",
        "node_signatures",
      ]);
      expect(hex(result.lockHash)).toBe(c.lock_hash);
      expect(result.enrs.map((e) => hex(e.publicKey))).toEqual(c.node_pubkeys);
    });

    it("node signatures recover to node_pubkeys", () => {
      lock.nodeSignatures.forEach((sig, i) => {
        expect(hex(k1Recover(lock.lockHash, sig))).toBe(c.node_pubkeys?.[i]);
      });
    });

    it("fails on the placeholder operator signature when EIP-712 checks are on", async () => {
      const err = await verifyLock(lock).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ClusterError);
      expect((err as ClusterError).field).toBe("cluster_definition.operators[0].config_signature");
      expect((err as ClusterError).code).toBe("invalid_signature");
    });

    it("fails on the placeholder builder registration and deposit signatures", async () => {
      const reg = await verifyLock(lock, { signatures: false, depositData: false }).catch((e: unknown) => e);
      expect((reg as ClusterError).field).toBe("distributed_validators[0].builder_registration.signature");
      // The placeholder deposit pays to 0x…000dead while the definition's withdrawal address is 0x…0dead0.
      const dep = await verifyLock(lock, { signatures: false, builderRegistrations: false }).catch(
        (e: unknown) => e,
      );
      expect((dep as ClusterError).field).toBe(
        "distributed_validators[0].partial_deposit_data[0].withdrawal_credentials",
      );
    });
  });
});

interface K1Vector {
  secret_hex: string;
  pubkey_hex: string;
  cases: { name: string; input: { hash_hex: string }; signature_hex: string; recovered_pubkey_hex: string }[];
}

describe("secp256k1_signatures.json", () => {
  const v = readVector<K1Vector>("secp256k1_signatures.json");
  const secret = fromHex(v.secret_hex);

  it.each(v.cases.map((c) => [c.name, c] as const))("%s", (_, c) => {
    const digest = fromHex(c.input.hash_hex);
    expect(hex(k1Sign(secret, digest))).toBe(c.signature_hex);
    expect(hex(k1Recover(digest, fromHex(c.signature_hex)))).toBe(c.recovered_pubkey_hex);
    expect(k1Verify65(fromHex(v.pubkey_hex), digest, fromHex(c.signature_hex))).toBe(true);
  });

  it("the key is operator 0's node key in real_keys_3_of_4, and createEnr reproduces its ENR", () => {
    const lockCase = hashing.lock.find((x) => x.name === "real_keys_3_of_4")!;
    const operators = (lockCase.input.cluster_definition as { operators: { enr: string }[] }).operators;
    const enr = operators[0]!.enr;
    expect(hex(parseEnr(enr).publicKey)).toBe(v.pubkey_hex);
    expect(createEnr(secret)).toBe(enr);
  });
});

interface BlsVector {
  group_pubkey_hex: string;
  partials: { input: { share_idx: number }; pubshare_hex: string }[];
  recovery: { name: string; input: { share_indices: number[] }; pubkey_hex: string }[];
}

describe("bls_threshold.json (share reconstruction used by lock verification)", () => {
  const v = readVector<BlsVector>("bls_threshold.json");
  const share = (i: number) => fromHex(v.partials.find((p) => p.input.share_idx === i)!.pubshare_hex);

  it.each(v.recovery.map((c) => [c.name, c] as const))("%s", async (_, c) => {
    const shares = new Map(c.input.share_indices.map((i) => [i, share(i)] as const));
    expect(hex(await recoverPublicKey(shares))).toBe(c.pubkey_hex);
  });

  it("every 3-subset of the 4 shares reconstructs the group key", async () => {
    for (const subset of [
      [1, 2, 4],
      [1, 3, 4],
      [2, 3, 4],
    ]) {
      const shares = new Map(subset.map((i) => [i, share(i)] as const));
      expect(hex(await recoverPublicKey(shares))).toBe(v.group_pubkey_hex);
    }
  });
});
