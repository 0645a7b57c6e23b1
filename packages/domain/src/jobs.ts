/**
 * What the domain asks of the background job system. The domain never imports BullMQ; the
 * composition roots (api, worker) implement this port with `@cohort/queue`.
 */
export interface JobsPort {
  /** Membership of a cluster changed (an operator accepted, was added or removed). */
  rosterChanged(clusterId: string, rosterVersion: number): Promise<void>;
  /** A notification delivery row was written; send it (with retries) in the background. */
  deliverNotification(deliveryId: string): Promise<void>;
  /** An incident opened: check after `delayMs` whether it was acknowledged, else escalate. */
  scheduleEscalation(incidentId: string, delayMs: number): Promise<void>;
  /**
   * New evidence for a cluster (an ingest batch was written): run the incident detectors. `key`
   * makes it idempotent per batch or timer tick ([A-Za-z0-9_-], ≤ 64 characters).
   */
  evaluateIncidents(clusterId: string, key: string): Promise<void>;
  /** An agent report was stored (QUEUED): verify and apply it in the background. */
  ingestReport(reportId: string): Promise<void>;
  /** Read a cluster's expected duties from its beacon node and settle the due ones (timer tick `key`). */
  syncDuties(clusterId: string, key: string): Promise<void>;
  /** A settlement period ended: compute and store its draft (idempotent per period). */
  draftSettlement(clusterId: string, index: number): Promise<void>;
  /** A settlement has its threshold of approvals: submit it on-chain (attempt `key`). */
  submitSettlement(periodId: string, key: string): Promise<void>;
  /** Count a submitted settlement's confirmations after `delayMs` (attempt `key`). */
  confirmSettlement(periodId: string, key: string, delayMs: number): Promise<void>;
}

/** A JobsPort that drops everything: for scripts that must not enqueue (e.g. seeding). */
export const noJobs: JobsPort = {
  rosterChanged: async () => {},
  deliverNotification: async () => {},
  scheduleEscalation: async () => {},
  evaluateIncidents: async () => {},
  ingestReport: async () => {},
  syncDuties: async () => {},
  draftSettlement: async () => {},
  submitSettlement: async () => {},
  confirmSettlement: async () => {},
};
