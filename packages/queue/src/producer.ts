import type { Queue } from "bullmq";
import type { z } from "zod";
import { createQueue, type QueueBackend } from "./connection";
import { type JobDefinition, jobs } from "./jobs";

export class JobPayloadError extends Error {
  override readonly name = "JobPayloadError";
}

/** Enqueues jobs by definition; payloads are validated before they reach the queue. */
export class JobProducer {
  private readonly queues = new Map<string, Queue>();

  constructor(private readonly backend: QueueBackend) {}

  private queue(name: string): Queue {
    let q = this.queues.get(name);
    if (!q) {
      q = createQueue(this.backend, name);
      this.queues.set(name, q);
    }
    return q;
  }

  /** Adds a job; returns its id. Adding the same logical job twice returns the existing id. */
  async enqueue<S extends z.ZodType>(
    def: JobDefinition<S>,
    payload: z.input<S>,
    { delayMs }: { delayMs?: number } = {},
  ): Promise<string> {
    const parsed = def.payload.safeParse(payload);
    if (!parsed.success) {
      throw new JobPayloadError(
        `${def.name}: invalid payload: ${parsed.error.issues.map((i) => `${i.path.join(".")} ${i.message}`).join("; ")}`,
      );
    }
    const job = await this.queue(def.queue).add(def.name, parsed.data, {
      jobId: def.jobId(parsed.data),
      attempts: def.attempts,
      backoff: { type: "exponential", delay: def.backoffMs },
      ...(delayMs ? { delay: delayMs } : {}),
      removeOnComplete: { age: 24 * 3600, count: 10_000 },
      removeOnFail: { age: 7 * 24 * 3600 },
    });
    return job.id!;
  }

  /** For readiness probes: resolves when the backend answers. */
  async ping(queueName: string): Promise<void> {
    await this.queue(queueName).getJobCounts("waiting");
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.close()));
    this.queues.clear();
  }
}

/**
 * The domain's jobs port (`JobsPort` in @cohort/domain, matched structurally so this package does
 * not depend on the domain) implemented with a producer.
 */
export function jobsPortFor(producer: JobProducer) {
  return {
    rosterChanged: async (clusterId: string, rosterVersion: number) => {
      await producer.enqueue(jobs.rosterRecompute, { clusterId, rosterVersion });
    },
    deliverNotification: async (deliveryId: string) => {
      await producer.enqueue(jobs.notificationDeliver, { deliveryId });
    },
    scheduleEscalation: async (incidentId: string, delayMs: number) => {
      await producer.enqueue(jobs.incidentEscalate, { incidentId }, { delayMs });
    },
    evaluateIncidents: async (clusterId: string, key: string) => {
      await producer.enqueue(jobs.incidentEvaluate, { clusterId, key });
    },
    ingestReport: async (reportId: string) => {
      await producer.enqueue(jobs.ingestReport, { reportId });
    },
    syncDuties: async (clusterId: string, key: string) => {
      await producer.enqueue(jobs.dutiesSync, { clusterId, key });
    },
    draftSettlement: async (clusterId: string, index: number) => {
      await producer.enqueue(jobs.settlementDraft, { clusterId, index });
    },
    submitSettlement: async (periodId: string, key: string) => {
      await producer.enqueue(jobs.settlementSubmit, { periodId, key });
    },
    confirmSettlement: async (periodId: string, key: string, delayMs: number) => {
      await producer.enqueue(jobs.settlementConfirm, { periodId, key }, { delayMs });
    },
  };
}
