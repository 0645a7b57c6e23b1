import { randomBytes, randomUUID } from "node:crypto";
import { afterEach, describe, expect, inject, it } from "vitest";
import { createQueue, type QueueBackend } from "./connection";
import { jobs } from "./jobs";
import { JobPayloadError, JobProducer } from "./producer";
import { startWorker } from "./worker";

const waitFor = async (check: () => boolean, ms = 20_000) => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 25));
  }
};

// The same behaviour on Redis (the normal backend) and on BullMQ's PostgreSQL backend (the
// embedded fallback when no Redis is available).
const backends: [string, () => QueueBackend][] = [
  [
    "redis",
    () => ({
      kind: "redis",
      url: inject("redisUrl"),
      prefix: `${inject("queuePrefix")}-${randomBytes(3).toString("hex")}`,
    }),
  ],
  [
    "postgres",
    () => ({ kind: "postgres", url: inject("databaseUrl"), prefix: `q${randomBytes(3).toString("hex")}` }),
  ],
];

describe.each(backends)("BullMQ job round trip on %s", (_name, makeBackend) => {
  const closers: (() => Promise<void>)[] = [];
  // Each test stops its own workers, so no worker of one test takes another test's jobs.
  afterEach(async () => {
    for (const c of closers.reverse()) await c();
    closers.length = 0;
  });

  it("runs a job, retries a failure with backoff, and records the result", async () => {
    const backend = makeBackend();
    const producer = new JobProducer(backend);
    closers.push(() => producer.close());
    const calls: { clusterId: string; attempt: number }[] = [];
    const running = startWorker(backend, jobs.rosterRecompute, async (payload, { attempt }) => {
      calls.push({ clusterId: payload.clusterId, attempt });
      if (attempt === 1) throw new Error("transient failure");
      return { ok: true, attempt };
    });
    closers.push(() => running.close());

    const clusterId = randomUUID();
    const id = await producer.enqueue(jobs.rosterRecompute, { clusterId, rosterVersion: 1 });
    expect(id).toBe(`roster-${clusterId}-v1`);
    await waitFor(() => calls.length >= 2);

    const queue = createQueue(backend, jobs.rosterRecompute.queue);
    closers.push(() => queue.close());
    let job = await queue.getJob(id);
    for (let i = 0; i < 200 && !(await job?.isCompleted()); i++) {
      await new Promise((r) => setTimeout(r, 50));
      job = await queue.getJob(id);
    }
    expect(job?.attemptsMade).toBe(2);
    expect(job?.returnvalue).toEqual({ ok: true, attempt: 2 });
    expect(calls).toEqual([
      { clusterId, attempt: 1 },
      { clusterId, attempt: 2 },
    ]);
  });

  it("enqueuing the same logical job twice yields one job (idempotent ids)", async () => {
    const backend = makeBackend();
    const producer = new JobProducer(backend);
    closers.push(() => producer.close());
    const clusterId = randomUUID();
    const a = await producer.enqueue(jobs.rosterRecompute, { clusterId, rosterVersion: 7 });
    const b = await producer.enqueue(jobs.rosterRecompute, { clusterId, rosterVersion: 7 });
    expect(a).toBe(b);
    const seen: number[] = [];
    const running = startWorker(backend, jobs.rosterRecompute, async (p) => {
      seen.push(p.rosterVersion);
    });
    closers.push(() => running.close());
    await waitFor(() => seen.length >= 1);
    await new Promise((r) => setTimeout(r, 300));
    expect(seen).toEqual([7]);
  });

  it("refuses an invalid payload at the producer, and fails one that bypassed it without retrying", async () => {
    const backend = makeBackend();
    const producer = new JobProducer(backend);
    closers.push(() => producer.close());
    await expect(
      producer.enqueue(jobs.rosterRecompute, { clusterId: "nope", rosterVersion: -1 }),
    ).rejects.toThrow(JobPayloadError);
    await expect(
      producer.enqueue(jobs.rosterRecompute, { clusterId: "nope", rosterVersion: -1 }),
    ).rejects.toThrow(/clusterId/);

    const raw = createQueue(backend, jobs.rosterRecompute.queue);
    closers.push(() => raw.close());
    let handled = 0;
    const failures: string[] = [];
    const running = startWorker(backend, jobs.rosterRecompute, async () => {
      handled++;
    });
    running.worker.on("failed", (_job, err) => failures.push(err.message));
    closers.push(() => running.close());
    await raw.add(
      jobs.rosterRecompute.name,
      { clusterId: 42 },
      { attempts: 5, jobId: `bad-${randomUUID()}` },
    );
    await waitFor(() => failures.length >= 1);
    await new Promise((r) => setTimeout(r, 300));
    expect(handled).toBe(0);
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatch(/invalid payload/);
  });
});
