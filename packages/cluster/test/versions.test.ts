import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  type ClusterVersion,
  computeConfigHash,
  computeDefinitionHash,
  computeLockHash,
  createDefinition,
  createEnr,
  k1Address,
  k1PublicKey,
  parseDefinition,
  parseLock,
  SUPPORTED_VERSIONS,
  signDefinition,
  verifyDefinition,
  verifyLock,
  writeDefinition,
  writeLock,
} from "../src";
import { generateCluster, PLANS } from "./generate";
import { hex } from "./helpers";

// Every supported version, from fixtures this package generates (test/generate.ts): written, parsed
// back, written again byte for byte, re-hashed and verified end to end. The independent checks of
// hashes and signatures are the Obol SDK locks (fixtures.test.ts) and the obol-dv-specs vectors
// (vectors.test.ts); see test/fixtures/README.md for what each version is checked against.

/**
 * Charon's JSON layout per version: key order of the definition, the lock, a distributed validator,
 * and its deposit data and builder registration (null where the version has none). Taken from
 * Charon's cluster/testdata (v1.5.0–v1.11.0) during development.
 */
const CHARON_LAYOUT = (() => {
  const definition = [
    "name",
    "creator",
    "operators",
    "uuid",
    "version",
    "timestamp",
    "num_validators",
    "threshold",
    "validators",
    "dkg_algorithm",
    "fork_version",
  ];
  const hashes = ["config_hash", "definition_hash"];
  const lock = ["cluster_definition", "distributed_validators", "signature_aggregate", "lock_hash"];
  const deposit = ["pubkey", "withdrawal_credentials", "amount", "signature"];
  const registration = ["message", "signature"];
  const message = ["fee_recipient", "gas_limit", "timestamp", "pubkey"];
  const keys = ["distributed_public_key", "public_shares"];
  const v1x8 = {
    lock: [...lock, "node_signatures"],
    validator: [...keys, "builder_registration", "partial_deposit_data"],
    deposit,
    registration,
    message,
  };
  const gasAndCompounding = ["consensus_protocol", "target_gas_limit", "compounding"];
  return {
    "v1.5.0": {
      definition: [...definition, ...hashes],
      lock,
      validator: keys,
      deposit: null,
      registration: null,
      message: null,
    },
    "v1.6.0": {
      definition: [...definition, ...hashes],
      lock,
      validator: [...keys, "deposit_data"],
      deposit,
      registration: null,
      message: null,
    },
    "v1.7.0": {
      definition: [...definition, ...hashes],
      lock: [...lock, "node_signatures"],
      validator: [...keys, "deposit_data", "builder_registration"],
      deposit,
      registration,
      message,
    },
    "v1.8.0": { definition: [...definition, "deposit_amounts", ...hashes], ...v1x8 },
    "v1.9.0": { definition: [...definition, "deposit_amounts", "consensus_protocol", ...hashes], ...v1x8 },
    "v1.10.0": { definition: [...definition, "deposit_amounts", ...gasAndCompounding, ...hashes], ...v1x8 },
    "v1.11.0": { definition: [...definition, "deposit_amounts", ...gasAndCompounding, ...hashes], ...v1x8 },
  } satisfies Record<ClusterVersion, unknown>;
})();

/**
 * Hashes of the generated fixtures (and the sha256 of the written lock), pinned when this package's
 * hashing and writing also reproduced every hash and every byte of Charon's cluster/testdata
 * (v1.5.0–v1.11.0). A change here is a change in hashing or writing, not in the fixtures.
 */
const PINNED: Record<ClusterVersion, { config: string; definition: string; lock: string; lockText: string }> =
  {
    "v1.5.0": {
      config: "d205a760cc596523387897908ce6bbea6d85ae43124cd412f92992c0c7fc2110",
      definition: "5399b78e7bca86764bfe1c4b184d30ba8168134838a4ccf0a9252e78a1cc03f9",
      lock: "ad5240f77dbb1a3c1e387ed0a8fb5c1033d855fa50f83c79c402ba0e80a5acf6",
      lockText: "35a2d2ade26797d49141f697829eab072a2582a5df53cfb5a0090eefbf460a61",
    },
    "v1.6.0": {
      config: "cf5b3b747da8c69a31e9421b41352e7522999e5d05a67ebd49e95e8c3cb8743a",
      definition: "355c5c1bcabafa47057fc27856370f1b2b4f7ca92287ee1bd662c557515d3e43",
      lock: "04549fa0a5d02166e976b0f67064bdd0257f40a597badf27d0ea43311324616c",
      lockText: "5b1c9b3186c60565c3541830aecab508da5d8a7fd1d559c8accb62e1e5886b44",
    },
    "v1.7.0": {
      config: "9c1b1ef927d95c647769013e686146685dc44a8629a19ae386ffbbfe7bae4763",
      definition: "5599b23325755f88376ec29b10a88d3ee33ae3dec5ebae50ac2be38673c837aa",
      lock: "992d0a64d68004a69e5200cb2459fce226f52c48562cd79715caf98a6d127440",
      lockText: "55f2969c6e3603ac0c04e8da71ff46720efa762cbbe1fbcc7672ee7dc754c68c",
    },
    "v1.8.0": {
      config: "180ba0ac620aae1b55c5951003ed66cea50e3c8321d15eeadc20e6686dc7ab65",
      definition: "c9349461c77d0d13b5d5e68f7128a4a31a437f44e6857dd9441a004edd8223a5",
      lock: "3274c24d9a95d95a44c81caa9e3864a1df8c4daaafe8f820755eccb69f0a1110",
      lockText: "b92c2fb9fde1b62ab5717c9a10bc5c2e517d7ca7d0e393e738d273047bc0a9b2",
    },
    "v1.9.0": {
      config: "0682bbe1e3cb00b46ca038b2a4d7c10694764b05fc40432a1d118638a6f70654",
      definition: "88810aa5f657a43e7527d3e9e3fc519ef1d9e4ee7200c047fa920c9e4e1ffd10",
      lock: "6341b35c8cabd90e9f5078e84673e619b4307fe8ae389333eca7588a4bcdab06",
      lockText: "2be32596d75c74256d576e156283ff7262d233652d4c3b66271f7d46cc81b180",
    },
    "v1.10.0": {
      config: "a16ee827255c975bdfa2391f4f8f572b006dfb7839dce2b3636fdb1baf924453",
      definition: "911ea5f7982f0e990213f8ff6b1bd52b6f8911d785b5e7955a077acfba773050",
      lock: "35acb60162f77b96d4a91b7708765d6306c4cbc9bd2fa8082dd875e09c0e460f",
      lockText: "3dda10baf22d36b509f23b69da02a068013a27a176535c756e03442389e4718a",
    },
    "v1.11.0": {
      config: "78b7458e5b704a17012e815fe8be689cdea20cbccdb0f48dd3a1ab357e844701",
      definition: "d0af4da633c3491d579741e0d7b649ca27aa8798269779575d69751718878043",
      lock: "51eea5d6bd3166349d91aae01984ea1fe4195359ea28b2103d1a1887a65dc817",
      lockText: "6e4827ab09213684d480406de7ababdc86c607195a74ee3aca87778d7bc4db50",
    },
  };

const minor = (v: ClusterVersion) => Number(v.split(".")[1]);

describe.each(SUPPORTED_VERSIONS)("generated %s cluster", (version) => {
  const c = generateCluster(version);

  it("definition: parses, writes back byte for byte, hashes recompute, signatures and ENRs verify", async () => {
    const def = parseDefinition(c.definitionText);
    expect(def.version).toBe(version);
    expect(writeDefinition(def)).toBe(c.definitionText);
    expect(hex(computeConfigHash(def))).toBe(hex(def.configHash));
    expect(hex(computeDefinitionHash(def))).toBe(hex(def.definitionHash));
    const result = await verifyDefinition(def);
    expect(result.operatorsSigned).toBe(true);
    expect(result.checks).toEqual([
      "config_hash",
      "operator_signatures",
      "creator_signature",
      "enrs",
      "definition_hash",
    ]);
    expect(result.enrs.map((e) => e?.ip)).toEqual(["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"]);
  });

  it("lock: parses, writes back byte for byte, and every check passes", async () => {
    const lock = parseLock(c.lockText);
    expect(lock.definition.version).toBe(version);
    expect(writeLock(lock)).toBe(c.lockText);
    expect(hex(computeLockHash(lock))).toBe(hex(lock.lockHash));
    const result = await verifyLock(lock);
    expect(result.checks).toEqual([
      "config_hash",
      "validator_count",
      "operator_signatures",
      "creator_signature",
      "enrs",
      "public_shares",
      "deposit_data",
      "builder_registrations",
      "definition_hash",
      "lock_hash",
      "signature_aggregate",
      ...(minor(version) >= 7 ? ["node_signatures"] : []),
    ]);
  });

  it("has Charon's JSON layout for the version", () => {
    const layout = CHARON_LAYOUT[version];
    const json = JSON.parse(c.lockText);
    const dv = json.distributed_validators[0];
    const keys = (o: unknown) => (o && typeof o === "object" ? Object.keys(o) : null);
    expect(keys(JSON.parse(c.definitionText))).toEqual(layout.definition);
    expect(keys(json.cluster_definition)).toEqual(layout.definition);
    expect(keys(json)).toEqual(layout.lock);
    expect(keys(dv)).toEqual(layout.validator);
    expect(keys(dv.deposit_data ?? dv.partial_deposit_data?.[0])).toEqual(layout.deposit);
    expect(keys(dv.builder_registration)).toEqual(layout.registration);
    expect(keys(dv.builder_registration?.message)).toEqual(layout.message);
    expect(keys(json.cluster_definition.operators[0])).toEqual([
      "address",
      "enr",
      "config_signature",
      "enr_signature",
    ]);
    expect(keys(json.cluster_definition.creator)).toEqual(["address", "config_signature"]);
    expect(keys(json.cluster_definition.validators[0])).toEqual([
      "fee_recipient_address",
      "withdrawal_address",
    ]);
  });

  it("carries the version's features", () => {
    const plan = PLANS[version];
    const json = JSON.parse(c.lockText);
    const def = json.cluster_definition;
    expect(def.fork_version).toBe(plan.forkVersion);
    if (minor(version) >= 8) {
      expect(def.deposit_amounts).toEqual(plan.depositAmounts?.map(String) ?? null);
      const expected = (plan.depositAmounts ?? [32_000_000_000n]).map(String);
      for (const dv of json.distributed_validators) {
        expect(dv.partial_deposit_data.map((d: { amount: string }) => d.amount)).toEqual(expected);
      }
    }
    if (plan.compounding) {
      expect(json.distributed_validators[0].partial_deposit_data[0].withdrawal_credentials).toMatch(/^0x02/);
    }
    if (minor(version) >= 11) expect(def.target_gas_limit).toBe(30_000_000);
  });

  it("hashes and written bytes match the pinned values", () => {
    expect({
      config: hex(c.definition.configHash),
      definition: hex(c.definition.definitionHash),
      lock: hex(c.lock.lockHash),
      lockText: createHash("sha256").update(c.lockText).digest("hex"),
    }).toEqual(PINNED[version]);
  });
});

describe("a v1.5 solo-flow definition (creator signed, operators not joined yet)", () => {
  it("verifies with unsigned operators and no ENRs", async () => {
    const creatorKey = new Uint8Array(32).fill(7);
    const creator = k1Address(k1PublicKey(creatorKey));
    const def = signDefinition(
      createDefinition({
        version: "v1.5.0",
        name: "solo flow",
        operators: [{}, {}],
        creator: { address: creator },
        validators: [{ feeRecipientAddress: creator, withdrawalAddress: creator }],
        threshold: 2,
        forkVersion: "0x90000069",
      }),
      { creatorKey },
    );
    const text = writeDefinition(def);
    expect(JSON.parse(text).operators[0]).toEqual({
      address: "",
      enr: "",
      config_signature: "",
      enr_signature: "",
    });
    const result = await verifyDefinition(parseDefinition(text));
    expect(result.operatorsSigned).toBe(false);
    expect(result.enrs).toEqual([null, null]);
    // Once one operator signs, all must.
    const half = signDefinition(
      {
        ...def,
        operators: [
          { ...def.operators[0]!, enr: createEnr(creatorKey), address: creator },
          def.operators[1]!,
        ],
      },
      { creatorKey, operatorKeys: [creatorKey] },
    );
    await expect(verifyDefinition(half)).rejects.toMatchObject({
      code: "missing_signature",
      field: "operators",
    });
  });
});
