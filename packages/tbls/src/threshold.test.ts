import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { bytesToHex } from "./bytes";
import { generateSecretKey, secretToPublicKey } from "./secretKey";
import { bytesToScalar, recoverSecret } from "./shamir";
import { sign, verify } from "./sign";
import { publicShares, splitSecretKey, splitSecretKeyInsecureDeterministic } from "./split";
import { partialSign, recoverPublicKey, thresholdAggregate } from "./threshold";

/** Every k-element subset of `items`, in lexicographic order. */
function* subsets<T>(items: readonly T[], k: number, from = 0): Generator<T[]> {
  if (k === 0) {
    yield [];
    return;
  }
  for (let i = from; i <= items.length - k; i++)
    for (const rest of subsets(items, k - 1, i + 1)) yield [items[i]!, ...rest];
}
const pick = <V>(map: ReadonlyMap<number, V>, indices: readonly number[]) =>
  new Map(indices.map((i) => [i, map.get(i)!] as const));
const hex = (b: Uint8Array) => bytesToHex(b);

describe.each([
  [3, 4],
  [5, 7],
  [7, 10],
])("threshold %i-of-%i", (t, n) => {
  const sk = generateSecretKey();
  const groupPk = secretToPublicKey(sk);
  const msg = randomBytes(32);
  const groupSig = sign(sk, msg);
  const shares = splitSecretKey(sk, t, n);
  const pubShares = publicShares(shares);
  const partials = new Map([...shares].map(([i, share]) => [i, partialSign(share, msg)] as const));
  const indices = [...shares.keys()];

  it("gives n distinct valid shares indexed 1..n", () => {
    expect(indices).toEqual(Array.from({ length: n }, (_, k) => k + 1));
    expect(new Set([...shares.values()].map(hex)).size).toBe(n);
    expect(new Set([...pubShares.values()].map(hex)).size).toBe(n);
  });

  it("each partial verifies against its own public share only", () => {
    for (const i of indices) {
      expect(verify(pubShares.get(i)!, msg, partials.get(i)!)).toBe(true);
      expect(verify(pubShares.get((i % n) + 1)!, msg, partials.get(i)!)).toBe(false);
      expect(verify(groupPk, msg, partials.get(i)!)).toBe(false);
    }
  });

  it("every t-subset recovers the group signature, public key and secret", async () => {
    let count = 0;
    for (const subset of subsets(indices, t)) {
      const aggregate = await thresholdAggregate(pick(partials, subset));
      expect(hex(aggregate), `subset ${subset}`).toBe(hex(groupSig));
      expect(hex(await recoverPublicKey(pick(pubShares, subset)))).toBe(hex(groupPk));
      const scalars = new Map(subset.map((i) => [i, bytesToScalar(shares.get(i)!)]));
      expect(recoverSecret(scalars)).toBe(bytesToScalar(sk));
      count++;
    }
    expect(count).toBe(binomial(n, t));
  });

  it("every (t−1)-subset fails to recover", async () => {
    for (const subset of subsets(indices, t - 1)) {
      const aggregate = await thresholdAggregate(pick(partials, subset));
      expect(hex(aggregate)).not.toBe(hex(groupSig));
      expect(verify(groupPk, msg, aggregate)).toBe(false);
      expect(hex(await recoverPublicKey(pick(pubShares, subset)))).not.toBe(hex(groupPk));
    }
  });

  it("all n partials (more than t) interpolate to the same signature", async () => {
    expect(hex(await thresholdAggregate(partials))).toBe(hex(groupSig));
    expect(hex(await recoverPublicKey(pubShares))).toBe(hex(groupPk));
  });

  it("with a threshold, uses exactly the t lowest indices", async () => {
    // A well-formed but wrong partial above the quorum is ignored; inside it, it spoils the result.
    const wrong = partialSign(shares.get(n)!, randomBytes(32));
    const withWrongLast = new Map([...partials, [n, wrong]]);
    expect(hex(await thresholdAggregate(withWrongLast, t))).toBe(hex(groupSig));
    expect(hex(await thresholdAggregate(withWrongLast))).not.toBe(hex(groupSig));
  });
});

describe("splitSecretKeyInsecureDeterministic", () => {
  const sk = generateSecretKey();
  const seed = new TextEncoder().encode("simnet-seed");

  it("is a function of (sk, seed) and still a valid sharing", async () => {
    const a = splitSecretKeyInsecureDeterministic(sk, 3, 5, seed);
    const b = splitSecretKeyInsecureDeterministic(sk, 3, 5, Uint8Array.from(seed));
    const other = splitSecretKeyInsecureDeterministic(sk, 3, 5, new TextEncoder().encode("other"));
    expect([...a.values()].map(hex)).toEqual([...b.values()].map(hex));
    expect(hex(other.get(1)!)).not.toBe(hex(a.get(1)!));
    const msg = randomBytes(32);
    const partials = new Map([...a].map(([i, s]) => [i, partialSign(s, msg)] as const));
    expect(hex(await thresholdAggregate(pick(partials, [2, 4, 5])))).toBe(hex(sign(sk, msg)));
  });

  it("pins its derivation (a change here breaks every stored deterministic fixture)", () => {
    const fixed = new Uint8Array(32);
    fixed[31] = 0x42;
    const shares = splitSecretKeyInsecureDeterministic(fixed, 2, 2, Uint8Array.of(1, 2, 3));
    // f(x) = 0x42 + a1·x, so share2 − share1 = share1 − 0x42 = a1.
    const [s1, s2] = [bytesToScalar(shares.get(1)!), bytesToScalar(shares.get(2)!)];
    expect(
      recoverSecret(
        new Map([
          [1, s1],
          [2, s2],
        ]),
      ),
    ).toBe(0x42n);
    expect(hex(shares.get(1)!)).toMatchInlineSnapshot(
      `"0x130e9b8d9b9b0a20cbfb5012c459307aea2ad73bf5df298559b300d5aa7b7dbb"`,
    );
  });
});

describe("threshold 1", () => {
  it("every share is the secret itself", () => {
    const sk = generateSecretKey();
    for (const share of splitSecretKey(sk, 1, 3).values()) expect(hex(share)).toBe(hex(sk));
  });
});

function binomial(n: number, k: number): number {
  let r = 1;
  for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i;
  return r;
}
