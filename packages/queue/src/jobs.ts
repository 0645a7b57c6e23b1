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

export const QUEUES = { roster: "roster" } as const;

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
} as const;

export type JobName = (typeof jobs)[keyof typeof jobs]["name"];
