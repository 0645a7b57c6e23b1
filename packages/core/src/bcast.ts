/**
 * Bcast: submits aggregated signatures to the beacon node (attestations to the pool, blocks
 * published, SignedAggregateAndProofs via v2 with the fork's `Eth-Consensus-Version` — Electra or
 * phase0 shape as fetched —, sync committee messages to the pool, SignedContributionAndProofs).
 */
import { epochAtSlot, forkAtEpoch, isForkActive, type NetworkConfig } from "@cohort/eth";
import type { BeaconClient } from "./beaconClient";
import type { AggSig, Broadcaster } from "./interfaces";
import { toHex } from "./signing";
import type { Duty, PubKey } from "./types";

/** SSZ Bitlist JSON with one bit set (little-endian bits, then the length delimiter). */
export function singleBitlist(length: number, position: number): string {
  const bytes = new Uint8Array(Math.floor(length / 8) + 1);
  bytes[position >> 3]! |= 1 << (position & 7);
  bytes[length >> 3]! |= 1 << (length & 7);
  return toHex(bytes);
}

export class BeaconBroadcaster implements Broadcaster {
  constructor(
    private readonly beacon: BeaconClient,
    private readonly network: NetworkConfig,
  ) {}

  async broadcast(duty: Duty, _pubkey: PubKey, signed: AggSig): Promise<void> {
    const data = signed.data;
    const signature = toHex(signed.signature);
    if (data.kind === "attestation") {
      const epoch = epochAtSlot(this.network, duty.slot);
      const fork = forkAtEpoch(this.network, epoch).name;
      const att = isForkActive(this.network, "electra", epoch)
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
      await this.beacon.submitAttestations(fork, [att]);
    } else if (data.kind === "block") {
      const signedBlock = { message: data.block, signature };
      const contents = ["deneb", "electra", "fulu"].includes(data.fork);
      await this.beacon.publishBlock(
        data.fork,
        contents ? { signed_block: signedBlock, kzg_proofs: data.kzgProofs, blobs: data.blobs } : signedBlock,
      );
    } else if (data.kind === "aggregate_and_proof") {
      const fork = forkAtEpoch(this.network, epochAtSlot(this.network, duty.slot)).name;
      await this.beacon.submitAggregateAndProofs(fork, [{ message: data.message, signature }]);
    } else if (data.kind === "sync_message") {
      await this.beacon.submitSyncCommitteeMessages([
        {
          slot: String(data.slot),
          beacon_block_root: data.beaconBlockRoot,
          validator_index: String(data.validatorIndex),
          signature,
        },
      ]);
    } else if (data.kind === "contribution_and_proof") {
      await this.beacon.submitContributionAndProofs([{ message: data.message, signature }]);
    }
    // RANDAO reveals and selection proofs are not broadcast: they feed the proposer fetch through the AggSigDB.
  }
}
