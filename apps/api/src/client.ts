// The portal's own client helpers live in @cohort/portal-client (the agent's CLI uses them too,
// without depending on the portal); re-exported here for existing imports.
export * from "@cohort/portal-client";
