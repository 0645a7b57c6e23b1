/**
 * What the domain asks of the background job system. The domain never imports BullMQ; the
 * composition roots (api, worker) implement this port with `@cohort/queue`.
 */
export interface JobsPort {
  /** Membership of a cluster changed (an operator accepted, was added or removed). */
  rosterChanged(clusterId: string, rosterVersion: number): Promise<void>;
}

/** A JobsPort that drops everything: for scripts that must not enqueue (e.g. seeding). */
export const noJobs: JobsPort = { rosterChanged: async () => {} };
