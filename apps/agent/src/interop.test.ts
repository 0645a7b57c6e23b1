import { SecretKey } from "@chainsafe/blst";
import { describe, expect, it } from "vitest";
import { interopSecretKey, parseInteropRange } from "./interop";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

describe("interop validator keys", () => {
  it("match the well-known devnet genesis keys", () => {
    expect(hex(interopSecretKey(0))).toBe("25295f0d1d592a90b333e26e85149708208e9f8e8bc18f6c77bd62f8ad7a6866");
    expect(hex(SecretKey.fromBytes(interopSecretKey(0)).toPublicKey().toBytes())).toBe(
      "a99a76ed7796f7be22d5b7e85deeb7c5677e88e511e0b337618f8c4eb61349b4bf2d153f649f7b53359fe8b94a38e44c",
    );
  });

  it("parses ranges inclusively and refuses malformed ones", () => {
    expect(parseInteropRange("interop:2..4")).toEqual([2, 3, 4]);
    expect(() => parseInteropRange("interop:4..2")).toThrow(/4 < 2|2 < 4/);
    expect(() => parseInteropRange("0..3")).toThrow(/interop:<from>\.\.<to>/);
  });
});
