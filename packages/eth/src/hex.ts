import { EthError } from "./errors";

/** A `0x`-prefixed hex string. */
export type Hex = `0x${string}`;

/** Bytes, or the same bytes as a hex string (with or without `0x`). */
export type BytesLike = Uint8Array | string;

const HEX_RE = /^[0-9a-fA-F]*$/;

/**
 * Parses hex (with or without `0x`) into bytes, checking the length when `length` is given.
 * `field` names the input in error messages.
 */
export function hexToBytes(hex: string, length?: number, field = "hex"): Uint8Array {
  const body = hex.startsWith("0x") || hex.startsWith("0X") ? hex.slice(2) : hex;
  if (body.length % 2 !== 0 || !HEX_RE.test(body)) {
    throw new EthError("INVALID_HEX", `${field}: not a hex string`, { details: { field } });
  }
  if (length !== undefined && body.length !== length * 2) {
    throw new EthError("INVALID_HEX", `${field}: expected ${length} bytes, got ${body.length / 2}`, {
      details: { field, expected: length, actual: body.length / 2 },
    });
  }
  return Uint8Array.from(Buffer.from(body, "hex"));
}

/** Accepts bytes or hex and returns bytes of exactly `length` bytes (a copy is not guaranteed). */
export function toBytes(value: BytesLike, length: number, field: string): Uint8Array {
  if (typeof value === "string") return hexToBytes(value, length, field);
  if (value.length !== length) {
    throw new EthError("INVALID_HEX", `${field}: expected ${length} bytes, got ${value.length}`, {
      details: { field, expected: length, actual: value.length },
    });
  }
  return value;
}

/** Lower-case `0x`-prefixed hex. */
export function bytesToHex(bytes: Uint8Array): Hex {
  return `0x${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex")}`;
}

/** Lower-case hex without `0x`, as deposit-cli and keystores write it. */
export function bytesToBareHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}

/** Canonical form for comparing hex strings: lower case, `0x`-prefixed. */
export function normalizeHex(hex: string): Hex {
  const body = hex.startsWith("0x") || hex.startsWith("0X") ? hex.slice(2) : hex;
  return `0x${body.toLowerCase()}`;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}
