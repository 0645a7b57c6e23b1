import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { checkMessageLimits, maxJustifications, maxValues, roundDeadline } from "../src/index";

function vectorsDir(): string {
  const candidates = [
    path.resolve(import.meta.dirname, "../../../../shared/vectors/obol-dv-specs"),
    path.resolve(import.meta.dirname, "../../../test/vectors/obol-dv-specs"),
  ];
  const found = candidates.find((dir) => existsSync(dir));
  if (found === undefined) throw new Error(`vectors not found; looked in ${candidates.join(" and ")}`);
  return found;
}

/** JSON.parse that keeps integers beyond 2^53 exact, as decimal strings. */
function loadSuite(name: string): Record<string, unknown> {
  const text = readFileSync(path.join(vectorsDir(), `${name}.json`), "utf8");
  const suite = JSON.parse(text.replace(/([:[,]\s*)(-?\d{16,})(?=\s*[,\]}])/g, '$1"$2"'));
  if (suite.suite !== name) throw new Error(`suite field ${suite.suite} != ${name}`);
  return suite;
}

function keys(obj: object, expected: string[], where: string): void {
  const actual = Object.keys(obj).sort().join(",");
  if (actual !== [...expected].sort().join(",")) throw new Error(`${where}: unexpected keys ${actual}`);
}

const big = (v: unknown): bigint => {
  if (typeof v !== "string" && typeof v !== "number") throw new Error(`not an integer: ${v}`);
  return BigInt(v);
};

describe("timer_deadlines vectors", () => {
  const suite = loadSuite("timer_deadlines");
  keys(suite, ["suite", "description", "provenance", "cases"], "timer_deadlines");
  const cases = suite.cases as Array<Record<string, Record<string, unknown> & object>>;

  it("has cases", () => expect(cases.length).toBe(216));

  it.each(cases.map((c) => [c.name as unknown as string, c] as const))("%s", (_name, c) => {
    keys(c, ["name", "input", "duty_start_delay_nanos", "round_timeout_nanos", "deadline_nanos"], "case");
    const input = c.input as Record<string, unknown>;
    keys(
      input,
      ["genesis_time_nanos", "slot_duration_nanos", "slot", "duty_type", "duty_type_name", "round"],
      "input",
    );
    const genesis = big(input.genesis_time_nanos);
    const slotDuration = big(input.slot_duration_nanos);
    const slot = big(input.slot);
    const deadline = roundDeadline({
      genesisTimeNanos: genesis,
      slotDurationNanos: slotDuration,
      slot,
      dutyType: Number(input.duty_type),
      round: Number(input.round),
    });
    expect(deadline).toBe(big(c.deadline_nanos));
    // The decomposition must agree too, not just the sum.
    const rest = deadline - genesis - slotDuration * slot;
    expect(rest).toBe(big(c.duty_start_delay_nanos) + big(c.round_timeout_nanos));
  });
});

describe("qbft_msg_limits vectors", () => {
  const suite = loadSuite("qbft_msg_limits");
  keys(suite, ["suite", "description", "provenance", "counts", "wire_size"], "qbft_msg_limits");
  const counts = suite.counts as Array<Record<string, unknown>>;
  const wire = suite.wire_size as Array<Record<string, unknown>>;

  it("has cases", () => expect(counts.length + wire.length).toBe(15));

  it.each(counts.map((c) => [c.name as string, c] as const))("counts/%s", (_name, c) => {
    keys(c, ["name", "input", "accepted", "reason", "max_justifications", "max_values"], "case");
    const input = c.input as Record<string, number>;
    keys(input, ["nodes", "justification_count", "value_count"], "input");
    const got = checkMessageLimits({
      nodes: input.nodes,
      justificationCount: input.justification_count,
      valueCount: input.value_count,
    });
    expect(got).toEqual({ accepted: c.accepted, reason: c.reason });
    expect(maxJustifications(input.nodes as number)).toBe(c.max_justifications);
    expect(maxValues(input.justification_count as number)).toBe(c.max_values);
  });

  it.each(wire.map((c) => [c.name as string, c] as const))("wire_size/%s", (_name, c) => {
    keys(c, ["name", "input", "accepted", "reason"], "case");
    const input = c.input as Record<string, number>;
    keys(input, ["wire_size_bytes"], "input");
    expect(checkMessageLimits({ wireSizeBytes: input.wire_size_bytes })).toEqual({
      accepted: c.accepted,
      reason: c.reason,
    });
  });
});
