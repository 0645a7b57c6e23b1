/**
 * Signing roots per validator duty, following the consensus specs' validator guide (phase0 …
 * electra), the builder spec and EIP-7044. Every function takes a {@link NetworkConfig} and a
 * Lodestar value object (`@lodestar/types`: numbers for slots/epochs/indices, `Uint8Array` for
 * roots/keys). To start from the Beacon API's JSON (strings for uint64, `0x`-hex), use the
 * `*FromJson` helpers in `json.ts`.
 *
 * The SSZ types are Lodestar's mainnet-preset types (`LODESTAR_PRESET` unset), which is what
 * mainnet, the public testnets and mainnet-preset devnets use.
 */
import type { Type } from "@chainsafe/ssz";
import {
  type altair,
  type BeaconBlock,
  type BlindedBeaconBlock,
  type bellatrix,
  type electra,
  type phase0,
  ssz,
} from "@lodestar/types";
import { EthError } from "./errors";
import type { BytesLike } from "./hex";
import {
  epochAtSlot,
  type ForkName,
  forkAtEpoch,
  isForkActive,
  type NetworkConfig,
  previousFork,
} from "./networks";
import {
  builderDomain,
  computeDomain,
  computeSigningRoot,
  computeSigningRootFromObjectRoot,
  DOMAIN_AGGREGATE_AND_PROOF,
  DOMAIN_BEACON_ATTESTER,
  DOMAIN_BEACON_PROPOSER,
  DOMAIN_CONTRIBUTION_AND_PROOF,
  DOMAIN_RANDAO,
  DOMAIN_SELECTION_PROOF,
  DOMAIN_SYNC_COMMITTEE,
  DOMAIN_SYNC_COMMITTEE_SELECTION_PROOF,
  DOMAIN_VOLUNTARY_EXIT,
  depositDomain,
  domainAt,
  domainAtFork,
} from "./signing";

/** Full blocks by fork (`BeaconBlock`). */
const BLOCK_TYPES: Record<ForkName, Type<unknown>> = {
  phase0: ssz.phase0.BeaconBlock,
  altair: ssz.altair.BeaconBlock,
  bellatrix: ssz.bellatrix.BeaconBlock,
  capella: ssz.capella.BeaconBlock,
  deneb: ssz.deneb.BeaconBlock,
  electra: ssz.electra.BeaconBlock,
  fulu: ssz.fulu.BeaconBlock,
};

/** Blinded blocks by fork (builder flow, Bellatrix on). */
const BLINDED_BLOCK_TYPES: Partial<Record<ForkName, Type<unknown>>> = {
  bellatrix: ssz.bellatrix.BlindedBeaconBlock,
  capella: ssz.capella.BlindedBeaconBlock,
  deneb: ssz.deneb.BlindedBeaconBlock,
  electra: ssz.electra.BlindedBeaconBlock,
  fulu: ssz.fulu.BlindedBeaconBlock,
};

/** The SSZ type a full (or blinded) block at `fork` is hashed with. */
export function blockType(fork: ForkName, blinded = false): Type<unknown> {
  const type = blinded ? BLINDED_BLOCK_TYPES[fork] : BLOCK_TYPES[fork];
  if (!type) {
    throw new EthError("SSZ_ERROR", `there is no blinded block before bellatrix (fork ${fork})`, {
      details: { fork, blinded },
    });
  }
  return type;
}

/**
 * Hashing a value with an OLDER fork's container silently ignores the newer fields and yields a
 * root nobody expects; refuse values that carry fields the scheduled type does not have. (Missing
 * fields already make hashing throw.)
 */
function assertNoExtraFields(type: Type<unknown>, value: unknown, what: string): void {
  const fields = (type as { fields?: Record<string, unknown> }).fields;
  if (!fields || typeof value !== "object" || value === null) return;
  const extra = Object.keys(value).filter((key) => !(key in fields));
  if (extra.length > 0) {
    throw new EthError(
      "SSZ_ERROR",
      `${what} has fields the scheduled fork's type lacks: ${extra.join(", ")}`,
      {
        details: { what, extra },
      },
    );
  }
}

function fieldType(type: Type<unknown>, field: string): Type<unknown> {
  return (type as unknown as { fields: Record<string, Type<unknown>> }).fields[field]!;
}

/** Anything a proposer signs: a full block, a blinded block, or its header (same root). */
export type SignableBlock = BeaconBlock | BlindedBeaconBlock | phase0.BeaconBlockHeader;

/**
 * Proposer signing root: `compute_signing_root(block, get_domain(state, DOMAIN_BEACON_PROPOSER,
 * epoch_of(block.slot)))`. The SSZ type follows the network's fork at the block's slot; a
 * `BeaconBlockHeader` (has `bodyRoot`) and a blinded block (its body has `executionPayloadHeader`)
 * hash to the same root as the full block, so all three give the same signing root.
 *
 * @example
 * const block = beaconBlockFromJson(MAINNET, json); // json = produceBlockV3's block
 * const root = blockSigningRoot(MAINNET, block);
 * @throws EthError `SSZ_ERROR` when the block's shape does not match the fork at its slot
 */
export function blockSigningRoot(network: NetworkConfig, block: SignableBlock): Uint8Array {
  const epoch = epochAtSlot(network, block.slot);
  const domain = domainAt(network, DOMAIN_BEACON_PROPOSER, epoch);
  if ("bodyRoot" in block) return computeSigningRoot(ssz.phase0.BeaconBlockHeader, block, domain);
  const blinded = "executionPayloadHeader" in block.body;
  const fork = forkAtEpoch(network, epoch).name;
  const type = blockType(fork, blinded);
  assertNoExtraFields(type, block, `block at slot ${block.slot} (${fork})`);
  assertNoExtraFields(fieldType(type, "body"), block.body, `block body at slot ${block.slot} (${fork})`);
  return computeSigningRoot(type, block, domain);
}

/**
 * Proposer signing root from a block root already computed elsewhere (e.g. a header root from a
 * remote signer request, or a blinded block's root).
 *
 * @example
 * blockRootSigningRoot(MAINNET, 9_000_000, "0x…32 bytes…")
 */
export function blockRootSigningRoot(network: NetworkConfig, slot: number, blockRoot: BytesLike): Uint8Array {
  return computeSigningRootFromObjectRoot(
    blockRoot,
    domainAt(network, DOMAIN_BEACON_PROPOSER, epochAtSlot(network, slot)),
  );
}

/**
 * Attester signing root: `AttestationData` under `DOMAIN_BEACON_ATTESTER` at `data.target.epoch`
 * (the same data is signed before and after Electra).
 *
 * @example
 * attestationSigningRoot(MAINNET, attestationDataFromJson(json))
 */
export function attestationSigningRoot(network: NetworkConfig, data: phase0.AttestationData): Uint8Array {
  return computeSigningRoot(
    ssz.phase0.AttestationData,
    data,
    domainAt(network, DOMAIN_BEACON_ATTESTER, data.target.epoch),
  );
}

/**
 * RANDAO reveal signing root: the epoch as an SSZ uint64 under `DOMAIN_RANDAO` at that epoch.
 *
 * @example
 * randaoSigningRoot(MAINNET, 300000)
 */
export function randaoSigningRoot(network: NetworkConfig, epoch: number): Uint8Array {
  return computeSigningRoot(ssz.Epoch, epoch, domainAt(network, DOMAIN_RANDAO, epoch));
}

/**
 * Aggregator selection proof signing root: the slot as an SSZ uint64 under `DOMAIN_SELECTION_PROOF`.
 *
 * @example
 * selectionProofSigningRoot(MAINNET, 9_600_000)
 */
export function selectionProofSigningRoot(network: NetworkConfig, slot: number): Uint8Array {
  return computeSigningRoot(
    ssz.Slot,
    slot,
    domainAt(network, DOMAIN_SELECTION_PROOF, epochAtSlot(network, slot)),
  );
}

/**
 * `AggregateAndProof` signing root under `DOMAIN_AGGREGATE_AND_PROOF` at the aggregate's slot.
 * From Electra the aggregate is an Electra `Attestation` (with `committeeBits`) and the Electra
 * container is used; before, the phase0 one.
 *
 * @example
 * aggregateAndProofSigningRoot(MAINNET, aggregateAndProofFromJson(MAINNET, json))
 */
export function aggregateAndProofSigningRoot(
  network: NetworkConfig,
  aggregateAndProof: phase0.AggregateAndProof | electra.AggregateAndProof,
): Uint8Array {
  const epoch = epochAtSlot(network, aggregateAndProof.aggregate.data.slot);
  const domain = domainAt(network, DOMAIN_AGGREGATE_AND_PROOF, epoch);
  const electraActive = isForkActive(network, "electra", epoch);
  const type: Type<unknown> = electraActive ? ssz.electra.AggregateAndProof : ssz.phase0.AggregateAndProof;
  const what = `aggregate at slot ${aggregateAndProof.aggregate.data.slot} (${electraActive ? "electra" : "pre-electra"})`;
  assertNoExtraFields(fieldType(type, "aggregate"), aggregateAndProof.aggregate, what);
  return computeSigningRoot(type, aggregateAndProof, domain);
}

/**
 * Sync committee message signing root: the head block root under `DOMAIN_SYNC_COMMITTEE` at the
 * slot's epoch.
 *
 * @example
 * syncCommitteeMessageSigningRoot(MAINNET, slot, headRoot)
 */
export function syncCommitteeMessageSigningRoot(
  network: NetworkConfig,
  slot: number,
  beaconBlockRoot: BytesLike,
): Uint8Array {
  return computeSigningRootFromObjectRoot(
    beaconBlockRoot,
    domainAt(network, DOMAIN_SYNC_COMMITTEE, epochAtSlot(network, slot)),
  );
}

/**
 * Sync committee aggregator selection proof: `SyncAggregatorSelectionData{slot, subcommitteeIndex}`
 * under `DOMAIN_SYNC_COMMITTEE_SELECTION_PROOF`.
 *
 * @example
 * syncCommitteeSelectionProofSigningRoot(MAINNET, { slot: 9_600_000, subcommitteeIndex: 2 })
 */
export function syncCommitteeSelectionProofSigningRoot(
  network: NetworkConfig,
  data: altair.SyncAggregatorSelectionData,
): Uint8Array {
  return computeSigningRoot(
    ssz.altair.SyncAggregatorSelectionData,
    data,
    domainAt(network, DOMAIN_SYNC_COMMITTEE_SELECTION_PROOF, epochAtSlot(network, data.slot)),
  );
}

/**
 * `ContributionAndProof` signing root under `DOMAIN_CONTRIBUTION_AND_PROOF` at the contribution's slot.
 *
 * @example
 * contributionAndProofSigningRoot(MAINNET, contributionAndProofFromJson(json))
 */
export function contributionAndProofSigningRoot(
  network: NetworkConfig,
  contributionAndProof: altair.ContributionAndProof,
): Uint8Array {
  return computeSigningRoot(
    ssz.altair.ContributionAndProof,
    contributionAndProof,
    domainAt(
      network,
      DOMAIN_CONTRIBUTION_AND_PROOF,
      epochAtSlot(network, contributionAndProof.contribution.slot),
    ),
  );
}

/**
 * Voluntary exit signing root. `currentEpoch` is the epoch of the chain the exit is submitted to
 * (from the agent's clock), not the exit's own epoch:
 * - EIP-7044: once Deneb is active, every exit is signed with the CAPELLA fork version, whatever
 *   its epoch — so pre-signed exits stay valid across later forks.
 * - Before Deneb: `get_domain(state, DOMAIN_VOLUNTARY_EXIT, exit.epoch)` — the current fork's
 *   version, or the previous fork's when `exit.epoch` is before the current fork's activation.
 *
 * @example
 * voluntaryExitSigningRoot(MAINNET, { epoch: 305658, validatorIndex: 100 }, 305658) // capella domain
 * @throws EthError `FORK_NOT_SCHEDULED` if Deneb is active but the config lacks Capella
 */
export function voluntaryExitSigningRoot(
  network: NetworkConfig,
  exit: phase0.VoluntaryExit,
  currentEpoch: number,
): Uint8Array {
  return computeSigningRoot(
    ssz.phase0.VoluntaryExit,
    exit,
    voluntaryExitDomain(network, exit.epoch, currentEpoch),
  );
}

/** The domain {@link voluntaryExitSigningRoot} uses (exported for remote-signer checks and tests). */
export function voluntaryExitDomain(
  network: NetworkConfig,
  exitEpoch: number,
  currentEpoch: number,
): Uint8Array {
  if (isForkActive(network, "deneb", currentEpoch))
    return domainAtFork(network, DOMAIN_VOLUNTARY_EXIT, "capella");
  const current = forkAtEpoch(network, currentEpoch);
  const version = exitEpoch < current.epoch ? previousFork(network, current.name).version : current.version;
  return computeDomain(DOMAIN_VOLUNTARY_EXIT, version, network.genesisValidatorsRoot);
}

/**
 * Builder (MEV-boost) `ValidatorRegistrationV1` signing root under `DOMAIN_APPLICATION_BUILDER`,
 * which uses the GENESIS fork version and a zero genesis validators root (builder-specs).
 *
 * @example
 * validatorRegistrationSigningRoot(MAINNET, { feeRecipient, gasLimit: 36_000_000, timestamp, pubkey })
 */
export function validatorRegistrationSigningRoot(
  network: NetworkConfig,
  registration: bellatrix.ValidatorRegistrationV1,
): Uint8Array {
  return computeSigningRoot(ssz.bellatrix.ValidatorRegistrationV1, registration, builderDomain(network));
}

/**
 * Deposit signing root: `DepositMessage{pubkey, withdrawalCredentials, amount}` under
 * `DOMAIN_DEPOSIT` with the GENESIS fork version and a zero genesis validators root. The result is
 * the same for every network sharing that genesis fork version. Pass a network or just its genesis
 * fork version (what an Obol cluster definition carries).
 *
 * @example
 * depositSigningRoot(MAINNET, { pubkey, withdrawalCredentials, amount: 32_000_000_000 })
 * depositSigningRoot("0x90000069", message) // sepolia
 */
export function depositSigningRoot(
  networkOrGenesisForkVersion: NetworkConfig | BytesLike,
  message: phase0.DepositMessage,
): Uint8Array {
  return computeSigningRoot(ssz.phase0.DepositMessage, message, depositDomain(networkOrGenesisForkVersion));
}
