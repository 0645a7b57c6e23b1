import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { NotConfiguredSender, signWebhookBody, WebhookSender } from "../notifications/channels";
import { formatInZone, shiftAt } from "../oncall/service";
import { type EvidenceRow, findRuns } from "./detect";
import { REPORT_GRACE_MS, reportGraceMs } from "./service";

const row = (slot: number, bad: boolean | null): EvidenceRow => ({
  slot,
  at: new Date(slot * 12_000),
  dutyId: BigInt(slot),
  bad,
});
const slots = (runs: ReturnType<typeof findRuns>) =>
  runs.map((r) => ({
    slots: r.rows.map((x) => x.slot),
    recovery: r.recovery?.slot ?? null,
    ongoing: r.continuesOngoing,
  }));

describe("findRuns", () => {
  it("finds runs of at least minRun bad rows, with the good row that ended them", () => {
    const rows = [
      row(1, false),
      row(2, true),
      row(3, true),
      row(4, false),
      row(5, true),
      row(6, true),
      row(7, true),
      row(8, false),
    ];
    expect(slots(findRuns(rows, 3, false))).toEqual([{ slots: [5, 6, 7], recovery: 8, ongoing: false }]);
    expect(slots(findRuns(rows, 2, false))).toEqual([
      { slots: [2, 3], recovery: 4, ongoing: false },
      { slots: [5, 6, 7], recovery: 8, ongoing: false },
    ]);
  });

  it("leaves a run open at the end, skips rows that say nothing", () => {
    const rows = [row(1, true), row(2, null), row(3, true), row(4, true)];
    expect(slots(findRuns(rows, 3, false))).toEqual([{ slots: [1, 3, 4], recovery: null, ongoing: false }]);
  });

  it("with an ongoing incident, the first run continues it whatever its length", () => {
    expect(slots(findRuns([row(9, false)], 3, true))).toEqual([{ slots: [], recovery: 9, ongoing: true }]);
    expect(slots(findRuns([row(9, true)], 3, true))).toEqual([{ slots: [9], recovery: null, ongoing: true }]);
    expect(slots(findRuns([], 3, true))).toEqual([{ slots: [], recovery: null, ongoing: true }]);
    expect(slots(findRuns([], 3, false))).toEqual([]);
  });
});

describe("on-call shifts and local times", () => {
  const rotation = {
    id: "r",
    name: "primary",
    level: "PRIMARY" as const,
    startsAt: new Date("2026-06-01T00:00:00Z"),
    shiftHours: 24,
    ackTimeoutMinutes: 15,
    createdAt: new Date(0),
    members: [
      { memberId: "b", position: 1 },
      { memberId: "a", position: 0 },
    ],
  };
  it("takes members in position order, one shift each, wrapping around", () => {
    expect(shiftAt(rotation, new Date("2026-05-31T23:59:59Z"))).toBeNull();
    expect(shiftAt(rotation, new Date("2026-06-01T00:00:00Z"))?.memberId).toBe("a");
    expect(shiftAt(rotation, new Date("2026-06-02T10:00:00Z"))).toEqual({
      index: 1,
      memberId: "b",
      startsAt: new Date("2026-06-02T00:00:00Z"),
      endsAt: new Date("2026-06-03T00:00:00Z"),
    });
    expect(shiftAt(rotation, new Date("2026-06-03T00:00:00Z"))?.memberId).toBe("a");
  });
  it("formats a time on a zone's wall clock with its offset", () => {
    const t = new Date("2026-06-03T09:00:00Z");
    expect(formatInZone(t, "UTC")).toBe("2026-06-03T09:00:00+00:00");
    expect(formatInZone(t, "Europe/Berlin")).toBe("2026-06-03T11:00:00+02:00");
    expect(formatInZone(t, "America/New_York")).toBe("2026-06-03T05:00:00-04:00");
    expect(formatInZone(t, "Asia/Kolkata")).toBe("2026-06-03T14:30:00+05:30");
  });
});

describe("webhook channel", () => {
  it("signs the raw body with HMAC-SHA256 and sends the event header", async () => {
    const calls: { url: string; init: RequestInit }[] = [];
    const fakeFetch = (async (url: string, init: RequestInit) => {
      calls.push({ url, init });
      return new Response(null, { status: 204 });
    }) as unknown as typeof fetch;
    const body = JSON.stringify({ event: "incident.opened", n: 1 });
    const result = await new WebhookSender(fakeFetch).send(
      { kind: "WEBHOOK", target: "https://example.test/hook", secret: "s3cret" },
      { event: "incident.opened", body },
    );
    expect(result).toEqual({ ok: true });
    const headers = calls[0]!.init.headers as Record<string, string>;
    expect(headers["x-cohort-event"]).toBe("incident.opened");
    expect(headers["x-cohort-signature"]).toBe(
      `sha256=${createHmac("sha256", "s3cret").update(body).digest("hex")}`,
    );
    expect(signWebhookBody("s3cret", body)).toBe(headers["x-cohort-signature"]);
    expect(calls[0]!.init.body).toBe(body);
  });

  it("retries 5xx and network errors, not 4xx; other kinds fail clearly", async () => {
    const status = (code: number) =>
      (async () => new Response(null, { status: code })) as unknown as typeof fetch;
    const target = { kind: "WEBHOOK" as const, target: "https://example.test/hook", secret: "x" };
    const msg = { event: "incident.opened", body: "{}" };
    expect(await new WebhookSender(status(503)).send(target, msg)).toMatchObject({ ok: false, retry: true });
    expect(await new WebhookSender(status(404)).send(target, msg)).toMatchObject({ ok: false, retry: false });
    const broken = (async () => {
      throw new Error("ECONNREFUSED");
    }) as unknown as typeof fetch;
    expect(await new WebhookSender(broken).send(target, msg)).toMatchObject({ ok: false, retry: true });
    expect(await new NotConfiguredSender("EMAIL").send()).toEqual({
      ok: false,
      retry: false,
      error: "EMAIL notifications are not configured on this portal",
    });
  });
});

describe("reportGraceMs", () => {
  it("is ten slots, at least 20 s and at most REPORT_GRACE_MS", () => {
    expect(reportGraceMs(12)).toBe(REPORT_GRACE_MS); // mainnet: 120 s
    expect(reportGraceMs(5)).toBe(50_000);
    expect(reportGraceMs(2)).toBe(20_000); // the demo's 2 s slots
    expect(reportGraceMs(1)).toBe(20_000);
    expect(reportGraceMs(null)).toBe(REPORT_GRACE_MS);
  });
});
