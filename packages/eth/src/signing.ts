import type { Type } from "@chainsafe/ssz";
import { ssz } from "@lodestar/types";
import { EthError } from "./errors";
import { type BytesLike, hexToBytes, toBytes } from "./hex";
import { type ForkName, forkAtEpoch, forkByName, type NetworkConfig } from "./networks";

/** A 4-byte domain type (`DomainType` in the consensus specs). */
export type DomainType = Uint8Array;

const domainType = (hex: string): DomainType => hexToBytes(hex, 4);

// Domain types, consensus-specs phase0/altair/capella "Domain types" tables and the builder spec.
export const DOMAIN_BEACON_PROPOSER: DomainType = domainType("0x00000000");
export const DOMAIN_BEACON_ATTESTER: DomainType = domainType("0x01000000");
export const DOMAIN_RANDAO: DomainType = domainType("0x02000000");
export const DOMAIN_DEPOSIT: DomainType = domainType("0x03000000");
export const DOMAIN_VOLUNTARY_EXIT: DomainType = domainType("0x04000000");
export const DOMAIN_SELECTION_PROOF: DomainType = domainType("0x05000000");
export const DOMAIN_AGGREGATE_AND_PROOF: DomainType = domainType("0x06000000");
export const DOMAIN_SYNC_COMMITTEE: DomainType = domainType("0x07000000");
export const DOMAIN_SYNC_COMMITTEE_SELECTION_PROOF: DomainType = domainType("0x08000000");
export const DOMAIN_CONTRIBUTION_AND_PROOF: DomainType = domainType("0x09000000");
export const DOMAIN_BLS_TO_EXECUTION_CHANGE: DomainType = domainType("0x0a000000");
/** Builder API `DOMAIN_APPLICATION_BUILDER` (application mask 0x00000001). */
export const DOMAIN_APPLICATION_BUILDER: DomainType = domainType("0x00000001");

/** 32 zero bytes: the genesis validators root used for deposit and builder domains. */
export const ZERO_ROOT: Uint8Array = new Uint8Array(32);

/**
 * `compute_fork_data_root(current_version, genesis_validators_root)`:
 * `hash_tree_root(ForkData(current_version, genesis_validators_root))`.
 *
 * @example
 * computeForkDataRoot("0x00000000", MAINNET.genesisValidatorsRoot) // 32 bytes
 */
export function computeForkDataRoot(currentVersion: BytesLike, genesisValidatorsRoot: BytesLike): Uint8Array {
  return ssz.phase0.ForkData.hashTreeRoot({
    currentVersion: toBytes(currentVersion, 4, "currentVersion"),
    genesisValidatorsRoot: toBytes(genesisValidatorsRoot, 32, "genesisValidatorsRoot"),
  });
}

/**
 * `compute_domain(domain_type, fork_version, genesis_validators_root)`: the domain type followed by
 * the first 28 bytes of the fork data root. `genesisValidatorsRoot` defaults to zero, as the spec's
 * does (deposits, builder registrations).
 *
 * @example
 * computeDomain(DOMAIN_DEPOSIT, "0x00000000") // mainnet deposit domain
 * computeDomain(DOMAIN_BEACON_ATTESTER, "0x05000000", MAINNET.genesisValidatorsRoot)
 */
export function computeDomain(
  domainType: BytesLike,
  forkVersion: BytesLike,
  genesisValidatorsRoot: BytesLike = ZERO_ROOT,
): Uint8Array {
  const forkDataRoot = computeForkDataRoot(forkVersion, genesisValidatorsRoot);
  const domain = new Uint8Array(32);
  domain.set(toBytes(domainType, 4, "domainType"), 0);
  domain.set(forkDataRoot.subarray(0, 28), 4);
  return domain;
}

/**
 * `compute_signing_root(ssz_object, domain)`:
 * `hash_tree_root(SigningData(object_root=hash_tree_root(ssz_object), domain))`.
 * Works with any `@chainsafe/ssz` type, including Lodestar's `ssz.*` types.
 *
 * @example
 * import { ssz } from "@lodestar/types";
 * computeSigningRoot(ssz.Epoch, 10, domainAt(MAINNET, DOMAIN_RANDAO, 10))
 * @throws EthError `SSZ_ERROR` when `value` does not fit `type`
 */
export function computeSigningRoot<T>(type: Type<T>, value: T, domain: BytesLike): Uint8Array {
  let objectRoot: Uint8Array;
  try {
    objectRoot = type.hashTreeRoot(value);
  } catch (cause) {
    throw new EthError(
      "SSZ_ERROR",
      `value does not fit SSZ type ${type.typeName}: ${(cause as Error).message}`,
      {
        details: { type: type.typeName },
        cause,
      },
    );
  }
  return computeSigningRootFromObjectRoot(objectRoot, domain);
}

/** Signing root of an object whose `hash_tree_root` is already known (e.g. a block root). */
export function computeSigningRootFromObjectRoot(objectRoot: BytesLike, domain: BytesLike): Uint8Array {
  return ssz.phase0.SigningData.hashTreeRoot({
    objectRoot: toBytes(objectRoot, 32, "objectRoot"),
    domain: toBytes(domain, 32, "domain"),
  });
}

/**
 * The domain of a message about `epoch` on `network`: `compute_domain` with the version of the fork
 * in force at that epoch and the network's genesis validators root. This is the spec's
 * `get_domain(state, domain_type, epoch)` for a state at the message's own epoch, which is how a
 * validator client signs (Lodestar's `config.getDomain(slot, type)`).
 *
 * @example
 * domainAt(MAINNET, DOMAIN_BEACON_ATTESTER, 364032) // uses the electra version 0x05000000
 */
export function domainAt(network: NetworkConfig, domainType: BytesLike, epoch: number): Uint8Array {
  return computeDomain(domainType, forkAtEpoch(network, epoch).version, network.genesisValidatorsRoot);
}

/** The domain fixed to one fork's version (e.g. Capella for exits after Deneb, EIP-7044). */
export function domainAtFork(network: NetworkConfig, domainType: BytesLike, forkName: ForkName): Uint8Array {
  return computeDomain(domainType, forkByName(network, forkName).version, network.genesisValidatorsRoot);
}

/**
 * `DOMAIN_DEPOSIT` for a network: the GENESIS fork version and a zero genesis validators root, so a
 * deposit is valid on exactly the networks sharing that genesis fork version and at any fork.
 *
 * @example
 * depositDomain(MAINNET) // same as depositDomain("0x00000000")
 */
export function depositDomain(networkOrGenesisForkVersion: NetworkConfig | BytesLike): Uint8Array {
  return computeDomain(DOMAIN_DEPOSIT, genesisVersionOf(networkOrGenesisForkVersion));
}

/**
 * `DOMAIN_APPLICATION_BUILDER` (builder-specs): GENESIS fork version, zero genesis validators root.
 */
export function builderDomain(networkOrGenesisForkVersion: NetworkConfig | BytesLike): Uint8Array {
  return computeDomain(DOMAIN_APPLICATION_BUILDER, genesisVersionOf(networkOrGenesisForkVersion));
}

function genesisVersionOf(value: NetworkConfig | BytesLike): Uint8Array {
  if (typeof value === "string" || value instanceof Uint8Array)
    return toBytes(value, 4, "genesisForkVersion");
  return toBytes(value.genesisForkVersion, 4, "genesisForkVersion");
}
