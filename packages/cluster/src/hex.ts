import { hexToBytes } from "@cohort/tbls";
import { toHex } from "viem";

/**
 * The two hex conventions of Charon's cluster JSON that the generic helpers (`@cohort/tbls`'s
 * `bytesToHex`/`hexToBytes`/`bytesEqual`, viem's `toHex`/`pad`) do not cover.
 */

/** 0x-prefixed lower-case hex, or "" for empty bytes (as Charon writes empty byte fields). */
export const to0xHex = (b: Uint8Array): string => (b.length === 0 ? "" : toHex(b));

/** Charon's `ethHex`: an optional lower-case "0x", then pairs of hex digits in either case. */
const CHARON_HEX_RE = /^(0x)?([0-9a-fA-F]{2})*$/;

/**
 * Decodes hex the way Charon's JSON decoder does (optional 0x prefix, an even number of hex digits of
 * either case). Returns undefined when malformed.
 */
export function decodeHex(s: string): Uint8Array | undefined {
  return CHARON_HEX_RE.test(s) ? hexToBytes(s) : undefined;
}
