// Consensus domains, BLS helpers and hex now come from @cohort/eth, @cohort/tbls and viem; re-exported
// so existing imports keep working.
export { computeDomain, DOMAIN_APPLICATION_BUILDER, DOMAIN_DEPOSIT } from "@cohort/eth";
export { bytesEqual } from "@cohort/tbls";
export { toHex } from "viem";
export type {
  BlsSigner,
  CreateDefinitionInput,
  CreateLockInput,
  DefinitionSigners,
} from "./create";
export {
  createBuilderRegistration,
  createDefinition,
  createDepositData,
  createLock,
  DEFAULT_GAS_LIMIT,
  defaultThreshold,
  signDefinition,
  signLockHash,
} from "./create";
export type { ChainIdOption, Eip712Kind } from "./eip712";
export {
  creatorConfigHashDigest,
  eip712ChainId,
  eip712Digest,
  enrDigest,
  operatorConfigHashDigest,
  signCreator,
  signOperator,
} from "./eip712";
export type { Enr, EnrOptions } from "./enr";
export { createEnr, parseEnr, tryParseEnr } from "./enr";
export type { ClusterErrorCode } from "./errors";
export { ClusterError } from "./errors";
export { builderRegistrationSigningRoot, depositSigningRoot, withdrawalCredentials } from "./eth2";
export { decodeHex, to0xHex } from "./hex";
export type { GoJson } from "./json";
export { goQuote, marshalIndent } from "./json";
export {
  k1Address,
  k1GeneratePrivateKey,
  k1PublicKey,
  k1Recover,
  k1Sign,
  k1Verify64,
  k1Verify65,
} from "./k1";
export type { Network } from "./networks";
export { clusterNetwork, NETWORKS, networkByForkVersion } from "./networks";
export {
  checkDepositAmounts,
  DEFAULT_DEPOSIT_GWEI,
  MAX_COMPOUNDING_DEPOSIT_GWEI,
  MIN_DEPOSIT_GWEI,
  parseDefinition,
  parseLock,
} from "./parse";
export {
  computeConfigHash,
  computeDefinitionHash,
  computeLockHash,
  hashDistributedValidator,
  setDefinitionHashes,
  setLockHash,
} from "./ssz";
export type {
  BuilderRegistration,
  Creator,
  Definition,
  DepositData,
  DistributedValidator,
  Lock,
  Operator,
  Registration,
  ValidatorAddresses,
} from "./types";
export type {
  Checked,
  ContractSignatureVerifier,
  DefinitionVerification,
  LockVerification,
  VerificationCheck,
  VerifyDefinitionOptions,
  VerifyLockOptions,
} from "./verify";
export { checkDefinition, checkLock, verifyDefinition, verifyLock } from "./verify";
export type { ClusterVersion } from "./versions";
export { DEFAULT_VERSION, isSupportedVersion, SUPPORTED_VERSIONS } from "./versions";
export { definitionToJson, lockToJson, writeDefinition, writeLock } from "./write";
