import type { Db } from "@cohort/db";
import { Authz } from "./actor";
import { type AuthConfig, AuthService, defaultAuthConfig } from "./auth/service";
import { ClusterService } from "./clusters/service";
import type { JobsPort } from "./jobs";

export * from "./actor";
export * from "./auth/service";
export * from "./auth/tokens";
export * from "./clusters/service";
export * from "./clusters/typedData";
export * from "./errors";
export * from "./jobs";
export * from "./validation";

export interface Services {
  authz: Authz;
  auth: AuthService;
  clusters: ClusterService;
}

/** Builds every domain service over one database client and a jobs port. */
export function createServices({
  db,
  jobs,
  auth = defaultAuthConfig,
  now = () => new Date(),
}: {
  db: Db;
  jobs: JobsPort;
  auth?: AuthConfig;
  now?: () => Date;
}): Services {
  const authz = new Authz(db);
  return {
    authz,
    auth: new AuthService(db, authz, auth, now),
    clusters: new ClusterService(db, authz, jobs, now),
  };
}
