import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { aggregatePublicKeys, aggregateSignatures } from "./aggregate";
import { hexToBytes } from "./bytes";
import { publicSharesConsistent } from "./consistency";
import { validatePublicKey, validateSignature } from "./decode";
import { isTblsError, type TblsErrorCode } from "./errors";
import { hashToG2 } from "./hashToG2";
import { generateSecretKey, secretToPublicKey } from "./secretKey";
import { FR_ORDER, scalarToBytes } from "./shamir";
import { sign } from "./sign";
import { publicShares, splitSecretKey, splitSecretKeyInsecureDeterministic } from "./split";
import { partialSign, recoverPublicKey, thresholdAggregate } from "./threshold";

async function codeOf(fn: () => unknown): Promise<TblsErrorCode | string> {
  try {
    await fn();
  } catch (e) {
    return isTblsError(e) ? e.code : `not a TblsError: ${String(e)}`;
  }
  return "did not throw";
}

const sk = generateSecretKey();
const pk = secretToPublicKey(sk);
const msg = randomBytes(32);
const sig = sign(sk, msg);
const shares = splitSecretKey(sk, 3, 4);
const pubShares = publicShares(shares);
const INFINITY_PK = hexToBytes(`c0${"00".repeat(47)}`);

describe("TblsError codes", () => {
  const cases: Array<[string, TblsErrorCode, () => unknown]> = [
    ["zero secret key", "INVALID_SECRET_KEY", () => sign(new Uint8Array(32), msg)],
    ["secret key = r", "INVALID_SECRET_KEY", () => sign(scalarToBytes(FR_ORDER), msg)],
    ["31-byte secret key", "INVALID_SECRET_KEY", () => secretToPublicKey(new Uint8Array(31).fill(1))],
    ["message not bytes", "INVALID_MESSAGE", () => sign(sk, "hello" as unknown as Uint8Array)],
    ["hashToG2 message not bytes", "INVALID_MESSAGE", () => hashToG2("abc" as unknown as Uint8Array, "DST")],
    ["infinity public key", "INVALID_PUBLIC_KEY", () => validatePublicKey(INFINITY_PK)],
    [
      "infinity public key again (failures are not cached)",
      "INVALID_PUBLIC_KEY",
      () => validatePublicKey(INFINITY_PK),
    ],
    ["47-byte public key", "INVALID_PUBLIC_KEY", () => validatePublicKey(pk.subarray(1))],
    ["uncompressed-length public key", "INVALID_PUBLIC_KEY", () => validatePublicKey(new Uint8Array(96))],
    [
      "off-curve signature",
      "INVALID_SIGNATURE",
      () => validateSignature(Uint8Array.from(sig).fill(0xff, 90)),
    ],
    ["aggregate nothing", "EMPTY_INPUT", () => aggregateSignatures([])],
    ["aggregate no keys", "EMPTY_INPUT", () => aggregatePublicKeys([])],
    ["aggregate the infinity key", "INVALID_PUBLIC_KEY", () => aggregatePublicKeys([pk, INFINITY_PK])],
    ["aggregate a bad signature", "INVALID_SIGNATURE", () => aggregateSignatures([sig, new Uint8Array(96)])],
    ["split t > n", "INVALID_THRESHOLD", () => splitSecretKey(sk, 5, 4)],
    ["split t = 0", "INVALID_THRESHOLD", () => splitSecretKey(sk, 0, 4)],
    ["split fractional n", "INVALID_THRESHOLD", () => splitSecretKey(sk, 2, 4.5)],
    ["split the zero key", "INVALID_SECRET_KEY", () => splitSecretKey(new Uint8Array(32), 2, 3)],
    ["empty seed", "INVALID_SEED", () => splitSecretKeyInsecureDeterministic(sk, 2, 3, new Uint8Array(0))],
    [
      "public share of a bad share",
      "INVALID_SECRET_KEY",
      () => publicShares(new Map([[1, new Uint8Array(32)]])),
    ],
    ["partial sign with zero share", "INVALID_SECRET_KEY", () => partialSign(new Uint8Array(32), msg)],
    ["aggregate no partials", "INSUFFICIENT_SHARES", () => thresholdAggregate(new Map())],
    ["fewer partials than t", "INSUFFICIENT_SHARES", () => thresholdAggregate(new Map([[1, sig]]), 3)],
    ["share index 0", "INVALID_SHARE_INDEX", () => thresholdAggregate(new Map([[0, sig]]))],
    ["share index -1", "INVALID_SHARE_INDEX", () => recoverPublicKey(new Map([[-1, pk]]))],
    ["share index 1.5", "INVALID_SHARE_INDEX", () => recoverPublicKey(new Map([[1.5, pk]]))],
    ["share index 2^31", "INVALID_SHARE_INDEX", () => recoverPublicKey(new Map([[2 ** 31, pk]]))],
    [
      "duplicate share index",
      "DUPLICATE_SHARE_INDEX",
      () =>
        thresholdAggregate([
          [1, sig],
          [1, sig],
        ]),
    ],
    [
      "bad partial signature",
      "INVALID_SIGNATURE",
      () => thresholdAggregate(new Map([[1, new Uint8Array(96)]])),
    ],
    ["bad public share", "INVALID_PUBLIC_KEY", () => recoverPublicKey(new Map([[1, INFINITY_PK]]))],
    ["consistency t = 0", "INVALID_THRESHOLD", () => publicSharesConsistent(pubShares, 0)],
    ["consistency n < t", "INSUFFICIENT_SHARES", () => publicSharesConsistent(pubShares, 5)],
    ["consistency index 0", "INVALID_SHARE_INDEX", () => publicSharesConsistent([[0, pk], ...pubShares], 3)],
    [
      "consistency duplicate",
      "DUPLICATE_SHARE_INDEX",
      () => publicSharesConsistent([...pubShares, [2, pubShares.get(2)!]], 3),
    ],
    [
      "consistency infinity share",
      "INVALID_PUBLIC_KEY",
      () => publicSharesConsistent(new Map([...pubShares, [4, INFINITY_PK]]), 3),
    ],
  ];

  it.each(cases)("%s → %s", async (_name, code, fn) => {
    expect(await codeOf(fn)).toBe(code);
  });

  it("carries structured details, a cause, and never the secret", async () => {
    try {
      aggregateSignatures([sig, sig, new Uint8Array(96)]);
      expect.unreachable();
    } catch (e) {
      expect(isTblsError(e, "INVALID_SIGNATURE")).toBe(true);
      if (!isTblsError(e)) return;
      expect(e.details.index).toBe(2);
      expect(e.cause).toBeDefined();
      expect(e.name).toBe("TblsError");
      expect(e.message.startsWith("INVALID_SIGNATURE: ")).toBe(true);
    }
    const outOfRange = scalarToBytes(FR_ORDER + 12345n);
    try {
      sign(outOfRange, msg);
      expect.unreachable();
    } catch (e) {
      const secretHex = Buffer.from(outOfRange).toString("hex");
      expect(isTblsError(e, "INVALID_SECRET_KEY")).toBe(true);
      expect(`${String(e)} ${JSON.stringify((e as { details: unknown }).details)}`).not.toContain(secretHex);
    }
  });
});
