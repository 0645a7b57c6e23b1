import { describe, expect, it } from "vitest";
import { ClusterError, goQuote, marshalIndent, parseDefinition, parseLock, writeDefinition } from "../src";
import { generateCluster } from "./generate";

// A generated v1.10 cluster (compounding, two validators with two partial deposits each).
const { lockText, definitionText: defText } = generateCluster("v1.10.0");

function errorOf(fn: () => unknown): ClusterError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ClusterError);
    return e as ClusterError;
  }
  throw new Error("expected a ClusterError");
}

/** The v1.10 definition fixture with one change applied. */
// biome-ignore lint/suspicious/noExplicitAny: tests poke arbitrary JSON.
function defWith(change: (d: any) => void) {
  const d = JSON.parse(defText);
  change(d);
  return d;
}

describe("parse errors name the field", () => {
  it.each([
    ["not JSON", () => parseDefinition("{"), "invalid_json", ""],
    [
      "unknown version",
      () => parseDefinition(defWith((d) => (d.version = "v2.0.0"))),
      "unsupported_version",
      "version",
    ],
    [
      "v1.4 is not supported",
      () => parseDefinition(defWith((d) => (d.version = "v1.4.0"))),
      "unsupported_version",
      "version",
    ],
    [
      "bad hex",
      () => parseDefinition(defWith((d) => (d.config_hash = "0xzz"))),
      "invalid_field",
      "config_hash",
    ],
    [
      "odd hex",
      () => parseDefinition(defWith((d) => (d.fork_version = "0x900"))),
      "invalid_field",
      "fork_version",
    ],
    [
      "operator signature type",
      () => parseDefinition(defWith((d) => (d.operators[1].enr_signature = 5))),
      "invalid_field",
      "operators[1].enr_signature",
    ],
    [
      "operator address",
      () => parseDefinition(defWith((d) => (d.operators[0].address = "0x1234"))),
      "invalid_field",
      "operators[0].address",
    ],
    [
      "validator address",
      () => parseDefinition(defWith((d) => (d.validators[1].withdrawal_address = "nope"))),
      "invalid_field",
      "validators[1].withdrawal_address",
    ],
    [
      "threshold type",
      () => parseDefinition(defWith((d) => (d.threshold = "3"))),
      "invalid_field",
      "threshold",
    ],
    [
      "fractional number",
      () => parseDefinition(defWith((d) => (d.num_validators = 1.5))),
      "invalid_field",
      "num_validators",
    ],
    [
      "deposit amount as a number (Gwei must be a string)",
      () => parseDefinition(defWith((d) => (d.deposit_amounts = [32000000000]))),
      "invalid_field",
      "deposit_amounts[0]",
    ],
    [
      "deposit amount below 1 ETH",
      () => parseDefinition(defWith((d) => (d.deposit_amounts = ["31000000000", "100"]))),
      "invalid_deposit",
      "deposit_amounts[1]",
    ],
    [
      "deposit amounts summing under 32 ETH",
      () => parseDefinition(defWith((d) => (d.deposit_amounts = ["16000000000"]))),
      "invalid_deposit",
      "deposit_amounts",
    ],
    [
      "validators count vs num_validators",
      () => parseDefinition(defWith((d) => d.validators.pop())),
      "count_mismatch",
      "validators",
    ],
    [
      "operators not a list",
      () => parseDefinition(defWith((d) => (d.operators = {}))),
      "invalid_field",
      "operators",
    ],
    [
      "compounding type",
      () => parseDefinition(defWith((d) => (d.compounding = "no"))),
      "invalid_field",
      "compounding",
    ],
  ])("%s", (_, fn, code, field) => {
    const err = errorOf(fn);
    expect(err.code).toBe(code);
    expect(err.field).toBe(field);
    if (field) expect(err.message.startsWith(`${field}: `)).toBe(true);
  });

  it("lock fields carry their full path", () => {
    const lock = JSON.parse(lockText);
    lock.distributed_validators[1].partial_deposit_data[0].amount = 5;
    const err = errorOf(() => parseLock(lock));
    expect(err.field).toBe("distributed_validators[1].partial_deposit_data[0].amount");

    const lock2 = JSON.parse(lockText);
    lock2.cluster_definition.operators[1].config_signature = "0x0g";
    expect(errorOf(() => parseLock(lock2)).field).toBe("cluster_definition.operators[1].config_signature");

    const lock3 = JSON.parse(lockText);
    lock3.node_signatures[1] = {};
    expect(errorOf(() => parseLock(lock3)).field).toBe("node_signatures[1]");
  });

  it("compounding definitions allow partial deposits up to 2048 ETH", () => {
    const d = parseDefinition(
      defWith((x) => {
        x.compounding = true;
        x.deposit_amounts = ["2048000000000"];
      }),
    );
    expect(d.depositAmounts).toEqual([2048000000000n]);
    const err = errorOf(() =>
      parseDefinition(
        defWith((x) => {
          x.compounding = false;
          x.deposit_amounts = ["64000000000"];
        }),
      ),
    );
    expect(err.field).toBe("deposit_amounts[0]");
  });
});

describe("parse leniency mirrors Charon", () => {
  it("missing and null fields take zero values; unknown fields are ignored", () => {
    const d = parseDefinition(
      defWith((x) => {
        delete x.name;
        delete x.timestamp;
        x.operators = null;
        x.validators = null;
        x.num_validators = 0;
        x.deposit_amounts = null;
        x.extra = "ignored";
      }),
    );
    expect(d.name).toBe("");
    expect(d.timestamp).toBe("");
    expect(d.operators).toEqual([]);
    expect(d.depositAmounts).toBeNull();
  });

  it("hex without 0x and in upper case decodes", () => {
    const d = parseDefinition(defWith((x) => (x.fork_version = "90000069")));
    expect(Array.from(d.forkVersion)).toEqual([0x90, 0, 0, 0x69]);
  });

  it("fields a version does not define are not read", () => {
    const d = parseDefinition(
      defWith((x) => {
        x.version = "v1.7.0";
        x.deposit_amounts = "garbage";
      }),
    );
    expect(d.depositAmounts).toBeNull();
  });

  it("null vs empty deposit amounts survive a round trip", () => {
    const text = writeDefinition(parseDefinition(defWith((x) => (x.deposit_amounts = []))));
    expect(text).toContain('"deposit_amounts": []');
  });
});

describe("Go JSON encoding", () => {
  it("escapes like encoding/json with HTML escaping", () => {
    expect(goQuote('a<b>&"\\\n\t\r\b\f\u0001\u007f\u2028\u2029é😀')).toBe(
      '"a\\u003cb\\u003e\\u0026\\"\\\\\\n\\t\\r\\b\\f\\u0001\u007f\\u2028\\u2029é😀"',
    );
    expect(goQuote("\ud800x")).toBe('"\\ufffdx"');
  });

  it("indents like MarshalIndent with empty containers inline", () => {
    expect(marshalIndent({ a: [], b: {}, c: [1, { d: null }], e: "x" })).toBe(
      '{\n "a": [],\n "b": {},\n "c": [\n  1,\n  {\n   "d": null\n  }\n ],\n "e": "x"\n}',
    );
  });
});
