import { getAddress, isAddress } from "viem";
import { EthError } from "./errors";
import { type BytesLike, bytesToHex, type Hex, toBytes } from "./hex";

/** `BLS_WITHDRAWAL_PREFIX`: credentials are the hash of a BLS withdrawal key. */
export const BLS_WITHDRAWAL_PREFIX = 0x00;
/** `ETH1_ADDRESS_WITHDRAWAL_PREFIX`: withdrawals to an execution address, 32 ETH max effective balance. */
export const ETH1_ADDRESS_WITHDRAWAL_PREFIX = 0x01;
/** `COMPOUNDING_WITHDRAWAL_PREFIX` (Electra, EIP-7251): execution address, up to 2048 ETH effective balance. */
export const COMPOUNDING_WITHDRAWAL_PREFIX = 0x02;

export type WithdrawalCredentialsType = typeof BLS_WITHDRAWAL_PREFIX | 0x01 | 0x02;

/**
 * 0x01 withdrawal credentials: `0x01 ‖ 11 zero bytes ‖ address`.
 *
 * @example
 * executionWithdrawalCredentials("0x000000000000000000000000000000000000dEaD")
 * // "0x010000000000000000000000000000000000000000000000000000000000dead"
 * @throws EthError `INVALID_ADDRESS` (mixed-case addresses must carry a valid EIP-55 checksum)
 */
export function executionWithdrawalCredentials(address: string): Hex {
  return credentials(ETH1_ADDRESS_WITHDRAWAL_PREFIX, address);
}

/**
 * 0x02 (compounding) withdrawal credentials: `0x02 ‖ 11 zero bytes ‖ address`.
 *
 * @example
 * compoundingWithdrawalCredentials("0x000000000000000000000000000000000000dead")
 * // "0x020000000000000000000000000000000000000000000000000000000000dead"
 */
export function compoundingWithdrawalCredentials(address: string): Hex {
  return credentials(COMPOUNDING_WITHDRAWAL_PREFIX, address);
}

/**
 * The credential type (first byte): 0x00 BLS, 0x01 execution, 0x02 compounding. For 0x01/0x02 the
 * 11 padding bytes must be zero.
 *
 * @example withdrawalCredentialsType("0x02…") // 2
 * @throws EthError `INVALID_WITHDRAWAL_CREDENTIALS`
 */
export function withdrawalCredentialsType(withdrawalCredentials: BytesLike): WithdrawalCredentialsType {
  const creds = toBytes(withdrawalCredentials, 32, "withdrawalCredentials");
  const prefix = creds[0];
  if (prefix === BLS_WITHDRAWAL_PREFIX) return prefix;
  if (prefix === ETH1_ADDRESS_WITHDRAWAL_PREFIX || prefix === COMPOUNDING_WITHDRAWAL_PREFIX) {
    if (creds.subarray(1, 12).some((b) => b !== 0)) {
      throw new EthError(
        "INVALID_WITHDRAWAL_CREDENTIALS",
        "withdrawal credentials: bytes 1..11 must be zero",
        {
          details: { prefix },
        },
      );
    }
    return prefix;
  }
  throw new EthError(
    "INVALID_WITHDRAWAL_CREDENTIALS",
    `unsupported withdrawal credentials prefix 0x${hex2(prefix)}`,
    {
      details: { prefix },
    },
  );
}

/**
 * The execution address of 0x01/0x02 credentials (EIP-55 checksummed), `undefined` for 0x00.
 *
 * @example withdrawalAddressOf(executionWithdrawalCredentials(addr)) === getAddress(addr)
 */
export function withdrawalAddressOf(withdrawalCredentials: BytesLike): Hex | undefined {
  const type = withdrawalCredentialsType(withdrawalCredentials);
  if (type === BLS_WITHDRAWAL_PREFIX) return undefined;
  return getAddress(bytesToHex(toBytes(withdrawalCredentials, 32, "withdrawalCredentials").subarray(12)));
}

function credentials(prefix: number, address: string): Hex {
  if (!isAddress(address, { strict: true })) {
    throw new EthError("INVALID_ADDRESS", `not an execution address (or bad EIP-55 checksum): ${address}`, {
      details: { address },
    });
  }
  return `0x${hex2(prefix)}${"00".repeat(11)}${address.slice(2).toLowerCase()}`;
}

function hex2(byte: number | undefined): string {
  return (byte ?? 0).toString(16).padStart(2, "0");
}
