/**
 * `cohort simnet` end to end: a real cluster, the beacon-node simulator in this process and four
 * `cohort agent run` child processes over libp2p on a real clock with 1 s slots (~30 s a run).
 *
 * With 1 s slots a sync-committee contribution has ⅓ s (from ⅔ of its slot to its end) to be
 * fetched, agreed, signed, exchanged, aggregated and submitted. On a loaded machine (2 CPUs shared
 * with other test files), and around a SIGKILL or restart (QBFT round changes take 1 s), some arrive
 * a slot late (not included, listed in `notIncluded`) or 2+ slots late (refused by the simulator as
 * too old: counted `invalid`, listed in `invalidSubmissions`), and simnet then rightly exits 1. The
 * tests accept exactly that sync-contribution shortfall and nothing else, and require exit 0 when
 * there is none.
 */
import { describe, expect, it } from "vitest";
import { main } from "../src/cli";
import type { SimnetSummary } from "../src/simnet";

const TYPES = ["attester", "proposer", "aggregator", "sync_message", "sync_contribution"] as const;

async function simnet(...extra: string[]): Promise<{ code: number; s: SimnetSummary; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(
    [
      "simnet",
      "--nodes",
      "4",
      "--threshold",
      "3",
      "--validators",
      "4",
      "--slot-time",
      "1",
      "--json",
      ...extra,
    ],
    { out: (l) => out.push(l), err: (l) => err.push(l) },
  );
  expect(out.length, err.join("\n")).toBe(1);
  return { code, s: JSON.parse(out[0]!) as SimnetSummary, err };
}

/** Everything included and nothing invalid, except late sync contributions (1 s slots, see above). */
function expectAllIncluded({ code, s, err }: Awaited<ReturnType<typeof simnet>>) {
  const why = `${err.join("\n")}\n${JSON.stringify(s)}`;
  const excused = s.invalidSubmissions.filter((x) => x.type === "sync_contribution").length;
  for (const t of TYPES) {
    const d = s.duties[t];
    expect(Object.keys(d).sort(), t).toEqual(["aggregated", "expected", "included", "submitted"]);
    if (t === "sync_contribution") {
      const late = s.notIncluded.filter((x) => x.type === t && x.receivedSlot > x.slot).length;
      expect(d.included + late + excused, why).toBeGreaterThanOrEqual(d.expected);
    } else expect(d.included, `${t}: ${why}`).toBe(d.expected);
  }
  expect(s.duties.attester.expected).toBeGreaterThan(0);
  expect(s.duties.attester.aggregated).toBeGreaterThanOrEqual(s.duties.attester.expected);
  expect(s.invalid - excused, why).toBe(0);
  expect(s.slashable).toBe(0);
  expect(s.slashings).toBe(0);
  expect(code, why).toBe(s.ok ? 0 : 1);
  if (!s.ok)
    expect(
      s.notIncluded.every((x) => x.type === "sync_contribution"),
      why,
    ).toBe(true);
  if (excused === 0 && s.notIncluded.length === 0) expect(code, why).toBe(0);
}

describe("cohort simnet", () => {
  it("4 nodes, t=3, 16 slots of 1 s: every duty included, JSON summary", async () => {
    const r = await simnet("--slots", "16");
    expectAllIncluded(r);
    const { s } = r;
    expect(s.duties.attester.included).toBe(s.duties.attester.expected);
    expect(s.duties.proposer.expected).toBeGreaterThan(0);
    expect(s.nodes.map((n) => n.index)).toEqual([0, 1, 2, 3]);
    for (const n of s.nodes) expect(n.contributed).toBeGreaterThan(0);
    expect(s.latencyMs.p50).toBeGreaterThan(0);
    expect(s.latencyMs.p99!).toBeGreaterThanOrEqual(s.latencyMs.p50!);
    expect(s.faulty).toEqual([]);
    expect(s.window.to_slot).toBe(15);
  }, 80_000);

  it("--kill 1@4:10: a SIGKILLed node restarts on its data dir and contributes again", async () => {
    const r = await simnet("--slots", "16", "--kill", "1@4:10");
    expect(r.err.join("\n")).toMatch(/slot 4: SIGKILL node 1/);
    expect(r.err.join("\n")).toMatch(/node 1 live again after \d+ ms/);
    expectAllIncluded(r);
    const n1 = r.s.nodes[1]!;
    expect(n1.restarts).toBe(1);
    expect(n1.contributedAfterRestart, JSON.stringify(r.s.nodes)).toBeGreaterThan(0);
    expect(r.s.faulty).toEqual([]);
  }, 80_000);

  it("--byzantine 3:bad-partials: everything included, nothing invalid, node 3 blamed", async () => {
    const r = await simnet("--slots", "12", "--byzantine", "3:bad-partials");
    expectAllIncluded(r);
    expect(r.s.faulty).toEqual([3]);
    expect(r.s.nodes[3]!.byzantine).toBe("bad-partials");
    expect(r.s.nodes[3]!.contributed).toBe(0);
  }, 80_000);
});
