/**
 * `cohort exit sign` / `cohort exit broadcast`: a distributed validator's voluntary exit, the
 * Charon-style offline way. An exit is irreversible, so no agent exits a validator on its own: EACH
 * operator signs a partial exit with its key share (`sign`, one file per operator), and anyone
 * holding at least `threshold` of those files combines and submits them (`broadcast`).
 *
 * Partial-exit file (JSON): `{ version, lock_hash, validator, message: VoluntaryExit JSON,
 * share_index, partial_signature, identity_signature }`. `identity_signature` is the operator's
 * secp256k1 identity key (its ENR key in the lock) signing sha256 of the canonical JSON of every
 * other field, so a file cannot be altered or passed off as another operator's.
 *
 * Signing root: `VoluntaryExit` under DOMAIN_VOLUNTARY_EXIT with EIP-7044's rule — from Deneb the
 * CAPELLA fork version whatever the current fork; before Deneb the fork of the exit's epoch — and
 * the chain's genesis validators root (both read from the beacon node).
 */
import { createHash } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import {
  bytesEqual,
  clusterNetwork,
  k1Sign,
  k1Verify65,
  type Lock,
  parseLock,
  verifyLock,
} from "@cohort/cluster";
import {
  BeaconClient,
  canonicalJson,
  clusterFromLock,
  fromHex,
  type LoadNodeOptions,
  loadNodeFromDataDir,
  type PubKey,
  systemClock,
  toHex,
} from "@cohort/core";
import {
  epochAtSlot,
  type NetworkConfig,
  voluntaryExitFromJson,
  voluntaryExitSigningRoot,
} from "@cohort/eth";
import { partialSign, thresholdAggregate, verify } from "@cohort/tbls";
import { CliError, DEVNET_EIP712_CHAIN_ID } from "./cluster/create";

export const PARTIAL_EXIT_VERSION = "cohort/partial-exit/v1";

export type ExitErrorCode =
  | "EXIT_BEACON"
  | "EXIT_UNKNOWN_VALIDATOR"
  | "EXIT_INVALID_FILE"
  | "EXIT_FOREIGN_LOCK"
  | "EXIT_MIXED_MESSAGES"
  | "EXIT_DUPLICATE_SHARE"
  | "EXIT_INSUFFICIENT_PARTIALS"
  | "EXIT_INVALID_SIGNATURE";

export class ExitError extends Error {
  override readonly name = "ExitError";
  constructor(
    readonly code: ExitErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface PartialExitFile {
  version: typeof PARTIAL_EXIT_VERSION;
  lock_hash: `0x${string}`;
  validator: PubKey;
  message: { epoch: string; validator_index: string };
  share_index: number;
  partial_signature: `0x${string}`;
  identity_signature: `0x${string}`;
}

/** sha256 of the canonical JSON of every field but the identity signature. */
export function partialExitDigest(f: Omit<PartialExitFile, "identity_signature">): Uint8Array {
  const { version, lock_hash, validator, message, share_index, partial_signature } = f;
  const body = canonicalJson({ version, lock_hash, validator, message, share_index, partial_signature });
  return new Uint8Array(createHash("sha256").update(body).digest());
}

async function loadVerifiedLock(file: string): Promise<Lock> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (cause) {
    throw new CliError(`cluster lock not readable at ${file}: ${(cause as Error).message}`);
  }
  const lock = parseLock(text);
  const known = clusterNetwork(lock.definition.forkVersion) !== undefined;
  await verifyLock(lock, known ? {} : { chainId: DEVNET_EIP712_CHAIN_ID });
  return lock;
}

/** The beacon node's chain (checked against the lock's fork version) and its head epoch. */
async function chainOf(
  beaconUrl: string,
  lock: Lock,
): Promise<{ beacon: BeaconClient; network: NetworkConfig; currentEpoch: number }> {
  const beacon = new BeaconClient({ baseUrl: beaconUrl, clock: systemClock });
  let network: NetworkConfig;
  let headSlot: number;
  try {
    network = await beacon.networkConfig();
    const res = await fetch(`${beaconUrl.replace(/\/+$/, "")}/eth/v1/node/syncing`, {
      signal: AbortSignal.timeout(5_000),
    });
    if (!res.ok) throw new Error(`GET /eth/v1/node/syncing: ${res.status}`);
    headSlot = Number(((await res.json()) as { data: { head_slot: string } }).data.head_slot);
  } catch (cause) {
    throw new ExitError(
      "EXIT_BEACON",
      `cannot read the chain from the beacon node: ${(cause as Error).message}`,
      {
        cause,
      },
    );
  }
  const forkVersion = toHex(lock.definition.forkVersion);
  if (network.genesisForkVersion.toLowerCase() !== forkVersion)
    throw new ExitError(
      "EXIT_BEACON",
      `the beacon node is on a chain with genesis fork version ${network.genesisForkVersion}, but the cluster is for ${forkVersion}`,
    );
  return { beacon, network, currentEpoch: epochAtSlot(network, headSlot) };
}

export interface ExitSignOptions {
  dataDir: string;
  beaconUrl: string;
  /** Group pubkey (0x…) or validator index. */
  validator: string;
  epoch?: number;
  out?: string;
  readKeystores?: LoadNodeOptions["readKeystores"];
}

/** Signs this node's partial exit; returns the file written and its content. */
export async function signPartialExit(o: ExitSignOptions): Promise<{ file: string; exit: PartialExitFile }> {
  const id = o.validator.trim().toLowerCase();
  if (!/^0x[0-9a-f]{96}$/.test(id) && !/^\d+$/.test(id))
    throw new CliError(
      `--validator must be a 48-byte 0x-hex pubkey or a validator index (got ${o.validator})`,
    );
  if (o.epoch !== undefined && (!Number.isSafeInteger(o.epoch) || o.epoch < 0))
    throw new CliError(`--epoch must be a non-negative integer (got ${o.epoch})`);
  const lock = await loadVerifiedLock(path.join(o.dataDir, "cluster-lock.json"));
  const node = await loadNodeFromDataDir(
    o.dataDir,
    o.readKeystores ? { readKeystores: o.readKeystores } : {},
  );
  if (!bytesEqual(node.lock.lockHash, lock.lockHash))
    throw new CliError("cluster lock changed while loading");
  const { beacon, network, currentEpoch } = await chainOf(o.beaconUrl, lock);

  let found: Awaited<ReturnType<BeaconClient["validator"]>>;
  try {
    found = await beacon.validator(id);
  } catch (cause) {
    throw new ExitError("EXIT_BEACON", `cannot look up validator ${id}: ${(cause as Error).message}`, {
      cause,
    });
  }
  if (!found) throw new ExitError("EXIT_UNKNOWN_VALIDATOR", `the beacon node does not know validator ${id}`);
  const dvIndex = lock.distributedValidators.findIndex(
    (dv) => toHex(dv.distributedPublicKey) === found.pubkey,
  );
  const dv = lock.distributedValidators[dvIndex];
  const share = node.shares.get(found.pubkey);
  if (!dv || !share)
    throw new ExitError(
      "EXIT_UNKNOWN_VALIDATOR",
      `validator ${found.index} (${found.pubkey}) is not a distributed validator of this cluster`,
    );

  const message = { epoch: String(o.epoch ?? currentEpoch), validator_index: String(found.index) };
  const root = voluntaryExitSigningRoot(network, voluntaryExitFromJson(message), currentEpoch);
  const partial = partialSign(share, root);
  const publicShare = dv.publicShares[node.selfIndex]!;
  if (!verify(publicShare, root, partial))
    throw new ExitError(
      "EXIT_INVALID_SIGNATURE",
      "the partial signature does not verify against this node's public share",
    );

  const unsigned = {
    version: PARTIAL_EXIT_VERSION,
    lock_hash: toHex(lock.lockHash),
    validator: found.pubkey,
    message,
    share_index: node.selfIndex + 1,
    partial_signature: toHex(partial),
  } as const;
  const exit: PartialExitFile = {
    ...unsigned,
    identity_signature: toHex(k1Sign(node.identityKey, partialExitDigest(unsigned))),
  };
  const file = o.out ?? path.join(o.dataDir, `partial-exit-${found.index}-share${node.selfIndex + 1}.json`);
  try {
    await writeFile(file, `${JSON.stringify(exit, null, 2)}\n`, { flag: "wx" });
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === "EEXIST")
      throw new CliError(`${file} already exists: remove it or give --out`);
    throw cause;
  }
  return { file, exit };
}

export interface ExitBroadcastOptions {
  lock: string;
  beaconUrl: string;
  files: readonly string[];
  /** Non-fatal findings (a partial left out, and why). */
  warn?: (line: string) => void;
}

export interface ExitBroadcastResult {
  validator: PubKey;
  message: { epoch: string; validator_index: string };
  shareIndices: number[];
  signature: `0x${string}`;
}

const HEX = (bytes: number) => new RegExp(`^0x[0-9a-fA-F]{${bytes * 2}}$`);

function parsePartialExit(file: string, text: string): PartialExitFile {
  let j: Partial<PartialExitFile>;
  try {
    j = JSON.parse(text);
  } catch (cause) {
    throw new ExitError("EXIT_INVALID_FILE", `${file}: not JSON (${(cause as Error).message})`, { cause });
  }
  const bad = (what: string) => new ExitError("EXIT_INVALID_FILE", `${file}: ${what}`);
  if (j?.version !== PARTIAL_EXIT_VERSION) throw bad(`not a partial exit (version ${String(j?.version)})`);
  if (typeof j.lock_hash !== "string" || !HEX(32).test(j.lock_hash)) throw bad("invalid lock_hash");
  if (typeof j.validator !== "string" || !HEX(48).test(j.validator)) throw bad("invalid validator");
  if (!Number.isSafeInteger(j.share_index) || (j.share_index as number) < 1) throw bad("invalid share_index");
  if (typeof j.partial_signature !== "string" || !HEX(96).test(j.partial_signature))
    throw bad("invalid partial_signature");
  if (typeof j.identity_signature !== "string" || !HEX(65).test(j.identity_signature))
    throw bad("invalid identity_signature");
  try {
    voluntaryExitFromJson(j.message);
  } catch (cause) {
    throw bad(`invalid message (${(cause as Error).message})`);
  }
  const m = j.message as { epoch: string; validator_index: string };
  return { ...(j as PartialExitFile), message: { epoch: m.epoch, validator_index: m.validator_index } };
}

/** Verifies the partial-exit files, combines ≥ threshold valid partials and submits the exit. */
export async function broadcastExit(o: ExitBroadcastOptions): Promise<ExitBroadcastResult> {
  if (o.files.length === 0) throw new CliError("give the partial-exit files to combine");
  const lock = await loadVerifiedLock(o.lock);
  const lockHash = toHex(lock.lockHash);
  const threshold = lock.definition.threshold;
  const operators = lock.definition.operators.length;

  // 1. Every file: readable, ours, self-consistent with the others (hard refusals).
  const parsed: { file: string; exit: PartialExitFile }[] = [];
  for (const file of o.files) {
    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch (cause) {
      throw new ExitError("EXIT_INVALID_FILE", `${file}: not readable (${(cause as Error).message})`, {
        cause,
      });
    }
    const exit = parsePartialExit(file, text);
    if (exit.lock_hash.toLowerCase() !== lockHash)
      throw new ExitError(
        "EXIT_FOREIGN_LOCK",
        `${file}: partial exit for another cluster (lock_hash ${exit.lock_hash}, this lock ${lockHash})`,
      );
    const first = parsed[0];
    if (
      first &&
      (first.exit.validator.toLowerCase() !== exit.validator.toLowerCase() ||
        canonicalJson(first.exit.message) !== canonicalJson(exit.message))
    )
      throw new ExitError(
        "EXIT_MIXED_MESSAGES",
        `${file}: exits validator ${exit.message.validator_index} at epoch ${exit.message.epoch}, but ${first.file} ` +
          `exits validator ${first.exit.message.validator_index} at epoch ${first.exit.message.epoch}: all partials must sign one message`,
      );
    const dup = parsed.find((p) => p.exit.share_index === exit.share_index);
    if (dup)
      throw new ExitError(
        "EXIT_DUPLICATE_SHARE",
        `${file}: duplicate share index ${exit.share_index} (also in ${dup.file})`,
      );
    if (exit.share_index > operators)
      throw new ExitError(
        "EXIT_INVALID_FILE",
        `${file}: share index ${exit.share_index} but the cluster has ${operators} operators`,
      );
    parsed.push({ file, exit });
  }
  const { validator, message } = parsed[0]!.exit;
  const dv = lock.distributedValidators.find(
    (d) => toHex(d.distributedPublicKey) === validator.toLowerCase(),
  );
  if (!dv)
    throw new ExitError(
      "EXIT_UNKNOWN_VALIDATOR",
      `${parsed[0]!.file}: validator ${validator} is not in the lock`,
    );

  // 2. The chain: the validator index must be the validator's, the signing root is the beacon node's.
  const { beacon, network, currentEpoch } = await chainOf(o.beaconUrl, lock);
  let onChain: Awaited<ReturnType<BeaconClient["validator"]>>;
  try {
    onChain = await beacon.validator(message.validator_index);
  } catch (cause) {
    throw new ExitError(
      "EXIT_BEACON",
      `cannot look up validator ${message.validator_index}: ${(cause as Error).message}`,
      {
        cause,
      },
    );
  }
  if (onChain?.pubkey !== validator.toLowerCase())
    throw new ExitError(
      "EXIT_UNKNOWN_VALIDATOR",
      `validator index ${message.validator_index} is ${onChain ? onChain.pubkey : "unknown to the beacon node"}, not ${validator}`,
    );
  const root = voluntaryExitSigningRoot(network, voluntaryExitFromJson(message), currentEpoch);

  // 3. Each partial: the operator's identity signature, then the partial against its public share.
  const peers = clusterFromLock(lock).peers;
  const valid = new Map<number, Uint8Array>();
  const rejected: string[] = [];
  for (const { file, exit } of parsed) {
    const identity = peers[exit.share_index - 1]!.publicKey;
    if (!k1Verify65(identity, partialExitDigest(exit), fromHex(exit.identity_signature))) {
      rejected.push(
        `${file}: identity signature does not verify with operator ${exit.share_index - 1}'s identity key (share index ${exit.share_index})`,
      );
      continue;
    }
    const publicShare = dv.publicShares[exit.share_index - 1]!;
    if (!verify(publicShare, root, fromHex(exit.partial_signature))) {
      rejected.push(
        `${file}: partial signature does not verify against share ${exit.share_index}'s public key`,
      );
      continue;
    }
    valid.set(exit.share_index, fromHex(exit.partial_signature));
  }
  for (const r of rejected) o.warn?.(`rejected ${r}`);
  if (valid.size < threshold)
    throw new ExitError(
      "EXIT_INSUFFICIENT_PARTIALS",
      `${valid.size} valid partial exit(s), need ${threshold} of ${operators}` +
        (rejected.length ? `; rejected: ${rejected.join("; ")}` : ""),
    );

  // 4. Combine, check against the group key, submit.
  const signature = await thresholdAggregate(valid, threshold);
  if (!verify(dv.distributedPublicKey, root, signature))
    throw new ExitError(
      "EXIT_INVALID_SIGNATURE",
      "the combined signature does not verify against the validator's group key",
    );
  const signed = { message, signature: toHex(signature) };
  try {
    await beacon.submitVoluntaryExit(signed);
  } catch (cause) {
    throw new ExitError("EXIT_BEACON", `the beacon node refused the exit: ${(cause as Error).message}`, {
      cause,
    });
  }
  return {
    validator: validator.toLowerCase() as PubKey,
    message,
    shareIndices: [...valid.keys()].sort((a, b) => a - b).slice(0, threshold),
    signature: signed.signature,
  };
}
