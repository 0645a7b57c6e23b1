export * from "./shamir";
