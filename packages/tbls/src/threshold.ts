import type { Signature as BlstSignature } from "@chainsafe/blst";
import { parsePublicKey, parseSignature } from "./decode";
import { TblsError } from "./errors";
import {
  loadHerumi,
  toHerumiId,
  toHerumiPublicKey,
  toHerumiSignature,
  withBlstValidatedPoints,
} from "./herumi";
import { collectShares, type ShareEntries } from "./shares";
import { sign } from "./sign";

/**
 * A partial signature: the share's secret key signing `message` (exactly {@link sign}; named for
 * intent). Verify it with `verify(publicShare, message, partial)`.
 *
 * @example const partial = partialSign(myShare, signingRoot);
 * @throws {TblsError} `INVALID_SECRET_KEY`, `INVALID_MESSAGE`
 */
export function partialSign(shareSecretKey: Uint8Array, message: Uint8Array): Uint8Array {
  return sign(shareSecretKey, message);
}

/**
 * Combines partial signatures (share index → signature) into the group signature by Lagrange
 * interpolation at x = 0 in G2: σ = Σ λ_i(0)·σ_i. Uses every partial given, or — if `threshold` is
 * passed — exactly the `threshold` with the lowest indices (any t of them determine the result, and
 * fewer means less work). It does not verify anything: a wrong partial gives a wrong (still
 * well-formed) signature, so verify the partials — or the result — against their keys. Each input is
 * subgroup-checked. Async because it lazily initialises herumi (see {@link initTbls}).
 *
 * @example const groupSig = await thresholdAggregate(new Map([[1, s1], [2, s2], [4, s4]]));
 * @throws {TblsError} `INSUFFICIENT_SHARES` (none, or fewer than `threshold`), `INVALID_SHARE_INDEX`,
 *   `DUPLICATE_SHARE_INDEX`, `INVALID_SIGNATURE` (details.index), `INVALID_THRESHOLD`
 */
export async function thresholdAggregate(
  partials: ShareEntries<Uint8Array>,
  threshold?: number,
): Promise<Uint8Array> {
  const quorum = collectShares(partials, threshold).slice(0, threshold);
  const parsed: Array<[number, BlstSignature]> = quorum.map(([index, sig]) => [
    index,
    parseSignature(sig, { index }),
  ]);
  const herumi = await loadHerumi();
  return withBlstValidatedPoints(herumi, () => {
    const out = new herumi.Signature();
    recover(
      () =>
        out.recover(
          parsed.map(([, sig]) => toHerumiSignature(herumi, sig)),
          parsed.map(([index]) => toHerumiId(herumi, BigInt(index))),
        ),
      "signature",
    );
    return out.serialize();
  });
}

/**
 * The group public key from public shares (share index → 48-byte key) by Lagrange interpolation at
 * x = 0 in G1. Same quorum rule as {@link thresholdAggregate}; every key must pass KeyValidate.
 *
 * @example const groupPk = await recoverPublicKey(publicShares(shares), 3);
 * @throws {TblsError} `INSUFFICIENT_SHARES`, `INVALID_SHARE_INDEX`, `DUPLICATE_SHARE_INDEX`,
 *   `INVALID_PUBLIC_KEY` (a bad share, details.index; or an interpolated key at infinity), `INVALID_THRESHOLD`
 */
export async function recoverPublicKey(
  publicShares: ShareEntries<Uint8Array>,
  threshold?: number,
): Promise<Uint8Array> {
  const quorum = collectShares(publicShares, threshold).slice(0, threshold);
  const parsed = quorum.map(([index, pk]) => [index, parsePublicKey(pk, { index })] as const);
  const herumi = await loadHerumi();
  return withBlstValidatedPoints(herumi, () => {
    const out = new herumi.PublicKey();
    recover(
      () =>
        out.recover(
          parsed.map(([, pk]) => toHerumiPublicKey(herumi, pk)),
          parsed.map(([index]) => toHerumiId(herumi, BigInt(index))),
        ),
      "public key",
    );
    if (out.isZero()) {
      throw new TblsError("INVALID_PUBLIC_KEY", "the interpolated group public key is the point at infinity");
    }
    return out.serialize();
  });
}

function recover(run: () => void, what: string): void {
  try {
    run();
  } catch (cause) {
    // Unreachable with validated, distinct, non-zero indices; kept coded rather than raw.
    throw new TblsError("RECOVERY_FAILED", `herumi could not interpolate the ${what}`, { cause });
  }
}
