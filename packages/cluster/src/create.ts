import { randomUUID } from "node:crypto";
import { aggregateSignatures, sign as blsSign, bytesEqual } from "@cohort/tbls";
import { signCreator, signOperator } from "./eip712";
import { parseEnr } from "./enr";
import { fail } from "./errors";
import { builderRegistrationSigningRoot, depositSigningRoot, withdrawalCredentials } from "./eth2";
import { decodeHex } from "./hex";
import { k1PublicKey, k1Sign } from "./k1";
import { checkDepositAmounts } from "./parse";
import { computeLockHash, setDefinitionHashes } from "./ssz";
import type {
  BuilderRegistration,
  Definition,
  DepositData,
  DistributedValidator,
  Lock,
  Operator,
  ValidatorAddresses,
} from "./types";
import {
  type ClusterVersion,
  DEFAULT_VERSION,
  hasGasLimitAndCompounding,
  hasNodeSignatures,
  hasPartialDeposits,
  isSupportedVersion,
} from "./versions";

/** Charon's default builder gas limit (eth2util/registration). */
export const DEFAULT_GAS_LIMIT = 30_000_000;

/** Charon's default threshold for n nodes: ceil(2n/3). */
export const defaultThreshold = (nodes: number) => Math.ceil((2 * nodes) / 3);

export interface CreateDefinitionInput {
  name: string;
  /** Operators in order; signatures may be added later with {@link signDefinition}. */
  operators: Array<{
    address?: string;
    enr?: string;
    configSignature?: Uint8Array;
    enrSignature?: Uint8Array;
  }>;
  creator?: { address: string; configSignature?: Uint8Array };
  /** One entry per validator; `num_validators` is its length. */
  validators: ValidatorAddresses[];
  /** Defaults to ceil(2n/3). */
  threshold?: number;
  /** Genesis fork version, bytes or 0x-hex. */
  forkVersion: Uint8Array | string;
  /** Partial deposit amounts in Gwei (v1.8+); omitted means Charon's nil list (one 32 ETH deposit). */
  depositAmounts?: bigint[] | null;
  consensusProtocol?: string;
  /** Required from v1.10; defaults to 30,000,000 there. */
  targetGasLimit?: number;
  compounding?: boolean;
  /** Defaults to a random upper-case UUID, as Charon generates. */
  uuid?: string;
  /** Defaults to now, RFC 3339 in UTC. */
  timestamp?: string;
  dkgAlgorithm?: string;
  /** Defaults to v1.10.0. */
  version?: ClusterVersion;
}

const rfc3339Now = () => new Date().toISOString().replace(/\.\d{3}Z$/, "Z");

function forkVersionBytes(v: Uint8Array | string): Uint8Array {
  const b = typeof v === "string" ? decodeHex(v) : v;
  if (b?.length !== 4) return fail("invalid_field", "fork_version", "must be 4 bytes");
  return b;
}

/**
 * Builds a definition the way Charon's `NewDefinition` does and computes its config and definition
 * hashes. Unsigned unless signatures are passed in; see {@link signDefinition}.
 * @throws {ClusterError} for inputs Charon would refuse.
 */
export function createDefinition(input: CreateDefinitionInput): Definition {
  const version = input.version ?? DEFAULT_VERSION;
  if (!isSupportedVersion(version)) fail("unsupported_version", "version", `unsupported version ${version}`);
  const n = input.operators.length;
  const threshold = input.threshold ?? defaultThreshold(n);
  if (n > 0 && (!Number.isInteger(threshold) || threshold < 1 || threshold > n)) {
    fail("invalid_field", "threshold", `must be between 1 and ${n}`);
  }
  const amounts = input.depositAmounts ?? null;
  if (amounts && amounts.length > 1 && !hasPartialDeposits(version)) {
    fail("invalid_field", "deposit_amounts", `${version} does not support partial deposits`);
  }
  const compounding = input.compounding ?? false;
  if (compounding && !hasGasLimitAndCompounding(version)) {
    fail("invalid_field", "compounding", `${version} does not support compounding`);
  }
  let targetGasLimit = input.targetGasLimit ?? 0;
  if (hasGasLimitAndCompounding(version)) {
    targetGasLimit = input.targetGasLimit ?? DEFAULT_GAS_LIMIT;
    if (!Number.isSafeInteger(targetGasLimit) || targetGasLimit <= 0) {
      fail("invalid_field", "target_gas_limit", "must be a positive integer");
    }
  } else if (targetGasLimit !== 0) {
    fail("invalid_field", "target_gas_limit", `${version} does not support a target gas limit`);
  }
  if (amounts) checkDepositAmounts(amounts, compounding, "deposit_amounts");

  const operators: Operator[] = input.operators.map((o) => ({
    address: o.address ?? "",
    enr: o.enr ?? "",
    configSignature: o.configSignature ?? new Uint8Array(),
    enrSignature: o.enrSignature ?? new Uint8Array(),
  }));
  const def: Definition = {
    name: input.name,
    uuid: input.uuid ?? randomUUID().toUpperCase(),
    version,
    timestamp: input.timestamp ?? rfc3339Now(),
    numValidators: input.validators.length,
    threshold,
    dkgAlgorithm: input.dkgAlgorithm ?? "default",
    forkVersion: forkVersionBytes(input.forkVersion),
    operators,
    creator: {
      address: input.creator?.address ?? "",
      configSignature: input.creator?.configSignature ?? new Uint8Array(),
    },
    validators: input.validators.map((v) => ({ ...v })),
    depositAmounts: hasPartialDeposits(version) ? amounts : null,
    consensusProtocol: input.consensusProtocol ?? "",
    targetGasLimit,
    compounding,
    configHash: new Uint8Array(),
    definitionHash: new Uint8Array(),
  };
  return setDefinitionHashes(def);
}

export interface DefinitionSigners {
  /** The creator's Ethereum private key. */
  creatorKey?: Uint8Array;
  /** Operators' Ethereum private keys by operator index (undefined entries are left as they are). */
  operatorKeys?: ReadonlyArray<Uint8Array | undefined>;
  chainId?: number;
}

/** Signs the definition's config hash (and each operator's ENR) with the given keys; hashes recomputed. */
export function signDefinition(def: Definition, signers: DefinitionSigners): Definition {
  let out = setDefinitionHashes(def);
  const opts = { chainId: signers.chainId };
  signers.operatorKeys?.forEach((key, i) => {
    if (key) out = signOperator(out, i, key, opts);
  });
  if (signers.creatorKey) out = signCreator(out, signers.creatorKey, opts);
  return out;
}

/** A BLS signer over a 32-byte signing root (a secret key, or a threshold signing round). */
export type BlsSigner = (signingRoot: Uint8Array) => Uint8Array;

/** Signs deposit data for a validator (withdrawal credentials from the address, 0x02 when compounding). */
export function createDepositData(
  input: {
    pubkey: Uint8Array;
    withdrawalAddress: string;
    /** Gwei. */
    amount: bigint;
    compounding?: boolean;
    forkVersion: Uint8Array;
  },
  sign: BlsSigner,
): DepositData {
  const creds = withdrawalCredentials(input.withdrawalAddress, input.compounding ?? false);
  const root = depositSigningRoot(input.forkVersion, {
    pubkey: input.pubkey,
    withdrawalCredentials: creds,
    amount: input.amount,
  });
  return { pubkey: input.pubkey, withdrawalCredentials: creds, amount: input.amount, signature: sign(root) };
}

/** Signs a builder registration for a validator, as Charon pre-generates them. */
export function createBuilderRegistration(
  input: {
    pubkey: Uint8Array;
    feeRecipientAddress: string;
    gasLimit?: number;
    /** Unix seconds; Charon uses the network's genesis time. */
    timestamp: number;
    forkVersion: Uint8Array;
  },
  sign: BlsSigner,
): BuilderRegistration {
  const feeRecipient = decodeHex(input.feeRecipientAddress);
  if (feeRecipient?.length !== 20) {
    throw new RangeError(`invalid fee recipient "${input.feeRecipientAddress}"`);
  }
  const message = {
    feeRecipient,
    gasLimit: input.gasLimit ?? DEFAULT_GAS_LIMIT,
    timestamp: input.timestamp,
    pubkey: input.pubkey,
  };
  return { message, signature: sign(builderRegistrationSigningRoot(input.forkVersion, message)) };
}

/** A node signature: the operator's ENR (secp256k1) key signing the lock hash, R ‖ S ‖ V. */
export const signLockHash = (lockHash: Uint8Array, nodeKey: Uint8Array): Uint8Array =>
  k1Sign(nodeKey, lockHash);

export interface CreateLockInput {
  /** A definition with its hashes (as from {@link createDefinition} / {@link signDefinition}). */
  definition: Definition;
  distributedValidators: DistributedValidator[];
  /**
   * Per validator, each operator's BLS secret key share in operator order; every share signs the lock
   * hash and the signatures are aggregated into `signature_aggregate`.
   */
  shareSecretKeys?: ReadonlyArray<ReadonlyArray<Uint8Array>>;
  /** A ready-made aggregate instead of `shareSecretKeys`. */
  signatureAggregate?: Uint8Array;
  /** Each operator's node (ENR) private key, for node signatures (v1.7+). Must match the ENRs. */
  nodeKeys?: ReadonlyArray<Uint8Array>;
  /** Ready-made node signatures instead of `nodeKeys`. */
  nodeSignatures?: Uint8Array[];
}

/**
 * Assembles a lock: computes the lock hash, then the BLS signature aggregate and the node signatures
 * over it when keys are given.
 * @throws {ClusterError} when inputs do not fit the definition.
 */
export function createLock(input: CreateLockInput): Lock {
  const def = input.definition;
  if (input.distributedValidators.length !== def.numValidators) {
    fail(
      "count_mismatch",
      "distributed_validators",
      `has ${input.distributedValidators.length} entries but num_validators is ${def.numValidators}`,
    );
  }
  const lock: Lock = {
    definition: def,
    distributedValidators: input.distributedValidators,
    signatureAggregate: input.signatureAggregate ?? new Uint8Array(),
    lockHash: new Uint8Array(),
    nodeSignatures: input.nodeSignatures ?? [],
  };
  lock.lockHash = computeLockHash(lock);

  if (input.shareSecretKeys) {
    const sigs = input.shareSecretKeys.flatMap((shares) => shares.map((sk) => blsSign(sk, lock.lockHash)));
    if (sigs.length === 0) fail("missing_signature", "signature_aggregate", "no secret key shares given");
    lock.signatureAggregate = aggregateSignatures(sigs);
  }
  if (input.nodeKeys) {
    if (!hasNodeSignatures(def.version))
      fail("invalid_field", "node_signatures", `${def.version} has no node signatures`);
    if (input.nodeKeys.length !== def.operators.length) {
      fail(
        "count_mismatch",
        "node_signatures",
        `${input.nodeKeys.length} node keys for ${def.operators.length} operators`,
      );
    }
    lock.nodeSignatures = input.nodeKeys.map((key, i) => {
      const field = `cluster_definition.operators[${i}].enr`;
      const enr = parseEnr(def.operators[i]?.enr ?? "", field);
      if (!bytesEqual(enr.publicKey, k1PublicKey(key)))
        fail("invalid_enr", field, `does not carry node key ${i}`);
      return signLockHash(lock.lockHash, key);
    });
  }
  return lock;
}
