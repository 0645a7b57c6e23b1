export * from "./chain";
export * from "./server";
