import { toRlp } from "viem";
import { describe, expect, it } from "vitest";
import { ClusterError, createEnr, k1GeneratePrivateKey, k1PublicKey, parseEnr, tryParseEnr } from "../src";
import { hex, readFixture } from "./helpers";

// A Charon node's ENR (operator 2 of the Obol SDK's v1.6 Goerli lock fixture).
const CHARON_ENR: string = JSON.parse(readFixture("obol-sdk/lock_v1_6_0_goerli.json")).cluster_definition
  .operators[2].enr;

const s = (x: string) => new TextEncoder().encode(x);
const enc = (items: Parameters<typeof toRlp>[0]) =>
  `enr:${Buffer.from(toRlp(items, "bytes")).toString("base64url")}`;
const raw = (enr: string) => new Uint8Array(Buffer.from(enr.slice(4), "base64url"));
const text = (bytes: Uint8Array) => `enr:${Buffer.from(bytes).toString("base64url")}`;

describe("ENR", () => {
  it("parses a Charon ENR: key, ip, tcp, udp", () => {
    const enr = parseEnr(CHARON_ENR);
    expect(hex(enr.publicKey)).toBe("030052012a7333a37afc9cba59d42287e10a3d0392026e744acceea09822f224cc");
    expect(enr.ip).toBe("127.0.0.1");
    expect(enr.tcp).toBe(3610);
    expect(enr.udp).toBe(3630);
    expect(enr.seq).toBe(0n);
  });

  it("accepts the '=' padding old Charon versions wrote", () => {
    expect(parseEnr(`${CHARON_ENR}==`).tcp).toBe(3610);
  });

  it("creates records that parse back", () => {
    const key = k1GeneratePrivateKey();
    const plain = parseEnr(createEnr(key));
    expect(plain.publicKey).toEqual(k1PublicKey(key));
    expect(plain.ip).toBeUndefined();
    const full = parseEnr(createEnr(key, { ip: "1.2.3.4", tcp: 8000, udp: 9000 }));
    expect([full.ip, full.tcp, full.udp]).toEqual(["1.2.3.4", 8000, 9000]);
    expect([...full.entries.keys()]).toEqual(["id", "ip", "secp256k1", "tcp", "udp"]);
  });

  it.each([
    ["no prefix", CHARON_ENR.slice(4), "missing 'enr:' prefix"],
    ["bad base64", "enr:!!!!", "invalid base64url"],
    ["tampered content", CHARON_ENR.replace("gmlwhH8AAAG", "gmlwhH8AAAK"), "signature does not verify"],
    ["not RLP", "enr:AAAA", "invalid RLP"],
  ])("rejects %s", (_, text, reason) => {
    try {
      parseEnr(text, "operators[0].enr");
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ClusterError);
      expect((e as ClusterError).code).toBe("invalid_enr");
      expect((e as ClusterError).message).toContain("operators[0].enr: ");
      expect((e as ClusterError).message).toContain(reason);
    }
    expect(tryParseEnr(text)).toBeUndefined();
  });

  it("rejects records without a key, with a non-v4 scheme, or with duplicate keys", () => {
    const sig = new Uint8Array(64);
    expect(() => parseEnr(enc([sig, new Uint8Array(), s("id"), s("v4")]))).toThrow(/missing secp256k1/);
    expect(() => parseEnr(enc([sig, new Uint8Array(), s("id"), s("v5")]))).toThrow(/not v4/);
    expect(() => parseEnr(enc([sig, new Uint8Array(), s("id"), s("v4"), s("id"), s("v4")]))).toThrow(
      /duplicate key/,
    );
  });
});

describe("ENR RLP strictness (viem's codec, ENR rules on top)", () => {
  const sig = new Uint8Array(64);

  it("refuses a nested list, at the top level or as a value", () => {
    expect(() => parseEnr(enc([[sig], new Uint8Array(), s("id"), s("v4")]))).toThrow(/invalid RLP.*nested/);
    expect(() => parseEnr(enc([sig, new Uint8Array(), s("id"), [s("v4")]]))).toThrow(/invalid RLP.*nested/);
  });

  it("refuses a byte string instead of a list, truncated input and bytes after the list", () => {
    expect(() => parseEnr(enc(s("not a list")))).toThrow(/invalid RLP encoding: not an RLP list/);
    const record = raw(CHARON_ENR);
    expect(() => parseEnr(text(record.subarray(0, record.length - 1)))).toThrow(/invalid RLP/);
    expect(() => parseEnr(text(Uint8Array.of(...record, 0)))).toThrow(/invalid RLP/);
  });

  it("re-encodes a Charon record byte for byte (the signed content is viem's RLP of the same items)", () => {
    const key = k1GeneratePrivateKey();
    const record = createEnr(key, { ip: "127.0.0.1", tcp: 3610, udp: 3630 });
    const enr = parseEnr(record);
    const items = [enr.signature, new Uint8Array(), ...[...enr.entries].flatMap(([k, v]) => [s(k), v])];
    expect(enc(items)).toBe(record);
    const charon = parseEnr(CHARON_ENR);
    expect(
      enc([charon.signature, new Uint8Array(), ...[...charon.entries].flatMap(([k, v]) => [s(k), v])]),
    ).toBe(CHARON_ENR);
  });
});
