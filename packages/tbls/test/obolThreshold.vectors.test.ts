// Conformance runner for ../shared/vectors/obol-dv-specs/bls_threshold.json: Charon's (herumi's)
// keys, partial signatures, threshold and plain aggregates over a fixed 3-of-4 sharing. Strict: every
// top-level key and every case field must be one the runner understands.
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { aggregateSignatures } from "../src/aggregate";
import { fastAggregateVerify } from "../src/aggregateVerify";
import { bytesToHex } from "../src/bytes";
import { publicSharesConsistent } from "../src/consistency";
import { secretToPublicKey } from "../src/secretKey";
import { bytesToScalar, recoverSecret } from "../src/shamir";
import { sign, verify } from "../src/sign";
import { partialSign, recoverPublicKey, thresholdAggregate } from "../src/threshold";
import { hexField, record, vectorsRoot } from "./vectors";

const file = path.join(vectorsRoot(), "obol-dv-specs", "bls_threshold.json");
const suite = record(JSON.parse(readFileSync(file, "utf8")), "bls_threshold.json", [
  "suite",
  "description",
  "provenance",
  "message_hex",
  "group_secret_hex",
  "group_pubkey_hex",
  "group_signature_hex",
  "keys",
  "partials",
  "threshold_aggregates",
  "recovery",
  "plain_aggregate",
]);

const list = (value: unknown, field: string): unknown[] => {
  if (!Array.isArray(value) || value.length === 0) throw new Error(`${field}: expected a non-empty array`);
  return value;
};
/** A case: `name`, `input`, optional `notes`, and the listed expected outputs. */
const caseOf = (value: unknown, field: string, outputs: readonly string[]) => {
  const keys = Object.keys(value as object);
  return record(
    value,
    field,
    keys.includes("notes") ? ["name", "input", "notes", ...outputs] : ["name", "input", ...outputs],
  );
};
const indicesOf = (input: unknown, field: string): number[] => {
  const { share_indices } = record(input, field, ["share_indices"]);
  const indices = list(share_indices, `${field}.share_indices`);
  if (!indices.every((i) => Number.isInteger(i))) throw new Error(`${field}: share indices must be integers`);
  return indices as number[];
};
const hex = (b: Uint8Array) => bytesToHex(b, false);

// "… over a fixed threshold-3-of-4 sharing": the suite states its threshold only in prose.
const description = suite.description;
const match = typeof description === "string" ? /threshold-(\d+)-of-(\d+)/.exec(description) : null;
if (match === null) throw new Error("description no longer states the threshold as 'threshold-t-of-n'");
const THRESHOLD = Number(match[1]);
const TOTAL = Number(match[2]);

const message = hexField(suite.message_hex, "message_hex");
const groupSecret = hexField(suite.group_secret_hex, "group_secret_hex");
const groupPubkey = hexField(suite.group_pubkey_hex, "group_pubkey_hex");
const groupSignature = hexField(suite.group_signature_hex, "group_signature_hex");

const partials = list(suite.partials, "partials").map((value, k) => {
  const c = caseOf(value, `partials[${k}]`, ["pubshare_hex", "signature_hex"]);
  const input = record(c.input, `partials[${k}].input`, ["share_idx", "secret_hex"]);
  if (!Number.isInteger(input.share_idx)) throw new Error(`partials[${k}]: share_idx must be an integer`);
  return {
    name: String(c.name),
    index: input.share_idx as number,
    secret: hexField(input.secret_hex, "secret_hex"),
    pubshare: hexField(c.pubshare_hex, "pubshare_hex"),
    signature: hexField(c.signature_hex, "signature_hex"),
  };
});
const byIndex = new Map(partials.map((p) => [p.index, p]));
const pick = (indices: number[]) =>
  indices.map((i) => {
    const p = byIndex.get(i);
    if (p === undefined) throw new Error(`no partial with share index ${i}`);
    return p;
  });

describe("obol-dv-specs bls_threshold", () => {
  it("is the bls_threshold suite of one 3-of-4 sharing", () => {
    expect(suite.suite).toBe("bls_threshold");
    expect([THRESHOLD, TOTAL]).toEqual([3, 4]);
    expect(partials.map((p) => p.index).sort()).toEqual([1, 2, 3, 4]);
  });

  it("group key and group signature", () => {
    expect(hex(secretToPublicKey(groupSecret))).toBe(hex(groupPubkey));
    expect(hex(sign(groupSecret, message))).toBe(hex(groupSignature));
    expect(verify(groupPubkey, message, groupSignature)).toBe(true);
  });

  for (const [k, value] of list(suite.keys, "keys").entries()) {
    const c = caseOf(value, `keys[${k}]`, ["pubkey_hex"]);
    it(`keys/${String(c.name)}`, () => {
      const { secret_hex } = record(c.input, `keys[${k}].input`, ["secret_hex"]);
      expect(hex(secretToPublicKey(hexField(secret_hex, "secret_hex")))).toBe(
        hex(hexField(c.pubkey_hex, "pubkey_hex")),
      );
    });
  }

  for (const p of partials) {
    it(`partials/${p.name}: public share, partial signature, verification`, () => {
      expect(hex(secretToPublicKey(p.secret))).toBe(hex(p.pubshare));
      expect(hex(partialSign(p.secret, message))).toBe(hex(p.signature));
      expect(verify(p.pubshare, message, p.signature)).toBe(true);
      expect(verify(groupPubkey, message, p.signature)).toBe(false);
    });
  }

  it("the shares are one sharing of the group secret (bigint Shamir, public shares)", async () => {
    const scalars = new Map(partials.map((p) => [p.index, bytesToScalar(p.secret)]));
    const indices = [...scalars.keys()];
    for (const skip of indices) {
      const subset = new Map([...scalars].filter(([i]) => i !== skip));
      expect(recoverSecret(subset)).toBe(bytesToScalar(groupSecret));
    }
    const pubshares = new Map(partials.map((p) => [p.index, p.pubshare]));
    expect(await publicSharesConsistent(pubshares, THRESHOLD)).toBe(true);
  });

  for (const [k, value] of list(suite.threshold_aggregates, "threshold_aggregates").entries()) {
    const c = caseOf(value, `threshold_aggregates[${k}]`, ["signature_hex"]);
    it(`threshold_aggregates/${String(c.name)}`, async () => {
      const quorum = pick(indicesOf(c.input, `threshold_aggregates[${k}].input`));
      const expected = hexField(c.signature_hex, "signature_hex");
      // The description's invariant: every quorum interpolates to the group signature.
      expect(hex(expected)).toBe(hex(groupSignature));
      const aggregate = await thresholdAggregate(new Map(quorum.map((p) => [p.index, p.signature])));
      expect(hex(aggregate)).toBe(hex(expected));
      expect(verify(groupPubkey, message, aggregate)).toBe(true);
    });
  }

  for (const [k, value] of list(suite.recovery, "recovery").entries()) {
    const c = caseOf(value, `recovery[${k}]`, ["pubkey_hex"]);
    it(`recovery/${String(c.name)}`, async () => {
      const quorum = pick(indicesOf(c.input, `recovery[${k}].input`));
      const recovered = await recoverPublicKey(new Map(quorum.map((p) => [p.index, p.pubshare])));
      expect(hex(recovered)).toBe(hex(hexField(c.pubkey_hex, "pubkey_hex")));
      expect(hex(recovered)).toBe(hex(groupPubkey));
    });
  }

  for (const [k, value] of list(suite.plain_aggregate, "plain_aggregate").entries()) {
    const c = caseOf(value, `plain_aggregate[${k}]`, ["signature_hex"]);
    it(`plain_aggregate/${String(c.name)}`, () => {
      const members = pick(indicesOf(c.input, `plain_aggregate[${k}].input`));
      const aggregate = aggregateSignatures(members.map((p) => p.signature));
      expect(hex(aggregate)).toBe(hex(hexField(c.signature_hex, "signature_hex")));
      // A multi-signature over the public shares, not a group signature.
      expect(
        fastAggregateVerify(
          members.map((p) => p.pubshare),
          message,
          aggregate,
        ),
      ).toBe(true);
      expect(verify(groupPubkey, message, aggregate)).toBe(false);
    });
  }
});
