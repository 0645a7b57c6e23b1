import { createChainForkConfig } from "@lodestar/config";
import {
  chiadoChainConfig,
  genesisData,
  gnosisChainConfig,
  hoodiChainConfig,
  mainnetChainConfig,
  sepoliaChainConfig,
} from "@lodestar/config/networks";
import { gnosisPreset } from "@lodestar/params/presets/gnosis";
import { describe, expect, it } from "vitest";
import { bytesToHex } from "./hex";
import {
  CHIADO,
  devnetConfig,
  EXTRA_NETWORKS,
  epochAtSlot,
  FORK_NAMES,
  forkAtEpoch,
  forkByName,
  GNOSIS,
  GOERLI,
  HOLESKY,
  HOODI,
  MAINNET,
  NETWORKS,
  type NetworkConfig,
  networkByForkVersion,
  networkByName,
  previousFork,
  SEPOLIA,
  slotAtTime,
  startSlotOfEpoch,
  validateNetworkConfig,
} from "./networks";
import { computeForkDataRoot } from "./signing";
import { codeOf, readSharedVector } from "./testing";

describe("built-in networks agree with Lodestar's @lodestar/config", () => {
  const cases = [
    { ours: MAINNET, chain: mainnetChainConfig, genesis: genesisData.mainnet },
    { ours: SEPOLIA, chain: sepoliaChainConfig, genesis: genesisData.sepolia },
    { ours: HOODI, chain: hoodiChainConfig, genesis: genesisData.hoodi },
  ];
  for (const { ours, chain, genesis } of cases) {
    it(ours.name, () => {
      const config = createChainForkConfig(chain);
      expect(ours.genesisValidatorsRoot).toBe(genesis.genesisValidatorsRoot);
      expect(ours.genesisTime).toBe(genesis.genesisTime);
      expect(ours.secondsPerSlot).toBe(chain.SECONDS_PER_SLOT);
      expect(ours.depositChainId).toBe(chain.DEPOSIT_CHAIN_ID);
      expect(ours.depositContractAddress).toBe(bytesToHex(chain.DEPOSIT_CONTRACT_ADDRESS));
      expect(ours.genesisForkVersion).toBe(bytesToHex(chain.GENESIS_FORK_VERSION));
      for (const f of ours.forks) {
        const theirs = config.forks[f.name];
        expect(bytesToHex(theirs.version), `${f.name} version`).toBe(f.version);
        expect(theirs.epoch, `${f.name} epoch`).toBe(f.epoch);
      }
      // Every fork Lodestar schedules up to Fulu is listed.
      const scheduled = FORK_NAMES.filter((n) => Number.isFinite(config.forks[n].epoch));
      expect(ours.forks.map((f) => f.name)).toEqual(scheduled);
      validateNetworkConfig(ours);
    });
  }

  it("holesky matches eth-clients/holesky metadata/config.yaml and README", () => {
    // Lodestar 1.48 no longer ships holesky; these are the published values.
    expect(HOLESKY.genesisForkVersion).toBe("0x01017000");
    expect(HOLESKY.genesisValidatorsRoot).toBe(
      "0x9143aa7c615a7f7115e2b6aac319c03529df8242ae705fba9df39b79c59fa8b1",
    );
    expect(HOLESKY.genesisTime).toBe(1695902100 + 300); // MIN_GENESIS_TIME + GENESIS_DELAY
    expect(HOLESKY.forks.map((f) => [f.name, f.version, f.epoch])).toEqual([
      ["phase0", "0x01017000", 0],
      ["altair", "0x02017000", 0],
      ["bellatrix", "0x03017000", 0],
      ["capella", "0x04017000", 256],
      ["deneb", "0x05017000", 29696],
      ["electra", "0x06017000", 115968],
      ["fulu", "0x07017000", 165120],
    ]);
    expect(HOLESKY.depositChainId).toBe(17000);
    validateNetworkConfig(HOLESKY);
  });

  // createChainForkConfig refuses gnosis-preset configs under the mainnet preset: compare the raw fields.
  it.each([
    { ours: GNOSIS, chain: gnosisChainConfig, genesis: genesisData.gnosis },
    { ours: CHIADO, chain: chiadoChainConfig, genesis: genesisData.chiado },
  ])("$ours.name (gnosis preset)", ({ ours, chain, genesis }) => {
    expect(ours.genesisValidatorsRoot).toBe(genesis.genesisValidatorsRoot);
    expect(ours.genesisTime).toBe(genesis.genesisTime);
    expect(ours.secondsPerSlot).toBe(chain.SECONDS_PER_SLOT);
    expect(ours.slotsPerEpoch).toBe(gnosisPreset.SLOTS_PER_EPOCH);
    expect(ours.depositChainId).toBe(chain.DEPOSIT_CHAIN_ID);
    expect(ours.depositContractAddress).toBe(bytesToHex(chain.DEPOSIT_CONTRACT_ADDRESS));
    const raw = chain as unknown as Record<string, Uint8Array | number>;
    const scheduled = FORK_NAMES.filter(
      (n) => n === "phase0" || Number.isFinite(raw[`${n.toUpperCase()}_FORK_EPOCH`]),
    );
    expect(ours.forks.map((f) => f.name)).toEqual(scheduled);
    for (const f of ours.forks) {
      const key = f.name === "phase0" ? "GENESIS" : f.name.toUpperCase();
      expect(bytesToHex(raw[`${key}_FORK_VERSION`] as Uint8Array), `${f.name} version`).toBe(f.version);
      expect(f.name === "phase0" ? 0 : raw[`${key}_FORK_EPOCH`], `${f.name} epoch`).toBe(f.epoch);
    }
    validateNetworkConfig(ours);
  });

  it("goerli (deprecated) matches eth-clients/goerli prater/config.yaml and README", () => {
    // Lodestar no longer ships goerli; these are the published values.
    expect(GOERLI.genesisForkVersion).toBe("0x00001020");
    expect(GOERLI.genesisTime).toBe(1614588812 + 1919188); // MIN_GENESIS_TIME + GENESIS_DELAY
    expect(GOERLI.forks.map((f) => [f.name, f.version, f.epoch])).toEqual([
      ["phase0", "0x00001020", 0],
      ["altair", "0x01001020", 36660],
      ["bellatrix", "0x02001020", 112260],
      ["capella", "0x03001020", 162304],
      ["deneb", "0x04001020", 231680],
    ]);
    expect(GOERLI.depositChainId).toBe(5);
    // The README's fork digests pin the genesis validators root.
    const digest = (root: Uint8Array | string) =>
      bytesToHex(computeForkDataRoot(GOERLI.genesisForkVersion, root).subarray(0, 4));
    expect(digest(GOERLI.genesisValidatorsRoot)).toBe("0x79df0428");
    expect(digest(new Uint8Array(32))).toBe("0xe4be9393"); // pre-genesis
    validateNetworkConfig(GOERLI);
  });
});

describe("lookups", () => {
  it("networkByName is case-insensitive and knows the four networks", () => {
    expect(Object.keys(NETWORKS).sort()).toEqual(["holesky", "hoodi", "mainnet", "sepolia"]);
    expect(networkByName("Mainnet")).toBe(MAINNET);
    expect(networkByName(" hoodi ")).toBe(HOODI);
    expect(networkByName("holešky")).toBe(HOLESKY);
    expect(codeOf(() => networkByName("goerli"))).toBe("UNKNOWN_NETWORK");
  });

  it("networkByForkVersion takes the genesis fork version in any spelling", () => {
    expect(networkByForkVersion("0x00000000")).toBe(MAINNET);
    expect(networkByForkVersion("00000000")).toBe(MAINNET);
    expect(networkByForkVersion("0x90000069")).toBe(SEPOLIA);
    expect(networkByForkVersion("0x01017000")).toBe(HOLESKY);
    expect(networkByForkVersion("0X10000910")).toBe(HOODI);
    // a later fork's version is not a network's identity
    expect(codeOf(() => networkByForkVersion("0x05000000"))).toBe("UNKNOWN_FORK_VERSION");
    expect(codeOf(() => networkByForkVersion("0x000000"))).toBe("INVALID_HEX");
    const devnet = devnetConfig({
      genesisForkVersion: "0x10000038",
      genesisValidatorsRoot: `0x${"11".repeat(32)}`,
      genesisTime: 1,
    });
    expect(networkByForkVersion("0x10000038", [devnet])).toBe(devnet);
  });

  it("goerli, gnosis and chiado resolve only when passed as extra networks", () => {
    const extra = Object.values(EXTRA_NETWORKS);
    expect(Object.keys(EXTRA_NETWORKS).sort()).toEqual(["chiado", "gnosis", "goerli"]);
    for (const n of extra) {
      expect(codeOf(() => networkByForkVersion(n.genesisForkVersion))).toBe("UNKNOWN_FORK_VERSION");
      expect(codeOf(() => networkByName(n.name))).toBe("UNKNOWN_NETWORK");
    }
    expect(networkByForkVersion("0x00001020", extra)).toBe(GOERLI);
    expect(networkByForkVersion("00000064", extra)).toBe(GNOSIS);
    expect(networkByForkVersion("0x0000006F", extra)).toBe(CHIADO);
    // Charon's chain ids for the EIP-712 domain (eth2util/network.go).
    expect(extra.map((n) => [n.name, n.depositChainId])).toEqual([
      ["goerli", 5],
      ["gnosis", 100],
      ["chiado", 10200],
    ]);
    expect(networkByForkVersion("0x00000000", extra)).toBe(MAINNET);
  });

  it("the Obol cluster vectors' fork_version resolves to sepolia", () => {
    const suite = readSharedVector<{
      lock: { name: string; input: { cluster_definition: { fork_version: string } } }[];
    }>("obol-dv-specs/cluster_hashing.json");
    const lock = suite.lock.find((c) => c.name === "real_keys_3_of_4")!;
    expect(networkByForkVersion(lock.input.cluster_definition.fork_version).name).toBe("sepolia");
  });
});

describe("fork schedule", () => {
  it("forkAtEpoch switches exactly at each activation epoch", () => {
    for (const f of MAINNET.forks.slice(1)) {
      expect(forkAtEpoch(MAINNET, f.epoch).name).toBe(f.name);
      expect(forkAtEpoch(MAINNET, f.epoch - 1).name).toBe(previousFork(MAINNET, f.name).name);
    }
    expect(forkAtEpoch(MAINNET, 0).name).toBe("phase0");
    expect(forkAtEpoch(MAINNET, 10_000_000).name).toBe("fulu");
    // several forks at epoch 0: the last one is in force
    expect(forkAtEpoch(HOODI, 0).name).toBe("deneb");
    expect(forkAtEpoch(HOODI, 2047).name).toBe("deneb");
    expect(forkAtEpoch(HOODI, 2048).name).toBe("electra");
    expect(codeOf(() => forkAtEpoch(MAINNET, -1))).toBe("INVALID_INPUT");
    expect(codeOf(() => forkAtEpoch(MAINNET, 1.5))).toBe("INVALID_INPUT");
  });

  it("slot and epoch arithmetic", () => {
    expect(epochAtSlot(MAINNET, 31)).toBe(0);
    expect(epochAtSlot(MAINNET, 32)).toBe(1);
    expect(startSlotOfEpoch(MAINNET, 364032)).toBe(364032 * 32);
    expect(slotAtTime(MAINNET, MAINNET.genesisTime - 5)).toBe(0);
    expect(slotAtTime(MAINNET, MAINNET.genesisTime + 25)).toBe(2);
  });
});

describe("devnetConfig", () => {
  const base = {
    genesisForkVersion: "0x10000038",
    genesisValidatorsRoot: `0x${"ab".repeat(32)}`,
    genesisTime: 1_700_000_000,
  };

  it("derives fork versions the Kurtosis/Hoodi way and keeps the schedule", () => {
    const devnet = devnetConfig({
      ...base,
      secondsPerSlot: 6,
      slotsPerEpoch: 8,
      forkEpochs: { altair: 0, bellatrix: 0, capella: 0, deneb: 0, electra: 1, fulu: 5 },
    });
    expect(devnet.name).toBe("devnet");
    expect(devnet.forks.map((f) => `${f.name}:${f.version}@${f.epoch}`)).toEqual([
      "phase0:0x10000038@0",
      "altair:0x20000038@0",
      "bellatrix:0x30000038@0",
      "capella:0x40000038@0",
      "deneb:0x50000038@0",
      "electra:0x60000038@1",
      "fulu:0x70000038@5",
    ]);
    expect(forkAtEpoch(devnet, 1).version).toBe("0x60000038");
    expect(epochAtSlot(devnet, 8)).toBe(1);
    expect(Object.isFrozen(devnet)).toBe(true);
  });

  it("derivation applied to Hoodi's genesis version gives Hoodi's published versions", () => {
    const derived = devnetConfig({
      genesisForkVersion: HOODI.genesisForkVersion,
      genesisValidatorsRoot: HOODI.genesisValidatorsRoot,
      genesisTime: HOODI.genesisTime,
      forkEpochs: { altair: 0, bellatrix: 0, capella: 0, deneb: 0, electra: 2048, fulu: 50688 },
    });
    expect(derived.forks).toEqual(HOODI.forks);
  });

  it("phase0-only devnet, explicit versions, and refusals", () => {
    expect(devnetConfig(base).forks.map((f) => f.name)).toEqual(["phase0"]);
    const explicit = devnetConfig({
      ...base,
      forkEpochs: { altair: 2 },
      forkVersions: { altair: "0xAABBCCDD" },
    });
    expect(forkByName(explicit, "altair").version).toBe("0xaabbccdd");
    expect(codeOf(() => devnetConfig({ ...base, forkEpochs: { altair: 0, capella: 1 } }))).toBe(
      "INVALID_NETWORK_CONFIG",
    );
    expect(codeOf(() => devnetConfig({ ...base, forkEpochs: { altair: 5, bellatrix: 4 } }))).toBe(
      "INVALID_NETWORK_CONFIG",
    );
    expect(
      codeOf(() =>
        devnetConfig({ ...base, forkEpochs: { altair: 1 }, forkVersions: { altair: "0x10000038" } }),
      ),
    ).toBe("INVALID_NETWORK_CONFIG");
    expect(codeOf(() => devnetConfig({ ...base, genesisValidatorsRoot: "0x1234" }))).toBe("INVALID_HEX");
    expect(codeOf(() => devnetConfig({ ...base, slotsPerEpoch: 0 }))).toBe("INVALID_NETWORK_CONFIG");
    expect(codeOf(() => forkByName(devnetConfig(base), "capella"))).toBe("FORK_NOT_SCHEDULED");
  });

  it("validateNetworkConfig rejects a config whose phase0 version is not the genesis version", () => {
    const broken: NetworkConfig = { ...MAINNET, genesisForkVersion: "0x00000001" };
    expect(codeOf(() => validateNetworkConfig(broken))).toBe("INVALID_NETWORK_CONFIG");
  });
});
