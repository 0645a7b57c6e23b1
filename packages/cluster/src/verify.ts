import { isEthError } from "@cohort/eth";
import {
  verify as blsVerify,
  bytesEqual,
  fastAggregateVerify,
  isValidG2Point,
  publicSharesConsistent,
  recoverPublicKey,
  TblsError,
  validatePublicKey,
} from "@cohort/tbls";
import { getAddress } from "viem";
import { creatorConfigHashDigest, enrDigest, operatorConfigHashDigest } from "./eip712";
import { type Enr, parseEnr } from "./enr";
import { ClusterError, type ClusterErrorCode, fail, joinField } from "./errors";
import { builderRegistrationSigningRoot, depositSigningRoot, withdrawalCredentials } from "./eth2";
import { decodeHex, to0xHex } from "./hex";
import { k1Address, k1Compress, k1Recover, k1Verify65 } from "./k1";
import { computeConfigHash, computeDefinitionHash, computeLockHash } from "./ssz";
import type { Definition, DepositData, DistributedValidator, Lock } from "./types";
import {
  type ClusterVersion,
  hasBuilderRegistration,
  hasNodeSignatures,
  hasSignatureLists,
  hasSingleDepositData,
} from "./versions";

/**
 * Verification of cluster files: Charon's checks plus the ones Charon leaves to other places (ENRs,
 * deposit data), ordered so that a tampered file is reported by the field that was changed: the
 * config hash (the EIP-712 signatures are over it), then content (signatures, ENRs, public shares,
 * deposit data, builder registrations), then the definition and lock hashes that cover that content,
 * then the signatures over the lock hash (aggregate, node signatures). The first failure throws a
 * {@link ClusterError} naming the field; success returns what was checked.
 */

/** The individual checks, as reported in a verification result. */
export type VerificationCheck =
  | "config_hash"
  | "definition_hash"
  | "operator_signatures"
  | "creator_signature"
  | "enrs"
  | "validator_count"
  | "lock_hash"
  | "public_shares"
  | "signature_aggregate"
  | "builder_registrations"
  | "node_signatures"
  | "deposit_data";

/**
 * ERC-1271 fallback for signatures an EOA did not make (e.g. Safe multisig operators): return true if
 * the contract at `address` accepts `signature` for `digest`. Without it such signatures fail.
 */
export type ContractSignatureVerifier = (
  address: string,
  digest: Uint8Array,
  signature: Uint8Array,
) => Promise<boolean> | boolean;

export interface VerifyDefinitionOptions {
  /** Verify the operators' and creator's EIP-712 signatures (default true). */
  signatures?: boolean;
  /** Parse and verify every operator's ENR and reject duplicate node keys (default true). */
  enrs?: boolean;
  /** EIP-712 chain id to use instead of the one implied by the fork version. */
  chainId?: number;
  verifyContractSignature?: ContractSignatureVerifier;
}

export interface VerifyLockOptions extends VerifyDefinitionOptions {
  /** Check each validator's public shares: count, validity, and that they interpolate its key (default true). */
  publicShares?: boolean;
  /** Verify `signature_aggregate` over the lock hash against every public share (default true). */
  signatureAggregate?: boolean;
  /** Verify pre-generated builder registrations (v1.7+; default true). */
  builderRegistrations?: boolean;
  /** Verify each operator's node signature of the lock hash against its ENR key (v1.7+; default true). */
  nodeSignatures?: boolean;
  /** Verify deposit data: pubkey, withdrawal credentials and BLS signature (default true). */
  depositData?: boolean;
}

export interface DefinitionVerification {
  version: ClusterVersion;
  configHash: Uint8Array;
  definitionHash: Uint8Array;
  /** False when every operator is unsigned (Charon accepts that for a single operator organisation). */
  operatorsSigned: boolean;
  /**
   * The parsed operator ENRs in operator order; null for an operator that has not joined yet (empty ENR).
   * Empty when ENRs were not checked.
   */
  enrs: (Enr | null)[];
  checks: VerificationCheck[];
}

export interface LockVerification {
  version: ClusterVersion;
  configHash: Uint8Array;
  definitionHash: Uint8Array;
  lockHash: Uint8Array;
  /** The parsed operator ENRs, in operator order (empty when neither ENRs nor node signatures were checked). */
  enrs: Enr[];
  checks: VerificationCheck[];
}

export type Checked<T> = { ok: true; result: T } | { ok: false; error: ClusterError };

/** The spec's KeyValidate as a boolean: a compressed G1 point in the subgroup, not the identity. */
function isBlsPublicKey(b: Uint8Array): boolean {
  try {
    validatePublicKey(b);
    return true;
  } catch (e) {
    if (e instanceof TblsError) return false;
    throw e;
  }
}

/** A signing root, or a ClusterError against `field` when the message's values do not fit its SSZ type. */
function signingRoot(code: ClusterErrorCode, field: string, compute: () => Uint8Array): Uint8Array {
  try {
    return compute();
  } catch (e) {
    if (e instanceof RangeError || isEthError(e)) return fail(code, field, e.message, e);
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------------
// Definition
// ---------------------------------------------------------------------------------------------------

/** The config hash covers no signatures, so it is checked first: the EIP-712 signatures are over it. */
function checkConfigHash(def: Definition, prefix: string, checks: VerificationCheck[]) {
  const configHash = computeConfigHash(def, prefix);
  if (!bytesEqual(configHash, def.configHash)) {
    fail(
      "hash_mismatch",
      joinField(prefix, "config_hash"),
      `config_hash mismatch: computed ${to0xHex(configHash)}`,
    );
  }
  checks.push("config_hash");
  return configHash;
}

/**
 * The definition hash covers the signatures, so it is compared after they were checked: a changed
 * signature is then reported as that signature, not as a hash mismatch.
 */
function checkDefinitionHash(def: Definition, prefix: string, checks: VerificationCheck[]) {
  const definitionHash = computeDefinitionHash(def, prefix);
  if (!bytesEqual(definitionHash, def.definitionHash)) {
    fail(
      "hash_mismatch",
      joinField(prefix, "definition_hash"),
      `definition_hash mismatch: computed ${to0xHex(definitionHash)}`,
    );
  }
  checks.push("definition_hash");
  return definitionHash;
}

function checkSignatureLength(version: ClusterVersion, sig: Uint8Array, field: string) {
  if (sig.length === 0) return;
  if (!hasSignatureLists(version)) {
    if (sig.length !== 65) fail("invalid_signature", field, `must be 65 bytes, got ${sig.length}`);
    return;
  }
  if (sig.length % 65 !== 0)
    fail("invalid_signature", field, `must be a multiple of 65 bytes, got ${sig.length}`);
  if (sig.length > 32 * 65) fail("invalid_signature", field, "more than 32 signatures");
}

const checksumAddress = (a: string) => getAddress(a.startsWith("0x") ? a : `0x${a}`);

/** Charon's verifySigOrERC1271: an EOA signature by `address`, else the contract-signature hook. */
async function checkEip712(
  address: string,
  digest: Uint8Array,
  sig: Uint8Array,
  field: string,
  opts: VerifyDefinitionOptions,
) {
  const expected = checksumAddress(address);
  let detail: string;
  if (sig.length === 65) {
    try {
      const signer = k1Address(k1Recover(digest, sig));
      if (signer === expected) return;
      detail = `recovers to ${signer}`;
    } catch (e) {
      detail = `malformed secp256k1 signature: ${(e as Error).message}`;
    }
  } else {
    detail = `${sig.length}-byte contract signature and no ERC-1271 verifier given`;
  }
  const reason = `not signed by ${expected} (${detail})`;
  if (opts.verifyContractSignature && (await opts.verifyContractSignature(expected, digest, sig))) return;
  fail("invalid_signature", field, reason);
}

async function checkDefinitionSignatures(
  def: Definition,
  prefix: string,
  opts: VerifyDefinitionOptions,
  checks: VerificationCheck[],
): Promise<boolean> {
  const f = (name: string) => joinField(prefix, name);
  const chain = { chainId: opts.chainId };
  const withPrefix = <T>(fn: () => T): T => {
    try {
      return fn();
    } catch (e) {
      throw e instanceof ClusterError && e.code === "unsupported_network" && prefix
        ? e.withPrefix(prefix)
        : e;
    }
  };

  checkSignatureLength(def.version, def.creator.configSignature, f("creator.config_signature"));

  let operatorDigest: Uint8Array | undefined;
  let unsigned = 0;
  for (const [i, op] of def.operators.entries()) {
    const p = f(`operators[${i}]`);
    if (op.address === "" && op.enrSignature.length === 0 && op.configSignature.length === 0) {
      unsigned++;
      continue;
    }
    if (op.enrSignature.length === 0) fail("missing_signature", `${p}.enr_signature`, "missing");
    if (op.configSignature.length === 0) fail("missing_signature", `${p}.config_signature`, "missing");
    if (op.address === "") fail("invalid_field", `${p}.address`, "missing for a signed operator");
    checkSignatureLength(def.version, op.configSignature, `${p}.config_signature`);
    checkSignatureLength(def.version, op.enrSignature, `${p}.enr_signature`);
    operatorDigest ??= withPrefix(() => operatorConfigHashDigest(def, chain));
    await checkEip712(op.address, operatorDigest, op.configSignature, `${p}.config_signature`, opts);
    const digest = withPrefix(() => enrDigest(def, op.enr, chain));
    await checkEip712(op.address, digest, op.enrSignature, `${p}.enr_signature`, opts);
  }
  if (unsigned > 0 && unsigned !== def.operators.length) {
    fail("missing_signature", f("operators"), "some operators signed while others did not");
  }
  checks.push("operator_signatures");

  const creator = def.creator;
  if (creator.address === "" && creator.configSignature.length === 0) {
    if (unsigned === 0) {
      const reason = def.operators.length === 0 ? "missing" : "operators signed but the creator did not";
      fail("missing_signature", f("creator.config_signature"), reason);
    }
  } else {
    if (creator.configSignature.length === 0)
      fail("missing_signature", f("creator.config_signature"), "missing");
    if (creator.address === "") fail("invalid_field", f("creator.address"), "missing for a signed creator");
    const digest = withPrefix(() => creatorConfigHashDigest(def, chain));
    await checkEip712(creator.address, digest, creator.configSignature, f("creator.config_signature"), opts);
  }
  checks.push("creator_signature");
  return unsigned === 0 && def.operators.length > 0;
}

/**
 * Parses every operator's ENR, rejecting duplicate node keys. With `allowEmpty`, an operator that has
 * not joined yet (empty ENR) yields null instead of an error.
 */
function parseOperatorEnrs(def: Definition, prefix: string, allowEmpty: boolean): (Enr | null)[] {
  const seen = new Map<string, number>();
  return def.operators.map((op, i) => {
    const field = joinField(prefix, `operators[${i}].enr`);
    if (op.enr === "") return allowEmpty ? null : fail("invalid_enr", field, "missing");
    const enr = parseEnr(op.enr, field);
    const key = to0xHex(k1Compress(enr.publicKey));
    const other = seen.get(key);
    if (other !== undefined) fail("duplicate", field, `same node key as operators[${other}]`);
    seen.set(key, i);
    return enr;
  });
}

async function verifyDefinitionIn(
  def: Definition,
  prefix: string,
  opts: VerifyDefinitionOptions,
  checks: VerificationCheck[],
) {
  const configHash = checkConfigHash(def, prefix, checks);
  let operatorsSigned = false;
  if (opts.signatures !== false) operatorsSigned = await checkDefinitionSignatures(def, prefix, opts, checks);
  let enrs: (Enr | null)[] = [];
  if (opts.enrs !== false) {
    enrs = parseOperatorEnrs(def, prefix, true);
    checks.push("enrs");
  }
  const definitionHash = checkDefinitionHash(def, prefix, checks);
  return { configHash, definitionHash, operatorsSigned, enrs };
}

/**
 * Verifies a cluster definition: the config hash, then (unless disabled) the operators' and
 * creator's EIP-712 signatures by Charon's rules and the operators' ENRs, then the definition hash.
 * @throws {ClusterError} naming the first field that failed.
 */
export async function verifyDefinition(
  def: Definition,
  opts: VerifyDefinitionOptions = {},
): Promise<DefinitionVerification> {
  const checks: VerificationCheck[] = [];
  const r = await verifyDefinitionIn(def, "", opts, checks);
  return { version: def.version, ...r, checks };
}

// ---------------------------------------------------------------------------------------------------
// Lock
// ---------------------------------------------------------------------------------------------------

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** Whether the shares at these positions (share index = position + 1) interpolate to the distributed key. */
async function reconstructs(dvKey: Uint8Array, shares: readonly Uint8Array[], indices: readonly number[]) {
  try {
    return bytesEqual(await recoverPublicKey(indices.map((i) => [i + 1, shares[i]!] as const)), dvKey);
  } catch (e) {
    // Shares chosen to interpolate to the point at infinity reconstruct nothing.
    if (e instanceof TblsError) return false;
    throw e;
  }
}

function* combinations(n: number, k: number): Generator<number[]> {
  const c = range(k);
  while (true) {
    yield c.slice();
    let i = k - 1;
    while (i >= 0 && c[i] === n - k + i) i--;
    if (i < 0) return;
    c[i]!++;
    for (let j = i + 1; j < k; j++) c[j] = c[j - 1]! + 1;
  }
}

const MAX_SUBSETS_FOR_DIAGNOSIS = 512;

/**
 * Charon's verifySharesReconstruct: shares 1..t interpolate the distributed key, and every further
 * share lies on the same polynomial (with shares 1..t-1). When that fails, the share off the polynomial
 * is searched for so the error can name it (given shares 1..t, or else a consistent t-subset).
 */
async function checkSharesReconstruct(dvKey: Uint8Array, shares: Uint8Array[], t: number, field: string) {
  const n = shares.length;
  const offPolynomial = (i: number): never =>
    fail("invalid_share", `${field}[${i}]`, "does not lie on the validator's polynomial");
  if (await reconstructs(dvKey, shares, range(t))) {
    if (
      await publicSharesConsistent(
        shares.map((s, i) => [i + 1, s] as const),
        t,
      )
    )
      return;
    for (let i = t; i < n; i++) {
      if (!(await reconstructs(dvKey, shares, [...range(t - 1), i]))) offPolynomial(i);
    }
    return fail("invalid_share", field, "do not lie on one polynomial"); // unreachable: one share is off
  }
  let tried = 0;
  for (const subset of combinations(n, t)) {
    if (++tried > MAX_SUBSETS_FOR_DIAGNOSIS) break;
    if (!(await reconstructs(dvKey, shares, subset))) continue;
    const base = subset.slice(0, t - 1);
    for (const i of range(n)) {
      if (subset.includes(i)) continue;
      if (!(await reconstructs(dvKey, shares, [...base, i]))) offPolynomial(i);
    }
  }
  fail("invalid_share", field, `shares 1..${t} do not reconstruct distributed_public_key`);
}

async function checkPublicShares(lock: Lock, checks: VerificationCheck[]) {
  const def = lock.definition;
  const t = def.threshold;
  const n = def.operators.length;
  if (!Number.isInteger(t) || t < 1 || t > n) {
    fail(
      "invalid_field",
      "cluster_definition.threshold",
      `threshold ${t} is not between 1 and ${n} operators`,
    );
  }
  const seenKeys = new Map<string, number>();
  for (const [i, dv] of lock.distributedValidators.entries()) {
    const p = `distributed_validators[${i}]`;
    if (dv.publicShares.length !== n) {
      fail("count_mismatch", `${p}.public_shares`, `has ${dv.publicShares.length} shares for ${n} operators`);
    }
    if (!isBlsPublicKey(dv.distributedPublicKey)) {
      fail("invalid_public_key", `${p}.distributed_public_key`, "not a valid BLS public key");
    }
    const key = to0xHex(dv.distributedPublicKey);
    const other = seenKeys.get(key);
    if (other !== undefined)
      fail("duplicate", `${p}.distributed_public_key`, `same key as distributed_validators[${other}]`);
    seenKeys.set(key, i);

    const seenShares = new Map<string, number>();
    for (const [j, share] of dv.publicShares.entries()) {
      if (!isBlsPublicKey(share))
        fail("invalid_public_key", `${p}.public_shares[${j}]`, "not a valid BLS public key");
      const s = to0xHex(share);
      const dup = seenShares.get(s);
      if (dup !== undefined)
        fail("duplicate", `${p}.public_shares[${j}]`, `same share as public_shares[${dup}]`);
      seenShares.set(s, j);
    }
    await checkSharesReconstruct(dv.distributedPublicKey, dv.publicShares, t, `${p}.public_shares`);
  }
  checks.push("public_shares");
}

function checkSignatureAggregate(lock: Lock, lockHash: Uint8Array, checks: VerificationCheck[]) {
  const sig = lock.signatureAggregate;
  if (sig.length === 0) fail("missing_signature", "signature_aggregate", "missing");
  if (!isValidG2Point(sig)) fail("invalid_signature", "signature_aggregate", "not a valid BLS signature");
  const shares = lock.distributedValidators.flatMap((dv) => dv.publicShares);
  if (!fastAggregateVerify(shares, lockHash, sig)) {
    fail(
      "invalid_signature",
      "signature_aggregate",
      "signature_aggregate does not verify against the public shares",
    );
  }
  checks.push("signature_aggregate");
}

function registrationMissing(dv: DistributedValidator) {
  const r = dv.builderRegistration;
  return r.signature.length === 0 || r.message.feeRecipient.length === 0 || r.message.pubkey.length === 0;
}

function checkBuilderRegistrations(lock: Lock, checks: VerificationCheck[]) {
  const def = lock.definition;
  for (const [i, dv] of lock.distributedValidators.entries()) {
    const p = `distributed_validators[${i}].builder_registration`;
    if (!hasBuilderRegistration(def.version)) {
      if (!registrationMissing(dv)) fail("invalid_registration", p, `unexpected in a ${def.version} lock`);
      continue;
    }
    if (registrationMissing(dv)) fail("invalid_registration", p, "missing");
    const fee = def.validators[i]?.feeRecipientAddress ?? "";
    const feeRecipient = decodeHex(fee);
    if (feeRecipient?.length !== 20) {
      fail(
        "invalid_field",
        `cluster_definition.validators[${i}].fee_recipient_address`,
        "missing or invalid",
      );
    }
    const reg = dv.builderRegistration;
    // Charon rebuilds the message from the definition's fee recipient and the validator's key.
    const root = signingRoot("invalid_registration", `${p}.message`, () =>
      builderRegistrationSigningRoot(def.forkVersion, {
        feeRecipient: feeRecipient!,
        gasLimit: reg.message.gasLimit,
        timestamp: reg.message.timestamp,
        pubkey: dv.distributedPublicKey,
      }),
    );
    if (!blsVerify(dv.distributedPublicKey, root, reg.signature)) {
      let hint = "";
      if (!bytesEqual(reg.message.feeRecipient, feeRecipient!)) {
        hint = ` (message.fee_recipient ${to0xHex(reg.message.feeRecipient)} differs from the definition's ${fee})`;
      } else if (!bytesEqual(reg.message.pubkey, dv.distributedPublicKey)) {
        hint = " (message.pubkey is not the distributed public key)";
      }
      fail("invalid_signature", `${p}.signature`, `does not verify for the distributed public key${hint}`);
    }
  }
  checks.push("builder_registrations");
}

function checkNodeSignatures(lock: Lock, enrs: () => Enr[], checks: VerificationCheck[]) {
  const def = lock.definition;
  if (!hasNodeSignatures(def.version)) {
    if (lock.nodeSignatures.length > 0)
      fail("invalid_signature", "node_signatures", `unexpected in a ${def.version} lock`);
    return;
  }
  const n = def.operators.length;
  if (lock.nodeSignatures.length !== n) {
    fail(
      "count_mismatch",
      "node_signatures",
      `has ${lock.nodeSignatures.length} signatures for ${n} operators`,
    );
  }
  const records = enrs();
  for (const [i, sig] of lock.nodeSignatures.entries()) {
    const enr = records[i]!;
    if (!k1Verify65(enr.publicKey, lock.lockHash, sig)) {
      fail("invalid_signature", `node_signatures[${i}]`, `not by operator ${i}'s ENR key`);
    }
  }
  checks.push("node_signatures");
}

function checkDeposit(
  def: Definition,
  dv: DistributedValidator,
  d: DepositData,
  expectedCreds: Uint8Array | undefined,
  p: string,
) {
  if (!bytesEqual(d.pubkey, dv.distributedPublicKey)) {
    fail(
      "invalid_deposit",
      `${p}.pubkey`,
      d.pubkey.length === 0 ? "missing" : "is not the distributed public key",
    );
  }
  if (expectedCreds && !bytesEqual(d.withdrawalCredentials, expectedCreds)) {
    fail(
      "invalid_deposit",
      `${p}.withdrawal_credentials`,
      `expected ${to0xHex(expectedCreds)} for the definition's withdrawal address`,
    );
  }
  const root = signingRoot("invalid_deposit", p, () =>
    depositSigningRoot(def.forkVersion, {
      pubkey: d.pubkey,
      withdrawalCredentials: d.withdrawalCredentials,
      amount: d.amount,
    }),
  );
  if (!blsVerify(d.pubkey, root, d.signature))
    fail("invalid_signature", `${p}.signature`, "deposit signature does not verify");
}

const isEmptyDeposit = (d: DepositData) =>
  d.pubkey.length === 0 &&
  d.withdrawalCredentials.length === 0 &&
  d.signature.length === 0 &&
  d.amount === 0n;

function checkDepositData(lock: Lock, checks: VerificationCheck[]) {
  const def = lock.definition;
  const single = hasSingleDepositData(def.version);
  for (const [i, dv] of lock.distributedValidators.entries()) {
    const address = def.validators[i]?.withdrawalAddress ?? "";
    let creds: Uint8Array | undefined;
    try {
      creds = withdrawalCredentials(address, def.compounding);
    } catch {
      creds = undefined; // no usable address in the definition: nothing to compare against
    }
    dv.partialDepositData.forEach((d, j) => {
      // v1.6/v1.7 files always carry a deposit_data object; early DKGs left it empty.
      if (single && isEmptyDeposit(d)) return;
      const p = single
        ? `distributed_validators[${i}].deposit_data`
        : `distributed_validators[${i}].partial_deposit_data[${j}]`;
      checkDeposit(def, dv, d, creds, p);
    });
  }
  checks.push("deposit_data");
}

/**
 * Verifies a cluster lock end to end: the definition's hashes, the validator count and the lock hash;
 * the definition's signatures and ENRs; each validator's public shares (valid, unique, reconstructing
 * the distributed key for the threshold); the signature aggregate; builder registrations; node
 * signatures; and deposit data. Each group can be switched off in `opts`.
 * @throws {ClusterError} naming the first field that failed.
 */
export async function verifyLock(lock: Lock, opts: VerifyLockOptions = {}): Promise<LockVerification> {
  const def = lock.definition;
  const checks: VerificationCheck[] = [];
  // Order: content first (what each part claims), then the stored hashes over that content, then
  // the signatures over the lock hash. A tampered file is so reported by the field that changed
  // (a signature, a share, a deposit) rather than by a hash that merely covers it.
  const configHash = checkConfigHash(def, "cluster_definition", checks);

  if (lock.distributedValidators.length !== def.numValidators) {
    fail(
      "count_mismatch",
      "distributed_validators",
      `has ${lock.distributedValidators.length} entries but num_validators is ${def.numValidators}`,
    );
  }
  checks.push("validator_count");

  if (opts.signatures !== false) await checkDefinitionSignatures(def, "cluster_definition", opts, checks);
  let enrs: Enr[] | undefined;
  const getEnrs = () => {
    enrs ??= parseOperatorEnrs(def, "cluster_definition", false) as Enr[];
    return enrs;
  };
  if (opts.enrs !== false) {
    getEnrs();
    checks.push("enrs");
  }
  if (opts.publicShares !== false) await checkPublicShares(lock, checks);
  if (opts.depositData !== false) checkDepositData(lock, checks);
  if (opts.builderRegistrations !== false) checkBuilderRegistrations(lock, checks);

  const definitionHash = checkDefinitionHash(def, "cluster_definition", checks);
  const lockHash = computeLockHash(lock);
  if (!bytesEqual(lockHash, lock.lockHash))
    fail("hash_mismatch", "lock_hash", `lock_hash mismatch: computed ${to0xHex(lockHash)}`);
  checks.push("lock_hash");

  if (opts.signatureAggregate !== false) {
    if (lock.signatureAggregate.length === 0) fail("missing_signature", "signature_aggregate", "missing");
    if (!isValidG2Point(lock.signatureAggregate)) {
      fail("invalid_signature", "signature_aggregate", "not a valid BLS signature");
    }
    checkSignatureAggregate(lock, lockHash, checks);
  }
  if (opts.nodeSignatures !== false) checkNodeSignatures(lock, getEnrs, checks);

  return {
    version: def.version,
    configHash,
    definitionHash,
    lockHash,
    enrs: enrs ?? [],
    checks,
  };
}

async function checked<T>(run: () => Promise<T>): Promise<Checked<T>> {
  try {
    return { ok: true, result: await run() };
  } catch (e) {
    if (e instanceof ClusterError) return { ok: false, error: e };
    throw e;
  }
}

/** {@link verifyDefinition} returning `{ ok, result | error }` instead of throwing a ClusterError. */
export const checkDefinition = (def: Definition, opts?: VerifyDefinitionOptions) =>
  checked(() => verifyDefinition(def, opts));

/** {@link verifyLock} returning `{ ok, result | error }` instead of throwing a ClusterError. */
export const checkLock = (lock: Lock, opts?: VerifyLockOptions) => checked(() => verifyLock(lock, opts));
