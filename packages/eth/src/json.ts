/**
 * Beacon-API JSON → Lodestar value objects, via Lodestar's own `Type.fromJson` (uint64 as decimal
 * strings, bytes as `0x`-hex, snake_case keys). Numbers above 2^53 - 1 in fields Lodestar holds as
 * JS numbers (slots, indices, gas limits, timestamps) are REFUSED with `INVALID_JSON` rather than
 * silently rounded, so a signing root is never computed over a different value than was sent.
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
import { blockType } from "./duties";
import { EthError } from "./errors";
import { epochAtSlot, type ForkName, forkAtEpoch, isForkActive, type NetworkConfig } from "./networks";

/**
 * Reads JSON into a value of any `@chainsafe/ssz` type, wrapping failures in `EthError`.
 *
 * @example
 * fromJson(ssz.phase0.Checkpoint, { epoch: "1", root: "0x…" }, "Checkpoint")
 * @throws EthError `INVALID_JSON`
 */
export function fromJson<T>(type: Type<T>, json: unknown, what: string = type.typeName): T {
  try {
    return type.fromJson(json);
  } catch (cause) {
    throw new EthError("INVALID_JSON", `${what}: ${(cause as Error).message}`, { details: { what }, cause });
  }
}

/** @example attestationDataFromJson(duty.attestation_data) */
export function attestationDataFromJson(json: unknown): phase0.AttestationData {
  return fromJson(ssz.phase0.AttestationData, json, "AttestationData");
}

/** @example blockHeaderFromJson({ slot: "1", proposer_index: "2", parent_root, state_root, body_root }) */
export function blockHeaderFromJson(json: unknown): phase0.BeaconBlockHeader {
  return fromJson(ssz.phase0.BeaconBlockHeader, json, "BeaconBlockHeader");
}

/**
 * A full or blinded `BeaconBlock` (the block itself, not Deneb's `{block, kzg_proofs, blobs}`
 * contents wrapper). The fork is taken from the network schedule at the block's slot; pass the
 * Beacon API's `version` as `fork` to have it checked against the schedule. A body with
 * `execution_payload_header` is read as a blinded block.
 *
 * @example
 * const res = await fetch(`${bn}/eth/v3/validator/blocks/${slot}?randao_reveal=${reveal}`).then((r) => r.json());
 * const block = beaconBlockFromJson(MAINNET, res.data.block ?? res.data, { fork: res.version });
 * @throws EthError `INVALID_JSON`
 */
export function beaconBlockFromJson(
  network: NetworkConfig,
  json: unknown,
  options: { fork?: string } = {},
): BeaconBlock | BlindedBeaconBlock {
  const slot = readSlot(json, ["slot"], "BeaconBlock");
  const scheduled = forkAtEpoch(network, epochAtSlot(network, slot)).name;
  if (options.fork !== undefined && options.fork.toLowerCase() !== scheduled) {
    throw new EthError(
      "INVALID_JSON",
      `BeaconBlock: version ${options.fork} does not match ${network.name}'s fork ${scheduled} at slot ${slot}`,
      { details: { fork: options.fork, scheduled, slot } },
    );
  }
  const body = (json as { body?: Record<string, unknown> }).body;
  const blinded = body !== undefined && body !== null && "execution_payload_header" in body;
  return fromJson(
    blockType(scheduled as ForkName, blinded),
    json,
    blinded ? "BlindedBeaconBlock" : "BeaconBlock",
  ) as BeaconBlock | BlindedBeaconBlock;
}

/**
 * `AggregateAndProof`, Electra-shaped (aggregate with `committee_bits`) from Electra on.
 *
 * @example aggregateAndProofFromJson(MAINNET, { aggregator_index, aggregate, selection_proof })
 */
export function aggregateAndProofFromJson(
  network: NetworkConfig,
  json: unknown,
): phase0.AggregateAndProof | electra.AggregateAndProof {
  const slot = readSlot(json, ["aggregate", "data", "slot"], "AggregateAndProof");
  return isForkActive(network, "electra", epochAtSlot(network, slot))
    ? fromJson(ssz.electra.AggregateAndProof, json, "AggregateAndProof")
    : fromJson(ssz.phase0.AggregateAndProof, json, "AggregateAndProof");
}

/** @example syncAggregatorSelectionDataFromJson({ slot: "1", subcommittee_index: "0" }) */
export function syncAggregatorSelectionDataFromJson(json: unknown): altair.SyncAggregatorSelectionData {
  return fromJson(ssz.altair.SyncAggregatorSelectionData, json, "SyncAggregatorSelectionData");
}

/** @example contributionAndProofFromJson({ aggregator_index, contribution, selection_proof }) */
export function contributionAndProofFromJson(json: unknown): altair.ContributionAndProof {
  return fromJson(ssz.altair.ContributionAndProof, json, "ContributionAndProof");
}

/** @example voluntaryExitFromJson({ epoch: "305658", validator_index: "100" }) */
export function voluntaryExitFromJson(json: unknown): phase0.VoluntaryExit {
  return fromJson(ssz.phase0.VoluntaryExit, json, "VoluntaryExit");
}

/** @example validatorRegistrationFromJson({ fee_recipient, gas_limit: "36000000", timestamp, pubkey }) */
export function validatorRegistrationFromJson(json: unknown): bellatrix.ValidatorRegistrationV1 {
  return fromJson(ssz.bellatrix.ValidatorRegistrationV1, json, "ValidatorRegistrationV1");
}

/** @example depositMessageFromJson({ pubkey, withdrawal_credentials, amount: "32000000000" }) */
export function depositMessageFromJson(json: unknown): phase0.DepositMessage {
  return fromJson(ssz.phase0.DepositMessage, json, "DepositMessage");
}

function readSlot(json: unknown, path: string[], what: string): number {
  let node: unknown = json;
  for (const key of path) {
    node = typeof node === "object" && node !== null ? (node as Record<string, unknown>)[key] : undefined;
  }
  const slot = typeof node === "string" && /^\d+$/.test(node) ? Number(node) : node;
  if (typeof slot !== "number" || !Number.isSafeInteger(slot) || slot < 0) {
    throw new EthError("INVALID_JSON", `${what}: ${path.join(".")} must be a uint64 string`, {
      details: { what, field: path.join(".") },
    });
  }
  return slot;
}
