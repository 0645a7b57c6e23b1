import { parsePublicKey } from "./decode";
import { loadHerumi, toHerumiId, toHerumiPublicKey, withBlstValidatedPoints } from "./herumi";
import { assertThreshold, collectShares, type ShareEntries } from "./shares";

/**
 * True iff all the public shares lie on one polynomial of degree ≤ t−1 in the exponent, i.e. they
 * could all come from one t-of-n Shamir sharing — so every t-subset recovers the same group key and
 * every t-subset of (honest) partial signatures the same group signature. With n = t it is trivially
 * true. Method: interpolate from the t lowest indices and check each other share P_j equals the
 * interpolation at x = j (herumi `PublicKey.recover` with ids shifted by −j; (n−t)·t G1 multiplications).
 *
 * Malformed input throws rather than returning false: a bad index, a duplicate, fewer than t shares,
 * or a share that is not a valid public key is a caller error, not an inconsistent sharing.
 *
 * @example if (!(await publicSharesConsistent(lock.publicShares, lock.threshold))) refuse();
 * @throws {TblsError} `INVALID_THRESHOLD`, `INSUFFICIENT_SHARES`, `INVALID_SHARE_INDEX`,
 *   `DUPLICATE_SHARE_INDEX`, `INVALID_PUBLIC_KEY` (details.index)
 */
export async function publicSharesConsistent(
  publicShares: ShareEntries<Uint8Array>,
  threshold: number,
): Promise<boolean> {
  assertThreshold(threshold);
  const shares = collectShares(publicShares, threshold).map(
    ([index, pk]) => [index, parsePublicKey(pk, { index })] as const,
  );
  if (shares.length === threshold) return true;
  const herumi = await loadHerumi();
  return withBlstValidatedPoints(herumi, () => {
    const points = shares.map(([index, pk]) => [index, toHerumiPublicKey(herumi, pk)] as const);
    const basis = points.slice(0, threshold);
    const basisPoints = basis.map(([, p]) => p);
    for (const [j, expected] of points.slice(threshold)) {
      // g(x) = f(x + j) has g(i − j) = f(i), so interpolating g at 0 evaluates f at j.
      const atJ = new herumi.PublicKey();
      atJ.recover(
        basisPoints,
        basis.map(([i]) => toHerumiId(herumi, BigInt(i - j))),
      );
      if (!atJ.isEqual(expected)) return false;
    }
    return true;
  });
}
