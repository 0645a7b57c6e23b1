import { createHash } from "node:crypto";
import {
  epochAtSlot,
  type ForkName,
  forkAtEpoch,
  isForkActive,
  type NetworkConfig,
  startSlotOfEpoch,
} from "@cohort/eth";

/** A validator the simulated chain knows. */
export interface SimValidator {
  index: number;
  /** 0x-hex, 48 bytes. */
  pubkey: string;
  /** 0x-hex, 32 bytes. */
  withdrawalCredentials: string;
  balanceGwei: bigint;
}

export interface AttesterDuty {
  pubkey: string;
  validatorIndex: number;
  committeeIndex: number;
  committeeLength: number;
  committeesAtSlot: number;
  validatorCommitteeIndex: number;
  slot: number;
}

export interface ProposerDuty {
  pubkey: string;
  validatorIndex: number;
  slot: number;
}

function u32(...parts: (string | number)[]): number {
  const h = createHash("sha256");
  for (const p of parts) {
    if (typeof p === "number") {
      const b = Buffer.alloc(8);
      b.writeBigUInt64LE(BigInt(p));
      h.update(b);
    } else h.update(p);
  }
  return h.digest().readUInt32LE(0);
}

/** Spec constants (mainnet preset) of aggregation and the sync committee. */
export const TARGET_AGGREGATORS_PER_COMMITTEE = 16;
export const SYNC_COMMITTEE_SIZE = 512;
export const SYNC_COMMITTEE_SUBNET_COUNT = 4;
export const SYNC_SUBCOMMITTEE_SIZE = SYNC_COMMITTEE_SIZE / SYNC_COMMITTEE_SUBNET_COUNT;
export const TARGET_AGGREGATORS_PER_SYNC_SUBCOMMITTEE = 16;

/** `bytes_to_uint64(hash(proof)[0:8]) % modulo == 0` (little-endian), shared by both selection rules. */
function selectedBy(proof: Uint8Array, modulo: number): boolean {
  const digest = createHash("sha256").update(proof).digest();
  return digest.readBigUInt64LE(0) % BigInt(modulo) === 0n;
}

/**
 * The spec's `is_aggregator`: with `modulo = max(1, committee_length / TARGET_AGGREGATORS_PER_COMMITTEE)`
 * (integer division), selected iff `bytes_to_uint64(sha256(selection_proof)[0:8]) % modulo == 0`.
 */
export function isAggregator(committeeLength: number, selectionProof: Uint8Array): boolean {
  return selectedBy(
    selectionProof,
    Math.max(1, Math.floor(committeeLength / TARGET_AGGREGATORS_PER_COMMITTEE)),
  );
}

/**
 * The spec's `is_sync_committee_aggregator`: modulo
 * `max(1, SYNC_COMMITTEE_SIZE / SYNC_COMMITTEE_SUBNET_COUNT / TARGET_AGGREGATORS_PER_SYNC_SUBCOMMITTEE)` (8).
 */
export function isSyncCommitteeAggregator(selectionProof: Uint8Array): boolean {
  return selectedBy(
    selectionProof,
    Math.max(1, Math.floor(SYNC_SUBCOMMITTEE_SIZE / TARGET_AGGREGATORS_PER_SYNC_SUBCOMMITTEE)),
  );
}

export interface SimChainOptions {
  /** EPOCHS_PER_SYNC_COMMITTEE_PERIOD; default 256 (mainnet). Small values suit devnets and tests. */
  epochsPerSyncCommitteePeriod?: number;
  /** SHARD_COMMITTEE_PERIOD: epochs a validator must be active before it may exit; default 256. */
  shardCommitteePeriod?: number;
}

export interface SyncDuty {
  pubkey: string;
  validatorIndex: number;
  /** Positions held in the sync committee (0…511; a validator may hold several). */
  positions: number[];
}

/**
 * The simulated chain's schedule: which validator proposes each slot and when each validator
 * attests. Deterministic (a hash of the slot/epoch and index), not the spec's shuffling: every node
 * asking the simulator gets the same answer, and tests can predict it. One committee per slot.
 */
export class SimChain {
  readonly epochsPerSyncCommitteePeriod: number;
  readonly shardCommitteePeriod: number;

  constructor(
    readonly network: NetworkConfig,
    readonly validators: readonly SimValidator[],
    options: SimChainOptions = {},
  ) {
    this.epochsPerSyncCommitteePeriod = options.epochsPerSyncCommitteePeriod ?? 256;
    this.shardCommitteePeriod = options.shardCommitteePeriod ?? 256;
    if (!Number.isSafeInteger(this.epochsPerSyncCommitteePeriod) || this.epochsPerSyncCommitteePeriod < 1) {
      throw new RangeError("epochsPerSyncCommitteePeriod must be a positive integer");
    }
    if (!Number.isSafeInteger(this.shardCommitteePeriod) || this.shardCommitteePeriod < 0) {
      throw new RangeError("shardCommitteePeriod must be a non-negative integer");
    }
    if (validators.length === 0) throw new RangeError("the simulated chain needs at least one validator");
    validators.forEach((v, i) => {
      if (v.index !== i)
        throw new RangeError(`validator ${i} has index ${v.index}; indices must be 0..n-1 in order`);
    });
  }

  validatorByPubkey(pubkey: string): SimValidator | undefined {
    return this.validators.find((v) => v.pubkey === pubkey.toLowerCase());
  }

  proposerIndex(slot: number): number {
    return u32("proposer", slot) % this.validators.length;
  }

  proposerDuties(epoch: number): ProposerDuty[] {
    const start = startSlotOfEpoch(this.network, epoch);
    return Array.from({ length: this.network.slotsPerEpoch }, (_, i) => {
      const slot = start + i;
      const v = this.validators[this.proposerIndex(slot)]!;
      return { pubkey: v.pubkey, validatorIndex: v.index, slot };
    });
  }

  /** The slot in `epoch` at which validator `index` attests. */
  attestationSlot(epoch: number, index: number): number {
    return (
      startSlotOfEpoch(this.network, epoch) + (u32("attester", epoch, index) % this.network.slotsPerEpoch)
    );
  }

  /** Every validator's attester duty in `epoch` (the committee of a slot = its attesters by index). */
  attesterDuties(epoch: number): AttesterDuty[] {
    const cached = this.dutyCache.get(epoch);
    if (cached) return cached;
    const duties = this.computeAttesterDuties(epoch);
    if (this.dutyCache.size >= 16) this.dutyCache.delete(this.dutyCache.keys().next().value!);
    this.dutyCache.set(epoch, duties);
    return duties;
  }

  private readonly dutyCache = new Map<number, AttesterDuty[]>();

  private computeAttesterDuties(epoch: number): AttesterDuty[] {
    const bySlot = new Map<number, SimValidator[]>();
    for (const v of this.validators) {
      const slot = this.attestationSlot(epoch, v.index);
      bySlot.set(slot, [...(bySlot.get(slot) ?? []), v]);
    }
    return [...bySlot.entries()].flatMap(([slot, committee]) =>
      committee.map((v, position) => ({
        pubkey: v.pubkey,
        validatorIndex: v.index,
        committeeIndex: 0,
        committeeLength: committee.length,
        committeesAtSlot: 1,
        validatorCommitteeIndex: position,
        slot,
      })),
    );
  }

  /** The fork in force at `epoch` and the one before it (Beacon API `Fork`). */
  forkAt(epoch: number) {
    const current = forkAtEpoch(this.network, epoch);
    const i = this.network.forks.indexOf(current);
    const previous = i > 0 ? this.network.forks[i - 1]! : current;
    return { previousVersion: previous.version, currentVersion: current.version, epoch: current.epoch };
  }

  /** The current slot by wall-clock time (0 before genesis). */
  slotAt(unixMs: number): number {
    const elapsed = unixMs / 1000 - this.network.genesisTime;
    return elapsed < 0 ? 0 : Math.floor(elapsed / this.network.secondsPerSlot);
  }

  epochOf(slot: number): number {
    return epochAtSlot(this.network, slot);
  }

  startSlot(epoch: number): number {
    return startSlotOfEpoch(this.network, epoch);
  }

  /**
   * The simulated canonical block root at `slot` (every slot has a block): `sha256("block" ‖ slot)`.
   * Attestation data votes for these roots; blocks actually published to the simulator are
   * recorded but do not change the simulated chain.
   */
  blockRoot(slot: number): Uint8Array {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(slot));
    return new Uint8Array(createHash("sha256").update("block").update(b).digest());
  }

  /**
   * The checkpoint justified for attestations at `epoch`: the previous epoch's (its first slot's
   * block), or the genesis checkpoint `{0, 0x00…}` in epochs 0 and 1.
   */
  justifiedCheckpoint(epoch: number): { epoch: number; root: Uint8Array } {
    return epoch <= 1
      ? { epoch: 0, root: new Uint8Array(32) }
      : { epoch: epoch - 1, root: this.blockRoot(this.startSlot(epoch - 1)) };
  }

  /** The epoch boundary checkpoint of `epoch`: the block at its first slot. */
  targetCheckpoint(epoch: number): { epoch: number; root: Uint8Array } {
    return { epoch, root: this.blockRoot(this.startSlot(epoch)) };
  }

  /**
   * The `AttestationData` a correct attester signs at `slot` (Lodestar value object). From Electra
   * `index` is always 0 (the committee moves to the attestation's `committee_index`/bits).
   */
  attestationData(slot: number, committeeIndex: number) {
    const epoch = this.epochOf(slot);
    return {
      slot,
      index: isForkActive(this.network, "electra", epoch) ? 0 : committeeIndex,
      beaconBlockRoot: this.blockRoot(slot),
      source: this.justifiedCheckpoint(epoch),
      target: this.targetCheckpoint(epoch),
    };
  }

  /** The attestation committee of `slot` (committee 0, the only one), in committee order. */
  committee(slot: number): AttesterDuty[] {
    return this.attesterDuties(this.epochOf(slot))
      .filter((d) => d.slot === slot)
      .sort((a, b) => a.validatorCommitteeIndex - b.validatorCommitteeIndex);
  }

  /** The fork name in force at `epoch`. */
  forkNameAt(epoch: number): ForkName {
    return forkAtEpoch(this.network, epoch).name;
  }

  /** The sync committee period of `epoch`. */
  syncPeriod(epoch: number): number {
    return Math.floor(epoch / this.epochsPerSyncCommitteePeriod);
  }

  /**
   * The sync committee of `period`: SYNC_COMMITTEE_SIZE (512) validator indices, drawn with
   * repetition like the spec's `get_next_sync_committee_indices` (so with a small validator set most
   * validators hold several positions), but by a deterministic hash, not the spec's shuffling.
   */
  syncCommittee(period: number): number[] {
    let c = this.syncCache.get(period);
    if (!c) {
      c = Array.from(
        { length: SYNC_COMMITTEE_SIZE },
        (_, i) => u32("sync", period, i) % this.validators.length,
      );
      if (this.syncCache.size >= 8) this.syncCache.delete(this.syncCache.keys().next().value!);
      this.syncCache.set(period, c);
    }
    return c;
  }

  private readonly syncCache = new Map<number, number[]>();

  /**
   * The sync committee that signs at `slot`: the committee of the period of `slot + 1`'s epoch (its
   * messages go into the next slot's block, as in the validator spec), or none before Altair.
   */
  syncCommitteeAtSlot(slot: number): number[] {
    if (!isForkActive(this.network, "altair", this.epochOf(slot))) return [];
    return this.syncCommittee(this.syncPeriod(this.epochOf(slot + 1)));
  }

  /** Positions of validator `index` in the sync committee signing at `slot`. */
  syncPositions(slot: number, index: number): number[] {
    const positions: number[] = [];
    this.syncCommitteeAtSlot(slot).forEach((v, i) => {
      if (v === index) positions.push(i);
    });
    return positions;
  }

  /** Sync committee duties of the period of `epoch` for the given validators (none before Altair). */
  syncDuties(epoch: number, indices: Iterable<number>): SyncDuty[] {
    if (!isForkActive(this.network, "altair", epoch)) return [];
    const committee = this.syncCommittee(this.syncPeriod(epoch));
    const duties: SyncDuty[] = [];
    for (const index of new Set(indices)) {
      const v = this.validators[index];
      if (!v) continue;
      const positions = committee.flatMap((m, i) => (m === index ? [i] : []));
      if (positions.length > 0) duties.push({ pubkey: v.pubkey, validatorIndex: index, positions });
    }
    return duties;
  }
}
