import {
  BooleanType,
  ByteListType,
  ByteVectorType,
  ContainerType,
  ListBasicType,
  ListCompositeType,
  UintBigintType,
} from "@chainsafe/ssz";
import { pad } from "viem";
import { fail, joinField } from "./errors";
import { decodeHex } from "./hex";
import type { BuilderRegistration, Definition, DepositData, DistributedValidator, Lock } from "./types";
import {
  type ClusterVersion,
  hasBuilderRegistration,
  hasConsensusProtocol,
  hasGasLimitAndCompounding,
  hasPartialDeposits,
  hasSignatureLists,
  hasSingleDepositData,
  minor,
} from "./versions";

/**
 * SSZ hash tree roots of cluster files, mirroring Charon's `cluster/ssz.go`: the same containers, field
 * order and list limits per version, and the same byte normalisation (fixed-size byte fields are
 * left-padded with zeros, absent addresses hash as 20 zero bytes).
 *
 * Two quirks of Charon's hasher are reproduced on purpose:
 * - v1.6 distributed validators inline the deposit data's four fields instead of nesting a container
 *   (Charon forgot to merkleize it), so that container has six fields.
 * - A builder registration whose `fee_recipient` is empty hashes without that field at all (the Go
 *   hasher appends nothing for empty bytes); the same applies to an empty `config_hash` at v1.11.
 */

// Limits from Charon's ssz.go.
const MAX_ENR = 1024;
const MAX_NAME = 256;
const MAX_UUID = 64;
const MAX_VERSION = 16;
const MAX_TIMESTAMP = 32;
const MAX_DKG_ALGORITHM = 32;
const MAX_OPERATORS = 256;
const MAX_VALIDATORS = 65536;
const MAX_DEPOSIT_AMOUNTS = 256;
const MAX_K1_SIGS = 32;
const K1_SIG_LEN = 65;

const Bytes4 = new ByteVectorType(4);
const Bytes20 = new ByteVectorType(20);
const Bytes32 = new ByteVectorType(32);
const Bytes48 = new ByteVectorType(48);
const Bytes65 = new ByteVectorType(K1_SIG_LEN);
const Bytes96 = new ByteVectorType(96);
const Uint64 = new UintBigintType(8);
const Bool = new BooleanType();
const K1SigList = new ListCompositeType(Bytes65, MAX_K1_SIGS);

const byteLists = new Map<number, ByteListType>();
const ByteList = (limit: number) => {
  let t = byteLists.get(limit);
  if (!t) {
    t = new ByteListType(limit);
    byteLists.set(limit, t);
  }
  return t;
};

// biome-ignore lint/suspicious/noExplicitAny: container values are assembled dynamically per version.
type AnyContainer = ContainerType<any>;

// ---------------------------------------------------------------------------------------------------
// Containers
// ---------------------------------------------------------------------------------------------------

const ValidatorAddressesType = new ContainerType({
  fee_recipient_address: Bytes20,
  withdrawal_address: Bytes20,
});

const DepositDataType = new ContainerType({
  pubkey: Bytes48,
  withdrawal_credentials: Bytes32,
  amount: Uint64,
  signature: Bytes96,
});

/** Registration message; `fee_recipient` is one right-padded chunk, which hashes exactly like Bytes20. */
const RegistrationType = new ContainerType({
  fee_recipient: Bytes32,
  gas_limit: Uint64,
  timestamp: Uint64,
  pubkey: Bytes48,
});
/** Registration message with an empty fee recipient: Charon's hasher leaves the field out. */
const RegistrationNoFeeRecipientType = new ContainerType({
  gas_limit: Uint64,
  timestamp: Uint64,
  pubkey: Bytes48,
});
const BuilderRegistrationType = new ContainerType({ message: RegistrationType, signature: Bytes96 });
const BuilderRegistrationNoFeeRecipientType = new ContainerType({
  message: RegistrationNoFeeRecipientType,
  signature: Bytes96,
});

const PublicSharesType = new ListCompositeType(Bytes48, MAX_OPERATORS);

const DistValidatorV1x5Type = new ContainerType({
  distributed_public_key: Bytes48,
  public_shares: PublicSharesType,
});
const DistValidatorV1x6Type = new ContainerType({
  distributed_public_key: Bytes48,
  public_shares: PublicSharesType,
  deposit_pubkey: Bytes48,
  deposit_withdrawal_credentials: Bytes32,
  deposit_amount: Uint64,
  deposit_signature: Bytes96,
});
const distValidatorV1x7Type = (registration: AnyContainer) =>
  new ContainerType({
    distributed_public_key: Bytes48,
    public_shares: PublicSharesType,
    deposit_data: DepositDataType,
    builder_registration: registration,
  });
const distValidatorV1x8Type = (registration: AnyContainer) =>
  new ContainerType({
    distributed_public_key: Bytes48,
    public_shares: PublicSharesType,
    partial_deposit_data: new ListCompositeType(DepositDataType, MAX_DEPOSIT_AMOUNTS),
    builder_registration: registration,
  });
const DistValidatorV1x7Type = distValidatorV1x7Type(BuilderRegistrationType);
const DistValidatorV1x7NoFeeType = distValidatorV1x7Type(BuilderRegistrationNoFeeRecipientType);
const DistValidatorV1x8Type = distValidatorV1x8Type(BuilderRegistrationType);
const DistValidatorV1x8NoFeeType = distValidatorV1x8Type(BuilderRegistrationNoFeeRecipientType);

/**
 * The lock container. Its fields hold the hash tree roots of the definition container and of each
 * distributed validator container: a root stands in for its container without changing any hash,
 * and each validator can then use the container variant its contents require.
 */
const LockType = new ContainerType({
  cluster_definition: Bytes32,
  distributed_validators: new ListCompositeType(Bytes32, MAX_VALIDATORS),
});

type HashMode = "config" | "definition";

const definitionTypes = new Map<string, AnyContainer>();

/** The definition container for a version; `config` mode leaves out ENRs, signatures and the config hash. */
export function definitionType(version: ClusterVersion, mode: HashMode, withConfigHash = true): AnyContainer {
  const key = `${version}/${mode}/${withConfigHash}`;
  const cached = definitionTypes.get(key);
  if (cached) return cached;

  const full = mode === "definition";
  const sigType = hasSignatureLists(version) ? K1SigList : Bytes65;
  const operatorType = full
    ? new ContainerType({
        address: Bytes20,
        enr: ByteList(MAX_ENR),
        config_signature: sigType,
        enr_signature: sigType,
      })
    : new ContainerType({ address: Bytes20 });
  const creatorType = full
    ? new ContainerType({ address: Bytes20, config_signature: sigType })
    : new ContainerType({ address: Bytes20 });

  // biome-ignore lint/suspicious/noExplicitAny: field map of mixed SSZ types.
  const fields: Record<string, any> = {
    uuid: ByteList(MAX_UUID),
    name: ByteList(MAX_NAME),
    version: ByteList(MAX_VERSION),
    timestamp: ByteList(MAX_TIMESTAMP),
    num_validators: Uint64,
    threshold: Uint64,
    dkg_algorithm: ByteList(MAX_DKG_ALGORITHM),
    fork_version: Bytes4,
    operators: new ListCompositeType(operatorType, MAX_OPERATORS),
    creator: creatorType,
    validators: new ListCompositeType(ValidatorAddressesType, MAX_VALIDATORS),
  };
  if (hasPartialDeposits(version)) fields.deposit_amounts = new ListBasicType(Uint64, MAX_DEPOSIT_AMOUNTS);
  if (hasConsensusProtocol(version)) fields.consensus_protocol = ByteList(MAX_NAME);
  if (hasGasLimitAndCompounding(version)) {
    fields.target_gas_limit = Uint64;
    fields.compounding = Bool;
  }
  if (full && withConfigHash) fields.config_hash = Bytes32;

  const type = new ContainerType(fields);
  definitionTypes.set(key, type);
  return type;
}

// ---------------------------------------------------------------------------------------------------
// Value normalisation (with errors naming the field)
// ---------------------------------------------------------------------------------------------------

const u64 = (n: number | bigint) => BigInt.asUintN(64, BigInt(n));

function byteList(s: string, limit: number, field: string): Uint8Array {
  const b = new TextEncoder().encode(s);
  if (b.length > limit) fail("invalid_field", field, `longer than ${limit} bytes`);
  return b;
}

/** Charon's putBytesN: left-padded to n bytes; longer is an error. */
function fixed(b: Uint8Array, n: number, field: string): Uint8Array {
  if (b.length > n) fail("invalid_field", field, `longer than ${n} bytes`);
  return pad(b, { size: n });
}

/** Charon's putHexBytes20: "" hashes as 20 zero bytes. */
function address(s: string, field: string): Uint8Array {
  if (s === "") return new Uint8Array(20);
  const b = decodeHex(s);
  if (b?.length !== 20) return fail("invalid_field", field, `invalid Ethereum address "${s}"`);
  return b;
}

/** Charon's putK1SigList (v1.11): zero or more concatenated 65-byte signatures. */
function sigList(b: Uint8Array, field: string): Uint8Array[] {
  if (b.length % K1_SIG_LEN !== 0) fail("invalid_field", field, "length is not a multiple of 65 bytes");
  if (b.length / K1_SIG_LEN > MAX_K1_SIGS)
    fail("invalid_field", field, `more than ${MAX_K1_SIGS} signatures`);
  const out: Uint8Array[] = [];
  for (let i = 0; i < b.length; i += K1_SIG_LEN) out.push(b.slice(i, i + K1_SIG_LEN));
  return out;
}

/** Go's hasher.PutBytes for up to 32 bytes: one right-padded chunk (absent when empty). */
function chunk(b: Uint8Array, field: string): Uint8Array {
  if (b.length > 32) fail("invalid_field", field, "longer than 32 bytes");
  const out = new Uint8Array(32);
  out.set(b);
  return out;
}

function limitList(n: number, limit: number, field: string) {
  if (n > limit) fail("invalid_field", field, `more than ${limit} entries`);
}

// ---------------------------------------------------------------------------------------------------
// Definition
// ---------------------------------------------------------------------------------------------------

function hashDefinitionMode(def: Definition, mode: HashMode, prefix: string): Uint8Array {
  const f = (name: string) => joinField(prefix, name);
  const full = mode === "definition";
  const lists = hasSignatureLists(def.version);
  const sig = (b: Uint8Array, field: string) => (lists ? sigList(b, field) : fixed(b, 65, field));

  limitList(def.operators.length, MAX_OPERATORS, f("operators"));
  limitList(def.validators.length, MAX_VALIDATORS, f("validators"));

  // biome-ignore lint/suspicious/noExplicitAny: value shape follows definitionType().
  const value: Record<string, any> = {
    uuid: byteList(def.uuid, MAX_UUID, f("uuid")),
    name: byteList(def.name, MAX_NAME, f("name")),
    version: byteList(def.version, MAX_VERSION, f("version")),
    timestamp: byteList(def.timestamp, MAX_TIMESTAMP, f("timestamp")),
    num_validators: u64(def.numValidators),
    threshold: u64(def.threshold),
    dkg_algorithm: byteList(def.dkgAlgorithm, MAX_DKG_ALGORITHM, f("dkg_algorithm")),
    fork_version: fixed(def.forkVersion, 4, f("fork_version")),
    operators: def.operators.map((o, i) => {
      const p = f(`operators[${i}]`);
      const addr = address(o.address, `${p}.address`);
      if (!full) return { address: addr };
      return {
        address: addr,
        enr: byteList(o.enr, MAX_ENR, `${p}.enr`),
        config_signature: sig(o.configSignature, `${p}.config_signature`),
        enr_signature: sig(o.enrSignature, `${p}.enr_signature`),
      };
    }),
    creator: full
      ? {
          address: address(def.creator.address, f("creator.address")),
          config_signature: sig(def.creator.configSignature, f("creator.config_signature")),
        }
      : { address: address(def.creator.address, f("creator.address")) },
    validators: def.validators.map((v, i) => ({
      fee_recipient_address: address(v.feeRecipientAddress, f(`validators[${i}].fee_recipient_address`)),
      withdrawal_address: address(v.withdrawalAddress, f(`validators[${i}].withdrawal_address`)),
    })),
  };
  if (hasPartialDeposits(def.version)) {
    const amounts = def.depositAmounts ?? [];
    limitList(amounts.length, MAX_DEPOSIT_AMOUNTS, f("deposit_amounts"));
    value.deposit_amounts = amounts.map(u64);
  }
  if (hasConsensusProtocol(def.version)) {
    value.consensus_protocol = byteList(def.consensusProtocol, MAX_NAME, f("consensus_protocol"));
  }
  if (hasGasLimitAndCompounding(def.version)) {
    value.target_gas_limit = u64(def.targetGasLimit);
    value.compounding = def.compounding;
  }
  let withConfigHash = true;
  if (full) {
    if (lists) {
      // v1.11 appends the config hash with PutBytes: nothing when empty, else one right-padded chunk.
      withConfigHash = def.configHash.length > 0;
      if (withConfigHash) value.config_hash = chunk(def.configHash, f("config_hash"));
    } else {
      value.config_hash = fixed(def.configHash, 32, f("config_hash"));
    }
  }
  return definitionType(def.version, mode, withConfigHash).hashTreeRoot(value);
}

/** The config hash: the definition without ENRs, signatures and hashes. */
export function computeConfigHash(def: Definition, fieldPrefix = ""): Uint8Array {
  return hashDefinitionMode(def, "config", fieldPrefix);
}

/** The definition hash, over every field including the definition's stored `configHash`. */
export function computeDefinitionHash(def: Definition, fieldPrefix = ""): Uint8Array {
  return hashDefinitionMode(def, "definition", fieldPrefix);
}

/** A copy of the definition with `configHash` and then `definitionHash` recomputed (Charon's SetDefinitionHashes). */
export function setDefinitionHashes(def: Definition): Definition {
  const withConfig = { ...def, configHash: computeConfigHash(def) };
  return { ...withConfig, definitionHash: computeDefinitionHash(withConfig) };
}

// ---------------------------------------------------------------------------------------------------
// Lock
// ---------------------------------------------------------------------------------------------------

function depositValue(d: DepositData, p: string) {
  return {
    pubkey: fixed(d.pubkey, 48, `${p}.pubkey`),
    withdrawal_credentials: fixed(d.withdrawalCredentials, 32, `${p}.withdrawal_credentials`),
    amount: u64(d.amount),
    signature: fixed(d.signature, 96, `${p}.signature`),
  };
}

function registrationValue(r: BuilderRegistration, p: string) {
  const m = r.message;
  const msg = {
    gas_limit: u64(m.gasLimit),
    timestamp: u64(m.timestamp),
    pubkey: fixed(m.pubkey, 48, `${p}.message.pubkey`),
  };
  const signature = fixed(r.signature, 96, `${p}.signature`);
  if (m.feeRecipient.length === 0) return { value: { message: msg, signature }, noFeeRecipient: true };
  const feeRecipient = chunk(m.feeRecipient, `${p}.message.fee_recipient`);
  return { value: { message: { fee_recipient: feeRecipient, ...msg }, signature }, noFeeRecipient: false };
}

/** Hash tree root of one distributed validator as the lock hash sees it at `version`. */
export function hashDistributedValidator(
  dv: DistributedValidator,
  version: ClusterVersion,
  field = "",
): Uint8Array {
  const f = (name: string) => joinField(field, name);
  limitList(dv.publicShares.length, MAX_OPERATORS, f("public_shares"));
  const base = {
    distributed_public_key: fixed(dv.distributedPublicKey, 48, f("distributed_public_key")),
    public_shares: dv.publicShares.map((s, i) => fixed(s, 48, f(`public_shares[${i}]`))),
  };
  if (minor(version) === 5) return DistValidatorV1x5Type.hashTreeRoot(base);

  if (hasSingleDepositData(version)) {
    const dd = depositValue(dv.partialDepositData[0] ?? emptyDeposit, f("deposit_data"));
    if (!hasBuilderRegistration(version)) {
      // v1.6: the deposit data fields sit directly in the validator container.
      return DistValidatorV1x6Type.hashTreeRoot({
        ...base,
        deposit_pubkey: dd.pubkey,
        deposit_withdrawal_credentials: dd.withdrawal_credentials,
        deposit_amount: dd.amount,
        deposit_signature: dd.signature,
      });
    }
    const reg = registrationValue(dv.builderRegistration, f("builder_registration"));
    const type = reg.noFeeRecipient ? DistValidatorV1x7NoFeeType : DistValidatorV1x7Type;
    return (type as AnyContainer).hashTreeRoot({
      ...base,
      deposit_data: dd,
      builder_registration: reg.value,
    });
  }

  limitList(dv.partialDepositData.length, MAX_DEPOSIT_AMOUNTS, f("partial_deposit_data"));
  const deposits = dv.partialDepositData.map((d, i) => depositValue(d, f(`partial_deposit_data[${i}]`)));
  const reg = registrationValue(dv.builderRegistration, f("builder_registration"));
  const type = reg.noFeeRecipient ? DistValidatorV1x8NoFeeType : DistValidatorV1x8Type;
  return (type as AnyContainer).hashTreeRoot({
    ...base,
    partial_deposit_data: deposits,
    builder_registration: reg.value,
  });
}

const emptyDeposit: DepositData = {
  pubkey: new Uint8Array(),
  withdrawalCredentials: new Uint8Array(),
  amount: 0n,
  signature: new Uint8Array(),
};

/** The lock hash over the definition (as stored, including its hashes) and the distributed validators. */
export function computeLockHash(lock: Lock): Uint8Array {
  const version = lock.definition.version;
  limitList(lock.distributedValidators.length, MAX_VALIDATORS, "distributed_validators");
  return LockType.hashTreeRoot({
    cluster_definition: computeDefinitionHash(lock.definition, "cluster_definition"),
    distributed_validators: lock.distributedValidators.map((dv, i) =>
      hashDistributedValidator(dv, version, `distributed_validators[${i}]`),
    ),
  });
}

/** A copy of the lock with `lockHash` recomputed (Charon's SetLockHash). */
export function setLockHash(lock: Lock): Lock {
  return { ...lock, lockHash: computeLockHash(lock) };
}
