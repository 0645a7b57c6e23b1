import { PublicKey, SecretKey, Signature, verify } from "@chainsafe/blst";
import { createBeaconConfig } from "@lodestar/config";
import { mainnetChainConfig } from "@lodestar/config/networks";
import { DOMAIN_VOLUNTARY_EXIT as LODESTAR_DOMAIN_VOLUNTARY_EXIT } from "@lodestar/params";
import { ssz } from "@lodestar/types";
import { describe, expect, it } from "vitest";
import {
  aggregateAndProofSigningRoot,
  attestationSigningRoot,
  blockRootSigningRoot,
  blockSigningRoot,
  blockType,
  contributionAndProofSigningRoot,
  randaoSigningRoot,
  selectionProofSigningRoot,
  syncCommitteeMessageSigningRoot,
  syncCommitteeSelectionProofSigningRoot,
  voluntaryExitDomain,
  voluntaryExitSigningRoot,
} from "./duties";
import { bytesToHex, hexToBytes } from "./hex";
import {
  aggregateAndProofFromJson,
  attestationDataFromJson,
  beaconBlockFromJson,
  voluntaryExitFromJson,
} from "./json";
import { devnetConfig, FORK_NAMES, forkByName, HOODI, MAINNET, startSlotOfEpoch } from "./networks";
import {
  computeDomain,
  computeSigningRoot,
  DOMAIN_BEACON_ATTESTER,
  DOMAIN_BEACON_PROPOSER,
  DOMAIN_RANDAO,
  DOMAIN_VOLUNTARY_EXIT,
  domainAt,
} from "./signing";
import { codeOf, readVector } from "./testing";

const hex = bytesToHex;
const lodestarMainnet = createBeaconConfig(mainnetChainConfig, hexToBytes(MAINNET.genesisValidatorsRoot));
const deneb = forkByName(MAINNET, "deneb").epoch;
const capella = forkByName(MAINNET, "capella").epoch;

interface MainnetVector {
  private_key: string;
  signed_voluntary_exit: { message: unknown; signature: string };
  ethdo_offline_preparation: { exit_fork_version: string; genesis_validators_root: string };
}
const mainnetVector = readVector<MainnetVector>("mainnet_exit_and_deposit.json");

describe("voluntary exits and EIP-7044", () => {
  it("reproduces ethdo's mainnet exit signature byte for byte (capella fork version after Deneb)", () => {
    const exit = voluntaryExitFromJson(mainnetVector.signed_voluntary_exit.message);
    expect(exit).toEqual({ epoch: 305658, validatorIndex: 100 });
    const root = voluntaryExitSigningRoot(MAINNET, exit, exit.epoch);
    // ethdo states the fork version it used: 0x03000000 (capella), while 0x04000000 was current.
    expect(mainnetVector.ethdo_offline_preparation.exit_fork_version).toBe(
      forkByName(MAINNET, "capella").version,
    );
    expect(hex(voluntaryExitDomain(MAINNET, exit.epoch, exit.epoch))).toBe(
      hex(
        computeDomain(
          DOMAIN_VOLUNTARY_EXIT,
          "0x03000000",
          mainnetVector.ethdo_offline_preparation.genesis_validators_root,
        ),
      ),
    );
    const sk = SecretKey.fromBytes(hexToBytes(mainnetVector.private_key));
    expect(hex(sk.sign(root).toBytes())).toBe(mainnetVector.signed_voluntary_exit.signature);
    const sig = Signature.fromBytes(hexToBytes(mainnetVector.signed_voluntary_exit.signature));
    expect(verify(root, sk.toPublicKey(), sig)).toBe(true);
    // The same exit signed with the then-current Deneb version would not verify.
    const denebRoot = computeSigningRoot(
      ssz.phase0.VoluntaryExit,
      exit,
      computeDomain(DOMAIN_VOLUNTARY_EXIT, "0x04000000", MAINNET.genesisValidatorsRoot),
    );
    expect(verify(denebRoot, sk.toPublicKey(), sig)).toBe(false);
  });

  it("from Deneb on, every exit (any epoch, any later fork) uses the capella version", () => {
    const capellaDomain = hex(
      computeDomain(DOMAIN_VOLUNTARY_EXIT, "0x03000000", MAINNET.genesisValidatorsRoot),
    );
    for (const current of [
      deneb,
      deneb + 1,
      forkByName(MAINNET, "electra").epoch,
      forkByName(MAINNET, "fulu").epoch + 9,
    ]) {
      for (const exitEpoch of [0, 100, capella - 1, current]) {
        expect(hex(voluntaryExitDomain(MAINNET, exitEpoch, current)), `${exitEpoch}@${current}`).toBe(
          capellaDomain,
        );
      }
    }
  });

  it("before Deneb the domain follows get_domain(state, ..., exit.epoch), as Lodestar's getDomainForVoluntaryExit", () => {
    for (const current of [
      0,
      74240,
      100000,
      144896,
      150000,
      capella,
      capella + 10,
      deneb - 1,
      deneb,
      deneb + 5,
    ]) {
      for (const exitEpoch of [0, 74239, 74240, 144895, 144896, capella - 1, capella, current]) {
        if (exitEpoch > current + 10) continue;
        const ours = voluntaryExitDomain(MAINNET, exitEpoch, current);
        const theirs = lodestarMainnet.getDomainForVoluntaryExit(current * 32, exitEpoch * 32);
        expect(hex(ours), `${exitEpoch}@${current}`).toBe(hex(theirs));
      }
    }
    expect(hex(LODESTAR_DOMAIN_VOLUNTARY_EXIT)).toBe(hex(DOMAIN_VOLUNTARY_EXIT));
  });

  it("a network that has not reached Deneb signs with its current fork", () => {
    const devnet = devnetConfig({
      genesisForkVersion: "0x10000038",
      genesisValidatorsRoot: `0x${"01".repeat(32)}`,
      genesisTime: 0,
      forkEpochs: { altair: 0, bellatrix: 0, capella: 0, deneb: 10 },
    });
    expect(hex(voluntaryExitDomain(devnet, 3, 5))).toBe(
      hex(computeDomain(DOMAIN_VOLUNTARY_EXIT, "0x40000038", devnet.genesisValidatorsRoot)),
    );
    expect(hex(voluntaryExitDomain(devnet, 3, 10))).toBe(
      hex(computeDomain(DOMAIN_VOLUNTARY_EXIT, "0x40000038", devnet.genesisValidatorsRoot)),
    );
  });
});

describe("block proposals across forks", () => {
  for (const name of FORK_NAMES) {
    it(`${name}: full block, header and block root give the same signing root; domain matches Lodestar`, () => {
      const fork = forkByName(MAINNET, name);
      const slot = startSlotOfEpoch(MAINNET, fork.epoch) + 3;
      const type = blockType(name);
      const block = {
        ...(type.defaultValue() as { slot: number; proposerIndex: number }),
        slot,
        proposerIndex: 42,
      };
      const typed = block as Parameters<typeof blockSigningRoot>[1];
      const viaBlock = blockSigningRoot(MAINNET, typed);
      const blockRoot = type.hashTreeRoot(block);
      expect(hex(blockRootSigningRoot(MAINNET, slot, blockRoot))).toBe(hex(viaBlock));
      const body = (block as unknown as { body: unknown }).body;
      const bodyRoot = (
        type as unknown as { fields: { body: { hashTreeRoot(v: unknown): Uint8Array } } }
      ).fields.body.hashTreeRoot(body);
      const header = {
        slot,
        proposerIndex: 42,
        parentRoot: new Uint8Array(32),
        stateRoot: new Uint8Array(32),
        bodyRoot,
      };
      expect(hex(blockSigningRoot(MAINNET, header))).toBe(hex(viaBlock));
      const domain = lodestarMainnet.getDomain(slot, DOMAIN_BEACON_PROPOSER);
      expect(hex(computeSigningRoot(type, block, domain))).toBe(hex(viaBlock));
    });
  }

  it("blinded blocks hash with the blinded type of the fork at their slot", () => {
    const slot = startSlotOfEpoch(MAINNET, forkByName(MAINNET, "electra").epoch);
    const blinded = { ...(blockType("electra", true).defaultValue() as object), slot } as Parameters<
      typeof blockSigningRoot
    >[1];
    const expected = computeSigningRoot(
      blockType("electra", true),
      blinded,
      domainAt(MAINNET, DOMAIN_BEACON_PROPOSER, slot / 32),
    );
    expect(hex(blockSigningRoot(MAINNET, blinded))).toBe(hex(expected));
    expect(codeOf(() => blockType("altair", true))).toBe("SSZ_ERROR");
  });

  it("a block of the wrong fork for its slot is refused, not mis-hashed", () => {
    const slot = startSlotOfEpoch(MAINNET, forkByName(MAINNET, "electra").epoch);
    const phase0Block = { ...ssz.phase0.BeaconBlock.defaultValue(), slot } as Parameters<
      typeof blockSigningRoot
    >[1];
    expect(codeOf(() => blockSigningRoot(MAINNET, phase0Block))).toBe("SSZ_ERROR");
    // newer-fork block at an older fork's slot: would hash "fine" while ignoring fields
    const denebSlot = startSlotOfEpoch(MAINNET, deneb);
    const electraBlock = { ...ssz.electra.BeaconBlock.defaultValue(), slot: denebSlot } as Parameters<
      typeof blockSigningRoot
    >[1];
    expect(codeOf(() => blockSigningRoot(MAINNET, electraBlock))).toBe("SSZ_ERROR");
  });

  it("beaconBlockFromJson picks the scheduled fork and checks the API's version", () => {
    const slot = startSlotOfEpoch(HOODI, 2048);
    const json = ssz.electra.BeaconBlock.toJson({ ...ssz.electra.BeaconBlock.defaultValue(), slot });
    const block = beaconBlockFromJson(HOODI, json, { fork: "electra" });
    expect(hex(blockSigningRoot(HOODI, block))).toBe(
      hex(
        computeSigningRoot(
          ssz.electra.BeaconBlock,
          block as never,
          domainAt(HOODI, DOMAIN_BEACON_PROPOSER, 2048),
        ),
      ),
    );
    expect(codeOf(() => beaconBlockFromJson(HOODI, json, { fork: "deneb" }))).toBe("INVALID_JSON");
    const blindedJson = ssz.electra.BlindedBeaconBlock.toJson({
      ...ssz.electra.BlindedBeaconBlock.defaultValue(),
      slot,
    });
    const blinded = beaconBlockFromJson(HOODI, blindedJson);
    expect("executionPayloadHeader" in blinded.body).toBe(true);
    expect(codeOf(() => beaconBlockFromJson(HOODI, { slot: "x" }))).toBe("INVALID_JSON");
  });
});

describe("other duties use the domain of the fork at their epoch (checked against Lodestar)", () => {
  const electra = forkByName(MAINNET, "electra").epoch;
  const epochs = [deneb - 1, deneb, electra - 1, electra];

  it("attestation, randao, selection proof", () => {
    for (const epoch of epochs) {
      const slot = epoch * 32 + 5;
      const data = attestationDataFromJson({
        slot: String(slot),
        index: "0",
        beacon_block_root: `0x${"11".repeat(32)}`,
        source: { epoch: String(epoch - 1), root: `0x${"22".repeat(32)}` },
        target: { epoch: String(epoch), root: `0x${"33".repeat(32)}` },
      });
      expect(hex(attestationSigningRoot(MAINNET, data))).toBe(
        hex(
          computeSigningRoot(
            ssz.phase0.AttestationData,
            data,
            lodestarMainnet.getDomain(slot, DOMAIN_BEACON_ATTESTER),
          ),
        ),
      );
      expect(hex(randaoSigningRoot(MAINNET, epoch))).toBe(
        hex(computeSigningRoot(ssz.Epoch, epoch, lodestarMainnet.getDomain(slot, DOMAIN_RANDAO))),
      );
      expect(hex(selectionProofSigningRoot(MAINNET, slot))).toBe(
        hex(computeSigningRoot(ssz.Slot, slot, lodestarMainnet.getDomain(slot, hexToBytes("0x05000000")))),
      );
    }
  });

  it("AggregateAndProof switches to the Electra container at Electra", () => {
    const before = {
      aggregator_index: "7",
      aggregate: ssz.phase0.Attestation.toJson({
        ...ssz.phase0.Attestation.defaultValue(),
        data: { ...ssz.phase0.AttestationData.defaultValue(), slot: (electra - 1) * 32 },
      }),
      selection_proof: `0x${"aa".repeat(96)}`,
    };
    const pre = aggregateAndProofFromJson(MAINNET, before);
    expect(hex(aggregateAndProofSigningRoot(MAINNET, pre))).toBe(
      hex(
        computeSigningRoot(
          ssz.phase0.AggregateAndProof,
          pre,
          lodestarMainnet.getDomain((electra - 1) * 32, hexToBytes("0x06000000")),
        ),
      ),
    );
    const after = {
      aggregator_index: "7",
      aggregate: ssz.electra.Attestation.toJson({
        ...ssz.electra.Attestation.defaultValue(),
        data: { ...ssz.phase0.AttestationData.defaultValue(), slot: electra * 32 },
      }),
      selection_proof: `0x${"aa".repeat(96)}`,
    };
    const post = aggregateAndProofFromJson(MAINNET, after);
    expect("committeeBits" in post.aggregate).toBe(true);
    expect(hex(aggregateAndProofSigningRoot(MAINNET, post))).toBe(
      hex(
        computeSigningRoot(
          ssz.electra.AggregateAndProof,
          post as never,
          lodestarMainnet.getDomain(electra * 32, hexToBytes("0x06000000")),
        ),
      ),
    );
    // an Electra-shaped aggregate at a pre-Electra slot is refused rather than hashed without committeeBits
    const misplaced = { ...post, aggregate: { ...post.aggregate, data: pre.aggregate.data } };
    expect(codeOf(() => aggregateAndProofSigningRoot(MAINNET, misplaced))).toBe("SSZ_ERROR");
    // a phase0-shaped aggregate at an Electra slot is refused by the JSON reader
    expect(
      codeOf(() =>
        aggregateAndProofFromJson(MAINNET, {
          ...before,
          aggregate: { ...before.aggregate, data: after.aggregate.data },
        }),
      ),
    ).toBe("INVALID_JSON");
  });

  it("sync committee message, selection proof and contribution", () => {
    const slot = electra * 32 + 1;
    const root = `0x${"44".repeat(32)}`;
    expect(hex(syncCommitteeMessageSigningRoot(MAINNET, slot, root))).toBe(
      hex(
        computeSigningRoot(
          ssz.Root,
          hexToBytes(root),
          lodestarMainnet.getDomain(slot, hexToBytes("0x07000000")),
        ),
      ),
    );
    const selection = { slot, subcommitteeIndex: 3 };
    expect(hex(syncCommitteeSelectionProofSigningRoot(MAINNET, selection))).toBe(
      hex(
        computeSigningRoot(
          ssz.altair.SyncAggregatorSelectionData,
          selection,
          lodestarMainnet.getDomain(slot, hexToBytes("0x08000000")),
        ),
      ),
    );
    const cap = { ...ssz.altair.ContributionAndProof.defaultValue() };
    cap.contribution = { ...cap.contribution, slot };
    expect(hex(contributionAndProofSigningRoot(MAINNET, cap))).toBe(
      hex(
        computeSigningRoot(
          ssz.altair.ContributionAndProof,
          cap,
          lodestarMainnet.getDomain(slot, hexToBytes("0x09000000")),
        ),
      ),
    );
  });

  it("JSON readers refuse uint64s above 2^53 instead of rounding them", () => {
    expect(codeOf(() => voluntaryExitFromJson({ epoch: "18446744073709551615", validator_index: "1" }))).toBe(
      "INVALID_JSON",
    );
    expect(codeOf(() => attestationDataFromJson({ slot: "1" }))).toBe("INVALID_JSON");
  });

  it("signing roots verify with BLS end to end (sign with blst, verify under the pubkey)", () => {
    const sk = SecretKey.fromKeygen(new Uint8Array(32).fill(9));
    const root = randaoSigningRoot(MAINNET, 400000);
    const sig = sk.sign(root);
    expect(verify(root, PublicKey.fromBytes(sk.toPublicKey().toBytes()), sig)).toBe(true);
  });
});
