export * from "./accumulate";
export * from "./allocate";
export * from "./amount";
export * from "./errors";
export * from "./policy";
export * from "./types";
