export * from "./agentRun";
export * from "./cli";
export * from "./cluster/create";
export * from "./cluster/verify";
export * from "./devnet";
export * from "./interop";
