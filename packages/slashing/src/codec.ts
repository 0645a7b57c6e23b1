import { SlashingProtectionError } from "./errors.ts";

export const U64_MAX = (1n << 64n) - 1n;

/** Anything accepted as a slot/epoch: a non-negative integer up to 2^64-1. */
export type U64Input = number | bigint | string;
/** A byte string given either as 0x-hex or raw bytes. */
export type BytesInput = string | Uint8Array;

export function toU64(value: U64Input, field: string): bigint {
  let v: bigint;
  if (typeof value === "bigint") v = value;
  else if (typeof value === "number") {
    if (!Number.isSafeInteger(value)) throw invalid(`${field} must be a safe integer, got ${value}`);
    v = BigInt(value);
  } else {
    if (!/^\d+$/.test(value)) throw invalid(`${field} must be a decimal integer string, got "${value}"`);
    v = BigInt(value);
  }
  if (v < 0n || v > U64_MAX) throw invalid(`${field} out of u64 range: ${v}`);
  return v;
}

/** Normalises to lowercase 0x-prefixed hex of exactly `length` bytes. */
export function toHex(value: BytesInput, length: number, field: string): string {
  let hex: string;
  if (typeof value === "string") {
    if (!/^0x[0-9a-fA-F]*$/.test(value)) throw invalid(`${field} must be 0x-prefixed hex`);
    hex = value.slice(2).toLowerCase();
  } else {
    hex = Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("hex");
  }
  if (hex.length !== length * 2) throw invalid(`${field} must be ${length} bytes, got ${hex.length / 2}`);
  return `0x${hex}`;
}

/** Fixed-width, lexicographically ordered encoding of a u64 for use inside keys. */
export function u64Key(v: bigint): string {
  return v.toString(16).padStart(16, "0");
}

export function parseU64Key(s: string): bigint {
  return BigInt(`0x${s}`);
}

function invalid(message: string): SlashingProtectionError {
  return new SlashingProtectionError("INVALID_INPUT", message);
}
