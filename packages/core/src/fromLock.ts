/**
 * From a cluster lock and a node's data directory to what `createCoreNode` and `@cohort/p2p` need:
 * `ClusterInfo` (members' identity keys from their ENRs, share index = position + 1, lock hash,
 * threshold, validators with public shares), this node's identity key (`charon-enr-private-key`,
 * hex), which member it is (by matching that key to an ENR), and its secret shares
 * (`validator_keys/keystore-<i>.json` is its share of `distributed_validators[i]`).
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { bytesEqual, k1PublicKey, type Lock, parseEnr, parseLock } from "@cohort/cluster";
import { blsPublicKey, readKeystoresInWorker } from "@cohort/eth";
import type { ClusterInfo } from "./node";
import type { MemberIdentity } from "./parsigex";
import { toHex } from "./signing";
import type { PubKey } from "./types";

export type LockLoadErrorCode =
  | "LOCK_NOT_FOUND"
  | "LOCK_INVALID"
  | "ENR_INVALID"
  | "IDENTITY_KEY_NOT_FOUND"
  | "IDENTITY_KEY_INVALID"
  | "NOT_IN_LOCK"
  | "KEYSTORES_NOT_FOUND"
  | "KEYSTORE_COUNT_MISMATCH"
  | "SHARE_MISMATCH";

/** A data directory that does not match its lock; `code` is stable, the message says what to fix. */
export class LockLoadError extends Error {
  override readonly name = "LockLoadError";
  constructor(
    readonly code: LockLoadErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The peer id the core uses for operator `index` (stable for a lock; used in logs and metrics). */
export const memberPeerId = (index: number) => `peer${index}`;

export interface LockPeer {
  /** Operator index in the lock (= p2p peer index = consensus process index). */
  index: number;
  peerId: string;
  /** Compressed secp256k1 identity public key (33 bytes). */
  publicKey: Uint8Array;
  /** "ip:tcp" from the ENR, or undefined when the ENR has none. */
  address: string | undefined;
}

export interface LockCluster {
  info: ClusterInfo;
  name: string;
  /** 0x-hex genesis fork version of the lock's network. */
  forkVersion: string;
  peers: LockPeer[];
}

/** `ClusterInfo` and the operators' p2p endpoints from a parsed lock. */
export function clusterFromLock(lock: Lock): LockCluster {
  const peers = lock.definition.operators.map((op, index): LockPeer => {
    let enr: ReturnType<typeof parseEnr>;
    try {
      enr = parseEnr(op.enr, `operators[${index}].enr`);
    } catch (cause) {
      throw new LockLoadError("ENR_INVALID", `operator ${index}: invalid ENR: ${(cause as Error).message}`, {
        cause,
      });
    }
    if (enr.publicKey.length !== 33)
      throw new LockLoadError(
        "ENR_INVALID",
        `operator ${index}: ENR public key is not a compressed secp256k1 key`,
      );
    return {
      index,
      peerId: memberPeerId(index),
      publicKey: enr.publicKey,
      address: enr.ip !== undefined && enr.tcp !== undefined ? `${enr.ip}:${enr.tcp}` : undefined,
    };
  });
  const n = peers.length;
  const validators = lock.distributedValidators.map((dv, v) => {
    if (dv.publicShares.length !== n)
      throw new LockLoadError(
        "LOCK_INVALID",
        `distributed_validators[${v}] has ${dv.publicShares.length} public shares for ${n} operators`,
      );
    return {
      pubkey: toHex(dv.distributedPublicKey) as PubKey,
      publicShares: new Map(dv.publicShares.map((s, i) => [i + 1, s])),
    };
  });
  const members: MemberIdentity[] = peers.map((p) => ({
    peerId: p.peerId,
    shareIndex: p.index + 1,
    identityPublicKey: p.publicKey,
  }));
  return {
    info: { lockHash: lock.lockHash, threshold: lock.definition.threshold, members, validators },
    name: lock.definition.name,
    forkVersion: toHex(lock.definition.forkVersion),
    peers,
  };
}

export interface LoadedNode extends LockCluster {
  lock: Lock;
  identityKey: Uint8Array;
  /** This node's operator index. */
  selfIndex: number;
  self: LockPeer;
  /** Group pubkey → this node's secret share. */
  shares: Map<PubKey, Uint8Array>;
}

export interface LoadNodeOptions {
  /** Keystore decryption (default `readKeystoresInWorker`: the KDFs run off the event loop). */
  readKeystores?: (dir: string) => Promise<Uint8Array[]>;
}

async function readText(file: string, code: LockLoadErrorCode, what: string): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch (cause) {
    throw new LockLoadError(code, `${what} not readable at ${file}: ${(cause as Error).message}`, { cause });
  }
}

/** Reads `cluster-lock.json`, `charon-enr-private-key` and `validator_keys/` from a node directory. */
export async function loadNodeFromDataDir(
  dataDir: string,
  options: LoadNodeOptions = {},
): Promise<LoadedNode> {
  const lockFile = path.join(dataDir, "cluster-lock.json");
  const lockText = await readText(lockFile, "LOCK_NOT_FOUND", "cluster lock");
  let lock: Lock;
  try {
    lock = parseLock(lockText);
  } catch (cause) {
    throw new LockLoadError("LOCK_INVALID", `${lockFile}: ${(cause as Error).message}`, { cause });
  }
  const cluster = clusterFromLock(lock);

  const keyFile = path.join(dataDir, "charon-enr-private-key");
  const keyHex = (await readText(keyFile, "IDENTITY_KEY_NOT_FOUND", "identity key"))
    .trim()
    .replace(/^0x/i, "");
  if (!/^[0-9a-fA-F]{64}$/.test(keyHex))
    throw new LockLoadError("IDENTITY_KEY_INVALID", `${keyFile}: expected 32 bytes of hex`);
  const identityKey = new Uint8Array(Buffer.from(keyHex, "hex"));
  let publicKey: Uint8Array;
  try {
    publicKey = k1PublicKey(identityKey);
  } catch (cause) {
    throw new LockLoadError("IDENTITY_KEY_INVALID", `${keyFile}: not a valid secp256k1 private key`, {
      cause,
    });
  }
  const selfIndex = cluster.peers.findIndex((p) => bytesEqual(p.publicKey, publicKey));
  const self = cluster.peers[selfIndex];
  if (!self)
    throw new LockLoadError(
      "NOT_IN_LOCK",
      `the identity key in ${keyFile} (public key ${toHex(publicKey)}) is not in any operator ENR of ${lockFile}`,
    );

  const keysDir = path.join(dataDir, "validator_keys");
  let secrets: Uint8Array[];
  try {
    secrets = await (options.readKeystores ?? ((d) => readKeystoresInWorker(d)))(keysDir);
  } catch (cause) {
    const code = (cause as { code?: string }).code;
    if (code === "KEYSTORE_NOT_FOUND" || (cause as NodeJS.ErrnoException).code === "ENOENT")
      throw new LockLoadError("KEYSTORES_NOT_FOUND", `${keysDir}: ${(cause as Error).message}`, { cause });
    throw cause;
  }
  const dvs = lock.distributedValidators;
  if (secrets.length !== dvs.length)
    throw new LockLoadError(
      "KEYSTORE_COUNT_MISMATCH",
      `${keysDir} holds ${secrets.length} keystore(s) but the lock has ${dvs.length} distributed validator(s)`,
    );
  const shares = new Map<PubKey, Uint8Array>();
  for (const [i, secret] of secrets.entries()) {
    const dv = dvs[i]!;
    const expected = dv.publicShares[selfIndex]!;
    const actual = blsPublicKey(secret);
    if (!bytesEqual(actual, expected))
      throw new LockLoadError(
        "SHARE_MISMATCH",
        `keystore-${i}: public key ${toHex(actual)} is not operator ${selfIndex}'s public share ${toHex(expected)} ` +
          `of distributed validator ${i} (${toHex(dv.distributedPublicKey)})`,
      );
    shares.set(toHex(dv.distributedPublicKey) as PubKey, secret);
  }
  return { ...cluster, lock, identityKey, selfIndex, self, shares };
}
