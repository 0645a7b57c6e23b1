import type { ClusterVersion } from "./versions";

/**
 * In-memory model of Charon's cluster files. Byte fields are raw bytes; Ethereum addresses stay strings
 * exactly as written in the file (their case is preserved so a file can be written back byte for byte).
 * Absent byte fields are empty arrays, as Charon decodes them.
 */

/** A cluster operator: its Ethereum address, its charon node ENR and its EIP-712 signatures. */
export interface Operator {
  address: string;
  enr: string;
  /** EIP-712 signature of the config hash by `address` (65 bytes, or a multiple of 65 from v1.11). */
  configSignature: Uint8Array;
  /** EIP-712 signature of `enr` by `address`. */
  enrSignature: Uint8Array;
}

/** The definition's creator, who may also be an operator. */
export interface Creator {
  address: string;
  configSignature: Uint8Array;
}

/** Per-validator addresses (`validators` in the definition). */
export interface ValidatorAddresses {
  feeRecipientAddress: string;
  withdrawalAddress: string;
}

/** `cluster-definition.json`: the intended cluster before key generation. */
export interface Definition {
  name: string;
  uuid: string;
  version: ClusterVersion;
  timestamp: string;
  numValidators: number;
  threshold: number;
  dkgAlgorithm: string;
  /** The network's 4-byte genesis fork version. */
  forkVersion: Uint8Array;
  operators: Operator[];
  creator: Creator;
  validators: ValidatorAddresses[];
  /**
   * Partial deposit amounts in Gwei (v1.8+). `null` is Charon's nil list, written as JSON `null`;
   * older versions always have `null`.
   */
  depositAmounts: bigint[] | null;
  /** Preferred consensus protocol (v1.9+), "" when unset. */
  consensusProtocol: string;
  /** Target block gas limit (v1.10+), 0 before. */
  targetGasLimit: number;
  /** Compounding (0x02) withdrawal credentials (v1.10+). */
  compounding: boolean;
  configHash: Uint8Array;
  definitionHash: Uint8Array;
}

/** Deposit data as in the consensus spec's `DepositData`. */
export interface DepositData {
  pubkey: Uint8Array;
  withdrawalCredentials: Uint8Array;
  /** Gwei. */
  amount: bigint;
  signature: Uint8Array;
}

/** The unsigned builder `ValidatorRegistration` message. */
export interface Registration {
  feeRecipient: Uint8Array;
  gasLimit: number;
  /** Unix seconds. */
  timestamp: number;
  pubkey: Uint8Array;
}

/** A pre-generated signed builder registration (v1.7+); all fields empty/zero when absent. */
export interface BuilderRegistration {
  message: Registration;
  signature: Uint8Array;
}

/** One distributed validator in the lock. */
export interface DistributedValidator {
  /** The group BLS public key (48 bytes). */
  distributedPublicKey: Uint8Array;
  /** One BLS public key share per operator, in operator order (share index = position + 1). */
  publicShares: Uint8Array[];
  /**
   * Deposit data. v1.6 and v1.7 files carry exactly one (`deposit_data`), so the list has one entry
   * (all empty when the file's object was empty); v1.8+ files carry `partial_deposit_data`; v1.5 none.
   */
  partialDepositData: DepositData[];
  builderRegistration: BuilderRegistration;
}

/** `cluster-lock.json`: the definition plus the generated distributed validators. */
export interface Lock {
  definition: Definition;
  distributedValidators: DistributedValidator[];
  /** BLS aggregate of every public share's signature over the lock hash. */
  signatureAggregate: Uint8Array;
  lockHash: Uint8Array;
  /** secp256k1 R‖S‖V signatures of the lock hash by each operator's ENR key (v1.7+). */
  nodeSignatures: Uint8Array[];
}

export const emptyBuilderRegistration = (): BuilderRegistration => ({
  message: { feeRecipient: new Uint8Array(), gasLimit: 0, timestamp: 0, pubkey: new Uint8Array() },
  signature: new Uint8Array(),
});

export const emptyDepositData = (): DepositData => ({
  pubkey: new Uint8Array(),
  withdrawalCredentials: new Uint8Array(),
  amount: 0n,
  signature: new Uint8Array(),
});
