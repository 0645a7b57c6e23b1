import {
  builderDomain,
  compoundingWithdrawalCredentials,
  computeSigningRoot,
  depositSigningRoot as ethDepositSigningRoot,
  executionWithdrawalCredentials,
  hexToBytes,
} from "@cohort/eth";
import { ssz } from "@lodestar/types";
import { decodeHex, to0xHex } from "./hex";

/**
 * `@cohort/eth`'s deposit and builder-registration signing roots and withdrawal credentials, in the
 * cluster model's terms: the genesis fork version as bytes (any network, including devnets eth does not
 * know), Gwei as bigint, and addresses spelt as Charon accepts them (any case, checksum not enforced).
 */

/** A uint64 field as the number Lodestar's `UintNum64` takes; RangeError beyond 2^53 − 1. */
function uint64(value: number | bigint, field: string): number {
  const n = typeof value === "bigint" ? value : BigInt(value);
  if (n < 0n || n > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError(`${field} ${n} is out of range`);
  return Number(n);
}

/** Signing root of a `DepositMessage` for the network with this genesis fork version. */
export function depositSigningRoot(
  forkVersion: Uint8Array,
  msg: { pubkey: Uint8Array; withdrawalCredentials: Uint8Array; amount: bigint },
): Uint8Array {
  return ethDepositSigningRoot(forkVersion, {
    pubkey: msg.pubkey,
    withdrawalCredentials: msg.withdrawalCredentials,
    amount: uint64(msg.amount, "amount"),
  });
}

/** Signing root of a builder `ValidatorRegistrationV1` for the network with this genesis fork version. */
export function builderRegistrationSigningRoot(
  forkVersion: Uint8Array,
  msg: {
    feeRecipient: Uint8Array;
    gasLimit: number | bigint;
    timestamp: number | bigint;
    pubkey: Uint8Array;
  },
): Uint8Array {
  const registration = {
    feeRecipient: msg.feeRecipient,
    gasLimit: uint64(msg.gasLimit, "gas_limit"),
    timestamp: uint64(msg.timestamp, "timestamp"),
    pubkey: msg.pubkey,
  };
  return computeSigningRoot(ssz.bellatrix.ValidatorRegistrationV1, registration, builderDomain(forkVersion));
}

/** 0x01 (or 0x02 when compounding) ‖ 11 zero bytes ‖ the 20-byte withdrawal address. */
export function withdrawalCredentials(withdrawalAddress: string, compounding = false): Uint8Array {
  const addr = decodeHex(withdrawalAddress);
  if (addr?.length !== 20) throw new RangeError(`invalid withdrawal address "${withdrawalAddress}"`);
  // Charon checksums whatever spelling it is given; eth insists on a valid EIP-55 mix, so pass lower case.
  const lower = to0xHex(addr);
  return hexToBytes(
    compounding ? compoundingWithdrawalCredentials(lower) : executionWithdrawalCredentials(lower),
  );
}
