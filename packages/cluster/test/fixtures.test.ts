import { describe, expect, it } from "vitest";
import {
  ClusterError,
  computeConfigHash,
  computeDefinitionHash,
  computeLockHash,
  parseLock,
  verifyDefinition,
  verifyLock,
} from "../src";
import { hex, readFixture } from "./helpers";

// Real launchpad locks from Obol's SDK test fixtures (Goerli, Holesky, Hoodi): every signature is real.
describe("Obol SDK locks (fully signed)", () => {
  it.each([
    ["lock_v1_6_0_goerli.json", "v1.6.0"],
    ["lock_v1_7_0_goerli.json", "v1.7.0"],
    ["lock_v1_8_0_holesky.json", "v1.8.0"],
    ["lock_v1_8_0_null_deposit_amounts.json", "v1.8.0"],
    ["lock_v1_10_0_holesky.json", "v1.10.0"],
    ["lock_v1_10_0_holesky_compounding.json", "v1.10.0"],
    ["lock_v1_10_0_hoodi_compounding.json", "v1.10.0"],
  ])("%s (%s) verifies end to end", async (file, version) => {
    const lock = parseLock(readFixture(`obol-sdk/${file}`));
    const result = await verifyLock(lock);
    expect(result.version).toBe(version);
    expect(result.checks).toContain("operator_signatures");
    expect(result.checks).toContain("public_shares");
    expect(result.checks).toContain("signature_aggregate");
    expect(result.checks).toContain("deposit_data");
  });

  it.each([
    "lock_v1_6_0_goerli.json",
    "lock_v1_7_0_goerli.json",
    "lock_v1_8_0_holesky.json",
    "lock_v1_10_0_hoodi_compounding.json",
  ])("%s: hashes as written by Obol, and its definition verifies on its own", async (file) => {
    const lock = parseLock(readFixture(`obol-sdk/${file}`));
    const def = lock.definition;
    expect(hex(computeConfigHash(def))).toBe(hex(def.configHash));
    expect(hex(computeDefinitionHash(def))).toBe(hex(def.definitionHash));
    expect(hex(computeLockHash(lock))).toBe(hex(lock.lockHash));
    const result = await verifyDefinition(def);
    expect(result.operatorsSigned).toBe(true);
    expect(result.enrs).toHaveLength(4);
  });

  it("v1.6 has no node signatures or builder registrations", async () => {
    const result = await verifyLock(parseLock(readFixture("obol-sdk/lock_v1_6_0_goerli.json")));
    expect(result.checks).not.toContain("node_signatures");
  });

  it("v1.7 (Goerli) checks builder registrations and node signatures against the ENRs", async () => {
    const result = await verifyLock(parseLock(readFixture("obol-sdk/lock_v1_7_0_goerli.json")));
    expect(result.version).toBe("v1.7.0");
    expect(result.checks).toContain("builder_registrations");
    expect(result.checks).toContain("node_signatures");
    expect(result.enrs).toHaveLength(4);
  });

  describe("lock_v1_8_0_holesky_safe.json (operator 3 is a Safe multisig)", () => {
    const lock = parseLock(readFixture("obol-sdk/lock_v1_8_0_holesky_safe.json"));
    const safe = lock.definition.operators[3]!.address;

    it("fails the EOA check for the Safe's signature", async () => {
      const err = await verifyLock(lock).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ClusterError);
      expect((err as ClusterError).field).toBe("cluster_definition.operators[3].config_signature");
      expect((err as ClusterError).message).toContain(`not signed by ${safe}`);
    });

    it("verifies with an ERC-1271 verifier vouching for the Safe (and only the Safe)", async () => {
      const asked: string[] = [];
      const result = await verifyLock(lock, {
        verifyContractSignature: (address) => {
          asked.push(address);
          return address.toLowerCase() === safe.toLowerCase();
        },
      });
      expect(result.checks).toContain("node_signatures");
      expect(new Set(asked)).toEqual(new Set([safe]));
    });
  });
});
