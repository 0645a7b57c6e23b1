import { secp256k1 } from "@noble/curves/secp256k1";
import { toHex } from "viem";
import { publicKeyToAddress } from "viem/accounts";

/**
 * secp256k1 helpers with Charon's `app/k1util` semantics: 65-byte signatures laid out R ‖ S ‖ V with
 * V the recovery id (0/1; 27/28 are accepted when reading), deterministic RFC 6979 low-S signing,
 * and verification by public-key recovery. On @noble/curves (which viem itself uses) because viem's
 * secp256k1 helpers are async, take hex, and write V as 27/28; viem does the address derivation.
 */

const SIG_LEN = 65;

/** A new random secp256k1 private key (32 bytes). */
export function k1GeneratePrivateKey(): Uint8Array {
  return secp256k1.utils.randomPrivateKey();
}

/** Compressed (33-byte) public key of a private key. */
export function k1PublicKey(privateKey: Uint8Array): Uint8Array {
  return secp256k1.getPublicKey(privateKey, true);
}

/** Signs a 32-byte digest, returning R ‖ S ‖ V (V = 0 or 1). */
export function k1Sign(privateKey: Uint8Array, digest: Uint8Array): Uint8Array {
  if (digest.length !== 32) throw new RangeError(`digest must be 32 bytes, got ${digest.length}`);
  const sig = secp256k1.sign(digest, privateKey, { lowS: true });
  const out = new Uint8Array(SIG_LEN);
  out.set(sig.toCompactRawBytes());
  out[64] = sig.recovery;
  return out;
}

/**
 * Recovers the compressed public key from a 65-byte R ‖ S ‖ V signature over a 32-byte digest.
 * Throws an Error with a short reason when the signature is malformed.
 */
export function k1Recover(digest: Uint8Array, signature: Uint8Array): Uint8Array {
  if (digest.length !== 32) throw new Error("digest is not 32 bytes");
  if (signature.length !== SIG_LEN) throw new Error(`signature is ${signature.length} bytes, not 65`);
  const v = signature[64] ?? 0;
  if (v !== 0 && v !== 1 && v !== 27 && v !== 28) throw new Error(`invalid recovery id ${v}`);
  const recovery = v >= 27 ? v - 27 : v;
  try {
    const sig = secp256k1.Signature.fromCompact(signature.subarray(0, 64)).addRecoveryBit(recovery);
    return sig.recoverPublicKey(digest).toRawBytes(true);
  } catch (e) {
    throw new Error(`cannot recover public key: ${(e as Error).message}`);
  }
}

type K1Point = ReturnType<typeof secp256k1.ProjectivePoint.fromHex>;
/**
 * Decoded public keys by hex: an agent verifies every message of the same few peers, and decoding a
 * compressed point costs a square root. Bounded; entries are public data.
 */
const pointCache = new Map<string, K1Point>();
function decodePoint(publicKey: Uint8Array): K1Point {
  const key = Buffer.from(publicKey).toString("hex");
  let p = pointCache.get(key);
  if (!p) {
    p = secp256k1.ProjectivePoint.fromHex(publicKey);
    if (pointCache.size >= 1024) pointCache.clear();
    pointCache.set(key, p);
  }
  return p;
}

/** True when the 65-byte signature over `digest` recovers to `publicKey` (compressed or not). */
export function k1Verify65(publicKey: Uint8Array, digest: Uint8Array, signature: Uint8Array): boolean {
  if (digest.length !== 32 || signature.length !== SIG_LEN) return false;
  const v = signature[64] ?? 0;
  if (v !== 0 && v !== 1 && v !== 27 && v !== 28) return false;
  try {
    const sig = secp256k1.Signature.fromCompact(signature.subarray(0, 64)).addRecoveryBit(
      v >= 27 ? v - 27 : v,
    );
    // Compare points directly: no re-encoding and re-decoding of the recovered key.
    return decodePoint(publicKey).equals(sig.recoverPublicKey(digest));
  } catch {
    return false;
  }
}

/** Plain 64-byte R ‖ S ECDSA verification (no low-S requirement, as Charon's Verify64). */
export function k1Verify64(publicKey: Uint8Array, digest: Uint8Array, signature: Uint8Array): boolean {
  if (signature.length !== 64) return false;
  try {
    return secp256k1.verify(signature, digest, publicKey, { lowS: false });
  } catch {
    return false;
  }
}

/** Whether bytes are a valid secp256k1 public key encoding (33 or 65 bytes). */
export function k1IsPublicKey(b: Uint8Array): boolean {
  try {
    secp256k1.ProjectivePoint.fromHex(b);
    return b.length === 33 || b.length === 65;
  } catch {
    return false;
  }
}

/** The 33-byte compressed form of a public key given compressed or uncompressed. */
export function k1Compress(publicKey: Uint8Array): Uint8Array {
  return secp256k1.ProjectivePoint.fromHex(publicKey).toRawBytes(true);
}

/** Checksummed Ethereum address of a secp256k1 public key (compressed or uncompressed). */
export function k1Address(publicKey: Uint8Array): `0x${string}` {
  return publicKeyToAddress(toHex(secp256k1.ProjectivePoint.fromHex(publicKey).toRawBytes(false)));
}
