export * from "./backends";
