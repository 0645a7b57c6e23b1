import { EthError } from "./errors";
import { type Hex, hexToBytes, normalizeHex } from "./hex";

/** Consensus forks this package can sign for, in activation order. */
export const FORK_NAMES = ["phase0", "altair", "bellatrix", "capella", "deneb", "electra", "fulu"] as const;
export type ForkName = (typeof FORK_NAMES)[number];
/** Forks that activate after genesis (phase0 is the genesis fork). */
export type PostGenesisForkName = Exclude<ForkName, "phase0">;

/** One scheduled fork: its 4-byte version (`0x`-hex) and activation epoch. */
export interface Fork {
  readonly name: ForkName;
  readonly version: Hex;
  readonly epoch: number;
}

/**
 * What the agent and the cluster tooling need to know about a chain to compute domains and
 * signing roots. Only forks that are scheduled (finite epoch) are listed, in activation order;
 * `forks[0]` is phase0 at epoch 0 with `genesisForkVersion`. Several forks may share an epoch
 * (networks that start post-merge); the last one listed at an epoch is the one in force.
 */
export interface NetworkConfig {
  readonly name: string;
  readonly genesisForkVersion: Hex;
  readonly genesisValidatorsRoot: Hex;
  /** Unix seconds of slot 0. */
  readonly genesisTime: number;
  readonly secondsPerSlot: number;
  readonly slotsPerEpoch: number;
  readonly forks: readonly Fork[];
  /** Execution chain id of the deposit contract (absent for devnets unless given). */
  readonly depositChainId?: number;
  readonly depositContractAddress?: Hex;
}

const fork = (name: ForkName, version: Hex, epoch: number): Fork => ({ name, version, epoch });

/**
 * Ethereum mainnet. Values from the consensus-specs mainnet config and Lodestar's `@lodestar/config`
 * (`mainnetChainConfig`, `genesisData.mainnet`).
 */
export const MAINNET: NetworkConfig = Object.freeze({
  name: "mainnet",
  genesisForkVersion: "0x00000000",
  genesisValidatorsRoot: "0x4b363db94e286120d76eb905340fdd4e54bfe9f06bf33ff6cf5ad27f511bfe95",
  genesisTime: 1606824023,
  secondsPerSlot: 12,
  slotsPerEpoch: 32,
  forks: Object.freeze([
    fork("phase0", "0x00000000", 0),
    fork("altair", "0x01000000", 74240),
    fork("bellatrix", "0x02000000", 144896),
    fork("capella", "0x03000000", 194048),
    fork("deneb", "0x04000000", 269568),
    fork("electra", "0x05000000", 364032),
    fork("fulu", "0x06000000", 411392),
  ]),
  depositChainId: 1,
  depositContractAddress: "0x00000000219ab540356cbb839cbe05303d7705fa",
});

/**
 * Holešky testnet (EOL scheduled by its maintainers). Values from eth-clients/holesky
 * `metadata/config.yaml` and README (genesis time = MIN_GENESIS_TIME + GENESIS_DELAY), Fulu from
 * Lodestar's last holesky config.
 */
export const HOLESKY: NetworkConfig = Object.freeze({
  name: "holesky",
  genesisForkVersion: "0x01017000",
  genesisValidatorsRoot: "0x9143aa7c615a7f7115e2b6aac319c03529df8242ae705fba9df39b79c59fa8b1",
  genesisTime: 1695902400,
  secondsPerSlot: 12,
  slotsPerEpoch: 32,
  forks: Object.freeze([
    fork("phase0", "0x01017000", 0),
    fork("altair", "0x02017000", 0),
    fork("bellatrix", "0x03017000", 0),
    fork("capella", "0x04017000", 256),
    fork("deneb", "0x05017000", 29696),
    fork("electra", "0x06017000", 115968),
    fork("fulu", "0x07017000", 165120),
  ]),
  depositChainId: 17000,
  depositContractAddress: "0x4242424242424242424242424242424242424242",
});

/** Hoodi testnet. Values from Lodestar's `hoodiChainConfig` / `genesisData.hoodi` (eth-clients/hoodi). */
export const HOODI: NetworkConfig = Object.freeze({
  name: "hoodi",
  genesisForkVersion: "0x10000910",
  genesisValidatorsRoot: "0x212f13fc4df078b6cb7db228f1c8307566dcecf900867401a92023d7ba99cb5f",
  genesisTime: 1742213400,
  secondsPerSlot: 12,
  slotsPerEpoch: 32,
  forks: Object.freeze([
    fork("phase0", "0x10000910", 0),
    fork("altair", "0x20000910", 0),
    fork("bellatrix", "0x30000910", 0),
    fork("capella", "0x40000910", 0),
    fork("deneb", "0x50000910", 0),
    fork("electra", "0x60000910", 2048),
    fork("fulu", "0x70000910", 50688),
  ]),
  depositChainId: 560048,
  depositContractAddress: "0x00000000219ab540356cbb839cbe05303d7705fa",
});

/** Sepolia testnet. Values from Lodestar's `sepoliaChainConfig` / `genesisData.sepolia` (eth-clients/sepolia). */
export const SEPOLIA: NetworkConfig = Object.freeze({
  name: "sepolia",
  genesisForkVersion: "0x90000069",
  genesisValidatorsRoot: "0xd8ea171f3c94aea21ebc42a1ed61052acf3f9209c00e4efbaaddac09ed9b8078",
  genesisTime: 1655733600,
  secondsPerSlot: 12,
  slotsPerEpoch: 32,
  forks: Object.freeze([
    fork("phase0", "0x90000069", 0),
    fork("altair", "0x90000070", 50),
    fork("bellatrix", "0x90000071", 100),
    fork("capella", "0x90000072", 56832),
    fork("deneb", "0x90000073", 132608),
    fork("electra", "0x90000074", 222464),
    fork("fulu", "0x90000075", 272640),
  ]),
  depositChainId: 11155111,
  depositContractAddress: "0x7f02c3e3c98b133055b8b348b2ac625669ed295d",
});

/** The built-in public networks, by name. */
export const NETWORKS: Readonly<Record<"mainnet" | "holesky" | "hoodi" | "sepolia", NetworkConfig>> =
  Object.freeze({ mainnet: MAINNET, holesky: HOLESKY, hoodi: HOODI, sepolia: SEPOLIA });

/**
 * Goerli (Prater beacon chain), shut down in 2024. Values from eth-clients/goerli
 * `prater/config.yaml` and `prater/README.md` (genesis time = MIN_GENESIS_TIME + GENESIS_DELAY).
 *
 * @deprecated The network no longer exists. Kept only so that old files naming it (Obol cluster
 * definitions and locks of 2022–2023 carry `fork_version` 0x00001020) can be resolved; see
 * {@link EXTRA_NETWORKS}.
 */
export const GOERLI: NetworkConfig = Object.freeze({
  name: "goerli",
  genesisForkVersion: "0x00001020",
  genesisValidatorsRoot: "0x043db0d9a83813551ee2f33450d23797757d430911a9320530ad8a0eabc43efb",
  genesisTime: 1616508000,
  secondsPerSlot: 12,
  slotsPerEpoch: 32,
  forks: Object.freeze([
    fork("phase0", "0x00001020", 0),
    fork("altair", "0x01001020", 36660),
    fork("bellatrix", "0x02001020", 112260),
    fork("capella", "0x03001020", 162304),
    fork("deneb", "0x04001020", 231680),
  ]),
  depositChainId: 5,
  depositContractAddress: "0xff50ed3d0ec03ac01d4c79aad74928bff48a7b2b",
});

/**
 * Gnosis Chain. Values from Lodestar's `gnosisChainConfig` / `genesisData.gnosis` (gnosischain/configs).
 * Gnosis uses the gnosis preset (16 slots per epoch, other list limits): this package's duty signing
 * roots hash with the mainnet preset, so only the genesis-domain roots (deposits, builder
 * registrations) and lookups are right for it. See {@link EXTRA_NETWORKS}.
 */
export const GNOSIS: NetworkConfig = Object.freeze({
  name: "gnosis",
  genesisForkVersion: "0x00000064",
  genesisValidatorsRoot: "0xf5dcb5564e829aab27264b9becd5dfaa017085611224cb3036f573368dbb9d47",
  genesisTime: 1638993340,
  secondsPerSlot: 5,
  slotsPerEpoch: 16,
  forks: Object.freeze([
    fork("phase0", "0x00000064", 0),
    fork("altair", "0x01000064", 512),
    fork("bellatrix", "0x02000064", 385536),
    fork("capella", "0x03000064", 648704),
    fork("deneb", "0x04000064", 889856),
    fork("electra", "0x05000064", 1337856),
    fork("fulu", "0x06000064", 1714688),
  ]),
  depositChainId: 100,
  depositContractAddress: "0x0b98057ea310f4d31f2a452b414647007d1645d9",
});

/** Chiado (Gnosis testnet). Values from Lodestar's `chiadoChainConfig` / `genesisData.chiado`; gnosis preset as {@link GNOSIS}. */
export const CHIADO: NetworkConfig = Object.freeze({
  name: "chiado",
  genesisForkVersion: "0x0000006f",
  genesisValidatorsRoot: "0x9d642dac73058fbf39c0ae41ab1e34e4d889043cb199851ded7095bc99eb4c1e",
  genesisTime: 1665396300,
  secondsPerSlot: 5,
  slotsPerEpoch: 16,
  forks: Object.freeze([
    fork("phase0", "0x0000006f", 0),
    fork("altair", "0x0100006f", 90),
    fork("bellatrix", "0x0200006f", 180),
    fork("capella", "0x0300006f", 244224),
    fork("deneb", "0x0400006f", 516608),
    fork("electra", "0x0500006f", 948224),
    fork("fulu", "0x0600006f", 1353216),
  ]),
  depositChainId: 10200,
  depositContractAddress: "0xb97036a26259b7147018913bd58a774cf91acf25",
});

/**
 * Networks that existing files name but that are not built in: Goerli (shut down, deprecated) and
 * Gnosis/Chiado (gnosis preset, which this package's duty signing does not implement). Charon's
 * network table (eth2util/network.go) has all three, so Obol cluster files may carry their fork
 * versions. They are not in {@link NETWORKS} and `networkByName` does not know them; pass them as
 * the `extra` argument when identifying a file's network:
 *
 * @example
 * networkByForkVersion("0x00001020", Object.values(EXTRA_NETWORKS)).depositChainId // 5
 */
export const EXTRA_NETWORKS: Readonly<Record<"goerli" | "gnosis" | "chiado", NetworkConfig>> = Object.freeze({
  goerli: GOERLI,
  gnosis: GNOSIS,
  chiado: CHIADO,
});

const ALIASES: Record<string, string> = { holešky: "holesky" };

/**
 * Looks a built-in network up by name (case-insensitive).
 *
 * @example
 * networkByName("Hoodi").genesisForkVersion // "0x10000910"
 * @throws EthError `UNKNOWN_NETWORK`
 */
export function networkByName(name: string): NetworkConfig {
  const key = name.trim().toLowerCase();
  const network = (NETWORKS as Record<string, NetworkConfig>)[ALIASES[key] ?? key];
  if (!network) {
    throw new EthError(
      "UNKNOWN_NETWORK",
      `unknown network "${name}"; known: ${Object.keys(NETWORKS).join(", ")}`,
      {
        details: { name },
      },
    );
  }
  return network;
}

/**
 * Finds a network by its GENESIS fork version, which is all an Obol/Charon cluster definition
 * carries (`fork_version`). Accepts hex with or without `0x`, any case. `extra` lets callers add
 * their own devnet configs to the search (checked before the built-in ones).
 *
 * @example
 * networkByForkVersion("0x90000069").name // "sepolia"
 * networkByForkVersion("00000000").name // "mainnet"
 * @throws EthError `UNKNOWN_FORK_VERSION` (or `INVALID_HEX` when it is not 4 bytes of hex)
 */
export function networkByForkVersion(
  forkVersion: string,
  extra: readonly NetworkConfig[] = [],
): NetworkConfig {
  hexToBytes(forkVersion, 4, "forkVersion");
  const wanted = normalizeHex(forkVersion);
  const network = [...extra, ...Object.values(NETWORKS)].find((n) => n.genesisForkVersion === wanted);
  if (!network) {
    throw new EthError("UNKNOWN_FORK_VERSION", `no known network has genesis fork version ${wanted}`, {
      details: { forkVersion: wanted },
    });
  }
  return network;
}

/**
 * The fork in force at `epoch`: the last scheduled fork whose activation epoch is `<= epoch`.
 *
 * @example
 * forkAtEpoch(MAINNET, 269568).name // "deneb"
 * forkAtEpoch(MAINNET, 269567).name // "capella"
 */
export function forkAtEpoch(config: NetworkConfig, epoch: number): Fork {
  assertEpochLike(epoch, "epoch");
  let current: Fork | undefined;
  for (const f of config.forks) {
    if (f.epoch <= epoch) current = f;
    else break;
  }
  if (!current) {
    throw new EthError("INVALID_NETWORK_CONFIG", `network ${config.name} has no fork at epoch ${epoch}`, {
      details: { network: config.name, epoch },
    });
  }
  return current;
}

/**
 * The fork scheduled right before `fork` (phase0 is its own predecessor), i.e. the spec's
 * `state.fork.previous_version` while `fork` is current.
 */
export function previousFork(config: NetworkConfig, forkName: ForkName): Fork {
  const index = config.forks.findIndex((f) => f.name === forkName);
  if (index < 0) throw notScheduled(config, forkName);
  return config.forks[Math.max(0, index - 1)]!;
}

/**
 * The scheduled fork with this name.
 *
 * @example
 * forkByName(MAINNET, "capella").version // "0x03000000"
 * @throws EthError `FORK_NOT_SCHEDULED`
 */
export function forkByName(config: NetworkConfig, forkName: ForkName): Fork {
  const found = config.forks.find((f) => f.name === forkName);
  if (!found) throw notScheduled(config, forkName);
  return found;
}

/** Whether `forkName` is active at `epoch` (it or a later fork is in force). */
export function isForkActive(config: NetworkConfig, forkName: ForkName, epoch: number): boolean {
  return FORK_NAMES.indexOf(forkAtEpoch(config, epoch).name) >= FORK_NAMES.indexOf(forkName);
}

/** `compute_epoch_at_slot`. */
export function epochAtSlot(config: NetworkConfig, slot: number): number {
  assertEpochLike(slot, "slot");
  return Math.floor(slot / config.slotsPerEpoch);
}

/** `compute_start_slot_at_epoch`. */
export function startSlotOfEpoch(config: NetworkConfig, epoch: number): number {
  assertEpochLike(epoch, "epoch");
  return epoch * config.slotsPerEpoch;
}

/**
 * The slot in progress at `unixSeconds` (0 before genesis).
 *
 * @example
 * slotAtTime(MAINNET, MAINNET.genesisTime + 25) // 2
 */
export function slotAtTime(config: NetworkConfig, unixSeconds: number): number {
  if (unixSeconds < config.genesisTime) return 0;
  return Math.floor((unixSeconds - config.genesisTime) / config.secondsPerSlot);
}

/** Parameters of {@link devnetConfig}. */
export interface DevnetConfigParameters {
  /** Defaults to "devnet". */
  name?: string;
  genesisForkVersion: string;
  genesisValidatorsRoot: string;
  genesisTime: number;
  /** Defaults to 12. */
  secondsPerSlot?: number;
  /** Defaults to 32. The SSZ types used for signing are always the mainnet preset's. */
  slotsPerEpoch?: number;
  /** Activation epoch per fork; forks left out are not scheduled (and nor are any after them). */
  forkEpochs?: Partial<Record<PostGenesisForkName, number>>;
  /**
   * Fork versions. Defaults follow the devnet convention of ethereum-genesis-generator/Kurtosis
   * (and Hoodi): the genesis version with its first byte replaced by `0x10 * (fork index + 1)`,
   * e.g. genesis `0x10000038` gives altair `0x20000038`, bellatrix `0x30000038`, ...
   */
  forkVersions?: Partial<Record<PostGenesisForkName, string>>;
  depositChainId?: number;
  depositContractAddress?: string;
}

/**
 * A config for a local devnet with its own fork versions, validated like the built-in ones.
 *
 * @example
 * const devnet = devnetConfig({
 *   genesisForkVersion: "0x10000038",
 *   genesisValidatorsRoot: "0x" + "ab".repeat(32),
 *   genesisTime: 1_700_000_000,
 *   secondsPerSlot: 6,
 *   slotsPerEpoch: 8,
 *   forkEpochs: { altair: 0, bellatrix: 0, capella: 0, deneb: 0, electra: 1 },
 * });
 * forkAtEpoch(devnet, 1).version // "0x60000038"
 * @throws EthError `INVALID_NETWORK_CONFIG` / `INVALID_HEX`
 */
export function devnetConfig(params: DevnetConfigParameters): NetworkConfig {
  const genesis = hexToBytes(params.genesisForkVersion, 4, "genesisForkVersion");
  const forks: Fork[] = [fork("phase0", normalizeHex(params.genesisForkVersion), 0)];
  for (const [i, name] of FORK_NAMES.entries()) {
    if (name === "phase0") continue;
    const epoch = params.forkEpochs?.[name];
    if (epoch === undefined) break;
    const explicit = params.forkVersions?.[name];
    let version: Hex;
    if (explicit !== undefined) {
      hexToBytes(explicit, 4, `forkVersions.${name}`);
      version = normalizeHex(explicit);
    } else {
      const derived = Uint8Array.from(genesis);
      derived[0] = ((i + 1) * 0x10) & 0xff;
      version = `0x${Buffer.from(derived).toString("hex")}`;
    }
    forks.push(fork(name, version, epoch));
  }
  const later = FORK_NAMES.slice(forks.length).filter(
    (n) => n !== "phase0" && params.forkEpochs?.[n] !== undefined,
  );
  if (later.length > 0) {
    throw new EthError(
      "INVALID_NETWORK_CONFIG",
      `forkEpochs schedules ${later.join(", ")} but not ${FORK_NAMES[forks.length]}`,
      { details: { missing: FORK_NAMES[forks.length], scheduled: later } },
    );
  }
  const config: NetworkConfig = {
    name: params.name ?? "devnet",
    genesisForkVersion: normalizeHex(params.genesisForkVersion),
    genesisValidatorsRoot: normalizeHex(params.genesisValidatorsRoot),
    genesisTime: params.genesisTime,
    secondsPerSlot: params.secondsPerSlot ?? 12,
    slotsPerEpoch: params.slotsPerEpoch ?? 32,
    forks,
    ...(params.depositChainId !== undefined ? { depositChainId: params.depositChainId } : {}),
    ...(params.depositContractAddress !== undefined
      ? { depositContractAddress: normalizeHex(params.depositContractAddress) }
      : {}),
  };
  validateNetworkConfig(config);
  return Object.freeze({ ...config, forks: Object.freeze(forks.map((f) => Object.freeze(f))) });
}

/**
 * Checks a config's internal consistency: phase0 first at epoch 0 with the genesis version, forks
 * in spec order without gaps, non-decreasing epochs, distinct 4-byte versions, a 32-byte genesis
 * validators root, positive integer timing.
 *
 * @throws EthError `INVALID_NETWORK_CONFIG` / `INVALID_HEX`
 */
export function validateNetworkConfig(config: NetworkConfig): void {
  const bad = (message: string, details?: Record<string, unknown>) =>
    new EthError("INVALID_NETWORK_CONFIG", `network ${config.name}: ${message}`, { details });
  hexToBytes(config.genesisForkVersion, 4, "genesisForkVersion");
  hexToBytes(config.genesisValidatorsRoot, 32, "genesisValidatorsRoot");
  if (!Number.isSafeInteger(config.genesisTime) || config.genesisTime < 0)
    throw bad("genesisTime must be unix seconds");
  for (const key of ["secondsPerSlot", "slotsPerEpoch"] as const) {
    if (!Number.isSafeInteger(config[key]) || config[key] <= 0)
      throw bad(`${key} must be a positive integer`);
  }
  const first = config.forks[0];
  if (first?.name !== "phase0" || first.epoch !== 0) throw bad("forks[0] must be phase0 at epoch 0");
  if (normalizeHex(first.version) !== normalizeHex(config.genesisForkVersion)) {
    throw bad("phase0 version must equal genesisForkVersion");
  }
  const seen = new Set<string>();
  for (const [i, f] of config.forks.entries()) {
    if (f.name !== FORK_NAMES[i]) throw bad(`forks[${i}] must be ${FORK_NAMES[i]}, got ${f.name}`);
    hexToBytes(f.version, 4, `forks.${f.name}.version`);
    if (!Number.isSafeInteger(f.epoch) || f.epoch < 0)
      throw bad(`${f.name} epoch must be a non-negative integer`);
    const prev = config.forks[i - 1];
    if (prev && f.epoch < prev.epoch) throw bad(`${f.name} activates before ${prev.name}`);
    const v = normalizeHex(f.version);
    if (seen.has(v)) throw bad(`fork version ${v} is used twice`, { version: v });
    seen.add(v);
  }
}

function notScheduled(config: NetworkConfig, forkName: ForkName): EthError {
  return new EthError("FORK_NOT_SCHEDULED", `network ${config.name} does not schedule ${forkName}`, {
    details: { network: config.name, fork: forkName },
  });
}

function assertEpochLike(value: number, field: string): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new EthError("INVALID_INPUT", `${field} must be a non-negative integer, got ${value}`, {
      details: { field, value },
    });
  }
}
