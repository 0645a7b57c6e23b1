/**
 * The workflow's components, one small interface each (Charon's `core/interfaces.go`): inputs are
 * methods, outputs are `subscribe(fn)`. `wire.ts` connects them in one place.
 */
import type { Duty, PubKey } from "./types";

/** What the scheduler resolved for one validator and one duty (Beacon API duty fields). */
export interface DutyDefinition {
  pubkey: PubKey;
  validatorIndex: number;
  slot: number;
  /** Attester only. */
  committeeIndex?: number;
  committeeLength?: number;
  validatorCommitteeIndex?: number;
  /**
   * Sync committee duties only: the validator's positions in the sync committee signing at the
   * slot (`validator_sync_committee_indices`, 0…SYNC_COMMITTEE_SIZE-1).
   */
  syncCommitteeIndices?: readonly number[];
}
export type DutyDefinitionSet = ReadonlyMap<PubKey, DutyDefinition>;

/** Unsigned data, JSON-shaped as the Beacon API returns it, so it crosses the wire unchanged. */
export type UnsignedData =
  | {
      kind: "attestation";
      /** `AttestationData` JSON. */
      data: unknown;
      validatorIndex: number;
      committeeIndex: number;
      committeeLength: number;
      validatorCommitteeIndex: number;
    }
  | { kind: "randao"; epoch: number }
  | {
      kind: "block";
      /** Fork name from produce-block v3 (`version`). */
      fork: string;
      /** `BeaconBlock` JSON. */
      block: unknown;
      /** Deneb+ `kzg_proofs` and `blobs` (published alongside the signed block). */
      kzgProofs: unknown[];
      blobs: unknown[];
    }
  /** prepare_aggregator: the beacon committee selection proof of `slot` (DOMAIN_SELECTION_PROOF). */
  | {
      kind: "selection";
      slot: number;
      validatorIndex: number;
      committeeIndex: number;
      committeeLength: number;
    }
  /** aggregator: `AggregateAndProof` JSON (Electra-shaped from Electra). */
  | { kind: "aggregate_and_proof"; message: unknown }
  /** sync_message: the head block root at `slot` (DOMAIN_SYNC_COMMITTEE). */
  | { kind: "sync_message"; slot: number; beaconBlockRoot: `0x${string}`; validatorIndex: number }
  /** prepare_sync_contribution: `SyncAggregatorSelectionData` (DOMAIN_SYNC_COMMITTEE_SELECTION_PROOF). */
  | { kind: "sync_selection"; slot: number; subcommitteeIndex: number; validatorIndex: number }
  /** sync_contribution: `ContributionAndProof` JSON. */
  | { kind: "contribution_and_proof"; message: unknown }
  /**
   * builder_registration: `ValidatorRegistrationV1` JSON (DOMAIN_APPLICATION_BUILDER); `signature`
   * only on the lock's pre-signed registration (submitted as is, never re-signed).
   */
  | {
      kind: "builder_registration";
      message: {
        fee_recipient: `0x${string}`;
        gas_limit: string;
        timestamp: string;
        pubkey: `0x${string}`;
      };
      signature?: `0x${string}`;
    };
export type UnsignedDataSet = ReadonlyMap<PubKey, UnsignedData>;

/** One member's partial signature for one validator (its data travels with it). */
export interface ParSig {
  data: UnsignedData;
  signingRoot: Uint8Array;
  signature: Uint8Array;
  shareIndex: number;
}
export type ParSigSet = ReadonlyMap<PubKey, ParSig>;

/** A group signature (threshold-combined, verified against the group key). */
export interface AggSig {
  data: UnsignedData;
  signingRoot: Uint8Array;
  signature: Uint8Array;
}

export interface Scheduler {
  start(): Promise<void>;
  stop(): void;
  /** Fired at the duty's time with every cluster validator that has it. */
  subscribeDuties(fn: (duty: Duty, defs: DutyDefinitionSet) => void): void;
}

export interface Fetcher {
  fetch(duty: Duty, defs: DutyDefinitionSet): Promise<void>;
  subscribe(fn: (duty: Duty, set: UnsignedDataSet) => void): void;
  /** Where the proposer fetch gets the DV's aggregated RANDAO reveal. */
  registerAwaitAggSig(fn: (duty: Duty, pubkey: PubKey) => Promise<AggSig>): void;
}

export interface Consensus {
  propose(duty: Duty, set: UnsignedDataSet): void;
  subscribe(fn: (duty: Duty, set: UnsignedDataSet) => void): void;
}

export interface DutyDB {
  /** Throws CoreError `DUTYDB_CONFLICT` for a different value of the same duty and validator. */
  store(duty: Duty, set: UnsignedDataSet): void;
  get(duty: Duty, pubkey: PubKey): UnsignedData | undefined;
}

export interface Signer {
  /** Slashing-checks then partially signs every validator's data; refused items are reported, not signed. */
  sign(duty: Duty, set: UnsignedDataSet): Promise<void>;
  subscribe(fn: (duty: Duty, set: ParSigSet) => void): void;
}

export interface ParSigDB {
  storeInternal(duty: Duty, set: ParSigSet): void;
  storeExternal(duty: Duty, set: ParSigSet, fromShareIndex: number): void;
  /** Own partials, to be exchanged. */
  subscribeInternal(fn: (duty: Duty, set: ParSigSet) => void): void;
  /** Once per (duty, validator): `threshold` verified partials over one signing root. */
  subscribeThreshold(fn: (duty: Duty, pubkey: PubKey, partials: readonly ParSig[]) => void): void;
}

export interface ParSigEx {
  broadcast(duty: Duty, set: ParSigSet): void;
  subscribe(fn: (duty: Duty, set: ParSigSet, fromShareIndex: number) => void): void;
}

export interface SigAgg {
  aggregate(duty: Duty, pubkey: PubKey, partials: readonly ParSig[]): Promise<void>;
  subscribe(fn: (duty: Duty, pubkey: PubKey, signed: AggSig) => void): void;
}

export interface AggSigDB {
  store(duty: Duty, pubkey: PubKey, signed: AggSig): void;
  await(duty: Duty, pubkey: PubKey): Promise<AggSig>;
}

export interface Broadcaster {
  broadcast(duty: Duty, pubkey: PubKey, signed: AggSig): Promise<void>;
}
