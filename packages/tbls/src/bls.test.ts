import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { aggregatePublicKeys, aggregateSignatures } from "./aggregate";
import { aggregateVerify, fastAggregateVerify } from "./aggregateVerify";
import { verifyMultipleSignatures } from "./batchVerify";
import { bytesToHex, ETH_DST, hexToBytes } from "./bytes";
import { isValidG1Point, isValidG2Point } from "./decode";
import { hashToG2 } from "./hashToG2";
import { generateSecretKey, secretToPublicKey } from "./secretKey";
import { scalarToBytes } from "./shamir";
import { sign, verify } from "./sign";

const INFINITY_PK = hexToBytes(`c0${"00".repeat(47)}`);
const INFINITY_SIG = hexToBytes(`c0${"00".repeat(95)}`);
const keypair = () => {
  const sk = generateSecretKey();
  return { sk, pk: secretToPublicKey(sk) };
};

describe("core BLS (blst)", () => {
  const { sk, pk } = keypair();
  const msg = randomBytes(32);
  const sig = sign(sk, msg);

  it("signs and verifies; a fresh key is 32 bytes, pk 48, sig 96", () => {
    expect([sk.length, pk.length, sig.length]).toEqual([32, 48, 96]);
    expect(verify(pk, msg, sig)).toBe(true);
    expect(verify(pk, randomBytes(32), sig)).toBe(false);
    expect(verify(keypair().pk, msg, sig)).toBe(false);
  });

  it("signs messages of any length (the spec hashes them)", () => {
    for (const m of [new Uint8Array(0), randomBytes(1), randomBytes(200)])
      expect(verify(pk, m, sign(sk, m))).toBe(true);
  });

  it("verify-type functions return false, never throw, on garbage", () => {
    const garbage: unknown[] = [
      new Uint8Array(0),
      randomBytes(47),
      randomBytes(48),
      randomBytes(96),
      "0x00",
      null,
      7,
    ];
    for (const g of garbage) {
      const bad = g as Uint8Array;
      expect(verify(bad, msg, sig)).toBe(false);
      expect(verify(pk, msg, bad)).toBe(false);
      expect(verify(pk, bad, sig)).toBe(false);
      expect(fastAggregateVerify([bad], msg, sig)).toBe(false);
      expect(aggregateVerify([bad], [msg], sig)).toBe(false);
      expect(verifyMultipleSignatures([{ publicKey: bad, message: msg, signature: sig }])).toBe(false);
      expect(verifyMultipleSignatures([{ publicKey: pk, message: msg, signature: bad }])).toBe(false);
    }
  });

  it("the infinity public key never verifies, even with the infinity signature", () => {
    expect(isValidG1Point(INFINITY_PK)).toBe(true);
    expect(isValidG2Point(INFINITY_SIG)).toBe(true);
    expect(verify(INFINITY_PK, msg, INFINITY_SIG)).toBe(false);
    expect(fastAggregateVerify([pk, INFINITY_PK], msg, sig)).toBe(false);
    expect(aggregateVerify([pk, INFINITY_PK], [msg, randomBytes(32)], sig)).toBe(false);
  });

  it("aggregate-verify works with a single key (the @chainsafe/bls 8 + blst 2 bug)", () => {
    expect(aggregateVerify([pk], [msg], sig)).toBe(true);
    expect(fastAggregateVerify([pk], msg, sig)).toBe(true);
    expect(aggregateVerify([pk], [randomBytes(32)], sig)).toBe(false);
  });

  it("aggregates and (fast-)aggregate-verifies several signers", () => {
    const signers = [keypair(), keypair(), keypair()];
    const same = aggregateSignatures(signers.map((s) => sign(s.sk, msg)));
    expect(
      fastAggregateVerify(
        signers.map((s) => s.pk),
        msg,
        same,
      ),
    ).toBe(true);
    expect(verify(aggregatePublicKeys(signers.map((s) => s.pk)), msg, same)).toBe(true);
    expect(
      fastAggregateVerify(
        signers.slice(1).map((s) => s.pk),
        msg,
        same,
      ),
    ).toBe(false);

    const msgs = signers.map(() => randomBytes(32));
    const distinct = aggregateSignatures(signers.map((s, i) => sign(s.sk, msgs[i]!)));
    expect(
      aggregateVerify(
        signers.map((s) => s.pk),
        msgs,
        distinct,
      ),
    ).toBe(true);
    expect(
      aggregateVerify(
        signers.map((s) => s.pk),
        msgs.slice(1),
        distinct,
      ),
    ).toBe(false);
    expect(aggregateVerify([], [], INFINITY_SIG)).toBe(false);
    expect(fastAggregateVerify([], msg, INFINITY_SIG)).toBe(false);
  });

  it("batch-verifies 64 sets and rejects a batch with one bad set", () => {
    const sets = Array.from({ length: 64 }, () => {
      const s = keypair();
      const message = randomBytes(32);
      return { publicKey: s.pk, message, signature: sign(s.sk, message) };
    });
    expect(verifyMultipleSignatures(sets)).toBe(true);
    const swapped = sets.map((s, i) => (i === 17 ? { ...s, message: sets[18]!.message } : s));
    expect(verifyMultipleSignatures(swapped)).toBe(false);
    expect(verifyMultipleSignatures([])).toBe(false);
  });

  it("batch-verifies same-message sets (the partials of one duty) and rejects any bad one", () => {
    const signers = Array.from({ length: 5 }, keypair);
    const sets = signers.map((s) => ({ publicKey: s.pk, message: msg, signature: sign(s.sk, msg) }));
    expect(verifyMultipleSignatures(sets)).toBe(true);
    expect(verifyMultipleSignatures(sets.slice(0, 1))).toBe(true);
    const otherMsg = { ...sets[2]!, signature: sign(signers[2]!.sk, randomBytes(32)) };
    expect(verifyMultipleSignatures(sets.map((s, i) => (i === 2 ? otherMsg : s)))).toBe(false);
    const swapped = sets.map((s, i) => (i < 2 ? { ...s, publicKey: sets[1 - i]!.publicKey } : s));
    expect(verifyMultipleSignatures(swapped)).toBe(false);
    expect(
      verifyMultipleSignatures(sets.map((s, i) => (i === 4 ? { ...s, signature: INFINITY_SIG } : s))),
    ).toBe(false);
    expect(
      verifyMultipleSignatures(sets.map((s, i) => (i === 0 ? { ...s, signature: randomBytes(96) } : s))),
    ).toBe(false);
    expect(
      verifyMultipleSignatures(sets.map((s, i) => (i === 3 ? { ...s, publicKey: INFINITY_PK } : s))),
    ).toBe(false);
  });

  it.each([
    ["same message", false],
    ["distinct messages", true],
  ])("batch weights defeat errors that cancel in a plain aggregate (%s)", (_name, distinct) => {
    const [a, b] = [keypair(), keypair()];
    const [ma, mb] = distinct ? [randomBytes(32), randomBytes(32)] : [msg, msg];
    const x = sign(generateSecretKey(), randomBytes(32));
    const minusX = Uint8Array.from(x);
    minusX[0]! ^= 0x20; // flip the sign of y: the compressed encoding of −X
    const sa = aggregateSignatures([sign(a.sk, ma), x]);
    const sb = aggregateSignatures([sign(b.sk, mb), minusX]);
    // Σ σ is still right, so an unweighted check passes…
    expect(aggregateVerify([a.pk, b.pk], [ma, mb], aggregateSignatures([sa, sb]))).toBe(true);
    // …but neither signature is valid, and the randomised batch says so.
    expect(verify(a.pk, ma, sa)).toBe(false);
    expect(
      verifyMultipleSignatures([
        { publicKey: a.pk, message: ma, signature: sa },
        { publicKey: b.pk, message: mb, signature: sb },
      ]),
    ).toBe(false);
  });

  it("hashToG2 with Ethereum's DST is the signature of secret key 1 (noble and blst agree)", () => {
    const one = scalarToBytes(1n);
    for (const m of [new Uint8Array(0), randomBytes(32), new TextEncoder().encode("abc")]) {
      expect(bytesToHex(hashToG2(m, ETH_DST).compressed)).toBe(bytesToHex(sign(one, m)));
    }
  });
});
