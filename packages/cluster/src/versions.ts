/**
 * Cluster file schema versions this package reads and writes, and the features each one has.
 * Versions before v1.5.0 (single fee-recipient/withdrawal addresses, no creator in v1.3) are not supported.
 */
export const SUPPORTED_VERSIONS = [
  "v1.5.0",
  "v1.6.0",
  "v1.7.0",
  "v1.8.0",
  "v1.9.0",
  "v1.10.0",
  "v1.11.0",
] as const;

export type ClusterVersion = (typeof SUPPORTED_VERSIONS)[number];

/** The version {@link createDefinition} writes by default. */
export const DEFAULT_VERSION: ClusterVersion = "v1.10.0";

export function isSupportedVersion(v: unknown): v is ClusterVersion {
  return typeof v === "string" && (SUPPORTED_VERSIONS as readonly string[]).includes(v);
}

/** Position of a version in the supported list (v1.5.0 → 5, v1.11.0 → 11). */
export const minor = (v: ClusterVersion): number => Number(v.split(".")[1]);

/** `deposit_amounts` in the definition and `partial_deposit_data` lists in the lock (v1.8+). */
export const hasPartialDeposits = (v: ClusterVersion) => minor(v) >= 8;
/** `deposit_data` (a single deposit) per distributed validator (v1.6 and v1.7). */
export const hasSingleDepositData = (v: ClusterVersion) => minor(v) === 6 || minor(v) === 7;
/** `consensus_protocol` in the definition (v1.9+). */
export const hasConsensusProtocol = (v: ClusterVersion) => minor(v) >= 9;
/** `target_gas_limit` and `compounding` in the definition (v1.10+). */
export const hasGasLimitAndCompounding = (v: ClusterVersion) => minor(v) >= 10;
/** Pre-generated builder registrations per distributed validator (v1.7+). */
export const hasBuilderRegistration = (v: ClusterVersion) => minor(v) >= 7;
/** `node_signatures` in the lock (v1.7+). */
export const hasNodeSignatures = (v: ClusterVersion) => minor(v) >= 7;
/** Operator/creator signatures hashed as lists of 65-byte signatures (Safe multisig support, v1.11+). */
export const hasSignatureLists = (v: ClusterVersion) => minor(v) >= 11;
