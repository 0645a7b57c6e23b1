import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { bytesToHex, hexToBytes } from "./bytes";
import { initTbls, loadHerumi, toHerumiId, withBlstValidatedPoints } from "./herumi";
import { generateSecretKey, secretToPublicKey } from "./secretKey";
import { bytesToScalar, randomScalar, recoverSecret, scalarToBytes, splitSecret } from "./shamir";
import { sign } from "./sign";
import { thresholdAggregate } from "./threshold";

/** A `random` for splitSecret that hands out exactly these 32-byte values, in order. */
const feeding = (values: bigint[]) => {
  const queue = values.map(scalarToBytes);
  return () => {
    const next = queue.shift();
    if (next === undefined) throw new Error("splitSecret asked for more randomness than expected");
    return next;
  };
};

describe("herumi (bls-eth-wasm) as the interpolation backend", () => {
  it("initialises once, concurrently", async () => {
    const [a, b] = await Promise.all([loadHerumi(), loadHerumi()]);
    expect(a).toBe(b);
    await initTbls();
  });

  it.each([
    [3, 4],
    [7, 10],
  ])("SecretKey.share matches the bigint Shamir split byte for byte (%i-of-%i)", async (t, n) => {
    const herumi = await loadHerumi();
    const coefficients = Array.from({ length: t }, () => randomScalar());
    const bigintShares = splitSecret(coefficients[0]!, t, n, feeding(coefficients.slice(1)));
    const msk = coefficients.map((c) => {
      const k = new herumi.SecretKey();
      k.deserialize(scalarToBytes(c));
      return k;
    });
    for (let i = 1; i <= n; i++) {
      const share = new herumi.SecretKey();
      share.share(msk, toHerumiId(herumi, BigInt(i)));
      expect(bytesToHex(share.serialize())).toBe(bytesToHex(scalarToBytes(bigintShares[i - 1]!)));
    }
    // …and herumi's secret recovery agrees with the bigint one.
    const quorum = Array.from({ length: t }, (_, k) => n - k);
    const recovered = new herumi.SecretKey();
    recovered.recover(
      quorum.map((i) => {
        const k = new herumi.SecretKey();
        k.deserialize(scalarToBytes(bigintShares[i - 1]!));
        return k;
      }),
      quorum.map((i) => toHerumiId(herumi, BigInt(i))),
    );
    expect(bytesToScalar(recovered.serialize())).toBe(coefficients[0]);
    expect(recoverSecret(new Map(quorum.map((i) => [i, bigintShares[i - 1]!])))).toBe(coefficients[0]);
  });

  it("restores its subgroup checks after an interpolation", async () => {
    const herumi = await loadHerumi();
    const sk = generateSecretKey();
    const msg = randomBytes(32);
    await thresholdAggregate(new Map([[1, sign(sk, msg)]]));
    // On the curve, outside the subgroup (the deserialization_fails_not_in_G1/G2 vectors): accepted
    // only while the checks are off.
    const notInG2 = hexToBytes(`8123456789abcdef${"0123456789abcdef".repeat(11)}`);
    const notInG1 = hexToBytes(`8123456789abcdef${"0123456789abcdef".repeat(5)}`);
    withBlstValidatedPoints(herumi, () => {
      new herumi.Signature().deserialize(notInG2);
      new herumi.PublicKey().deserialize(notInG1);
    });
    expect(() => new herumi.Signature().deserialize(notInG2)).toThrow();
    expect(() => new herumi.PublicKey().deserialize(notInG1)).toThrow();
    // A valid point still deserialises.
    new herumi.PublicKey().deserialize(secretToPublicKey(sk));
  });
});
