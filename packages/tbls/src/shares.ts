import { TblsError } from "./errors";

/**
 * Largest share index: herumi ids are set from 32-bit signed integers, and Charon's indices are small
 * positive ints. Index 0 is never a share (f(0) is the secret).
 */
export const MAX_SHARE_INDEX = 2 ** 31 - 1;

/**
 * Shares keyed by share index (1-based x coordinate): a `Map<number, T>` or any iterable of
 * `[index, value]` entries (entries can repeat an index; a Map cannot — both are checked).
 */
export type ShareEntries<T> = Iterable<readonly [number, T]>;

/**
 * Asserts `index` is an integer in [1, {@link MAX_SHARE_INDEX}].
 *
 * @throws {TblsError} `INVALID_SHARE_INDEX`
 */
export function assertShareIndex(index: unknown): asserts index is number {
  if (!(typeof index === "number" && Number.isInteger(index) && index >= 1 && index <= MAX_SHARE_INDEX)) {
    throw new TblsError("INVALID_SHARE_INDEX", `a share index is an integer in [1, ${MAX_SHARE_INDEX}]`, {
      details: { index: typeof index === "number" ? index : String(index) },
    });
  }
}

/**
 * Asserts 1 ≤ threshold ≤ total ≤ {@link MAX_SHARE_INDEX}, all integers (`total` optional).
 *
 * @throws {TblsError} `INVALID_THRESHOLD`
 */
export function assertThreshold(threshold: unknown, total?: unknown): asserts threshold is number {
  const isCount = (v: unknown): v is number =>
    typeof v === "number" && Number.isInteger(v) && v >= 1 && v <= MAX_SHARE_INDEX;
  if (!isCount(threshold) || (total !== undefined && !(isCount(total) && threshold <= total))) {
    throw new TblsError("INVALID_THRESHOLD", "need integers 1 ≤ threshold ≤ total", {
      details: { threshold: String(threshold), total: String(total) },
    });
  }
}

/**
 * Validated shares sorted by index: every index valid and distinct, at least one share, and at least
 * `threshold` of them if given.
 *
 * @internal
 * @throws {TblsError} `INVALID_SHARE_INDEX`, `DUPLICATE_SHARE_INDEX`, `INSUFFICIENT_SHARES`, `INVALID_THRESHOLD`
 */
export function collectShares<T>(shares: ShareEntries<T>, threshold?: number): Array<[number, T]> {
  if (threshold !== undefined) assertThreshold(threshold);
  const out: Array<[number, T]> = [];
  const seen = new Set<number>();
  for (const [index, value] of shares) {
    assertShareIndex(index);
    if (seen.has(index)) {
      throw new TblsError("DUPLICATE_SHARE_INDEX", `share index ${index} appears twice`, {
        details: { index },
      });
    }
    seen.add(index);
    out.push([index, value]);
  }
  const needed = threshold ?? 1;
  if (out.length < needed) {
    throw new TblsError("INSUFFICIENT_SHARES", `need at least ${needed} share(s), got ${out.length}`, {
      details: { threshold: needed, got: out.length },
    });
  }
  return out.sort(([a], [b]) => a - b);
}
