import type { Services } from "@cohort/domain";
import type { Logger } from "@cohort/logger";
import { jobs, type QueueBackend, startWorker } from "@cohort/queue";

/**
 * Starts every BullMQ processor. Each one parses its payload (done by startWorker) and calls one
 * domain service; nothing else lives here.
 */
export function startWorkers({
  backend,
  services,
  logger,
}: {
  backend: QueueBackend;
  services: Services;
  logger: Logger;
}) {
  const workers = [
    startWorker(
      backend,
      jobs.rosterRecompute,
      async ({ clusterId }) => services.clusters.recomputeRoster(clusterId),
      { logger },
    ),
  ];
  return {
    workers: workers.map((w) => w.worker),
    async close() {
      await Promise.all(workers.map((w) => w.close()));
    },
  };
}
