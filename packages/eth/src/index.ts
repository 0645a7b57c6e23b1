export * from "./deposit";
export * from "./duties";
export * from "./errors";
export { type BytesLike, bytesToHex, type Hex, hexToBytes } from "./hex";
export * from "./json";
export * from "./keystore";
export * from "./networks";
export * from "./signing";
export * from "./withdrawal";
