export * from "./deadline";
export * from "./types";
