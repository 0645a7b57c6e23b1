import { fail, joinField } from "./errors";
import { decodeHex } from "./hex";
import type {
  BuilderRegistration,
  Creator,
  Definition,
  DepositData,
  DistributedValidator,
  Lock,
  Operator,
  ValidatorAddresses,
} from "./types";
import { emptyBuilderRegistration, emptyDepositData } from "./types";
import {
  type ClusterVersion,
  hasBuilderRegistration,
  hasConsensusProtocol,
  hasGasLimitAndCompounding,
  hasNodeSignatures,
  hasPartialDeposits,
  hasSingleDepositData,
  isSupportedVersion,
  SUPPORTED_VERSIONS,
} from "./versions";

/**
 * Parsing follows Charon's Go decoder: fields a version does not define are ignored, a missing or `null`
 * field takes its zero value, and anything present with the wrong type or format is an error naming the
 * field. Charon's own load-time checks (validator count, deposit amounts) are applied too.
 */

type Json = Record<string, unknown>;

const GWEI_PER_ETH = 1_000_000_000n;
export const MIN_DEPOSIT_GWEI = GWEI_PER_ETH;
export const DEFAULT_DEPOSIT_GWEI = 32n * GWEI_PER_ETH;
export const MAX_COMPOUNDING_DEPOSIT_GWEI = 2048n * GWEI_PER_ETH;
const MAX_UINT64 = (1n << 64n) - 1n;
const MAX_INT64 = (1n << 63n) - 1n;
const ADDRESS_RE = /^(0x)?[0-9a-fA-F]{40}$/;

function toJson(input: unknown, what: string): unknown {
  if (typeof input === "string" || input instanceof Uint8Array) {
    const text = typeof input === "string" ? input : new TextDecoder().decode(input);
    try {
      return JSON.parse(text);
    } catch (e) {
      return fail("invalid_json", "", `${what} is not valid JSON: ${(e as Error).message}`, e);
    }
  }
  return input;
}

function asObject(v: unknown, field: string): Json {
  if (v === undefined || v === null) return {};
  if (typeof v !== "object" || Array.isArray(v)) return fail("invalid_field", field, "must be a JSON object");
  return v as Json;
}

function asList(v: unknown, field: string): unknown[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) return fail("invalid_field", field, "must be a JSON array");
  return v;
}

function str(o: Json, key: string, path: string): string {
  const v = o[key];
  if (v === undefined || v === null) return "";
  if (typeof v !== "string") return fail("invalid_field", joinField(path, key), "must be a string");
  return v;
}

function int(o: Json, key: string, path: string, { unsigned = false } = {}): number {
  const v = o[key];
  if (v === undefined || v === null) return 0;
  const field = joinField(path, key);
  if (typeof v !== "number" || !Number.isInteger(v))
    return fail("invalid_field", field, "must be an integer");
  if (!Number.isSafeInteger(v)) return fail("invalid_field", field, "integer out of range");
  if (unsigned && v < 0) return fail("invalid_field", field, "must not be negative");
  return v;
}

function bool(o: Json, key: string, path: string): boolean {
  const v = o[key];
  if (v === undefined || v === null) return false;
  if (typeof v !== "boolean") return fail("invalid_field", joinField(path, key), "must be true or false");
  return v;
}

function hexValue(v: unknown, field: string): Uint8Array {
  if (v === undefined || v === null) return new Uint8Array();
  if (typeof v !== "string") return fail("invalid_field", field, "must be a hex string");
  const b = decodeHex(v);
  if (!b) return fail("invalid_field", field, `invalid hex "${v.length > 20 ? `${v.slice(0, 20)}…` : v}"`);
  return b;
}

const hex = (o: Json, key: string, path: string) => hexValue(o[key], joinField(path, key));

function address(o: Json, key: string, path: string): string {
  const v = str(o, key, path);
  if (v !== "" && !ADDRESS_RE.test(v)) {
    return fail("invalid_field", joinField(path, key), `invalid Ethereum address "${v}"`);
  }
  return v;
}

/** A Gwei amount: a JSON string holding a decimal uint64 (go-eth2-client's Gwei). */
function gwei(v: unknown, field: string): bigint {
  if (typeof v !== "string" || !/^\d+$/.test(v))
    return fail("invalid_field", field, "must be a decimal string");
  const n = BigInt(v);
  if (n > MAX_UINT64) return fail("invalid_field", field, "amount out of range");
  return n;
}

/** A Go `int` encoded with the `,string` option. */
function stringInt(o: Json, key: string, path: string): bigint {
  const v = o[key];
  const field = joinField(path, key);
  if (v === undefined || v === null) return 0n;
  if (typeof v !== "string" || !/^-?\d+$/.test(v))
    return fail("invalid_field", field, "must be a decimal string");
  const n = BigInt(v);
  if (n > MAX_INT64 || n < -MAX_INT64 - 1n) return fail("invalid_field", field, "amount out of range");
  return n;
}

/** Checks partial deposit amounts the way Charon does when loading a v1.8+ definition. */
export function checkDepositAmounts(amounts: readonly bigint[], compounding: boolean, field: string): void {
  if (amounts.length === 0) return;
  const max = compounding ? MAX_COMPOUNDING_DEPOSIT_GWEI : DEFAULT_DEPOSIT_GWEI;
  let sum = 0n;
  amounts.forEach((a, i) => {
    if (a < MIN_DEPOSIT_GWEI)
      fail("invalid_deposit", `${field}[${i}]`, "each partial deposit must be at least 1 ETH");
    if (a > max) {
      fail(
        "invalid_deposit",
        `${field}[${i}]`,
        compounding
          ? "partial deposit exceeds 2048 ETH"
          : "partial deposit exceeds 32 ETH (only compounding allows more)",
      );
    }
    sum += a;
  });
  if (sum < DEFAULT_DEPOSIT_GWEI)
    fail("invalid_deposit", field, "partial deposit amounts must sum to at least 32 ETH");
}

function readVersion(o: Json, path: string): ClusterVersion {
  const v = o.version;
  if (!isSupportedVersion(v)) {
    return fail(
      "unsupported_version",
      joinField(path, "version"),
      `unsupported version ${JSON.stringify(v ?? null)} (supported: ${SUPPORTED_VERSIONS.join(", ")})`,
    );
  }
  return v;
}

function parseDefinitionObject(raw: unknown, path: string): Definition {
  const o = asObject(raw, path);
  const version = readVersion(o, path);

  const creatorPath = joinField(path, "creator");
  const c = asObject(o.creator, creatorPath);
  const creator: Creator = {
    address: address(c, "address", creatorPath),
    configSignature: hex(c, "config_signature", creatorPath),
  };

  const operatorsPath = joinField(path, "operators");
  const operators: Operator[] = asList(o.operators, operatorsPath).map((raw, i) => {
    const p = `${operatorsPath}[${i}]`;
    const op = asObject(raw, p);
    return {
      address: address(op, "address", p),
      enr: str(op, "enr", p),
      configSignature: hex(op, "config_signature", p),
      enrSignature: hex(op, "enr_signature", p),
    };
  });

  const validatorsPath = joinField(path, "validators");
  const validators: ValidatorAddresses[] = asList(o.validators, validatorsPath).map((raw, i) => {
    const p = `${validatorsPath}[${i}]`;
    const v = asObject(raw, p);
    return {
      feeRecipientAddress: address(v, "fee_recipient_address", p),
      withdrawalAddress: address(v, "withdrawal_address", p),
    };
  });

  const def: Definition = {
    name: str(o, "name", path),
    uuid: str(o, "uuid", path),
    version,
    timestamp: str(o, "timestamp", path),
    numValidators: int(o, "num_validators", path),
    threshold: int(o, "threshold", path),
    dkgAlgorithm: str(o, "dkg_algorithm", path),
    forkVersion: hex(o, "fork_version", path),
    operators,
    creator,
    validators,
    depositAmounts: null,
    consensusProtocol: "",
    targetGasLimit: 0,
    compounding: false,
    configHash: hex(o, "config_hash", path),
    definitionHash: hex(o, "definition_hash", path),
  };

  if (hasPartialDeposits(version)) {
    const amountsPath = joinField(path, "deposit_amounts");
    const a = o.deposit_amounts;
    if (a !== undefined && a !== null) {
      def.depositAmounts = asList(a, amountsPath).map((v, i) => gwei(v, `${amountsPath}[${i}]`));
    }
  }
  if (hasConsensusProtocol(version)) def.consensusProtocol = str(o, "consensus_protocol", path);
  if (hasGasLimitAndCompounding(version)) {
    def.targetGasLimit = int(o, "target_gas_limit", path, { unsigned: true });
    def.compounding = bool(o, "compounding", path);
  }

  if (def.validators.length !== def.numValidators) {
    fail(
      "count_mismatch",
      validatorsPath,
      `has ${def.validators.length} entries but num_validators is ${def.numValidators}`,
    );
  }
  if (def.depositAmounts) {
    checkDepositAmounts(def.depositAmounts, def.compounding, joinField(path, "deposit_amounts"));
  }
  return def;
}

function parseDepositData(raw: unknown, path: string): DepositData {
  const o = asObject(raw, path);
  return {
    pubkey: hex(o, "pubkey", path),
    withdrawalCredentials: hex(o, "withdrawal_credentials", path),
    amount: stringInt(o, "amount", path),
    signature: hex(o, "signature", path),
  };
}

function parseBuilderRegistration(raw: unknown, path: string): BuilderRegistration {
  const o = asObject(raw, path);
  const msgPath = joinField(path, "message");
  const m = asObject(o.message, msgPath);
  return {
    message: {
      feeRecipient: hex(m, "fee_recipient", msgPath),
      gasLimit: int(m, "gas_limit", msgPath),
      timestamp: int(m, "timestamp", msgPath),
      pubkey: hex(m, "pubkey", msgPath),
    },
    signature: hex(o, "signature", path),
  };
}

function parseValidator(raw: unknown, path: string, version: ClusterVersion): DistributedValidator {
  const o = asObject(raw, path);
  const sharesPath = joinField(path, "public_shares");
  const dv: DistributedValidator = {
    distributedPublicKey: hex(o, "distributed_public_key", path),
    publicShares: asList(o.public_shares, sharesPath).map((s, i) => hexValue(s, `${sharesPath}[${i}]`)),
    partialDepositData: [],
    builderRegistration: emptyBuilderRegistration(),
  };
  if (version === "v1.5.0") {
    if (hex(o, "fee_recipient_address", path).length > 0) {
      fail(
        "invalid_field",
        joinField(path, "fee_recipient_address"),
        "per-validator fee recipient is not supported",
      );
    }
  } else if (hasSingleDepositData(version)) {
    const ddPath = joinField(path, "deposit_data");
    dv.partialDepositData = [
      o.deposit_data == null ? emptyDepositData() : parseDepositData(o.deposit_data, ddPath),
    ];
  } else {
    const pddPath = joinField(path, "partial_deposit_data");
    dv.partialDepositData = asList(o.partial_deposit_data, pddPath).map((d, i) =>
      parseDepositData(d, `${pddPath}[${i}]`),
    );
  }
  if (hasBuilderRegistration(version)) {
    dv.builderRegistration = parseBuilderRegistration(
      o.builder_registration,
      joinField(path, "builder_registration"),
    );
  }
  return dv;
}

/**
 * Parses `cluster-definition.json` (text, UTF-8 bytes or an already parsed JSON value).
 * Throws {@link ClusterError} naming the offending field.
 */
export function parseDefinition(input: string | Uint8Array | unknown): Definition {
  return parseDefinitionObject(toJson(input, "cluster definition"), "");
}

/**
 * Parses `cluster-lock.json` (text, UTF-8 bytes or an already parsed JSON value).
 * Throws {@link ClusterError} naming the offending field.
 */
export function parseLock(input: string | Uint8Array | unknown): Lock {
  const o = asObject(toJson(input, "cluster lock"), "");
  const definition = parseDefinitionObject(o.cluster_definition, "cluster_definition");
  const version = definition.version;
  const lock: Lock = {
    definition,
    distributedValidators: asList(o.distributed_validators, "distributed_validators").map((v, i) =>
      parseValidator(v, `distributed_validators[${i}]`, version),
    ),
    signatureAggregate: hex(o, "signature_aggregate", ""),
    lockHash: hex(o, "lock_hash", ""),
    nodeSignatures: [],
  };
  if (hasNodeSignatures(version)) {
    lock.nodeSignatures = asList(o.node_signatures, "node_signatures").map((s, i) =>
      hexValue(s, `node_signatures[${i}]`),
    );
  }
  return lock;
}
