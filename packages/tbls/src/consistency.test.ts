import { describe, expect, it } from "vitest";
import { publicSharesConsistent } from "./consistency";
import { generateSecretKey, secretToPublicKey } from "./secretKey";
import { publicShares, splitSecretKey } from "./split";

const sharing = (t: number, n: number) => publicShares(splitSecretKey(generateSecretKey(), t, n));

describe("publicSharesConsistent", () => {
  it.each([
    [3, 4],
    [5, 7],
    [7, 10],
  ])("is true for a real %i-of-%i split", async (t, n) => {
    expect(await publicSharesConsistent(sharing(t, n), t)).toBe(true);
  });

  it("is false when any one share is replaced, in or outside the interpolation basis", async () => {
    const shares = sharing(3, 5);
    for (const index of shares.keys()) {
      const tampered = new Map(shares).set(index, secretToPublicKey(generateSecretKey()));
      expect(await publicSharesConsistent(tampered, 3), `share ${index} replaced`).toBe(false);
    }
  });

  it("is false when two shares swap indices", async () => {
    const shares = sharing(3, 4);
    const swapped = new Map(shares).set(2, shares.get(4)!).set(4, shares.get(2)!);
    expect(await publicSharesConsistent(swapped, 3)).toBe(false);
  });

  it("is false for shares mixed from two sharings", async () => {
    const [a, b] = [sharing(3, 4), sharing(3, 4)];
    expect(
      await publicSharesConsistent(new Map([...a].map(([i, pk]) => [i, i <= 2 ? pk : b.get(i)!])), 3),
    ).toBe(false);
  });

  it("tells the degree: a 4-of-6 sharing is not 3-of-6, and is 4-of-6", async () => {
    const shares = sharing(4, 6);
    expect(await publicSharesConsistent(shares, 3)).toBe(false);
    expect(await publicSharesConsistent(shares, 4)).toBe(true);
    // A lower-degree polynomial is also of degree ≤ t−1 for a larger t.
    expect(await publicSharesConsistent(sharing(2, 6), 4)).toBe(true);
  });

  it("handles gaps and any insertion order", async () => {
    const shares = sharing(3, 7);
    const gappy = new Map([7, 1, 4, 3, 6].map((i) => [i, shares.get(i)!] as const));
    expect(await publicSharesConsistent(gappy, 3)).toBe(true);
    expect(await publicSharesConsistent([...gappy].reverse(), 3)).toBe(true);
  });

  it("is trivially true for exactly t valid shares", async () => {
    const random = new Map([1, 2, 3].map((i) => [i, secretToPublicKey(generateSecretKey())] as const));
    expect(await publicSharesConsistent(random, 3)).toBe(true);
  });
});
