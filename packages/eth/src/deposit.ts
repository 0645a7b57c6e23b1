import { type phase0, ssz } from "@lodestar/types";
import { depositSigningRoot } from "./duties";
import { EthError } from "./errors";
import {
  type BytesLike,
  bytesEqual,
  bytesToBareHex,
  bytesToHex,
  type Hex,
  hexToBytes,
  normalizeHex,
  toBytes,
} from "./hex";
import type { NetworkConfig } from "./networks";
import { COMPOUNDING_WITHDRAWAL_PREFIX, withdrawalCredentialsType } from "./withdrawal";

export const GWEI_PER_ETH = 1_000_000_000;
/** The deposit contract refuses less than 1 ETH (`MIN_DEPOSIT_AMOUNT`). */
export const MIN_DEPOSIT_AMOUNT_GWEI = 1 * GWEI_PER_ETH;
/** `MAX_EFFECTIVE_BALANCE`: the most a 0x00/0x01 validator can use. */
export const MAX_EFFECTIVE_BALANCE_GWEI = 32 * GWEI_PER_ETH;
/** `MAX_EFFECTIVE_BALANCE_ELECTRA`: the most a 0x02 (compounding) validator can use. */
export const MAX_EFFECTIVE_BALANCE_ELECTRA_GWEI = 2048 * GWEI_PER_ETH;
/** What Charon writes in `deposit_cli_version`; the staking launchpad checks the field exists. */
export const DEFAULT_DEPOSIT_CLI_VERSION = "2.7.0";

/**
 * One entry of a `deposit_data-*.json` file as staking-deposit-cli, ethstaker-deposit-cli and Charon
 * write it (and the launchpad reads it): bare lower-case hex (no `0x`), `amount` in Gwei as a JSON
 * number. The Obol cluster-lock `partial_deposit_data` entries carry the first four fields
 * (0x-hex, amount as a string); {@link checkDepositData} accepts both spellings.
 */
export interface DepositDataJson {
  pubkey: string;
  withdrawal_credentials: string;
  amount: number;
  signature: string;
  deposit_message_root: string;
  deposit_data_root: string;
  /** The network's GENESIS fork version, bare hex. */
  fork_version: string;
  network_name?: string;
  deposit_cli_version: string;
}

/** Signs a 32-byte signing root, returning a 96-byte compressed BLS signature. */
export type SignFn = (signingRoot: Uint8Array) => Uint8Array | Promise<Uint8Array>;
/** Verifies a 96-byte BLS signature over a signing root under a 48-byte public key. */
export type VerifyFn = (
  pubkey: Uint8Array,
  signingRoot: Uint8Array,
  signature: Uint8Array,
) => boolean | Promise<boolean>;

export interface DepositDataParameters {
  /** 48-byte BLS public key (the distributed validator's group key). */
  pubkey: BytesLike;
  /** 32-byte withdrawal credentials, e.g. from `executionWithdrawalCredentials(address)`. */
  withdrawalCredentials: BytesLike;
  /** 1 ETH … 32 ETH for 0x00/0x01 credentials, 1 ETH … 2048 ETH for 0x02, whole Gwei. */
  amountGwei: number | bigint;
  network: NetworkConfig;
  /** Produces the validator's signature over the deposit signing root (a threshold signature in a DV). */
  sign: SignFn;
  /** When given, the signature is checked before the entry is returned. */
  verify?: VerifyFn;
  depositCliVersion?: string;
}

/**
 * Builds a deposit-data entry: the deposit message, its signing root under the network's deposit
 * domain (genesis fork version, zero genesis validators root), the signature from `sign`, and both
 * roots, in the deposit-cli JSON shape.
 *
 * @example
 * const entry = await depositData({
 *   pubkey, network: MAINNET, amountGwei: 32_000_000_000,
 *   withdrawalCredentials: executionWithdrawalCredentials("0x…"),
 *   sign: (root) => SecretKey.fromBytes(sk).sign(root).toBytes(),
 * });
 * await writeFile("deposit_data.json", JSON.stringify([entry], null, 1));
 * @throws EthError `INVALID_AMOUNT`, `INVALID_WITHDRAWAL_CREDENTIALS`, `INVALID_HEX`, `INVALID_SIGNATURE`
 */
export async function depositData(params: DepositDataParameters): Promise<DepositDataJson> {
  const pubkey = toBytes(params.pubkey, 48, "pubkey");
  const withdrawalCredentials = toBytes(params.withdrawalCredentials, 32, "withdrawalCredentials");
  const amount = checkDepositAmount(params.amountGwei, withdrawalCredentials);
  const message: phase0.DepositMessage = { pubkey, withdrawalCredentials, amount };
  const signingRoot = depositSigningRoot(params.network, message);
  const signature = toBytes(await params.sign(signingRoot), 96, "signature");
  if (params.verify && !(await params.verify(pubkey, signingRoot, signature))) {
    throw new EthError("INVALID_SIGNATURE", "deposit signature does not verify under the pubkey", {
      details: { pubkey: bytesToHex(pubkey) },
    });
  }
  return {
    pubkey: bytesToBareHex(pubkey),
    withdrawal_credentials: bytesToBareHex(withdrawalCredentials),
    amount,
    signature: bytesToBareHex(signature),
    deposit_message_root: bytesToBareHex(ssz.phase0.DepositMessage.hashTreeRoot(message)),
    deposit_data_root: bytesToBareHex(ssz.phase0.DepositData.hashTreeRoot({ ...message, signature })),
    fork_version: normalizeHex(params.network.genesisForkVersion).slice(2),
    network_name: params.network.name,
    deposit_cli_version: params.depositCliVersion ?? DEFAULT_DEPOSIT_CLI_VERSION,
  };
}

/**
 * Validates a deposit amount against the credential type and returns it as a number of Gwei.
 *
 * @example checkDepositAmount(32_000_000_000, executionWithdrawalCredentials(addr)) // 32000000000
 * @throws EthError `INVALID_AMOUNT`
 */
export function checkDepositAmount(
  amountGwei: number | bigint | string,
  withdrawalCredentials: BytesLike,
): number {
  let amount: bigint;
  try {
    amount = BigInt(amountGwei);
  } catch {
    throw new EthError("INVALID_AMOUNT", `deposit amount must be a whole number of Gwei, got ${amountGwei}`);
  }
  const compounding = withdrawalCredentialsType(withdrawalCredentials) === COMPOUNDING_WITHDRAWAL_PREFIX;
  const max = compounding ? MAX_EFFECTIVE_BALANCE_ELECTRA_GWEI : MAX_EFFECTIVE_BALANCE_GWEI;
  if (amount < BigInt(MIN_DEPOSIT_AMOUNT_GWEI) || amount > BigInt(max)) {
    throw new EthError(
      "INVALID_AMOUNT",
      `deposit amount ${amount} Gwei is outside ${MIN_DEPOSIT_AMOUNT_GWEI}..${max} Gwei for ${compounding ? "0x02" : "0x00/0x01"} credentials`,
      { details: { amountGwei: amount.toString(), min: MIN_DEPOSIT_AMOUNT_GWEI, max } },
    );
  }
  return Number(amount);
}

/** A deposit-data entry in either spelling (deposit-cli file or Obol lock `partial_deposit_data`). */
export interface DepositDataLike {
  pubkey: string;
  withdrawal_credentials: string;
  amount: number | string;
  signature: string;
  deposit_message_root?: string;
  deposit_data_root?: string;
  fork_version?: string;
}

export interface CheckedDepositData {
  depositMessageRoot: Hex;
  depositDataRoot: Hex;
  signingRoot: Hex;
  /** The genesis fork version the signature was checked (or is to be checked) against. */
  forkVersion: Hex;
}

/**
 * Recomputes a deposit-data entry's roots and, with `verify`, checks its signature under the deposit
 * domain. The fork version comes from the entry (`fork_version`), else from `forkVersion`/`network`
 * (an Obol lock's entries rely on the cluster definition's `fork_version`); when both are present
 * they must agree. Amount range is not checked here (old files may predate today's rules).
 *
 * @example
 * const [entry] = JSON.parse(await readFile("deposit_data.json", "utf8"));
 * await checkDepositData(entry, { network: MAINNET, verify: blsVerify });
 * @throws EthError `DEPOSIT_DATA_MISMATCH`, `INVALID_SIGNATURE`, `INVALID_HEX`, `INVALID_INPUT`
 */
export async function checkDepositData(
  entry: DepositDataLike,
  options: { network?: NetworkConfig; forkVersion?: string; verify?: VerifyFn } = {},
): Promise<CheckedDepositData> {
  const expected = options.forkVersion ?? options.network?.genesisForkVersion;
  const forkVersionHex = entry.fork_version ?? expected;
  if (forkVersionHex === undefined) {
    throw new EthError("INVALID_INPUT", "deposit data has no fork_version; pass network or forkVersion");
  }
  const forkVersion = hexToBytes(forkVersionHex, 4, "fork_version");
  if (expected !== undefined && normalizeHex(expected) !== normalizeHex(forkVersionHex)) {
    throw mismatch("fork_version", normalizeHex(expected), normalizeHex(forkVersionHex));
  }
  const amount = BigInt(entry.amount);
  if (amount > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new EthError("INVALID_INPUT", `deposit amount ${amount} is out of range`);
  }
  const message: phase0.DepositMessage = {
    pubkey: hexToBytes(entry.pubkey, 48, "pubkey"),
    withdrawalCredentials: hexToBytes(entry.withdrawal_credentials, 32, "withdrawal_credentials"),
    amount: Number(amount),
  };
  const signature = hexToBytes(entry.signature, 96, "signature");
  const messageRoot = ssz.phase0.DepositMessage.hashTreeRoot(message);
  const dataRoot = ssz.phase0.DepositData.hashTreeRoot({ ...message, signature });
  if (entry.deposit_message_root !== undefined) {
    const stated = hexToBytes(entry.deposit_message_root, 32, "deposit_message_root");
    if (!bytesEqual(stated, messageRoot))
      throw mismatch("deposit_message_root", bytesToHex(messageRoot), bytesToHex(stated));
  }
  if (entry.deposit_data_root !== undefined) {
    const stated = hexToBytes(entry.deposit_data_root, 32, "deposit_data_root");
    if (!bytesEqual(stated, dataRoot))
      throw mismatch("deposit_data_root", bytesToHex(dataRoot), bytesToHex(stated));
  }
  const signingRoot = depositSigningRoot(forkVersion, message);
  if (options.verify && !(await options.verify(message.pubkey, signingRoot, signature))) {
    throw new EthError(
      "INVALID_SIGNATURE",
      "deposit signature does not verify under the pubkey and deposit domain",
      {
        details: { pubkey: bytesToHex(message.pubkey), forkVersion: bytesToHex(forkVersion) },
      },
    );
  }
  return {
    depositMessageRoot: bytesToHex(messageRoot),
    depositDataRoot: bytesToHex(dataRoot),
    signingRoot: bytesToHex(signingRoot),
    forkVersion: bytesToHex(forkVersion),
  };
}

function mismatch(field: string, computed: string, stated: string): EthError {
  return new EthError("DEPOSIT_DATA_MISMATCH", `${field}: entry says ${stated}, contents give ${computed}`, {
    details: { field, computed, stated },
  });
}
