import { verify as blstVerify } from "@chainsafe/blst";
import { tryParsePublicKey, tryParseSignature } from "./decode";
import { TblsError } from "./errors";
import { parseSecretKey } from "./secretKey";

/**
 * Signs `message` (any length; the spec hashes it to G2 with Ethereum's POP DST).
 *
 * @example const sig = sign(sk, signingRoot); // Uint8Array(96)
 * @throws {TblsError} `INVALID_SECRET_KEY` (e.g. the zero key), `INVALID_MESSAGE`
 */
export function sign(secretKey: Uint8Array, message: Uint8Array): Uint8Array {
  assertMessage(message);
  return parseSecretKey(secretKey).sign(message).toBytes();
}

/**
 * The spec's `Verify`: true iff `signature` is a valid signature of `message` under `publicKey`.
 * Never throws: an invalid public key (including infinity) or signature simply gives `false`.
 *
 * @example if (!verify(pk, signingRoot, sig)) reject();
 */
export function verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (!(message instanceof Uint8Array)) return false;
  const pk = tryParsePublicKey(publicKey);
  const sig = tryParseSignature(signature);
  if (pk === undefined || sig === undefined) return false;
  try {
    // Both points were validated while parsing; skip blst's second round of checks.
    return blstVerify(message, pk, sig, false, false);
  } catch {
    return false;
  }
}

/** @internal */
export function assertMessage(
  message: unknown,
  details?: Record<string, unknown>,
): asserts message is Uint8Array {
  if (!(message instanceof Uint8Array)) {
    throw new TblsError("INVALID_MESSAGE", "a message is a Uint8Array", { details: details ?? {} });
  }
}
