/**
 * Fetcher: the unsigned data of a duty from the beacon node. Attester: one attestation_data per
 * committee. RANDAO: the epoch (nothing to fetch). Proposer: the block from produce-block v3, with
 * the DV's RANDAO reveal — the threshold-aggregated signature of the slot's RANDAO duty.
 */
import { epochAtSlot, type NetworkConfig } from "@cohort/eth";
import type { BeaconClient } from "./beaconClient";
import type { AggSig, DutyDefinitionSet, Fetcher, UnsignedData } from "./interfaces";
import { toHex } from "./signing";
import { type Duty, duty as makeDuty, type PubKey } from "./types";

export class BeaconFetcher implements Fetcher {
  private readonly listeners: ((duty: Duty, set: ReadonlyMap<PubKey, UnsignedData>) => void)[] = [];
  private awaitAggSig?: (duty: Duty, pubkey: PubKey) => Promise<AggSig>;

  constructor(
    private readonly beacon: BeaconClient,
    private readonly network: NetworkConfig,
  ) {}

  subscribe(fn: (duty: Duty, set: ReadonlyMap<PubKey, UnsignedData>) => void): void {
    this.listeners.push(fn);
  }

  registerAwaitAggSig(fn: (duty: Duty, pubkey: PubKey) => Promise<AggSig>): void {
    this.awaitAggSig = fn;
  }

  async fetch(duty: Duty, defs: DutyDefinitionSet): Promise<void> {
    const set = new Map<PubKey, UnsignedData>();
    switch (duty.type) {
      case "attester": {
        const byCommittee = new Map<number, Promise<unknown>>();
        for (const def of defs.values()) {
          const ci = def.committeeIndex ?? 0;
          if (!byCommittee.has(ci)) byCommittee.set(ci, this.beacon.attestationData(duty.slot, ci));
        }
        for (const [pubkey, def] of defs) {
          set.set(pubkey, {
            kind: "attestation",
            data: await byCommittee.get(def.committeeIndex ?? 0)!,
            validatorIndex: def.validatorIndex,
            committeeIndex: def.committeeIndex ?? 0,
            committeeLength: def.committeeLength ?? 1,
            validatorCommitteeIndex: def.validatorCommitteeIndex ?? 0,
          });
        }
        break;
      }
      case "randao":
        for (const pubkey of defs.keys())
          set.set(pubkey, { kind: "randao", epoch: epochAtSlot(this.network, duty.slot) });
        break;
      case "proposer": {
        if (!this.awaitAggSig)
          throw new Error("fetcher: no aggregated-signature source registered for RANDAO");
        for (const pubkey of defs.keys()) {
          const randao = await this.awaitAggSig(makeDuty(duty.slot, "randao"), pubkey);
          const res = await this.beacon.produceBlockV3(duty.slot, toHex(randao.signature));
          const data = res.data as { block?: unknown; kzg_proofs?: unknown[]; blobs?: unknown[] };
          const contents = data && typeof data === "object" && "block" in data;
          set.set(pubkey, {
            kind: "block",
            fork: res.version,
            block: contents ? data.block : res.data,
            kzgProofs: contents ? (data.kzg_proofs ?? []) : [],
            blobs: contents ? (data.blobs ?? []) : [],
          });
        }
        break;
      }
      default:
        throw new Error(`fetcher: duty type ${duty.type} is not supported yet`);
    }
    for (const fn of this.listeners) fn(duty, set);
  }
}
