export * from "./connection";
export * from "./events";
export * from "./jobs";
export * from "./producer";
export * from "./worker";
