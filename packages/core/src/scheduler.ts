/**
 * Scheduler: per epoch, resolves the cluster validators' attester and proposer duties from the
 * beacon node and fires each at its time (attester at 1/3 of the slot, RANDAO and proposer at the
 * slot start) on the injected clock. The next epoch is resolved at each epoch start.
 */
import { epochAtSlot, type NetworkConfig, startSlotOfEpoch } from "@cohort/eth";
import type { BeaconClient } from "./beaconClient";
import type { Clock } from "./deadline";
import type { DutyDefinition, DutyDefinitionSet, Scheduler } from "./interfaces";
import { type Duty, duty, type PubKey } from "./types";

export interface DutySchedulerOptions {
  clock: Clock;
  beacon: BeaconClient;
  network: NetworkConfig;
  pubkeys: readonly PubKey[];
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
    this.at(slotStartMs(this.o.network, startSlotOfEpoch(this.o.network, epoch)), () => {
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
    for (const [slot, defs] of bySlot)
      this.fire(duty(slot, "attester"), defs, slotStartMs(this.o.network, slot) + slotMs / 3);
    for (const d of proposers) {
      const pubkey = byIndex.get(Number(d.validator_index));
      if (!pubkey) continue;
      const slot = Number(d.slot);
      const defs = new Map([[pubkey, { pubkey, validatorIndex: Number(d.validator_index), slot }]]);
      const start = slotStartMs(this.o.network, slot);
      this.fire(duty(slot, "randao"), defs, start);
      this.fire(duty(slot, "proposer"), defs, start);
    }
  }

  private fire(d: Duty, defs: DutyDefinitionSet, atMs: number): void {
    if (atMs < this.o.clock.now()) return; // started too late for it
    this.at(atMs, () => {
      for (const fn of this.listeners) fn(d, defs);
    });
  }
}
