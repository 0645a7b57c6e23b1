import type { Db } from "@cohort/db";
import type { Actor, ServiceContext, Services } from "@cohort/domain";
import type { Logger } from "@cohort/logger";
import { createLoaders, type Loaders } from "./loaders";

/** Everything a resolver may use, built once per request. */
export interface GraphQLContext extends ServiceContext {
  actor: Actor;
  requestId: string;
  services: Services;
  loaders: Loaders;
  logger: Logger;
}

export function createContext(deps: {
  db: Db;
  services: Services;
  logger: Logger;
  actor: Actor;
  requestId: string;
}): GraphQLContext {
  return {
    actor: deps.actor,
    requestId: deps.requestId,
    roleCache: new Map(),
    services: deps.services,
    loaders: createLoaders(deps.db),
    logger: deps.logger,
  };
}
