export * from "./bundle";
export * from "./cluster";
export * from "./merkle";
export * from "./message";
export * from "./reconcile";
export * from "./report";
export * from "./verifyPartials";
