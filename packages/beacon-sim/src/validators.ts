import { createHash } from "node:crypto";
import { bytesToHex, hexToBytes } from "@cohort/eth";
import { secretToPublicKey } from "@cohort/tbls";
import type { SimValidator } from "./chain";

/** BLS12-381 group order r. */
const CURVE_ORDER = 0x73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001n;

/**
 * The secret key of simulated filler validator `i`: `sha256("cohort-beacon-sim filler" ‖ i) mod r`
 * (never zero). Public and deterministic — filler keys are for simulations only, so demos and tests
 * can sign as the rest of the validator set.
 */
export function fillerSecretKey(i: number): Uint8Array {
  const digest = createHash("sha256").update(`cohort-beacon-sim filler ${i}`).digest("hex");
  const k = (BigInt(`0x${digest}`) % (CURVE_ORDER - 1n)) + 1n;
  return hexToBytes(`0x${k.toString(16).padStart(64, "0")}`, 32);
}

export interface ValidatorSetOptions {
  /** Filler validators appended after the given pubkeys (keys from {@link fillerSecretKey}). */
  fillers?: number;
  /** Withdrawal credentials for every validator; default `0x01` + zero address. */
  withdrawalCredentials?: string;
  /** Default 32 ETH. */
  balanceGwei?: bigint;
}

/**
 * A validator set for {@link SimChain}: the given pubkeys first (e.g. a cluster lock's distributed
 * validators, indices 0…n-1 in order), then `fillers` filler validators (index n + i has the key
 * `fillerSecretKey(i)`). Pubkeys are checked for shape (48 bytes) and uniqueness and lower-cased.
 *
 * @example
 * const validators = validatorSet(lock.distributed_validators.map((dv) => dv.distributed_public_key), { fillers: 62 });
 */
export function validatorSet(pubkeys: readonly string[], options: ValidatorSetOptions = {}): SimValidator[] {
  const withdrawalCredentials = options.withdrawalCredentials ?? `0x01${"00".repeat(31)}`;
  hexToBytes(withdrawalCredentials, 32, "withdrawalCredentials");
  const balanceGwei = options.balanceGwei ?? 32_000_000_000n;
  const all = [
    ...pubkeys.map((p) => bytesToHex(hexToBytes(p, 48, "pubkey"))),
    ...Array.from({ length: options.fillers ?? 0 }, (_, i) =>
      bytesToHex(secretToPublicKey(fillerSecretKey(i))),
    ),
  ];
  const seen = new Set<string>();
  for (const p of all) {
    if (seen.has(p)) throw new RangeError(`duplicate validator pubkey ${p}`);
    seen.add(p);
  }
  return all.map((pubkey, index) => ({ index, pubkey, withdrawalCredentials, balanceGwei }));
}
