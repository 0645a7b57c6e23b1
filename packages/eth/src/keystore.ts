/**
 * EIP-2335 keystores in Charon's `validator_keys/` layout: `keystore-<i>.json` (encrypted secret)
 * next to `keystore-<i>.txt` (its password), i = 0, 1, … in validator order.
 *
 * Cost: the default scrypt KDF (n = 2^18, r = 8, p = 1) takes ~0.6 s per key to encrypt and the same
 * to decrypt on this project's machines, and `@chainsafe/bls-keystore` runs it SYNCHRONOUSLY on the
 * calling thread, blocking the event loop. So the agent decrypts once at start-up, before it serves
 * anything — or uses {@link readKeystoresInWorker}, which decrypts on worker threads in parallel and
 * leaves the event loop free.
 */
import { randomBytes } from "node:crypto";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import {
  create,
  decrypt,
  defaultPbkdfModule,
  defaultScryptModule,
  type IKdfModule,
  type IKeystore,
} from "@chainsafe/bls-keystore";
import { bls12_381 } from "@noble/curves/bls12-381";
import { EthError } from "./errors";
import { bytesEqual, bytesToHex, type Hex, hexToBytes } from "./hex";

export type KeystoreKdf = "scrypt" | "pbkdf2";

/** Iteration count / scrypt `n` used when `insecureFastKdf` is set (Charon's "insecure" cost, 2^4). */
export const INSECURE_KDF_COST = 16;

export interface WriteKeystoresOptions {
  /** One password for every keystore. Default: a fresh random 32-hex-character password per key. */
  password?: string;
  /** Default `"scrypt"` (as staking-deposit-cli). */
  kdf?: KeystoreKdf;
  /**
   * 🚨 TESTS ONLY: 16 KDF iterations instead of 2^18, so a keystore takes microseconds to open —
   * and to brute-force. Never for real keys.
   */
  insecureFastKdf?: boolean;
  /** EIP-2334 path written into each keystore. Default `m/12381/3600/<i>/0/0` (informational). */
  path?: (index: number) => string;
}

export interface WrittenKeystore {
  index: number;
  pubkey: Hex;
  keystorePath: string;
  passwordPath: string;
}

/**
 * Encrypts each secret into `dir/keystore-<i>.json` with its password in `dir/keystore-<i>.txt`
 * (files mode 0600; `dir` is created). Refuses to overwrite existing files. `pubkey` is derived
 * from the secret.
 *
 * @example
 * await writeKeystores("./validator_keys", [share1, share2]); // scrypt, random passwords
 * await writeKeystores(tmp, secrets, { kdf: "pbkdf2", insecureFastKdf: true }); // tests
 * @throws EthError `KEYSTORE_EXISTS`, `INVALID_INPUT` (not a valid BLS secret)
 */
export async function writeKeystores(
  dir: string,
  secrets: readonly Uint8Array[],
  options: WriteKeystoresOptions = {},
): Promise<WrittenKeystore[]> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const existing = new Set(await readdir(dir));
  for (const i of secrets.keys()) {
    for (const name of [`keystore-${i}.json`, `keystore-${i}.txt`]) {
      if (existing.has(name)) {
        throw new EthError(
          "KEYSTORE_EXISTS",
          `${join(dir, name)} already exists; refusing to overwrite keys`,
          {
            details: { file: join(dir, name) },
          },
        );
      }
    }
  }
  const written: WrittenKeystore[] = [];
  for (const [i, secret] of secrets.entries()) {
    const password = options.password ?? randomBytes(16).toString("hex");
    const keystore = await encryptKeystore(secret, password, {
      kdf: options.kdf ?? "scrypt",
      insecureFastKdf: options.insecureFastKdf ?? false,
      path: options.path ? options.path(i) : `m/12381/3600/${i}/0/0`,
    });
    const keystorePath = join(dir, `keystore-${i}.json`);
    const passwordPath = join(dir, `keystore-${i}.txt`);
    await writeFile(keystorePath, `${JSON.stringify(keystore, null, 1)}\n`, { mode: 0o600, flag: "wx" });
    await writeFile(passwordPath, password, { mode: 0o600, flag: "wx" });
    written.push({ index: i, pubkey: `0x${keystore.pubkey}`, keystorePath, passwordPath });
  }
  return written;
}

/**
 * One EIP-2335 keystore object for `secret` (blocks the thread for the KDF).
 *
 * @example const ks = await encryptKeystore(secret, "pass", { kdf: "pbkdf2" });
 */
export async function encryptKeystore(
  secret: Uint8Array,
  password: string,
  options: { kdf?: KeystoreKdf; insecureFastKdf?: boolean; path?: string } = {},
): Promise<IKeystore> {
  const pubkey = blsPublicKey(secret);
  const kdf = kdfModule(options.kdf ?? "scrypt", options.insecureFastKdf ?? false);
  return create(password, secret, pubkey, options.path ?? "", null, kdf);
}

/**
 * Decrypts one keystore object and checks the secret against its `pubkey` (when present).
 * Blocks the thread for the KDF (~0.6 s for scrypt n = 2^18).
 *
 * @example const secret = await decryptKeystore(JSON.parse(json), password);
 * @throws EthError `KEYSTORE_INVALID`, `KEYSTORE_PASSWORD_INVALID`, `KEYSTORE_PUBKEY_MISMATCH`
 */
export async function decryptKeystore(
  keystore: unknown,
  password: string,
  source = "keystore",
): Promise<Uint8Array> {
  const checked = checkKeystoreShape(keystore, source);
  let secret: Uint8Array;
  try {
    secret = await decrypt(checked, password);
  } catch (cause) {
    throw passwordError(source, cause);
  }
  return checkPubkey(checked, secret, source);
}

/**
 * Reads `dir/keystore-<i>.json` (+ `.txt` password) for i = 0 … n-1 and returns the secrets in
 * index order. Also accepts Charon's `keystore-insecure-<i>.json`. Indices must be contiguous from
 * 0 (a gap would shift every later share). Decrypts on the calling thread: with scrypt that is
 * ~0.6 s per key with the event loop blocked — call it at start-up only, or use
 * {@link readKeystoresInWorker}.
 *
 * @example const secrets = await readKeystores("./validator_keys");
 * @throws EthError `KEYSTORE_NOT_FOUND`, `KEYSTORE_INVALID`, `KEYSTORE_PASSWORD_INVALID`, `KEYSTORE_PUBKEY_MISMATCH`
 */
export async function readKeystores(dir: string): Promise<Uint8Array[]> {
  const files = await loadKeystoreFiles(dir);
  const secrets: Uint8Array[] = [];
  for (const file of files) secrets.push(await decryptKeystore(file.keystore, file.password, file.path));
  return secrets;
}

/**
 * Like {@link readKeystores}, but the KDFs run on `node:worker_threads` (up to `concurrency`
 * at once, default: available cores, at most 4 — scrypt n = 2^18 needs 256 MiB per key in flight),
 * so the event loop stays responsive and several keys decrypt in parallel.
 *
 * @example const secrets = await readKeystoresInWorker("./validator_keys", { concurrency: 2 });
 * @throws EthError as {@link readKeystores}, plus `KEYSTORE_WORKER_FAILED`
 */
export async function readKeystoresInWorker(
  dir: string,
  options: { concurrency?: number } = {},
): Promise<Uint8Array[]> {
  const files = await loadKeystoreFiles(dir);
  const concurrency = Math.max(
    1,
    Math.min(options.concurrency ?? Math.min(availableParallelism(), 4), files.length),
  );
  const batches: KeystoreFile[][] = Array.from({ length: concurrency }, () => []);
  for (const [i, file] of files.entries()) batches[i % concurrency]!.push(file);
  const results = await Promise.all(batches.map((batch) => decryptInWorker(batch)));
  const secrets: Uint8Array[] = new Array(files.length);
  for (const [b, batch] of batches.entries()) {
    for (const [j, file] of batch.entries()) {
      const outcome = results[b]![j]!;
      if ("error" in outcome) throw passwordError(file.path, new Error(outcome.error));
      secrets[file.index] = checkPubkey(file.keystore, outcome.secret, file.path);
    }
  }
  return secrets;
}

/** The 48-byte compressed BLS public key of a 32-byte secret (big-endian scalar). */
export function blsPublicKey(secret: Uint8Array): Uint8Array {
  if (secret.length !== 32) {
    throw new EthError("INVALID_INPUT", `a BLS secret key is 32 bytes, got ${secret.length}`);
  }
  try {
    return bls12_381.getPublicKey(secret);
  } catch (cause) {
    throw new EthError("INVALID_INPUT", "not a valid BLS secret key (zero or not below the curve order)", {
      cause,
    });
  }
}

interface KeystoreFile {
  index: number;
  path: string;
  keystore: IKeystore;
  password: string;
}

const KEYSTORE_FILE_RE = /^keystore-(?:insecure-)?(\d+)\.json$/;

async function loadKeystoreFiles(dir: string): Promise<KeystoreFile[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (cause) {
    throw new EthError("KEYSTORE_NOT_FOUND", `cannot read keystore directory ${dir}`, {
      details: { dir },
      cause,
    });
  }
  const byIndex = new Map<number, string>();
  for (const name of names) {
    const match = KEYSTORE_FILE_RE.exec(name);
    if (!match) continue;
    const index = Number(match[1]);
    const clash = byIndex.get(index);
    if (clash !== undefined) {
      throw new EthError("KEYSTORE_INVALID", `two keystores for index ${index}: ${clash} and ${name}`, {
        details: { dir, index },
      });
    }
    byIndex.set(index, name);
  }
  if (byIndex.size === 0) {
    throw new EthError("KEYSTORE_NOT_FOUND", `no keystore-<i>.json files in ${dir}`, { details: { dir } });
  }
  const files: KeystoreFile[] = [];
  for (let index = 0; index < byIndex.size; index++) {
    const name = byIndex.get(index);
    if (name === undefined) {
      throw new EthError("KEYSTORE_NOT_FOUND", `keystore index ${index} is missing in ${dir}`, {
        details: { dir, index },
      });
    }
    const path = join(dir, name);
    const passwordPath = path.replace(/\.json$/, ".txt");
    let raw: string;
    let password: string;
    try {
      raw = await readFile(path, "utf8");
      password = await readFile(passwordPath, "utf8");
    } catch (cause) {
      throw new EthError("KEYSTORE_NOT_FOUND", `cannot read ${path} or its password file ${passwordPath}`, {
        details: { path, passwordPath },
        cause,
      });
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch (cause) {
      throw new EthError("KEYSTORE_INVALID", `${path} is not JSON`, { details: { path }, cause });
    }
    files.push({ index, path, keystore: checkKeystoreShape(parsed, path), password });
  }
  return files;
}

/** Light structural check (Charon's older keystores lack `path`, so the full schema is not enforced). */
function checkKeystoreShape(value: unknown, source: string): IKeystore {
  const ks = value as Partial<IKeystore> | null;
  const crypto = ks?.crypto;
  const ok =
    ks !== null &&
    typeof ks === "object" &&
    ks.version === 4 &&
    typeof crypto === "object" &&
    crypto !== null &&
    (crypto.kdf?.function === "scrypt" || crypto.kdf?.function === "pbkdf2") &&
    crypto.checksum?.function === "sha256" &&
    crypto.cipher?.function === "aes-128-ctr" &&
    (ks.pubkey === undefined || typeof ks.pubkey === "string");
  if (!ok) {
    throw new EthError(
      "KEYSTORE_INVALID",
      `${source}: not an EIP-2335 v4 keystore (scrypt/pbkdf2, sha256, aes-128-ctr)`,
      {
        details: { source },
      },
    );
  }
  return ks as IKeystore;
}

function checkPubkey(keystore: IKeystore, secret: Uint8Array, source: string): Uint8Array {
  if (!keystore.pubkey) return secret;
  const stated = hexToBytes(keystore.pubkey, 48, `${source} pubkey`);
  const derived = blsPublicKey(secret);
  if (!bytesEqual(stated, derived)) {
    throw new EthError(
      "KEYSTORE_PUBKEY_MISMATCH",
      `${source}: decrypted secret does not belong to its pubkey`,
      {
        details: { source, stated: bytesToHex(stated), derived: bytesToHex(derived) },
      },
    );
  }
  return secret;
}

function passwordError(source: string, cause: unknown): EthError {
  return new EthError("KEYSTORE_PASSWORD_INVALID", `${source}: wrong password or corrupt keystore`, {
    details: { source },
    cause,
  });
}

function kdfModule(kdf: KeystoreKdf, insecure: boolean): Pick<IKdfModule, "function" | "params"> {
  if (kdf === "pbkdf2") {
    const mod = defaultPbkdfModule();
    return insecure ? { ...mod, params: { ...mod.params, c: INSECURE_KDF_COST } } : mod;
  }
  if (kdf === "scrypt") {
    const mod = defaultScryptModule();
    return insecure ? { ...mod, params: { ...mod.params, n: INSECURE_KDF_COST } } : mod;
  }
  throw new EthError("INVALID_INPUT", `unknown kdf ${String(kdf)}; use "scrypt" or "pbkdf2"`);
}

type WorkerOutcome = { secret: Uint8Array } | { error: string };

// CommonJS source for the worker: decrypts each job with @chainsafe/bls-keystore (resolved by the
// parent, so the worker needs no module resolution of its own) and reports per-job outcomes.
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const { decrypt } = require(workerData.keystoreModule);
(async () => {
  const out = [];
  for (const job of workerData.jobs) {
    try {
      out.push({ secret: await decrypt(job.keystore, job.password) });
    } catch (e) {
      out.push({ error: String((e && e.message) || e) });
    }
  }
  parentPort.postMessage(out);
})();
`;

async function decryptInWorker(batch: KeystoreFile[]): Promise<WorkerOutcome[]> {
  if (batch.length === 0) return [];
  const keystoreModule = createRequire(import.meta.url).resolve("@chainsafe/bls-keystore");
  return new Promise<WorkerOutcome[]>((resolve, reject) => {
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        keystoreModule,
        jobs: batch.map((f) => ({ keystore: f.keystore, password: f.password })),
      },
    });
    let settled = false;
    worker.once("message", (outcomes: WorkerOutcome[]) => {
      settled = true;
      resolve(outcomes.map((o) => ("secret" in o ? { secret: new Uint8Array(o.secret) } : o)));
      void worker.terminate();
    });
    worker.once("error", (cause) => {
      settled = true;
      reject(new EthError("KEYSTORE_WORKER_FAILED", "keystore decryption worker failed", { cause }));
    });
    worker.once("exit", (code) => {
      if (!settled) {
        reject(new EthError("KEYSTORE_WORKER_FAILED", `keystore decryption worker exited with code ${code}`));
      }
    });
  });
}
