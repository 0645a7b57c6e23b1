import { sign as blsSign, secretToPublicKey } from "@cohort/tbls";
import { beforeAll, describe, expect, it } from "vitest";
import {
  ClusterError,
  createBuilderRegistration,
  createDefinition,
  createDepositData,
  createEnr,
  createLock,
  type Definition,
  type DistributedValidator,
  k1Address,
  k1GeneratePrivateKey,
  k1PublicKey,
  type Lock,
  parseDefinition,
  parseLock,
  setDefinitionHashes,
  signDefinition,
  verifyDefinition,
  verifyLock,
  writeDefinition,
  writeLock,
} from "../src";
import { flipByte, randomScalar, scalarBytes, shamirSplit } from "./helpers";

// A fresh 3-of-4 cluster with two validators at v1.10.0 (Hoodi), signed with real keys throughout.
const T = 3;
const N = 4;
const HOODI = "0x10000910";
const GWEI = 1_000_000_000n;

const operatorKeys = Array.from({ length: N }, () => k1GeneratePrivateKey());
const nodeKeys = Array.from({ length: N }, () => k1GeneratePrivateKey());
const creatorKey = k1GeneratePrivateKey();
const address = (key: Uint8Array) => k1Address(k1PublicKey(key));

let definition: Definition;
let lock: Lock;
/** Per validator, the four secret key shares (big-endian 32 bytes). */
let shareSecrets: Uint8Array[][];

function buildLock(def: Definition, validators: DistributedValidator[], shares = shareSecrets): Lock {
  return createLock({
    definition: def,
    distributedValidators: validators,
    shareSecretKeys: shares,
    nodeKeys,
  });
}

/** Applies `change`, then recomputes every hash and re-signs everything a forger could re-sign. */
function forge(base: Lock, change: (l: Lock) => void): Lock {
  const copy: Lock = structuredClone(base);
  change(copy);
  return buildLock(setDefinitionHashes(copy.definition), copy.distributedValidators);
}

async function failure(l: Lock): Promise<ClusterError> {
  const err = await verifyLock(l).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ClusterError);
  return err as ClusterError;
}

beforeAll(() => {
  const unsigned = createDefinition({
    name: "cohort round trip <&>",
    operators: operatorKeys.map((key, i) => ({
      address: address(key),
      enr: createEnr(nodeKeys[i]!, { ip: "10.0.0.1", tcp: 3610 + i, udp: 3630 + i }),
    })),
    creator: { address: address(creatorKey) },
    validators: [
      {
        feeRecipientAddress: address(creatorKey),
        withdrawalAddress: "0x000000000000000000000000000000000000dEaD",
      },
      { feeRecipientAddress: address(operatorKeys[1]!), withdrawalAddress: address(operatorKeys[2]!) },
    ],
    threshold: T,
    forkVersion: HOODI,
    depositAmounts: [16n * GWEI, 16n * GWEI],
    consensusProtocol: "qbft",
    targetGasLimit: 36_000_000,
  });
  definition = signDefinition(unsigned, { creatorKey, operatorKeys });

  const fork = definition.forkVersion;
  shareSecrets = [];
  const validators = definition.validators.map((va): DistributedValidator => {
    const secret = randomScalar();
    const secretBytes = scalarBytes(secret);
    const shares = shamirSplit(secret, T, N).map(scalarBytes);
    shareSecrets.push(shares);
    const pubkey = secretToPublicKey(secretBytes);
    const sign = (root: Uint8Array) => blsSign(secretBytes, root);
    return {
      distributedPublicKey: pubkey,
      publicShares: shares.map(secretToPublicKey),
      partialDepositData: (definition.depositAmounts ?? []).map((amount) =>
        createDepositData(
          { pubkey, withdrawalAddress: va.withdrawalAddress, amount, forkVersion: fork },
          sign,
        ),
      ),
      builderRegistration: createBuilderRegistration(
        { pubkey, feeRecipientAddress: va.feeRecipientAddress, timestamp: 1742213400, forkVersion: fork },
        sign,
      ),
    };
  });
  lock = buildLock(definition, validators);
});

describe("round trip", () => {
  it("definition: create, sign, write, parse, verify", async () => {
    expect(definition.version).toBe("v1.10.0");
    expect(definition.uuid).toMatch(/^[0-9A-F-]{36}$/);
    const text = writeDefinition(definition);
    expect(text).toContain('"name": "cohort round trip \\u003c\\u0026\\u003e"');
    const parsed = parseDefinition(text);
    expect(writeDefinition(parsed)).toBe(text);
    const result = await verifyDefinition(parsed);
    expect(result.operatorsSigned).toBe(true);
    expect(result.enrs.map((e) => e?.tcp)).toEqual([3610, 3611, 3612, 3613]);
  });

  it("lock: write, parse, verify every check", async () => {
    const text = writeLock(lock);
    const parsed = parseLock(text);
    expect(writeLock(parsed)).toBe(text);
    const result = await verifyLock(parsed);
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
      "node_signatures",
    ]);
  });

  it("lock JSON has Charon's v1.10 shape", () => {
    const json = JSON.parse(writeLock(lock));
    expect(Object.keys(json)).toEqual([
      "cluster_definition",
      "distributed_validators",
      "signature_aggregate",
      "lock_hash",
      "node_signatures",
    ]);
    expect(Object.keys(json.cluster_definition)).toEqual([
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
      "deposit_amounts",
      "consensus_protocol",
      "target_gas_limit",
      "compounding",
      "config_hash",
      "definition_hash",
    ]);
    expect(Object.keys(json.distributed_validators[0])).toEqual([
      "distributed_public_key",
      "public_shares",
      "builder_registration",
      "partial_deposit_data",
    ]);
    expect(json.cluster_definition.deposit_amounts).toEqual(["16000000000", "16000000000"]);
    expect(json.distributed_validators[0].partial_deposit_data[0].amount).toBe("16000000000");
  });
});

describe("tampering: one flipped byte is caught and the field named", () => {
  it("lock_hash", async () => {
    const err = await failure({ ...lock, lockHash: flipByte(lock.lockHash) });
    expect(err.field).toBe("lock_hash");
    expect(err.code).toBe("hash_mismatch");
    expect(err.message).toContain("lock_hash mismatch");
  });

  it("an operator config signature (as found in the file: the signature is named, not the hash over it)", async () => {
    const l = structuredClone(lock);
    l.definition.operators[2]!.configSignature = flipByte(l.definition.operators[2]!.configSignature);
    const err = await failure(l);
    expect(err.field).toBe("cluster_definition.operators[2].config_signature");
  });

  it("an operator config signature (re-hashed and re-signed)", async () => {
    const l = forge(lock, (x) => {
      x.definition.operators[2]!.configSignature = flipByte(x.definition.operators[2]!.configSignature);
    });
    const err = await failure(l);
    expect(err.field).toBe("cluster_definition.operators[2].config_signature");
    expect(err.code).toBe("invalid_signature");
    expect(err.message).toContain(`not signed by ${address(operatorKeys[2]!)}`);
  });

  it("a definition's operator config signature, verified on its own", async () => {
    const d = structuredClone(definition);
    d.operators[2]!.configSignature = flipByte(d.operators[2]!.configSignature);
    const err = (await verifyDefinition(setDefinitionHashes(d)).catch((e: unknown) => e)) as ClusterError;
    expect(err).toBeInstanceOf(ClusterError);
    expect(err.field).toBe("operators[2].config_signature");
    expect(err.message).toMatch(/^operators\[2\]\.config_signature: not signed by 0x/);
  });

  it("the creator signature", async () => {
    const l = forge(lock, (x) => {
      x.definition.creator.configSignature = flipByte(x.definition.creator.configSignature, 40);
    });
    expect((await failure(l)).field).toBe("cluster_definition.creator.config_signature");
  });

  it("a node signature", async () => {
    const sigs = lock.nodeSignatures.slice();
    sigs[3] = flipByte(sigs[3]!);
    const err = await failure({ ...lock, nodeSignatures: sigs });
    expect(err.field).toBe("node_signatures[3]");
    expect(err.message).toBe("node_signatures[3]: not by operator 3's ENR key");
  });

  it("signature_aggregate", async () => {
    const err = await failure({ ...lock, signatureAggregate: flipByte(lock.signatureAggregate) });
    expect(err.field).toBe("signature_aggregate");
  });

  it("signature_aggregate: a valid signature over the wrong message", async () => {
    const other = buildLock(definition, lock.distributedValidators.slice().reverse());
    const err = await failure({ ...lock, signatureAggregate: other.signatureAggregate });
    expect(err.field).toBe("signature_aggregate");
    expect(err.message).toContain("signature_aggregate does not verify");
  });

  it("a public share (as found in the file: the share is named, not the lock hash over it)", async () => {
    const l = structuredClone(lock);
    l.distributedValidators[0]!.publicShares[1] = flipByte(l.distributedValidators[0]!.publicShares[1]!);
    expect((await failure(l)).field).toBe("distributed_validators[0].public_shares[1]");
  });

  it("a public share (re-hashed and re-signed)", async () => {
    const l = forge(lock, (x) => {
      x.distributedValidators[0]!.publicShares[1] = flipByte(x.distributedValidators[0]!.publicShares[1]!);
    });
    const err = await failure(l);
    expect(err.field).toBe("distributed_validators[0].public_shares[1]");
  });

  it("a public share swapped for a valid key off the polynomial (beyond the threshold)", async () => {
    const l = forge(lock, (x) => {
      x.distributedValidators[0]!.publicShares[3] = x.distributedValidators[1]!.publicShares[3]!;
    });
    const err = await failure(l);
    expect(err.code).toBe("invalid_share");
    expect(err.message).toBe(
      "distributed_validators[0].public_shares[3]: does not lie on the validator's polynomial",
    );
  });

  it("a public share swapped for a valid key off the polynomial (within the first t)", async () => {
    const l = forge(lock, (x) => {
      x.distributedValidators[1]!.publicShares[1] = x.distributedValidators[0]!.publicShares[1]!;
    });
    const err = await failure(l);
    expect(err.message).toBe(
      "distributed_validators[1].public_shares[1]: does not lie on the validator's polynomial",
    );
  });

  it("a deposit signature (as found in the file: the signature is named, not the lock hash over it)", async () => {
    const l = structuredClone(lock);
    const dd = l.distributedValidators[0]!.partialDepositData[1]!;
    dd.signature = flipByte(dd.signature);
    expect((await failure(l)).field).toBe("distributed_validators[0].partial_deposit_data[1].signature");
  });

  it("a deposit signature (re-hashed and re-signed)", async () => {
    const l = forge(lock, (x) => {
      const dd = x.distributedValidators[0]!.partialDepositData[1]!;
      dd.signature = flipByte(dd.signature);
    });
    const err = await failure(l);
    expect(err.field).toBe("distributed_validators[0].partial_deposit_data[1].signature");
  });

  it("deposit withdrawal credentials", async () => {
    const l = forge(lock, (x) => {
      const dd = x.distributedValidators[1]!.partialDepositData[0]!;
      dd.withdrawalCredentials = flipByte(dd.withdrawalCredentials, 31);
    });
    expect((await failure(l)).field).toBe(
      "distributed_validators[1].partial_deposit_data[0].withdrawal_credentials",
    );
  });

  it("a builder registration signature", async () => {
    const l = forge(lock, (x) => {
      const reg = x.distributedValidators[1]!.builderRegistration;
      reg.signature = flipByte(reg.signature);
    });
    expect((await failure(l)).field).toBe("distributed_validators[1].builder_registration.signature");
  });

  it("a missing node signature", async () => {
    const err = await failure({ ...lock, nodeSignatures: lock.nodeSignatures.slice(0, 3) });
    expect(err.code).toBe("count_mismatch");
    expect(err.field).toBe("node_signatures");
  });

  it("a validator dropped from the lock", async () => {
    const l = forge(lock, () => {});
    l.distributedValidators = l.distributedValidators.slice(0, 1);
    const err = await failure(l);
    expect(err.field).toBe("distributed_validators");
    expect(err.code).toBe("count_mismatch");
  });

  it("an ENR swapped for a stranger's node (hashes and node signatures redone)", async () => {
    const stranger = k1GeneratePrivateKey();
    const def = structuredClone(definition);
    def.operators[1]!.enr = createEnr(stranger);
    const keys = nodeKeys.map((k, i) => (i === 1 ? stranger : k));
    const l = createLock({
      definition: setDefinitionHashes(def),
      distributedValidators: lock.distributedValidators,
      shareSecretKeys: shareSecrets,
      nodeKeys: keys,
    });
    // The operator's EIP-712 ENR signature does not cover the stranger's ENR.
    expect((await failure(l)).field).toBe("cluster_definition.operators[1].enr_signature");
  });
});

describe("networks", () => {
  it("an unknown fork version needs an explicit EIP-712 chain id", async () => {
    const key = k1GeneratePrivateKey();
    const unsigned = createDefinition({
      name: "devnet",
      operators: [{ address: address(key), enr: createEnr(nodeKeys[0]!) }],
      creator: { address: address(key) },
      validators: [{ feeRecipientAddress: address(key), withdrawalAddress: address(key) }],
      threshold: 1,
      forkVersion: "0x12345678",
    });
    expect(() => signDefinition(unsigned, { creatorKey: key, operatorKeys: [key] })).toThrow(
      /fork_version: unknown/,
    );
    const def = signDefinition(unsigned, { creatorKey: key, operatorKeys: [key], chainId: 1337 });
    const err = (await verifyDefinition(def).catch((e: unknown) => e)) as ClusterError;
    expect(err.code).toBe("unsupported_network");
    expect(err.field).toBe("fork_version");
    await expect(verifyDefinition(def, { chainId: 1337 })).resolves.toMatchObject({ operatorsSigned: true });
    const wrongChain = (await verifyDefinition(def, { chainId: 1 }).catch((e: unknown) => e)) as ClusterError;
    expect(wrongChain.field).toBe("operators[0].config_signature");
  });
});

describe("createLock guards", () => {
  it("refuses node keys that do not match the ENRs", () => {
    expect(() =>
      createLock({
        definition,
        distributedValidators: lock.distributedValidators,
        nodeKeys: [nodeKeys[1]!, nodeKeys[0]!, nodeKeys[2]!, nodeKeys[3]!],
      }),
    ).toThrow(/operators\[0\]\.enr: does not carry node key 0/);
  });

  it("refuses a validator count that does not match the definition", () => {
    expect(() => createLock({ definition, distributedValidators: [] })).toThrow(ClusterError);
  });
});
