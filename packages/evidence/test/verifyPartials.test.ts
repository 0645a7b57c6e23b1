import {
  aggregatePublicKeys,
  generateSecretKey,
  partialSign,
  publicShares,
  splitSecretKey,
  verify,
} from "@cohort/tbls";
import { bls12_381 } from "@noble/curves/bls12-381";
import { describe, expect, it } from "vitest";
import { type PartialItem, verifyPartials } from "../src";

const shares = splitSecretKey(generateSecretKey(), 3, 4);
const pubs = publicShares(shares);
const rootA = new Uint8Array(32).fill(1);
const rootB = new Uint8Array(32).fill(2);
const items = (root: Uint8Array): PartialItem[] =>
  [1, 2, 3, 4].map((i) => ({
    publicShare: pubs.get(i)!,
    signingRoot: root,
    signature: partialSign(shares.get(i)!, root),
  }));

describe("verifyPartials", () => {
  it("accepts valid partials grouped by signing root, one batch per root", () => {
    const r = verifyPartials([...items(rootA), ...items(rootB)]);
    expect(r).toEqual({ ok: true, bad: [], groups: 2, fallbacks: 0 });
    expect(verifyPartials([]).ok).toBe(true);
  });

  it("names the bad item: wrong share, wrong root, malformed bytes", () => {
    const list = [...items(rootA), ...items(rootB)];
    list[1] = { ...list[1]!, publicShare: pubs.get(3)! };
    list[6] = { ...list[6]!, signature: items(rootA)[2]!.signature }; // a rootA partial under rootB
    list[7] = { ...list[7]!, signature: new Uint8Array(96) };
    const r = verifyPartials(list);
    expect(r).toMatchObject({ ok: false, bad: [1, 6, 7], groups: 2, fallbacks: 2 });
  });

  it("is a randomised batch: two invalid partials whose errors cancel in a plain sum are both caught", () => {
    const G2 = bls12_381.G2.ProjectivePoint;
    const list = items(rootA);
    const delta = G2.BASE.multiply(123456789n);
    const s1 = G2.fromHex(list[0]!.signature).add(delta);
    const s2 = G2.fromHex(list[1]!.signature).subtract(delta);
    list[0] = { ...list[0]!, signature: s1.toRawBytes(true) };
    list[1] = { ...list[1]!, signature: s2.toRawBytes(true) };
    // A plain (unweighted) sum of the pair still verifies against the sum of the keys:
    const sumSig = s1.add(s2).toRawBytes(true);
    expect(verify(aggregatePublicKeys([pubs.get(1)!, pubs.get(2)!]), rootA, sumSig)).toBe(true);
    expect(verifyPartials(list)).toMatchObject({ ok: false, bad: [0, 1] });
  });
});
