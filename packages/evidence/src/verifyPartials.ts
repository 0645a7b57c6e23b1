/**
 * Batch verification of partial BLS signatures against the senders' public shares.
 *
 * Items are grouped by signing root and each group is checked with `@cohort/tbls`
 * `verifyMultipleSignatures`, which weights every (public share, partial) pair with a fresh random
 * non-zero 64-bit scalar from blst (`aggregateWithRandomness` for one message, blst
 * `verifyMultipleAggregateSignatures` for several) — so a group passes only if, except with
 * probability ≤ 2^-64, every item in it verifies on its own. A plain sum would not be safe: two
 * invalid partials whose errors cancel (σ₁ + Δ, σ₂ − Δ) would pass. When a group fails, every item of
 * it is verified one by one to name the bad ones.
 */
import { verify, verifyMultipleSignatures } from "@cohort/tbls";
import { toHex } from "./message";

export interface PartialItem {
  /** The sender's public share for the validator (48 bytes). */
  publicShare: Uint8Array;
  /** What the partial signs (32 bytes). */
  signingRoot: Uint8Array;
  /** The partial signature (96 bytes). */
  signature: Uint8Array;
}

export interface PartialVerification {
  /** True iff every item verified. */
  ok: boolean;
  /** Positions (in the input) of the items that did not verify, ascending. */
  bad: number[];
  /** How many groups (distinct signing roots) were batch-checked, and how many needed the fallback. */
  groups: number;
  fallbacks: number;
}

/** Verifies every item; see the module comment. An empty input is ok. */
export function verifyPartials(items: readonly PartialItem[]): PartialVerification {
  const groups = new Map<string, number[]>();
  const bad: number[] = [];
  items.forEach((item, i) => {
    if (!(item.signingRoot instanceof Uint8Array) || item.signingRoot.length !== 32) {
      bad.push(i);
      return;
    }
    const key = toHex(item.signingRoot);
    const group = groups.get(key);
    if (group) group.push(i);
    else groups.set(key, [i]);
  });
  let fallbacks = 0;
  for (const positions of groups.values()) {
    const sets = positions.map((i) => {
      const it = items[i]!;
      return { publicKey: it.publicShare, message: it.signingRoot, signature: it.signature };
    });
    if (verifyMultipleSignatures(sets)) continue;
    fallbacks++;
    for (const [k, i] of positions.entries()) {
      const s = sets[k]!;
      if (!verify(s.publicKey, s.message, s.signature)) bad.push(i);
    }
  }
  bad.sort((a, b) => a - b);
  return { ok: bad.length === 0, bad, groups: groups.size, fallbacks };
}
