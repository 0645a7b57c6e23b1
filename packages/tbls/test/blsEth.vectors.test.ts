// Conformance runner for ../shared/vectors/bls-eth/<handler>/<case>.json (the bls12-381-tests layout
// {input, output}; `output: null` = the call must fail). Strict, Lodestar-style: every file is run, an
// unknown handler or an input shape the runner does not recognise fails the run, nothing is skipped.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { aggregatePublicKeys, aggregateSignatures } from "../src/aggregate";
import { aggregateVerify, fastAggregateVerify } from "../src/aggregateVerify";
import { bytesToHex, hexToBytes, isInfinityEncoding } from "../src/bytes";
import { isValidG1Point, isValidG2Point, validatePublicKey, validateSignature } from "../src/decode";
import { isTblsError } from "../src/errors";
import { hashToG2 } from "../src/hashToG2";
import { secretToPublicKey } from "../src/secretKey";
import { sign, verify } from "../src/sign";
import { hexField, hexList, record, vectorsRoot } from "./vectors";

/** RFC 9380 test DST for BLS12381G2_XMD:SHA-256_SSWU_RO_ (the hash_to_G2 vectors are the RFC's). */
const QUUX_DST = "QUUX-V01-CS02-with-BLS12381G2_XMD:SHA-256_SSWU_RO_";

type Handler = (input: unknown, output: unknown) => void;

const expectTblsError = (fn: () => unknown, code: string) => {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  expect(isTblsError(thrown), `expected a TblsError ${code}, got ${String(thrown)}`).toBe(true);
  expect((thrown as { code: string }).code).toBe(code);
};

/** Boolean handlers: `null` would also mean "must fail", i.e. false. */
const expectedBool = (output: unknown): boolean => {
  if (output === null) return false;
  if (typeof output !== "boolean")
    throw new Error(`output: expected a boolean or null, got ${JSON.stringify(output)}`);
  return output;
};

const expectedBytesOrNull = (output: unknown): Uint8Array | null =>
  output === null ? null : hexField(output, "output");

const fp2 = (value: unknown, field: string): [bigint, bigint] => {
  if (typeof value !== "string") throw new Error(`${field}: expected "c0,c1", got ${JSON.stringify(value)}`);
  const parts = value.split(",");
  if (parts.length !== 2) throw new Error(`${field}: expected "c0,c1", got ${value}`);
  return [BigInt(bytesToHex(hexToBytes(parts[0]!))), BigInt(bytesToHex(hexToBytes(parts[1]!)))];
};

const HANDLERS: Record<string, Handler> = {
  sign(input, output) {
    const { privkey, message } = record(input, "input", ["privkey", "message"]);
    const sk = hexField(privkey, "privkey");
    const msg = hexField(message, "message");
    const expected = expectedBytesOrNull(output);
    if (expected === null) return expectTblsError(() => sign(sk, msg), "INVALID_SECRET_KEY");
    const sig = sign(sk, msg);
    expect(bytesToHex(sig)).toBe(bytesToHex(expected));
    expect(verify(secretToPublicKey(sk), msg, sig)).toBe(true);
  },
  verify(input, output) {
    const i = record(input, "input", ["pubkey", "message", "signature"]);
    expect(
      verify(
        hexField(i.pubkey, "pubkey"),
        hexField(i.message, "message"),
        hexField(i.signature, "signature"),
      ),
    ).toBe(expectedBool(output));
  },
  aggregate(input, output) {
    const sigs = hexList(input, "input");
    const expected = expectedBytesOrNull(output);
    if (expected === null) {
      let thrown: unknown;
      try {
        aggregateSignatures(sigs);
      } catch (e) {
        thrown = e;
      }
      expect(isTblsError(thrown, "EMPTY_INPUT") || isTblsError(thrown, "INVALID_SIGNATURE")).toBe(true);
      return;
    }
    expect(bytesToHex(aggregateSignatures(sigs))).toBe(bytesToHex(expected));
  },
  fast_aggregate_verify(input, output) {
    const i = record(input, "input", ["pubkeys", "message", "signature"]);
    expect(
      fastAggregateVerify(
        hexList(i.pubkeys, "pubkeys"),
        hexField(i.message, "message"),
        hexField(i.signature, "signature"),
      ),
    ).toBe(expectedBool(output));
  },
  aggregate_verify(input, output) {
    const i = record(input, "input", ["pubkeys", "messages", "signature"]);
    expect(
      aggregateVerify(
        hexList(i.pubkeys, "pubkeys"),
        hexList(i.messages, "messages"),
        hexField(i.signature, "signature"),
      ),
    ).toBe(expectedBool(output));
  },
  eth_aggregate_pubkeys(input, output) {
    const pks = hexList(input, "input");
    const expected = expectedBytesOrNull(output);
    if (expected === null) {
      let thrown: unknown;
      try {
        aggregatePublicKeys(pks);
      } catch (e) {
        thrown = e;
      }
      expect(isTblsError(thrown, "EMPTY_INPUT") || isTblsError(thrown, "INVALID_PUBLIC_KEY")).toBe(true);
      return;
    }
    expect(bytesToHex(aggregatePublicKeys(pks))).toBe(bytesToHex(expected));
  },
  deserialization_G1(input, output) {
    const bytes = hexField(record(input, "input", ["pubkey"]).pubkey, "pubkey");
    const valid = expectedBool(output);
    expect(isValidG1Point(bytes)).toBe(valid);
    // The infinity point is a valid encoding but never a valid public key (KeyValidate).
    if (valid && !isInfinityEncoding(bytes)) validatePublicKey(bytes);
    else expectTblsError(() => validatePublicKey(bytes), "INVALID_PUBLIC_KEY");
  },
  deserialization_G2(input, output) {
    const bytes = hexField(record(input, "input", ["signature"]).signature, "signature");
    const valid = expectedBool(output);
    expect(isValidG2Point(bytes)).toBe(valid);
    if (valid) validateSignature(bytes);
    else expectTblsError(() => validateSignature(bytes), "INVALID_SIGNATURE");
  },
  hash_to_G2(input, output) {
    const { msg } = record(input, "input", ["msg"]);
    if (typeof msg !== "string") throw new Error(`msg: expected an ASCII string, got ${JSON.stringify(msg)}`);
    const o = record(output, "output", ["x", "y"]);
    const point = hashToG2(new TextEncoder().encode(msg), QUUX_DST);
    expect(point.x).toEqual(fp2(o.x, "output.x"));
    expect(point.y).toEqual(fp2(o.y, "output.y"));
  },
};

const root = path.join(vectorsRoot(), "bls-eth");
const entries = readdirSync(root, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name));
const passed = new Map<string, number>();
const total = new Map<string, number>();

describe("bls-eth conformance vectors", () => {
  it("has every handler the runner implements, and nothing else", () => {
    const dirs = entries.filter((e) => e.isDirectory()).map((e) => e.name);
    expect(dirs.sort()).toEqual(Object.keys(HANDLERS).sort());
    expect(entries.filter((e) => !e.isDirectory()).map((e) => e.name)).toEqual([]);
  });

  for (const entry of entries.filter((e) => e.isDirectory())) {
    const handlerName = entry.name;
    const files = readdirSync(path.join(root, handlerName)).sort();
    total.set(handlerName, files.length);
    describe(handlerName, () => {
      const handler = HANDLERS[handlerName];
      if (handler === undefined) {
        it(`unknown handler ${handlerName}`, () => {
          throw new Error(
            `no runner for handler "${handlerName}" (${files.length} case files): implement it`,
          );
        });
        return;
      }
      it("has cases", () => expect(files.length).toBeGreaterThan(0));
      for (const file of files) {
        it(file, () => {
          if (!file.endsWith(".json")) throw new Error(`unexpected non-JSON file ${handlerName}/${file}`);
          const data = record(JSON.parse(readFileSync(path.join(root, handlerName, file), "utf8")), file, [
            "input",
            "output",
          ]);
          handler(data.input, data.output);
          passed.set(handlerName, (passed.get(handlerName) ?? 0) + 1);
        });
      }
    });
  }

  afterAll(() => {
    const lines = [...total].map(([h, n]) => `  ${h.padEnd(24)} ${passed.get(h) ?? 0}/${n}`);
    console.log(`bls-eth vectors passed per handler:\n${lines.join("\n")}`);
  });
});
