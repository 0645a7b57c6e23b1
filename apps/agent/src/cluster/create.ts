import { mkdir, readdir, writeFile } from "node:fs/promises";
import path from "node:path";
import {
  createBuilderRegistration,
  createDefinition,
  createDepositData,
  createEnr,
  createLock,
  type DistributedValidator,
  k1GeneratePrivateKey,
  signDefinition,
  writeDefinition,
  writeLock,
} from "@cohort/cluster";
import { devnetConfig, type NetworkConfig, networkByName, writeKeystores } from "@cohort/eth";
import { generateSecretKey, secretToPublicKey, sign, splitSecretKey } from "@cohort/tbls";
import { isAddress } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { interopSecretKey } from "../interop";

export class CliError extends Error {
  override readonly name = "CliError";
}

export interface CreateClusterOptions {
  name: string;
  nodes: number;
  threshold?: number;
  validators: number;
  /** A known network name, or undefined with `forkVersion` for a custom devnet. */
  network?: string;
  forkVersion?: string;
  /** Devnet genesis time (unix seconds) for builder registrations; default 0. */
  genesisTime?: number;
  feeRecipient: string;
  withdrawal: string;
  out: string;
  /** INSECURE public interop keys for the validators (local devnets only). */
  interopIndices?: number[];
  /** Keystore KDF; `insecureFastKdf` is implied by interop keys (they are public anyway). */
  kdf?: "scrypt" | "pbkdf2";
  log?: (line: string) => void;
}

export interface CreatedCluster {
  lockHash: string;
  nodeDirs: string[];
  network: NetworkConfig;
  threshold: number;
  validatorPubkeys: string[];
}

const hex = (b: Uint8Array) => `0x${Buffer.from(b).toString("hex")}`;
const DEPOSIT_GWEI = 32_000_000_000n;
/** EIP-712 chain id of operator/creator signatures in a `--fork-version` devnet lock (no deposit contract). */
export const DEVNET_EIP712_CHAIN_ID = 1337;

/** Charon's default threshold ⌈2n/3⌉, and the safe range [⌊n/2⌋+1, n]. */
export function resolveThreshold(nodes: number, threshold?: number): number {
  const t = threshold ?? Math.ceil((2 * nodes) / 3);
  const min = Math.floor(nodes / 2) + 1;
  if (!Number.isInteger(t) || t < min || t > nodes) {
    throw new CliError(
      `--threshold ${threshold} is unsafe for ${nodes} nodes: it must be between ${min} (a strict majority, so two ` +
        `disjoint groups can never both sign) and ${nodes}; the default is ${Math.ceil((2 * nodes) / 3)}`,
    );
  }
  return t;
}

function resolveNetwork(opts: CreateClusterOptions): NetworkConfig {
  if (opts.network && opts.forkVersion)
    throw new CliError("give either --network or --fork-version, not both");
  if (opts.forkVersion) {
    if (!/^0x[0-9a-fA-F]{8}$/.test(opts.forkVersion)) {
      throw new CliError(
        `--fork-version must be 4 bytes of 0x-hex, e.g. 0x10000038 (got ${opts.forkVersion})`,
      );
    }
    // The lock needs only the genesis fork version (deposits and builder registrations are signed
    // with it and a zero genesis validators root); the agent reads the rest from the beacon node.
    return devnetConfig({
      name: "devnet",
      genesisForkVersion: opts.forkVersion.toLowerCase(),
      genesisValidatorsRoot: `0x${"00".repeat(32)}`,
      genesisTime: opts.genesisTime ?? 0,
    });
  }
  if (!opts.network) throw new CliError("--network <name> or --fork-version <0x…> is required");
  try {
    return networkByName(opts.network);
  } catch {
    throw new CliError(
      `--network ${opts.network} is not a known network (mainnet, hoodi, holesky, sepolia); use --fork-version for a devnet`,
    );
  }
}

/**
 * A trusted-dealer cluster, like `charon create cluster`: generates (or takes interop) validator
 * keys, Shamir-splits each into one share per node, and writes per node `cluster-lock.json`
 * (v1.10.0, fully signed: operator and creator EIP-712 signatures, deposit data, builder
 * registrations, signature aggregate, node signatures), its identity key, its operator key and its
 * `validator_keys/` keystores. The dealer sees every key: use a DKG for real money.
 */
export async function createCluster(opts: CreateClusterOptions): Promise<CreatedCluster> {
  const log = opts.log ?? (() => {});
  if (!Number.isInteger(opts.nodes) || opts.nodes < 3 || opts.nodes > 64) {
    throw new CliError(`--nodes must be an integer between 3 and 64 (got ${opts.nodes})`);
  }
  const threshold = resolveThreshold(opts.nodes, opts.threshold);
  if (!Number.isInteger(opts.validators) || opts.validators < 1 || opts.validators > 10_000) {
    throw new CliError(`--validators must be an integer between 1 and 10000 (got ${opts.validators})`);
  }
  for (const [flag, value] of [
    ["--fee-recipient", opts.feeRecipient],
    ["--withdrawal", opts.withdrawal],
  ] as const) {
    if (!isAddress(value, { strict: false }))
      throw new CliError(`${flag} must be an Ethereum address (got ${value})`);
  }
  if (opts.interopIndices && opts.interopIndices.length !== opts.validators) {
    throw new CliError(
      `--insecure-keys names ${opts.interopIndices.length} keys but --validators is ${opts.validators}`,
    );
  }
  const network = resolveNetwork(opts);
  const existing = await readdir(opts.out).catch(() => [] as string[]);
  if (existing.length > 0) throw new CliError(`--out ${opts.out} is not empty; refusing to overwrite keys`);

  // Keys: validators (BLS), and per node an identity (ENR, secp256k1) and an operator (Ethereum) key.
  const validatorSecrets = Array.from({ length: opts.validators }, (_, v) =>
    opts.interopIndices ? interopSecretKey(opts.interopIndices[v]!) : generateSecretKey(),
  );
  const shares = validatorSecrets.map((sk) => splitSecretKey(sk, threshold, opts.nodes));
  const nodeKeys = Array.from({ length: opts.nodes }, () => k1GeneratePrivateKey());
  const operatorKeys = Array.from({ length: opts.nodes }, () => k1GeneratePrivateKey());
  const operators = operatorKeys.map((k) => privateKeyToAccount(hex(k) as `0x${string}`));
  log(`generated ${opts.validators} validator key(s), split ${threshold}-of-${opts.nodes}`);

  const forkVersion = network.genesisForkVersion;
  const unsigned = createDefinition({
    name: opts.name,
    operators: operators.map((o, i) => ({
      address: o.address,
      enr: createEnr(nodeKeys[i]!, { ip: "127.0.0.1", tcp: 3610 + i }),
    })),
    creator: { address: operators[0]!.address },
    validators: Array.from({ length: opts.validators }, () => ({
      feeRecipientAddress: opts.feeRecipient,
      withdrawalAddress: opts.withdrawal,
    })),
    threshold,
    forkVersion,
    version: "v1.10.0",
  });
  // A devnet has no deposit chain id: its EIP-712 signatures use DEVNET_EIP712_CHAIN_ID.
  const definition = signDefinition(unsigned, {
    creatorKey: operatorKeys[0],
    operatorKeys,
    ...(network.depositChainId === undefined && opts.forkVersion ? { chainId: DEVNET_EIP712_CHAIN_ID } : {}),
  });

  const fork = Buffer.from(forkVersion.slice(2), "hex");
  const distributedValidators: DistributedValidator[] = validatorSecrets.map((sk, v) => {
    const pubkey = secretToPublicKey(sk);
    const signer = (root: Uint8Array) => sign(sk, root);
    return {
      distributedPublicKey: pubkey,
      publicShares: [...shares[v]!.entries()].sort(([a], [b]) => a - b).map(([, s]) => secretToPublicKey(s)),
      partialDepositData: [
        createDepositData(
          { pubkey, withdrawalAddress: opts.withdrawal, amount: DEPOSIT_GWEI, forkVersion: fork },
          signer,
        ),
      ],
      builderRegistration: createBuilderRegistration(
        { pubkey, feeRecipientAddress: opts.feeRecipient, timestamp: network.genesisTime, forkVersion: fork },
        signer,
      ),
    };
  });
  const lock = createLock({
    definition,
    distributedValidators,
    shareSecretKeys: shares.map((m) => [...m.entries()].sort(([a], [b]) => a - b).map(([, s]) => s)),
    nodeKeys,
  });
  const lockJson = writeLock(lock);

  await mkdir(opts.out, { recursive: true, mode: 0o700 });
  await writeFile(path.join(opts.out, "cluster-definition.json"), writeDefinition(definition));
  const nodeDirs: string[] = [];
  for (let i = 0; i < opts.nodes; i++) {
    const dir = path.join(opts.out, `node${i}`);
    nodeDirs.push(dir);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await writeFile(path.join(dir, "cluster-lock.json"), lockJson);
    await writeFile(path.join(dir, "charon-enr-private-key"), Buffer.from(nodeKeys[i]!).toString("hex"), {
      mode: 0o600,
    });
    await writeFile(path.join(dir, "operator-private-key"), hex(operatorKeys[i]!), { mode: 0o600 });
    await writeKeystores(
      path.join(dir, "validator_keys"),
      shares.map((m) => m.get(i + 1)!),
      { kdf: opts.kdf ?? "scrypt", insecureFastKdf: Boolean(opts.interopIndices) },
    );
    log(`wrote ${dir}`);
  }
  return {
    lockHash: hex(lock.lockHash),
    nodeDirs,
    network,
    threshold,
    validatorPubkeys: distributedValidators.map((d) => hex(d.distributedPublicKey)),
  };
}
