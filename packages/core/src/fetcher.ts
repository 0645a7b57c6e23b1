/**
 * Fetcher: the unsigned data of a duty from the beacon node. Attester: one attestation_data per
 * committee. RANDAO: the epoch (nothing to fetch). Proposer: the block from produce-block v3, with
 * the DV's RANDAO reveal — the threshold-aggregated signature of the slot's RANDAO duty.
 *
 * Aggregation (Charon's design: the members combine their partial selection proofs themselves):
 * - prepare_aggregator: the slot (selection data; nothing to fetch);
 * - aggregator: per validator, awaits the combined selection proof (AggSigDB, prepare_aggregator)
 *   and keeps only the validators it selects (`is_aggregator`); then the attestation data the
 *   cluster signed (AggSigDB, attester) → its root → the beacon node's aggregate → AggregateAndProof;
 * - sync_message: the beacon node's head block root (not agreed by consensus: see README);
 * - prepare_sync_contribution: SyncAggregatorSelectionData of the validator's first subcommittee;
 * - sync_contribution: combined selection proof (AggSigDB, prepare_sync_contribution), kept if
 *   `is_sync_committee_aggregator`; the block root the cluster signed (AggSigDB, sync_message) →
 *   the beacon node's contribution → ContributionAndProof.
 * A duty none of whose validators is selected emits an empty set (the workflow stops there).
 */
import { attestationDataFromJson, epochAtSlot, type NetworkConfig } from "@cohort/eth";
import { ssz } from "@lodestar/types";
import type { BeaconClient } from "./beaconClient";
import type { Clock } from "./deadline";
import { CoreError } from "./errors";
import type { AggSig, DutyDefinition, DutyDefinitionSet, Fetcher, UnsignedData } from "./interfaces";
import type { BuilderRegistrations } from "./registration";
import {
  isAggregator,
  isSyncCommitteeAggregator,
  MAINNET_SELECTION_CONSTANTS,
  type SelectionConstants,
  syncSubcommitteeOf,
} from "./selection";
import { toHex } from "./signing";
import { type Duty, dutyKey, duty as makeDuty, type PubKey } from "./types";

export interface BeaconFetcherOptions {
  /** For bounding the waits on earlier duties' aggregated signatures (without it they wait until those expire). */
  clock?: Clock;
  /** Default: mainnet preset. */
  selection?: SelectionConstants;
  /**
   * How long aggregator / sync_contribution wait for the selection proof, the cluster's attestation
   * or sync message (default: sync_contribution until the end of its slot, aggregator until the
   * start of slot + 2).
   */
  awaitTimeoutMs?: (duty: Duty) => number;
  /** builder_registration: what this member proposes per validator (see ./registration.ts). */
  registrations?: BuilderRegistrations;
}

/** The first subcommittee a sync committee member sits in (one contribution per validator and slot). */
export const firstSyncSubcommittee = (
  def: DutyDefinition,
  c: SelectionConstants = MAINNET_SELECTION_CONSTANTS,
) => Math.min(...(def.syncCommitteeIndices ?? [0]).map((p) => syncSubcommitteeOf(p, c)));

export class BeaconFetcher implements Fetcher {
  private readonly listeners: ((duty: Duty, set: ReadonlyMap<PubKey, UnsignedData>) => void)[] = [];
  private awaitAggSig?: (duty: Duty, pubkey: PubKey) => Promise<AggSig>;

  constructor(
    private readonly beacon: BeaconClient,
    private readonly network: NetworkConfig,
    private readonly o: BeaconFetcherOptions = {},
  ) {}

  private get selection(): SelectionConstants {
    return this.o.selection ?? MAINNET_SELECTION_CONSTANTS;
  }

  /**
   * Until when aggregator / sync_contribution wait for earlier duties and for the node's aggregate:
   * a sync contribution only counts in its own slot (end of slot); an aggregate is still useful
   * later (ATTESTATION_PROPAGATION_SLOT_RANGE), so the aggregator waits until the start of slot + 2,
   * a slot before the default duty deadline.
   */
  private waitEnd(duty: Duty): number {
    const slots = duty.type === "aggregator" ? 2 : 1;
    return (this.network.genesisTime + (duty.slot + slots) * this.network.secondsPerSlot) * 1000;
  }

  /** Awaits an earlier duty's aggregated signature, bounded by the duty's own time budget. */
  private async earlier(duty: Duty, from: Duty, pubkey: PubKey, code: CoreError["code"]): Promise<AggSig> {
    if (!this.awaitAggSig) throw new Error("fetcher: no aggregated-signature source registered");
    const what = `duty ${dutyKey(duty)}: no aggregated ${from.type} signature for ${pubkey.slice(0, 10)}…`;
    const clock = this.o.clock;
    const waiting = this.awaitAggSig(from, pubkey).catch((cause) => {
      throw new CoreError(
        code,
        `${what} (${(cause as Error).message})`,
        { duty: dutyKey(duty), pubkey },
        { cause },
      );
    });
    if (!clock) return waiting;
    const ms = this.o.awaitTimeoutMs?.(duty) ?? this.waitEnd(duty) - clock.now();
    let cancel = () => {};
    const timeout = new Promise<never>((_, reject) => {
      cancel = clock.setTimer(
        () => reject(new CoreError(code, `${what} in time`, { duty: dutyKey(duty), pubkey })),
        ms,
      );
    });
    try {
      return await Promise.race([waiting, timeout]);
    } finally {
      cancel();
    }
  }

  /**
   * The beacon node's aggregate / contribution: a 404 (the cluster's own attestation or sync message
   * may still be on its way to the node's pool) is retried every 1/12 slot until the slot ends
   * (see `waitEnd`; with a clock), then reported as `NO_AGGREGATE`.
   */
  private async untilFound<T>(duty: Duty, get: () => Promise<T>): Promise<T> {
    const slotMs = this.network.secondsPerSlot * 1000;
    const end = this.waitEnd(duty);
    for (;;) {
      try {
        return await get();
      } catch (cause) {
        if ((cause as CoreError).details?.status !== 404) throw cause;
        const clock = this.o.clock;
        if (!clock || clock.now() + slotMs / 12 >= end)
          throw new CoreError(
            "NO_AGGREGATE",
            `duty ${dutyKey(duty)}: ${(cause as Error).message}`,
            {},
            { cause },
          );
        await new Promise<void>((resolve) => clock.setTimer(resolve, slotMs / 12));
      }
    }
  }

  private async aggregatorData(
    duty: Duty,
    pubkey: PubKey,
    def: DutyDefinition,
  ): Promise<UnsignedData | null> {
    const sel = await this.earlier(
      duty,
      makeDuty(duty.slot, "prepare_aggregator"),
      pubkey,
      "NO_SELECTION_PROOF",
    );
    if (!isAggregator(def.committeeLength ?? 1, sel.signature, this.selection)) return null;
    const att = await this.earlier(duty, makeDuty(duty.slot, "attester"), pubkey, "NO_ATTESTATION");
    if (att.data.kind !== "attestation") throw new Error(`fetcher: attester aggregate is ${att.data.kind}`);
    const root = toHex(ssz.phase0.AttestationData.hashTreeRoot(attestationDataFromJson(att.data.data)));
    const committeeIndex = att.data.committeeIndex;
    const aggregate = await this.untilFound(
      duty,
      async () => (await this.beacon.aggregateAttestation(duty.slot, root, committeeIndex)).data,
    );
    return {
      kind: "aggregate_and_proof",
      message: {
        aggregator_index: String(def.validatorIndex),
        aggregate,
        selection_proof: toHex(sel.signature),
      },
    };
  }

  private async contributionData(
    duty: Duty,
    pubkey: PubKey,
    def: DutyDefinition,
  ): Promise<UnsignedData | null> {
    const sel = await this.earlier(
      duty,
      makeDuty(duty.slot, "prepare_sync_contribution"),
      pubkey,
      "NO_SELECTION_PROOF",
    );
    if (sel.data.kind !== "sync_selection") throw new Error(`fetcher: sync selection is ${sel.data.kind}`);
    if (!isSyncCommitteeAggregator(sel.signature, this.selection)) return null;
    const msg = await this.earlier(duty, makeDuty(duty.slot, "sync_message"), pubkey, "NO_SYNC_MESSAGE");
    if (msg.data.kind !== "sync_message") throw new Error(`fetcher: sync message is ${msg.data.kind}`);
    const { subcommitteeIndex } = sel.data;
    const { beaconBlockRoot } = msg.data;
    const contribution = await this.untilFound(duty, () =>
      this.beacon.syncCommitteeContribution(duty.slot, subcommitteeIndex, beaconBlockRoot),
    );
    return {
      kind: "contribution_and_proof",
      message: {
        aggregator_index: String(def.validatorIndex),
        contribution,
        selection_proof: toHex(sel.signature),
      },
    };
  }

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
      case "prepare_aggregator":
        for (const [pubkey, def] of defs)
          set.set(pubkey, {
            kind: "selection",
            slot: duty.slot,
            validatorIndex: def.validatorIndex,
            committeeIndex: def.committeeIndex ?? 0,
            committeeLength: def.committeeLength ?? 1,
          });
        break;
      case "sync_message": {
        // The beacon node's head root, signed without consensus (Charon's choice): every member asks
        // its own node; sync messages are not slashable, and members that disagree simply do not
        // reach a threshold on one root (the duty then fails with insufficient_peer_signatures).
        const root = await this.beacon.blockRoot("head");
        for (const [pubkey, def] of defs)
          set.set(pubkey, {
            kind: "sync_message",
            slot: duty.slot,
            beaconBlockRoot: root,
            validatorIndex: def.validatorIndex,
          });
        break;
      }
      case "prepare_sync_contribution":
        for (const [pubkey, def] of defs)
          set.set(pubkey, {
            kind: "sync_selection",
            slot: duty.slot,
            subcommitteeIndex: firstSyncSubcommittee(def, this.selection),
            validatorIndex: def.validatorIndex,
          });
        break;
      case "aggregator":
      case "sync_contribution": {
        const entries = [...defs].map(async ([pubkey, def]) => {
          const data =
            duty.type === "aggregator"
              ? await this.aggregatorData(duty, pubkey, def)
              : await this.contributionData(duty, pubkey, def);
          return [pubkey, data] as const;
        });
        // One validator's failure must not cost the others: keep the successes, rethrow the first
        // failure afterwards (the tracker records it).
        const settled = await Promise.allSettled(entries);
        let failure: unknown;
        for (const r of settled) {
          if (r.status === "rejected") failure ??= r.reason;
          else if (r.value[1]) set.set(r.value[0], r.value[1]);
        }
        if (failure !== undefined && set.size === 0) throw failure;
        if (failure !== undefined) {
          for (const fn of this.listeners) fn(duty, set);
          throw failure;
        }
        break;
      }
      case "builder_registration": {
        // Nothing to fetch: the lock's registration or a fresh one timestamped at the epoch start.
        const registrations = this.o.registrations;
        if (!registrations) throw new Error("fetcher: builder registrations are not configured");
        for (const pubkey of defs.keys()) {
          const data = registrations.proposal(duty, pubkey);
          if (data) set.set(pubkey, data);
        }
        break;
      }
      default:
        throw new Error(`fetcher: duty type ${duty.type} is not supported yet`);
    }
    for (const fn of this.listeners) fn(duty, set);
  }
}
