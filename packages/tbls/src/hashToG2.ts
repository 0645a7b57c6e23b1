import { bls12_381 } from "@noble/curves/bls12-381";
import { TblsError } from "./errors";

/** An affine G2 point: coordinates in Fp2 = Fp[u]/(u²+1) as `[c0, c1]` (value c0 + c1·u). */
export interface G2AffinePoint {
  x: readonly [bigint, bigint];
  y: readonly [bigint, bigint];
  /** The same point, compressed (96 bytes, ZCash/Ethereum encoding). */
  compressed: Uint8Array;
}

/**
 * RFC 9380 `hash_to_curve` for suite `BLS12381G2_XMD:SHA-256_SSWU_RO_` with an explicit domain
 * separation tag, via @noble/curves (pure JS, ~10× slower than blst; signing and verification never
 * call this — blst hashes internally with `ETH_DST`). Exists to pin the hash against the RFC's
 * QUUX test vectors and to cross-check blst.
 *
 * @example hashToG2(new TextEncoder().encode("abc"), "QUUX-V01-CS02-with-BLS12381G2_XMD:SHA-256_SSWU_RO_")
 * @throws {TblsError} `INVALID_MESSAGE` if `message` is not a Uint8Array
 */
export function hashToG2(message: Uint8Array, dst: string | Uint8Array): G2AffinePoint {
  if (!(message instanceof Uint8Array)) {
    throw new TblsError("INVALID_MESSAGE", "hashToG2 takes the message as a Uint8Array");
  }
  const affine = bls12_381.G2.hashToCurve(message, { DST: dst }).toAffine();
  const compressed = bls12_381.G2.ProjectivePoint.fromAffine(affine).toRawBytes(true);
  return { x: [affine.x.c0, affine.x.c1], y: [affine.y.c0, affine.y.c1], compressed };
}
