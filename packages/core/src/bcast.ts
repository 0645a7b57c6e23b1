/**
 * Bcast: submits aggregated signatures to the beacon node (attestations to the pool, blocks
 * published, SignedAggregateAndProofs via v2 with the fork's `Eth-Consensus-Version` — Electra or
 * phase0 shape as fetched —, sync committee messages to the pool, SignedContributionAndProofs,
 * builder SignedValidatorRegistrationV1s).
 *
 * Pool submissions are batched: signatures aggregated within a few milliseconds of each other (a
 * duty's validators complete together) go to the beacon node in one request, and the Beacon API's
 * per-item failure list settles each validator's submission on its own.
 */
import { epochAtSlot, forkAtEpoch, isForkActive, type NetworkConfig } from "@cohort/eth";
import type { BeaconClient } from "./beaconClient";
import { CoreError, isCoreError } from "./errors";
import type { AggSig, Broadcaster } from "./interfaces";
import { slotStartMs } from "./scheduler";
import { toHex } from "./signing";
import type { Duty, PubKey } from "./types";

/** SSZ Bitlist JSON with one bit set (little-endian bits, then the length delimiter). */
export function singleBitlist(length: number, position: number): string {
  const bytes = new Uint8Array(Math.floor(length / 8) + 1);
  bytes[position >> 3]! |= 1 << (position & 7);
  bytes[length >> 3]! |= 1 << (length & 7);
  return toHex(bytes);
}

type Pool = "attestations" | "aggregates" | "sync_messages" | "contributions" | "registrations";

interface Batch {
  pool: Pool;
  fork: string;
  items: unknown[];
  settle: { resolve: () => void; reject: (e: unknown) => void }[];
}

export interface BeaconBroadcasterOptions {
  /** How long a pool submission waits for others to join its request (default 5 ms; 0 = no batching). */
  batchMs?: number;
  /** Unix ms (default `Date.now`): sync messages and contributions are not sent once the network would ignore them. */
  now?: () => number;
}

export class BeaconBroadcaster implements Broadcaster {
  private readonly batches = new Map<string, Batch>();
  private readonly batchMs: number;
  private readonly now: () => number;

  constructor(
    private readonly beacon: BeaconClient,
    private readonly network: NetworkConfig,
    options: BeaconBroadcasterOptions = {},
  ) {
    this.batchMs = options.batchMs ?? 5;
    this.now = options.now ?? Date.now;
  }

  async broadcast(duty: Duty, _pubkey: PubKey, signed: AggSig): Promise<void> {
    const data = signed.data;
    const signature = toHex(signed.signature);
    const fork = forkAtEpoch(this.network, epochAtSlot(this.network, duty.slot)).name;
    if (data.kind === "attestation") {
      const electra = isForkActive(this.network, "electra", epochAtSlot(this.network, duty.slot));
      const att = electra
        ? {
            committee_index: String(data.committeeIndex),
            attester_index: String(data.validatorIndex),
            data: data.data,
            signature,
          }
        : {
            aggregation_bits: singleBitlist(data.committeeLength, data.validatorCommitteeIndex),
            data: data.data,
            signature,
          };
      await this.enqueue("attestations", fork, att);
    } else if (data.kind === "block") {
      const signedBlock = { message: data.block, signature };
      const contents = ["deneb", "electra", "fulu"].includes(data.fork);
      await this.beacon.publishBlock(
        data.fork,
        contents ? { signed_block: signedBlock, kzg_proofs: data.kzgProofs, blobs: data.blobs } : signedBlock,
      );
    } else if (data.kind === "aggregate_and_proof") {
      await this.enqueue("aggregates", fork, { message: data.message, signature });
    } else if (data.kind === "sync_message") {
      this.checkSyncWindow(duty);
      await this.enqueue("sync_messages", fork, {
        slot: String(data.slot),
        beacon_block_root: data.beaconBlockRoot,
        validator_index: String(data.validatorIndex),
        signature,
      });
    } else if (data.kind === "contribution_and_proof") {
      this.checkSyncWindow(duty);
      await this.enqueue("contributions", fork, { message: data.message, signature });
    } else if (data.kind === "builder_registration") {
      // The lock's pre-signed registrations and threshold-signed ones alike, one request per batch.
      await this.enqueue("registrations", fork, { message: data.message, signature });
    }
    // RANDAO reveals and selection proofs are not broadcast: they feed the proposer fetch through the AggSigDB.
  }

  /**
   * Sync messages and contributions for slot N only count if the proposer of N + 1 has them; gossip
   * ignores them after N + 1. Sending one later only earns a refusal, so it is not sent.
   */
  private checkSyncWindow(duty: Duty): void {
    const closesAt = slotStartMs(this.network, duty.slot + 2);
    if (this.now() >= closesAt) {
      throw new CoreError(
        "TOO_LATE",
        `${duty.slot}/${duty.type}: signed after its propagation window closed`,
        {
          slot: duty.slot,
          closedAt: new Date(closesAt).toISOString(),
        },
      );
    }
  }

  private enqueue(pool: Pool, fork: string, item: unknown): Promise<void> {
    return new Promise((resolve, reject) => {
      const key = `${pool}/${fork}`;
      let batch = this.batches.get(key);
      if (!batch) {
        batch = { pool, fork, items: [], settle: [] };
        this.batches.set(key, batch);
        const b = batch;
        setTimeout(() => {
          if (this.batches.get(key) === b) this.batches.delete(key);
          void this.flush(b);
        }, this.batchMs);
      }
      batch.items.push(item);
      batch.settle.push({ resolve, reject });
    });
  }

  private async flush(b: Batch): Promise<void> {
    try {
      if (b.pool === "attestations") await this.beacon.submitAttestations(b.fork, b.items);
      else if (b.pool === "aggregates") await this.beacon.submitAggregateAndProofs(b.fork, b.items);
      else if (b.pool === "sync_messages") await this.beacon.submitSyncCommitteeMessages(b.items);
      else if (b.pool === "registrations") await this.beacon.submitValidatorRegistrations(b.items);
      else await this.beacon.submitContributionAndProofs(b.items);
      for (const s of b.settle) s.resolve();
    } catch (e) {
      const failures = isCoreError(e, "BEACON_API")
        ? (e.details.failures as { index: number; message: string }[] | undefined)
        : undefined;
      if (!failures) {
        for (const s of b.settle) s.reject(e);
        return;
      }
      // Per-item failures: the other items were accepted.
      const failed = new Map(failures.map((f) => [f.index, f.message]));
      b.settle.forEach((s, i) => {
        const why = failed.get(i);
        if (why === undefined) s.resolve();
        else
          s.reject(
            new CoreError("BEACON_API", `POST ${b.pool}: ${why}`, {
              ...(e as CoreError).details,
              failures: [{ index: 0, message: why }],
            }),
          );
      });
    }
  }
}
