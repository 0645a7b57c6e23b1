/**
 * Scheduler: per epoch, resolves the cluster validators' attester, proposer and sync committee
 * duties from the beacon node and fires each at its time on the injected clock:
 * - slot start: RANDAO, proposer, prepare_aggregator (per attester), prepare_sync_contribution;
 * - 1/3 of the slot: attester, sync_message;
 * - 2/3 of the slot: aggregator (per attester; the fetcher keeps the selected ones), sync_contribution.
 * The next epoch is resolved at each epoch start. A sync committee signing at slot `s` is the one of
 * the period of `epoch(s + 1)` (so the last slot of a period already signs for the next one).
 * Builder registrations (opt-in): one `builder_registration` duty per epoch, keyed by the epoch's
 * first slot, fired at the epoch start and once at start-up for the current epoch (members starting
 * within one epoch join the same duty).
 */
import { epochAtSlot, isForkActive, type NetworkConfig, startSlotOfEpoch } from "@cohort/eth";
import type { BeaconClient, SyncDutyJson } from "./beaconClient";
import type { Clock } from "./deadline";
import type { DutyDefinition, DutyDefinitionSet, Scheduler } from "./interfaces";
import { type Duty, duty, type PubKey } from "./types";

export interface DutySchedulerOptions {
  clock: Clock;
  beacon: BeaconClient;
  network: NetworkConfig;
  pubkeys: readonly PubKey[];
  /** prepare_aggregator + aggregator per attester duty (default true). */
  aggregation?: boolean;
  /** sync_message, prepare_sync_contribution, sync_contribution (default true). */
  syncCommittee?: boolean;
  /** builder_registration per epoch for every validator the beacon node knows (default false). */
  builderRegistration?: boolean;
  onError?: (epoch: number, error: unknown) => void;
}

export const slotStartMs = (network: NetworkConfig, slot: number) =>
  (network.genesisTime + slot * network.secondsPerSlot) * 1000;

export class DutyScheduler implements Scheduler {
  private readonly listeners: ((duty: Duty, defs: DutyDefinitionSet) => void)[] = [];
  private readonly timers = new Set<() => void>();
  private readonly resolved = new Set<number>();
  private indices = new Map<PubKey, number>();
  private stopped = false;

  constructor(private readonly o: DutySchedulerOptions) {}

  subscribeDuties(fn: (duty: Duty, defs: DutyDefinitionSet) => void): void {
    this.listeners.push(fn);
  }

  async start(): Promise<void> {
    this.indices = await this.o.beacon.validatorIndices(this.o.pubkeys);
    const epoch = epochAtSlot(this.o.network, this.currentSlot());
    // Now, or at genesis when started before it (a registration is never timestamped in the future).
    const epochStart = slotStartMs(this.o.network, startSlotOfEpoch(this.o.network, epoch));
    this.fireRegistration(epoch, epochStart > this.o.clock.now() ? epochStart : undefined);
    await this.resolve(epoch);
    await this.resolve(epoch + 1);
    this.scheduleEpochTick(epoch + 1);
  }

  stop(): void {
    this.stopped = true;
    for (const cancel of this.timers) cancel();
    this.timers.clear();
  }

  private currentSlot(): number {
    const n = this.o.network;
    return Math.max(0, Math.floor((this.o.clock.now() / 1000 - n.genesisTime) / n.secondsPerSlot));
  }

  private at(ms: number, fn: () => void): void {
    if (this.stopped) return;
    const cancel = this.o.clock.setTimer(() => {
      this.timers.delete(cancel);
      if (!this.stopped) fn();
    }, ms - this.o.clock.now());
    this.timers.add(cancel);
  }

  private scheduleEpochTick(epoch: number): void {
    const start = slotStartMs(this.o.network, startSlotOfEpoch(this.o.network, epoch));
    this.at(start, () => {
      // Fired from the tick (not scheduled ahead): a start-up that overran the epoch start still has it.
      this.fireRegistration(epoch);
      this.resolve(epoch + 1).catch((e) => this.o.onError?.(epoch + 1, e));
      this.scheduleEpochTick(epoch + 1);
    });
  }

  private async resolve(epoch: number): Promise<void> {
    if (this.resolved.has(epoch) || this.indices.size === 0) return;
    this.resolved.add(epoch);
    const byIndex = new Map([...this.indices].map(([pk, i]) => [i, pk]));
    const [attesters, proposers] = await Promise.all([
      this.o.beacon.attesterDuties(epoch, [...byIndex.keys()]),
      this.o.beacon.proposerDuties(epoch),
    ]);
    const bySlot = new Map<number, Map<PubKey, DutyDefinition>>();
    for (const d of attesters) {
      const pubkey = byIndex.get(Number(d.validator_index));
      if (!pubkey) continue;
      const slot = Number(d.slot);
      const defs = bySlot.get(slot) ?? new Map();
      defs.set(pubkey, {
        pubkey,
        validatorIndex: Number(d.validator_index),
        slot,
        committeeIndex: Number(d.committee_index),
        committeeLength: Number(d.committee_length),
        validatorCommitteeIndex: Number(d.validator_committee_index),
      });
      bySlot.set(slot, defs);
    }
    const slotMs = this.o.network.secondsPerSlot * 1000;
    for (const [slot, defs] of bySlot) {
      const start = slotStartMs(this.o.network, slot);
      const aggregation = this.o.aggregation ?? true;
      if (aggregation) this.fire(duty(slot, "prepare_aggregator"), defs, start);
      this.fire(duty(slot, "attester"), defs, start + slotMs / 3);
      if (aggregation) this.fire(duty(slot, "aggregator"), defs, start + (2 * slotMs) / 3);
    }
    for (const d of proposers) {
      const pubkey = byIndex.get(Number(d.validator_index));
      if (!pubkey) continue;
      const slot = Number(d.slot);
      const defs = new Map([[pubkey, { pubkey, validatorIndex: Number(d.validator_index), slot }]]);
      const start = slotStartMs(this.o.network, slot);
      this.fire(duty(slot, "randao"), defs, start);
      this.fire(duty(slot, "proposer"), defs, start);
    }
    if (this.o.syncCommittee === false) return;
    try {
      await this.resolveSync(epoch, byIndex);
    } catch (e) {
      // Sync committee duties failing to resolve must not cost the attester and proposer duties.
      this.o.onError?.(epoch, e);
    }
  }

  private readonly syncDutyCache = new Map<number, Promise<SyncDutyJson[]>>();

  private syncDuties(epoch: number, indices: number[]): Promise<SyncDutyJson[]> {
    if (!isForkActive(this.o.network, "altair", epoch)) return Promise.resolve([]);
    let p = this.syncDutyCache.get(epoch);
    if (!p) {
      p = this.o.beacon.syncDuties(epoch, indices);
      p.catch(() => this.syncDutyCache.delete(epoch));
      this.syncDutyCache.set(epoch, p);
      for (const e of this.syncDutyCache.keys()) if (e < epoch - 2) this.syncDutyCache.delete(e);
    }
    return p;
  }

  /** Sync committee duties of the slots of `epoch` (each slot's committee is the one of `epoch(slot + 1)`). */
  private async resolveSync(epoch: number, byIndex: ReadonlyMap<number, PubKey>): Promise<void> {
    const n = this.o.network;
    const indices = [...byIndex.keys()];
    const current = await this.syncDuties(epoch, indices);
    // The last slot signs for the next epoch's period; a node may refuse a period that far ahead
    // (then the last slot is left out rather than everything).
    const next = await this.syncDuties(epoch + 1, indices).catch((e) => {
      this.o.onError?.(epoch + 1, e);
      return undefined;
    });
    const slotMs = n.secondsPerSlot * 1000;
    const first = startSlotOfEpoch(n, epoch);
    for (let slot = first; slot < first + n.slotsPerEpoch; slot++) {
      const duties = epochAtSlot(n, slot + 1) === epoch ? current : next;
      if (!duties) continue;
      const defs = new Map<PubKey, DutyDefinition>();
      for (const d of duties) {
        const pubkey = byIndex.get(Number(d.validator_index));
        if (!pubkey || d.validator_sync_committee_indices.length === 0) continue;
        defs.set(pubkey, {
          pubkey,
          validatorIndex: Number(d.validator_index),
          slot,
          syncCommitteeIndices: d.validator_sync_committee_indices.map(Number),
        });
      }
      if (defs.size === 0) continue;
      const start = slotStartMs(n, slot);
      this.fire(duty(slot, "prepare_sync_contribution"), defs, start);
      this.fire(duty(slot, "sync_message"), defs, start + slotMs / 3);
      this.fire(duty(slot, "sync_contribution"), defs, start + (2 * slotMs) / 3);
    }
  }

  /**
   * The epoch's builder_registration duty (slot: the epoch's first), for every known validator: at
   * `atMs`, or right away (even if the epoch started a while ago: its deadline is the epoch's end).
   */
  private fireRegistration(epoch: number, atMs?: number): void {
    if (!this.o.builderRegistration || this.indices.size === 0) return;
    const slot = startSlotOfEpoch(this.o.network, epoch);
    const defs = new Map<PubKey, DutyDefinition>(
      [...this.indices].map(([pubkey, validatorIndex]) => [pubkey, { pubkey, validatorIndex, slot }]),
    );
    const d = duty(slot, "builder_registration");
    if (atMs !== undefined) this.fire(d, defs, atMs);
    else
      this.at(this.o.clock.now(), () => {
        for (const fn of this.listeners) fn(d, defs);
      });
  }

  private fire(d: Duty, defs: DutyDefinitionSet, atMs: number): void {
    if (atMs < this.o.clock.now()) return; // started too late for it
    this.at(atMs, () => {
      for (const fn of this.listeners) fn(d, defs);
    });
  }
}
