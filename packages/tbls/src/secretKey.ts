import { randomBytes } from "node:crypto";
import { SecretKey } from "@chainsafe/blst";
import { SECRET_KEY_LENGTH } from "./bytes";
import { TblsError } from "./errors";
import { bytesToScalar, FR_ORDER } from "./shamir";

/**
 * Deserialises a secret key: exactly 32 bytes, big-endian, a scalar in [1, r−1].
 *
 * @internal
 * @throws {TblsError} `INVALID_SECRET_KEY` (the message never contains key material)
 */
export function parseSecretKey(bytes: Uint8Array, details?: Record<string, unknown>): SecretKey {
  if (!(bytes instanceof Uint8Array) || bytes.length !== SECRET_KEY_LENGTH) {
    throw new TblsError("INVALID_SECRET_KEY", `a secret key is ${SECRET_KEY_LENGTH} big-endian bytes`, {
      details: { ...details, length: bytes instanceof Uint8Array ? bytes.length : typeof bytes },
    });
  }
  const scalar = bytesToScalar(bytes);
  if (scalar === 0n || scalar >= FR_ORDER) {
    throw new TblsError("INVALID_SECRET_KEY", "a secret key must be a scalar in [1, r−1]", {
      details: details ?? {},
    });
  }
  try {
    return SecretKey.fromBytes(bytes);
  } catch (cause) {
    throw new TblsError("INVALID_SECRET_KEY", "blst rejected the secret key", {
      details: details ?? {},
      cause,
    });
  }
}

/**
 * A fresh secret key: the IETF `KeyGen` (HKDF, as in EIP-2333's master key derivation) over 32 bytes of
 * OS randomness, so the result is uniform in [1, r−1].
 *
 * @example const sk = generateSecretKey(); const pk = secretToPublicKey(sk);
 */
export function generateSecretKey(): Uint8Array {
  return SecretKey.fromKeygen(randomBytes(32)).toBytes();
}

/**
 * The compressed public key (48 bytes, sk·G1) of a secret key.
 *
 * @example secretToPublicKey(sk) // Uint8Array(48)
 * @throws {TblsError} `INVALID_SECRET_KEY`
 */
export function secretToPublicKey(secretKey: Uint8Array): Uint8Array {
  return parseSecretKey(secretKey).toPublicKey().toBytes();
}
