import { type Job, UnrecoverableError } from "bullmq";
import type { z } from "zod";
import { createWorker, type QueueBackend } from "./connection";
import type { JobDefinition } from "./jobs";

export interface JobLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface JobHandlerContext {
  jobId: string;
  attempt: number;
}

/**
 * A BullMQ worker for one job definition. The payload is validated before the handler runs; an
 * invalid payload fails the job at once (no retries: retrying cannot fix it). Handler errors are
 * retried with the definition's exponential backoff.
 */
export function startWorker<S extends z.ZodType, R>(
  backend: QueueBackend,
  def: JobDefinition<S>,
  handler: (payload: z.infer<S>, ctx: JobHandlerContext) => Promise<R>,
  { concurrency = 1, logger }: { concurrency?: number; logger?: JobLogger } = {},
) {
  const processor = async (job: Job) => {
    if (job.name !== def.name) throw new UnrecoverableError(`unknown job ${job.name} on queue ${def.queue}`);
    const parsed = def.payload.safeParse(job.data);
    if (!parsed.success) {
      throw new UnrecoverableError(
        `${def.name}: invalid payload: ${parsed.error.issues.map((i) => `${i.path.join(".")} ${i.message}`).join("; ")}`,
      );
    }
    return handler(parsed.data, { jobId: job.id!, attempt: job.attemptsMade + 1 });
  };
  const worker = createWorker(backend, def.queue, processor, { concurrency });
  worker.on("completed", (job) =>
    logger?.info({ job: def.name, jobId: job.id, attempt: job.attemptsMade }, "job completed"),
  );
  worker.on("failed", (job, err) =>
    logger?.warn(
      { job: def.name, jobId: job?.id, attempt: job?.attemptsMade, err: err.message },
      job && job.attemptsMade < (job.opts.attempts ?? 1) ? "job failed, will retry" : "job failed for good",
    ),
  );
  worker.on("error", (err) => logger?.error({ job: def.name, err: err.message }, "worker error"));
  return {
    worker,
    async close() {
      await worker.close();
    },
  };
}
