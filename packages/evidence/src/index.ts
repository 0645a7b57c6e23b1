export * from "./message";
export * from "./report";
