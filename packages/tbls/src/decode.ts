import { PublicKey, Signature } from "@chainsafe/blst";
import { isInfinityEncoding, PUBLIC_KEY_LENGTH, SIGNATURE_LENGTH } from "./bytes";
import { TblsError } from "./errors";

// Every deserialisation in the facade goes through this file, and every one validates: blst is always
// called with its validate flags on, so no unchecked point (off-curve, outside the prime-order
// subgroup, or — for public keys — the identity) ever reaches a pairing. This is what @chainsafe/bls
// 8.x on blst 2.x gets wrong for raw-byte public keys.
//
// Public keys that passed KeyValidate are kept (keyed by their exact bytes, so a hit is the same
// encoding that was validated): a combining node re-checks the same few public shares and group keys
// on every duty, and decompression + subgroup check is ~5–10 % of a verification. Bounded, oldest
// evicted first; failures are never cached. Signatures are not cached (each is new).
const PUBLIC_KEY_CACHE_SIZE = 8192;
const validatedPublicKeys = new Map<string, PublicKey>();

/**
 * Deserialises and KeyValidates a compressed public key: 48 bytes, canonical encoding, on the curve,
 * in G1, and not the point at infinity.
 *
 * @internal Callers outside the package use {@link validatePublicKey}.
 * @throws {TblsError} `INVALID_PUBLIC_KEY`
 */
export function parsePublicKey(bytes: Uint8Array, details?: Record<string, unknown>): PublicKey {
  if (!(bytes instanceof Uint8Array) || bytes.length !== PUBLIC_KEY_LENGTH) {
    throw new TblsError("INVALID_PUBLIC_KEY", `a public key is ${PUBLIC_KEY_LENGTH} bytes (compressed G1)`, {
      details: { ...details, length: lengthOf(bytes) },
    });
  }
  // latin1 maps each byte to one char: a bijective, cheap cache key.
  const cacheKey = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1");
  const cached = validatedPublicKeys.get(cacheKey);
  if (cached !== undefined) return cached;
  try {
    // pkValidate = true: blst's KeyValidate (infinity check + subgroup check).
    const pk = PublicKey.fromBytes(bytes, true);
    if (validatedPublicKeys.size >= PUBLIC_KEY_CACHE_SIZE) {
      validatedPublicKeys.delete(validatedPublicKeys.keys().next().value as string);
    }
    validatedPublicKeys.set(cacheKey, pk);
    return pk;
  } catch (cause) {
    throw new TblsError(
      "INVALID_PUBLIC_KEY",
      "not a valid public key (encoding, curve, subgroup or infinity)",
      {
        details: details ?? {},
        cause,
      },
    );
  }
}

/**
 * Deserialises a compressed signature with the subgroup check: 96 bytes, canonical encoding, on the
 * curve and in G2. The point at infinity is a valid signature encoding (it is what `Aggregate` of an
 * infinity signature returns); it never verifies against a valid public key.
 *
 * @internal Callers outside the package use {@link validateSignature}.
 * @throws {TblsError} `INVALID_SIGNATURE`
 */
export function parseSignature(bytes: Uint8Array, details?: Record<string, unknown>): Signature {
  if (!(bytes instanceof Uint8Array) || bytes.length !== SIGNATURE_LENGTH) {
    throw new TblsError("INVALID_SIGNATURE", `a signature is ${SIGNATURE_LENGTH} bytes (compressed G2)`, {
      details: { ...details, length: lengthOf(bytes) },
    });
  }
  try {
    // sigValidate = true (subgroup check), sigInfcheck = false (infinity is a valid encoding).
    return Signature.fromBytes(bytes, true, false);
  } catch (cause) {
    throw new TblsError("INVALID_SIGNATURE", "not a valid signature (encoding, curve or subgroup)", {
      details: details ?? {},
      cause,
    });
  }
}

/** {@link parsePublicKey} returning `undefined` instead of throwing. @internal */
export function tryParsePublicKey(bytes: Uint8Array): PublicKey | undefined {
  try {
    return parsePublicKey(bytes);
  } catch {
    return undefined;
  }
}

/** {@link parseSignature} returning `undefined` instead of throwing. @internal */
export function tryParseSignature(bytes: Uint8Array): Signature | undefined {
  try {
    return parseSignature(bytes);
  } catch {
    return undefined;
  }
}

/**
 * Asserts that `bytes` is a valid public key in the sense of the spec's `KeyValidate`: a canonical
 * 48-byte compressed G1 point in the prime-order subgroup, and not the point at infinity.
 *
 * @example validatePublicKey(pk) // throws TblsError("INVALID_PUBLIC_KEY") on a bad key
 * @throws {TblsError} `INVALID_PUBLIC_KEY`
 */
export function validatePublicKey(bytes: Uint8Array): void {
  parsePublicKey(bytes);
}

/**
 * Asserts that `bytes` is a valid signature: a canonical 96-byte compressed G2 point in the
 * prime-order subgroup (the point at infinity is a valid encoding).
 *
 * @example validateSignature(sig) // throws TblsError("INVALID_SIGNATURE") on bad bytes
 * @throws {TblsError} `INVALID_SIGNATURE`
 */
export function validateSignature(bytes: Uint8Array): void {
  parseSignature(bytes);
}

/**
 * True iff `bytes` deserialises to a G1 point: canonical 48-byte compressed encoding, on the curve, in
 * the subgroup. Unlike {@link validatePublicKey} the point at infinity (`0xc0` then zeros) is accepted:
 * it is a valid *encoding* but not a valid public key. Never throws.
 */
export function isValidG1Point(bytes: Uint8Array): boolean {
  if (!(bytes instanceof Uint8Array) || bytes.length !== PUBLIC_KEY_LENGTH) return false;
  return isInfinityEncoding(bytes) || tryParsePublicKey(bytes) !== undefined;
}

/**
 * True iff `bytes` deserialises to a G2 point: canonical 96-byte compressed encoding, on the curve, in
 * the subgroup (infinity included). Same as {@link validateSignature} without the throw.
 */
export function isValidG2Point(bytes: Uint8Array): boolean {
  return tryParseSignature(bytes) !== undefined;
}

const lengthOf = (value: unknown) => (value instanceof Uint8Array ? value.length : typeof value);
