/** Signing roots of unsigned data, with the domain of the fork in force at its epoch (via @cohort/eth). */
import {
  aggregateAndProofFromJson,
  aggregateAndProofSigningRoot,
  attestationDataFromJson,
  attestationSigningRoot,
  beaconBlockFromJson,
  blockSigningRoot,
  contributionAndProofFromJson,
  contributionAndProofSigningRoot,
  hexToBytes,
  type NetworkConfig,
  randaoSigningRoot,
  selectionProofSigningRoot,
  syncCommitteeMessageSigningRoot,
  syncCommitteeSelectionProofSigningRoot,
  validatorRegistrationFromJson,
  validatorRegistrationSigningRoot,
} from "@cohort/eth";
import { CoreError } from "./errors";
import type { UnsignedData } from "./interfaces";

export function signingRootOf(network: NetworkConfig, data: UnsignedData): Uint8Array {
  try {
    switch (data.kind) {
      case "attestation":
        return attestationSigningRoot(network, attestationDataFromJson(data.data));
      case "randao":
        return randaoSigningRoot(network, data.epoch);
      case "block":
        return blockSigningRoot(network, beaconBlockFromJson(network, data.block, { fork: data.fork }));
      case "selection":
        return selectionProofSigningRoot(network, data.slot);
      case "aggregate_and_proof":
        return aggregateAndProofSigningRoot(network, aggregateAndProofFromJson(network, data.message));
      case "sync_message":
        return syncCommitteeMessageSigningRoot(network, data.slot, hexToBytes(data.beaconBlockRoot, 32));
      case "sync_selection":
        return syncCommitteeSelectionProofSigningRoot(network, {
          slot: data.slot,
          subcommitteeIndex: data.subcommitteeIndex,
        });
      case "contribution_and_proof":
        return contributionAndProofSigningRoot(network, contributionAndProofFromJson(data.message));
      case "builder_registration":
        return validatorRegistrationSigningRoot(network, validatorRegistrationFromJson(data.message));
    }
  } catch (cause) {
    throw new CoreError(
      "INVALID_UNSIGNED_DATA",
      `cannot compute signing root: ${(cause as Error).message}`,
      {},
      { cause },
    );
  }
}

/** Canonical JSON of a set (sorted by pubkey): consensus values and DutyDB comparisons use it. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v) =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        )
      : v,
  );
}

export const toHex = (b: Uint8Array): `0x${string}` => `0x${Buffer.from(b).toString("hex")}`;
export const fromHex = (h: string): Uint8Array => new Uint8Array(Buffer.from(h.replace(/^0x/, ""), "hex"));
