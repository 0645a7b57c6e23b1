import { describe, expect, it } from "vitest";
import { FR_ORDER, publicKeyHex, randomScalar, recoverSecret, splitSecret } from "./shamir";

describe("Shamir over Fr", () => {
  it("any t of n shares recover the secret, fewer do not", () => {
    const secret = randomScalar();
    const shares = splitSecret(secret, 3, 4);
    for (const subset of [
      [1, 2, 3],
      [1, 2, 4],
      [1, 3, 4],
      [2, 3, 4],
    ]) {
      expect(recoverSecret(new Map(subset.map((i) => [i, shares[i - 1]!])))).toBe(secret);
    }
    expect(
      recoverSecret(
        new Map([
          [1, shares[0]!],
          [2, shares[1]!],
        ]),
      ),
    ).not.toBe(secret);
  });

  it("shares are scalars in Fr and differ from each other", () => {
    const shares = splitSecret(randomScalar(), 5, 7);
    expect(new Set(shares).size).toBe(7);
    for (const s of shares) expect(s > 0n && s < FR_ORDER).toBe(true);
  });

  it("refuses a threshold outside [1, n] and a zero secret", () => {
    expect(() => splitSecret(1n, 5, 4)).toThrow(/threshold 5/);
    expect(() => splitSecret(0n, 2, 3)).toThrow(/non-zero/);
  });

  it("derives the BLS public key of a known secret (blst)", () => {
    // sk = 1 → the G1 generator, compressed.
    expect(publicKeyHex(1n)).toBe(
      "0x97f1d3a73197d7942695638c4fa9ac0fc3688c4f9774b905a14e3a3f171bac586c55e83ff97a1aeffb3af00adb22c6bb",
    );
  });
});
