import type { Db, Sql } from "@cohort/db";
import { Authz } from "./actor";
import { type AuthConfig, AuthService, defaultAuthConfig } from "./auth/service";
import { ClusterService } from "./clusters/service";
import { DashboardService } from "./dashboard/service";
import { DutyScheduleService } from "./duties/service";
import { type EventsPort, noEvents } from "./events";
import { IncidentService } from "./incidents/service";
import { IngestService } from "./ingest/service";
import type { JobsPort } from "./jobs";
import { type ChannelSenders, defaultSenders } from "./notifications/channels";
import { NotificationService } from "./notifications/service";
import { OnCallService } from "./oncall/service";
import { ParticipationService } from "./participation/service";
import { type SettlementOptions, SettlementService } from "./settlement/service";

export * from "./actor";
export * from "./auth/service";
export * from "./auth/tokens";
export * from "./clusters/lock";
export * from "./clusters/service";
export * from "./clusters/typedData";
export * from "./dashboard/service";
export * from "./duties/service";
export * from "./errors";
export * from "./events";
export * from "./incidents/detect";
export * from "./incidents/service";
export * from "./ingest/service";
export * from "./jobs";
export * from "./notifications/channels";
export * from "./notifications/service";
export * from "./oncall/service";
export * from "./participation/service";
export * from "./settlement/service";
export * from "./validation";

export interface Services {
  authz: Authz;
  auth: AuthService;
  clusters: ClusterService;
  incidents: IncidentService;
  onCall: OnCallService;
  notifications: NotificationService;
  ingest: IngestService;
  participation: ParticipationService;
  duties: DutyScheduleService;
  dashboard: DashboardService;
  settlement: SettlementService;
}

/** Builds every domain service over one database client and a jobs port. */
export function createServices({
  db,
  jobs,
  auth = defaultAuthConfig,
  now = () => new Date(),
  events = noEvents,
  senders = defaultSenders(),
  sql,
  settlement = {},
}: {
  db: Db;
  /** postgres.js for the ingest bulk path (COPY); only the worker needs it. */
  sql?: Sql;
  jobs: JobsPort;
  auth?: AuthConfig;
  now?: () => Date;
  /** Live updates (the API's SSE endpoint); dropped when not given. */
  events?: EventsPort;
  /** How each notification channel kind is sent. */
  senders?: ChannelSenders;
  /** The chain settlements are read from and submitted to (the worker's), and confirmation depth. */
  settlement?: SettlementOptions;
}): Services {
  const authz = new Authz(db);
  const onCall = new OnCallService(db, authz, now);
  const notifications = new NotificationService(db, authz, jobs, onCall, senders, now);
  return {
    onCall,
    notifications,
    incidents: new IncidentService(db, authz, jobs, events, onCall, notifications, now),
    authz,
    auth: new AuthService(db, authz, auth, now),
    clusters: new ClusterService(db, authz, jobs, now),
    ingest: new IngestService(db, sql, (id) => jobs.ingestReport(id), now, events),
    participation: new ParticipationService(db, authz),
    duties: new DutyScheduleService(db, authz, sql, now),
    dashboard: new DashboardService(db, authz, now, events),
    settlement: new SettlementService(db, authz, jobs, events, settlement, now),
  };
}
