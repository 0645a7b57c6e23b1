import { z } from "zod";

/**
 * Every background job: its queue, its name, and the zod schema its payload must satisfy.
 * Producers and workers both go through these definitions, so a payload is validated on the way in
 * and on the way out (a job enqueued by an older version is refused rather than misread).
 */
export interface JobDefinition<S extends z.ZodType> {
  queue: string;
  name: string;
  payload: S;
  /** Deterministic id: enqueuing the same logical job twice yields one job. */
  jobId(payload: z.infer<S>): string;
  attempts: number;
  /** First retry delay; doubles per attempt. */
  backoffMs: number;
}

const define = <S extends z.ZodType>(d: JobDefinition<S>) => d;

export const QUEUES = {
  roster: "roster",
  incidentEvaluate: "incident-evaluate",
  incidentEscalate: "incident-escalate",
  notificationDeliver: "notification-deliver",
  ingest: "ingest",
  dutiesSync: "duties-sync",
  /** One queue per job: a BullMQ worker here processes a single job name. */
  settlementDraft: "settlement-draft",
  settlementSubmit: "settlement-submit",
  settlementConfirm: "settlement-confirm",
} as const;

export const jobs = {
  /** Recompute what follows from a cluster's member roster (e.g. PENDING → ACTIVE once all accepted). */
  rosterRecompute: define({
    queue: QUEUES.roster,
    name: "roster.recompute",
    payload: z.object({ clusterId: z.uuid(), rosterVersion: z.number().int().nonnegative() }),
    // BullMQ custom ids must not contain ':'.
    jobId: (p) => `roster-${p.clusterId}-v${p.rosterVersion}`,
    attempts: 5,
    backoffMs: 1_000,
  }),
  /** Run the incident detectors over a cluster's stored evidence (after an ingest batch, or on a timer). */
  incidentEvaluate: define({
    queue: QUEUES.incidentEvaluate,
    name: "incident.evaluate",
    payload: z.object({ clusterId: z.uuid(), key: z.string().regex(/^[\w-]{1,64}$/) }),
    // One job per (cluster, key): the caller picks the key (a batch id, a timer tick).
    jobId: (p) => `incident-evaluate-${p.clusterId}-${p.key}`,
    attempts: 3,
    backoffMs: 2_000,
  }),
  /** Fired ackTimeoutMinutes after an incident opened: escalate to the SECONDARY if not acknowledged. */
  incidentEscalate: define({
    queue: QUEUES.incidentEscalate,
    name: "incident.escalate",
    payload: z.object({ incidentId: z.uuid() }),
    jobId: (p) => `incident-escalate-${p.incidentId}`,
    attempts: 5,
    backoffMs: 5_000,
  }),
  /** Send one NotificationDelivery (webhook, …); the row records attempts and the last error. */
  notificationDeliver: define({
    queue: QUEUES.notificationDeliver,
    name: "notification.deliver",
    payload: z.object({ deliveryId: z.string().regex(/^\d{1,20}$/) }),
    jobId: (p) => `notification-${p.deliveryId}`,
    attempts: 6,
    backoffMs: 2_000,
  }),
  /** Verify and apply one stored agent report (AgentReport QUEUED → ACCEPTED | REJECTED). */
  ingestReport: define({
    queue: QUEUES.ingest,
    name: "ingest.report",
    payload: z.object({ reportId: z.uuid() }),
    jobId: (p) => `ingest-${p.reportId}`,
    attempts: 8,
    backoffMs: 1_000,
  }),
  /** Read a cluster's expected duties from its beacon node, settle the due ones (on a timer). */
  dutiesSync: define({
    queue: QUEUES.dutiesSync,
    name: "duties.sync",
    payload: z.object({ clusterId: z.uuid(), key: z.string().regex(/^[\w-]{1,64}$/) }),
    jobId: (p) => `duties-sync-${p.clusterId}-${p.key}`,
    attempts: 2,
    backoffMs: 5_000,
  }),
  /** Compute and store the draft settlement of a finished period (idempotent per period). */
  settlementDraft: define({
    queue: QUEUES.settlementDraft,
    name: "settlement.draft",
    payload: z.object({ clusterId: z.uuid(), index: z.number().int().nonnegative() }),
    jobId: (p) => `settlement-draft-${p.clusterId}-${p.index}`,
    attempts: 5,
    backoffMs: 10_000,
  }),
  /** Submit a threshold-approved settlement on-chain (or adopt the one already there). */
  settlementSubmit: define({
    queue: QUEUES.settlementSubmit,
    name: "settlement.submit",
    payload: z.object({ periodId: z.uuid(), key: z.string().regex(/^[\w-]{1,64}$/) }),
    jobId: (p) => `settlement-submit-${p.periodId}-${p.key}`,
    attempts: 5,
    backoffMs: 5_000,
  }),
  /** Count a submitted settlement's confirmations; re-scheduled until it is final. */
  settlementConfirm: define({
    queue: QUEUES.settlementConfirm,
    name: "settlement.confirm",
    payload: z.object({ periodId: z.uuid(), key: z.string().regex(/^[\w-]{1,64}$/) }),
    jobId: (p) => `settlement-confirm-${p.periodId}-${p.key}`,
    attempts: 5,
    backoffMs: 5_000,
  }),
} as const;

export type JobName = (typeof jobs)[keyof typeof jobs]["name"];
