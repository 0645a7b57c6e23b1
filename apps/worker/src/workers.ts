import type { Services } from "@cohort/domain";
import type { Logger } from "@cohort/logger";
import { jobs, type QueueBackend, startWorker } from "@cohort/queue";
import { UnrecoverableError } from "bullmq";

/**
 * notification.deliver: sends one delivery; a failure that a retry can fix is thrown (BullMQ
 * retries with backoff), one that cannot (misconfigured channel, 4xx) fails the job for good.
 */
export const processNotificationDelivery =
  (services: Services) =>
  async ({ deliveryId }: { deliveryId: string }) => {
    const result = await services.notifications.deliver(deliveryId);
    if (result.status === "FAILED") {
      if (result.retry) throw new Error(result.error);
      throw new UnrecoverableError(result.error);
    }
    return result;
  };

/**
 * Starts every BullMQ processor. Each one parses its payload (done by startWorker) and calls one
 * domain service; nothing else lives here.
 */
export function startWorkers({
  backend,
  services,
  logger,
  incidentSweepMs,
  dutySyncMs,
  settlementTickMs,
  jobsPort,
}: {
  /** To chain jobs (ingest → incident evaluation; the duty-sync timer → duties.sync). */
  jobsPort?: {
    evaluateIncidents(clusterId: string, key: string): Promise<void>;
    syncDuties?(clusterId: string, key: string): Promise<void>;
    draftSettlement?(clusterId: string, index: number): Promise<void>;
  };
  backend: QueueBackend;
  services: Services;
  logger: Logger;
  /** Also run the incident detectors over every active cluster on this interval (off when unset). */
  incidentSweepMs?: number;
  /** Enqueue duties.sync for every cluster with a beacon node on this interval (off when unset). */
  dutySyncMs?: number;
  /** Look for finished settlement periods on this interval and queue their drafts (off when unset). */
  settlementTickMs?: number;
}) {
  const workers = [
    startWorker(
      backend,
      jobs.rosterRecompute,
      async ({ clusterId }) => services.clusters.recomputeRoster(clusterId),
      { logger },
    ),
    startWorker(
      backend,
      jobs.incidentEvaluate,
      async ({ clusterId }) => services.incidents.evaluate(clusterId),
      { logger },
    ),
    startWorker(
      backend,
      jobs.incidentEscalate,
      async ({ incidentId }) => services.incidents.escalate(incidentId),
      { logger },
    ),
    startWorker(
      backend,
      jobs.ingestReport,
      async ({ reportId }) => {
        const result = await services.ingest.process(reportId);
        if (result.clusterId && result.status !== "SKIPPED") {
          // New evidence (or a rejected report): let the detectors look; one evaluation per report.
          await jobsPort?.evaluateIncidents(result.clusterId, `report-${reportId}`);
        }
        if (result.status === "REJECTED")
          logger.warn({ reportId, code: result.errorCode }, "agent report rejected");
        return result;
      },
      { logger, concurrency: 2 },
    ),
    startWorker(
      backend,
      jobs.dutiesSync,
      async ({ clusterId, key }) => {
        const result = await services.duties.syncAndSettle(
          clusterId,
          { evaluateIncidents: async (id, k) => jobsPort?.evaluateIncidents(id, k) },
          `duties-${key}`.slice(0, 64),
        );
        if ("error" in result.sync)
          logger.warn({ clusterId, err: result.sync.error }, "duty schedule: beacon node read failed");
        return result;
      },
      { logger },
    ),
    startWorker(
      backend,
      jobs.settlementDraft,
      async ({ clusterId, index }) => {
        const { period, created } = await services.settlement.draft(clusterId, index);
        if (created)
          logger.info(
            { clusterId, index, periodId: period.id, allocatedWei: period.allocatedWei.toFixed() },
            "settlement drafted",
          );
        return { periodId: period.id, created };
      },
      { logger },
    ),
    startWorker(
      backend,
      jobs.settlementSubmit,
      async ({ periodId }) => {
        const result = await services.settlement.submit(periodId);
        if (result.status === "FAILED") logger.warn({ periodId, error: result.error }, "settlement reverted");
        else if (result.txHash) logger.info({ periodId, txHash: result.txHash }, "settlement submitted");
        return result;
      },
      { logger },
    ),
    startWorker(
      backend,
      jobs.settlementConfirm,
      async ({ periodId, key }) => services.settlement.confirm(periodId, key),
      { logger },
    ),
    startWorker(backend, jobs.notificationDeliver, processNotificationDelivery(services), {
      logger,
      concurrency: 4,
    }),
  ];
  let sweeping = false;
  const sweep = incidentSweepMs
    ? setInterval(async () => {
        if (sweeping) return;
        sweeping = true;
        try {
          const r = await services.incidents.evaluateAll();
          if (r.opened || r.resolved || r.failed.length) logger.info(r, "incident sweep");
        } catch (err) {
          logger.warn({ err: String(err) }, "incident sweep failed");
        } finally {
          sweeping = false;
        }
      }, incidentSweepMs)
    : null;
  sweep?.unref();
  // Expected duties: one duties.sync job per cluster with a beacon node per tick (key = the tick).
  const dutyTimer =
    dutySyncMs && jobsPort?.syncDuties
      ? setInterval(async () => {
          try {
            const tick = String(Math.floor(Date.now() / dutySyncMs));
            for (const id of await services.duties.clustersToSync()) await jobsPort.syncDuties!(id, tick);
          } catch (err) {
            logger.warn({ err: String(err) }, "duty sync tick failed");
          }
        }, dutySyncMs)
      : null;
  dutyTimer?.unref();
  // Settlement periods: queue the draft of every finished period (the job id makes it once per period).
  let ticking = false;
  const settlementTimer =
    settlementTickMs && jobsPort?.draftSettlement
      ? setInterval(async () => {
          if (ticking) return;
          ticking = true;
          try {
            for (const d of await services.settlement.duePeriods())
              await jobsPort.draftSettlement!(d.clusterId, d.index);
          } catch (err) {
            logger.warn({ err: String(err) }, "settlement tick failed");
          } finally {
            ticking = false;
          }
        }, settlementTickMs)
      : null;
  settlementTimer?.unref();
  return {
    workers: workers.map((w) => w.worker),
    async close() {
      if (sweep) clearInterval(sweep);
      if (dutyTimer) clearInterval(dutyTimer);
      if (settlementTimer) clearInterval(settlementTimer);
      await Promise.all(workers.map((w) => w.close()));
    },
  };
}
