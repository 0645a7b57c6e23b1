// @cohort/tbls — threshold BLS for Ethereum (BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_).
// All keys and signatures are Uint8Array: public key 48 B, signature 96 B (compressed), secret 32 B
// big-endian. blst does the BLS work; herumi (wasm) only the Lagrange interpolation, behind async
// functions that initialise it lazily (`await initTbls()` at start-up to pre-pay ~70 ms).
export * from "./aggregate";
export * from "./aggregateVerify";
export * from "./batchVerify";
export {
  bytesEqual,
  bytesToHex,
  ETH_DST,
  hexToBytes,
  PUBLIC_KEY_LENGTH,
  SECRET_KEY_LENGTH,
  SIGNATURE_LENGTH,
} from "./bytes";
export * from "./consistency";
export { isValidG1Point, isValidG2Point, validatePublicKey, validateSignature } from "./decode";
export * from "./errors";
export * from "./hashToG2";
export { initTbls } from "./herumi";
export { generateSecretKey, secretToPublicKey } from "./secretKey";
export * from "./shamir";
export { assertShareIndex, assertThreshold, MAX_SHARE_INDEX, type ShareEntries } from "./shares";
export { sign, verify } from "./sign";
export * from "./split";
export { partialSign, recoverPublicKey, thresholdAggregate } from "./threshold";
