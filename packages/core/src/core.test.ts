import { describe, expect, it } from "vitest";
import { Deadliner, ManualClock } from "./deadline";
import { DutyType, duty, dutyKey, dutyTypeName, parseDutyKey } from "./types";

describe("duties", () => {
  it("print and parse as slot/type", () => {
    const d = duty(1234, "attester");
    expect(dutyKey(d)).toBe("1234/attester");
    expect(parseDutyKey("1234/attester")).toEqual(d);
    expect(() => parseDutyKey("1234/attest")).toThrow(/not a duty key/);
    expect(() => duty(-1, "proposer")).toThrow(/non-negative/);
  });

  it("duty type codes are unique and round-trip", () => {
    const codes = Object.values(DutyType);
    expect(new Set(codes).size).toBe(codes.length);
    for (const [name, code] of Object.entries(DutyType)) expect(dutyTypeName(code)).toBe(name);
    expect(() => dutyTypeName(99)).toThrow(/unknown duty type/);
  });
});

describe("Deadliner", () => {
  it("expires each duty once at its deadline, in order, and refuses expired ones", () => {
    const clock = new ManualClock(1_000);
    const deadlines: Record<string, number> = { "1/attester": 1_500, "2/attester": 1_200, "3/proposer": 900 };
    const deadliner = new Deadliner(clock, (d) => deadlines[dutyKey(d)]!);
    const expired: string[] = [];
    deadliner.subscribe((d) => expired.push(dutyKey(d)));
    expect(deadliner.add(duty(1, "attester"))).toBe(true);
    expect(deadliner.add(duty(2, "attester"))).toBe(true);
    expect(deadliner.add(duty(1, "attester"))).toBe(true); // idempotent
    expect(deadliner.add(duty(3, "proposer"))).toBe(false); // already past
    expect(deadliner.size).toBe(2);
    clock.advance(199);
    expect(expired).toEqual([]);
    clock.advance(1);
    expect(expired).toEqual(["2/attester"]);
    clock.advance(1_000);
    expect(expired).toEqual(["2/attester", "1/attester"]);
    expect(deadliner.size).toBe(0);
  });

  it("stop cancels every pending expiry", () => {
    const clock = new ManualClock();
    const deadliner = new Deadliner(clock, () => 100);
    const expired: unknown[] = [];
    deadliner.subscribe((d) => expired.push(d));
    deadliner.add(duty(5, "aggregator"));
    deadliner.stop();
    clock.advance(1_000);
    expect(expired).toEqual([]);
  });
});
