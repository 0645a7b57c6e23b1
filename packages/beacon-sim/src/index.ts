export * from "./chain";
export * from "./recorder";
export * from "./rewards";
export * from "./server";
export * from "./start";
export * from "./validators";
