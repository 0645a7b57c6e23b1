export * from "./connection";
export * from "./jobs";
export * from "./producer";
export * from "./worker";
