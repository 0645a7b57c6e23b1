import { createHash } from "node:crypto";
import { EXTRA_NETWORKS, networkByForkVersion } from "@cohort/eth";
import { secretToPublicKey, sign, splitSecretKeyInsecureDeterministic } from "@cohort/tbls";
import {
  type ClusterVersion,
  createBuilderRegistration,
  createDefinition,
  createDepositData,
  createEnr,
  createLock,
  DEFAULT_GAS_LIMIT,
  type Definition,
  type DistributedValidator,
  k1Address,
  k1PublicKey,
  type Lock,
  signDefinition,
  writeDefinition,
  writeLock,
} from "../src";

/**
 * Deterministic, fully signed clusters of every supported version, made with this package's own
 * create/sign/write functions (the fixtures the version tests round-trip). All keys derive from fixed
 * labels, secp256k1 and BLS signing are deterministic, and the shares come from tbls's seeded split,
 * so the same version always gives the same files.
 */

const GWEI = 1_000_000_000n;

/** 32 bytes from a label (sha256); valid as a secp256k1 key with overwhelming probability. */
const seed = (label: string) =>
  new Uint8Array(createHash("sha256").update(`cohort/cluster/test/${label}`).digest());

/** A BLS secret key from a label: the top two bits cleared keep it below the group order r. */
function blsSecret(label: string): Uint8Array {
  const b = seed(label);
  b[0] = (b[0] ?? 0) & 0x3f;
  return b;
}

/** What each version's fixture exercises (network, deposit shape, version-specific fields). */
interface Plan {
  forkVersion: string;
  depositAmounts?: bigint[] | null;
  consensusProtocol?: string;
  targetGasLimit?: number;
  compounding?: boolean;
}

export const PLANS: Record<ClusterVersion, Plan> = {
  "v1.5.0": { forkVersion: "0x00001020" }, // goerli
  "v1.6.0": { forkVersion: "0x00001020" },
  "v1.7.0": { forkVersion: "0x00001020" },
  "v1.8.0": { forkVersion: "0x01017000", depositAmounts: [8n * GWEI, 16n * GWEI, 8n * GWEI] }, // holesky
  "v1.9.0": { forkVersion: "0x00000064", depositAmounts: null, consensusProtocol: "qbft" }, // gnosis
  "v1.10.0": {
    forkVersion: "0x10000910", // hoodi
    depositAmounts: [32n * GWEI, 64n * GWEI],
    targetGasLimit: 36_000_000,
    compounding: true,
  },
  "v1.11.0": { forkVersion: "0x00000000", depositAmounts: [32n * GWEI] }, // mainnet
};

export interface GeneratedCluster {
  definition: Definition;
  lock: Lock;
  definitionText: string;
  lockText: string;
  operatorKeys: Uint8Array[];
  nodeKeys: Uint8Array[];
  creatorKey: Uint8Array;
  /** Per validator, the group secret key. */
  validatorSecrets: Uint8Array[];
}

const N = 4;
const T = 3;
const VALIDATORS = 2;
const minor = (v: ClusterVersion) => Number(v.split(".")[1]);

/** A 3-of-4 cluster with two validators at `version`, every signature real. */
export function generateCluster(version: ClusterVersion): GeneratedCluster {
  const plan = PLANS[version];
  const tag = (label: string) => `${version}/${label}`;
  const operatorKeys = Array.from({ length: N }, (_, i) => seed(tag(`operator ${i}`)));
  const nodeKeys = Array.from({ length: N }, (_, i) => seed(tag(`node ${i}`)));
  const creatorKey = seed(tag("creator"));
  const address = (key: Uint8Array) => k1Address(k1PublicKey(key));

  const unsigned = createDefinition({
    version,
    name: `cohort ${version} <fixture>`,
    uuid: `0000${version.replaceAll(".", "").slice(1).padStart(4, "0")}-C0DE-4000-8000-000000000000`,
    timestamp: "2024-05-01T12:00:00Z",
    operators: operatorKeys.map((_, i) => ({
      address: address(operatorKeys[i]!),
      enr: createEnr(nodeKeys[i]!, { ip: `10.0.0.${i + 1}`, tcp: 3610, udp: 3630 }),
    })),
    creator: { address: address(creatorKey) },
    validators: Array.from({ length: VALIDATORS }, (_, v) => ({
      feeRecipientAddress: address(seed(tag(`fee recipient ${v}`))),
      withdrawalAddress: address(seed(tag(`withdrawal ${v}`))),
    })),
    threshold: T,
    forkVersion: plan.forkVersion,
    depositAmounts: plan.depositAmounts,
    consensusProtocol: plan.consensusProtocol,
    targetGasLimit: plan.targetGasLimit,
    compounding: plan.compounding,
  });
  const definition = signDefinition(unsigned, { creatorKey, operatorKeys });

  const network = networkByForkVersion(plan.forkVersion, Object.values(EXTRA_NETWORKS));
  const fork = definition.forkVersion;
  const validatorSecrets: Uint8Array[] = [];
  const shareSecretKeys: Uint8Array[][] = [];
  const distributedValidators = definition.validators.map((va, v): DistributedValidator => {
    const secret = blsSecret(tag(`validator ${v}`));
    validatorSecrets.push(secret);
    const shares = splitSecretKeyInsecureDeterministic(secret, T, N, seed(tag(`split ${v}`)));
    const ordered = Array.from({ length: N }, (_, i) => shares.get(i + 1)!);
    shareSecretKeys.push(ordered);
    const pubkey = secretToPublicKey(secret);
    const signer = (root: Uint8Array) => sign(secret, root);
    const deposit = (amount: bigint) =>
      createDepositData(
        {
          pubkey,
          withdrawalAddress: va.withdrawalAddress,
          amount,
          compounding: definition.compounding,
          forkVersion: fork,
        },
        signer,
      );
    const dv: DistributedValidator = {
      distributedPublicKey: pubkey,
      publicShares: ordered.map(secretToPublicKey),
      partialDepositData: [],
      builderRegistration: {
        message: { feeRecipient: new Uint8Array(), gasLimit: 0, timestamp: 0, pubkey: new Uint8Array() },
        signature: new Uint8Array(),
      },
    };
    const m = minor(version);
    if (m === 6 || m === 7) dv.partialDepositData = [deposit(32n * GWEI)];
    if (m >= 8) dv.partialDepositData = (definition.depositAmounts ?? [32n * GWEI]).map(deposit);
    if (m >= 7) {
      dv.builderRegistration = createBuilderRegistration(
        {
          pubkey,
          feeRecipientAddress: va.feeRecipientAddress,
          gasLimit: definition.targetGasLimit || DEFAULT_GAS_LIMIT,
          timestamp: network.genesisTime,
          forkVersion: fork,
        },
        signer,
      );
    }
    return dv;
  });

  const lock = createLock({
    definition,
    distributedValidators,
    shareSecretKeys,
    ...(minor(version) >= 7 ? { nodeKeys } : {}),
  });
  return {
    definition,
    lock,
    definitionText: writeDefinition(definition),
    lockText: writeLock(lock),
    operatorKeys,
    nodeKeys,
    creatorKey,
    validatorSecrets,
  };
}
