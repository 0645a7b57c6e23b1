/** Length of a secret key: a big-endian scalar of Fr. */
export const SECRET_KEY_LENGTH = 32;
/** Length of a compressed G1 point (public key). */
export const PUBLIC_KEY_LENGTH = 48;
/** Length of a compressed G2 point (signature). */
export const SIGNATURE_LENGTH = 96;

/**
 * Ethereum's domain separation tag for hashing messages to G2
 * (ciphersuite `BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_`).
 */
export const ETH_DST = "BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_";

/**
 * Decodes hex with or without a `0x` prefix. Throws `TypeError` on odd length or a non-hex digit
 * (no silent truncation, unlike `Buffer.from(s, "hex")`).
 *
 * @example hexToBytes("0xabcd") // Uint8Array [0xab, 0xcd]
 */
export function hexToBytes(hex: string): Uint8Array {
  const digits = hex.startsWith("0x") || hex.startsWith("0X") ? hex.slice(2) : hex;
  if (digits.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(digits)) {
    throw new TypeError(`not an even-length hex string: ${JSON.stringify(hex.slice(0, 20))}…`);
  }
  return Uint8Array.from(Buffer.from(digits, "hex"));
}

/**
 * Lower-case hex of `bytes`, `0x`-prefixed unless `prefix` is false.
 *
 * @example bytesToHex(Uint8Array.of(1, 2)) // "0x0102"
 */
export function bytesToHex(bytes: Uint8Array, prefix = true): string {
  const hex = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
  return prefix ? `0x${hex}` : hex;
}

/** Constant-time-ish byte equality (length leaks; content comparison does not short-circuit). */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/** True iff `bytes` is the canonical compressed encoding of the point at infinity (0xc0, then zeros). */
export function isInfinityEncoding(bytes: Uint8Array): boolean {
  if (bytes.length === 0 || bytes[0] !== 0xc0) return false;
  for (let i = 1; i < bytes.length; i++) if (bytes[i] !== 0) return false;
  return true;
}
