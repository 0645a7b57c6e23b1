import { existsSync } from "node:fs";
import path from "node:path";
import { hexToBytes } from "../src/bytes";

/**
 * The conformance-vector directory: `../shared/vectors` beside the repository root, else a vendored
 * copy in `<repo>/test/vectors`. Throws (never skips) if neither exists.
 */
export function vectorsRoot(): string {
  const candidates = [
    path.resolve(import.meta.dirname, "../../../../shared/vectors"),
    path.resolve(import.meta.dirname, "../../../test/vectors"),
  ];
  const found = candidates.find((dir) => existsSync(dir));
  if (found === undefined)
    throw new Error(`conformance vectors not found; looked in ${candidates.join(" and ")}`);
  return found;
}

/** Hex (with or without 0x) of a vector field; throws if the field is not a string. */
export function hexField(value: unknown, field: string): Uint8Array {
  if (typeof value !== "string")
    throw new Error(`${field}: expected a hex string, got ${JSON.stringify(value)}`);
  return hexToBytes(value);
}

/** A list of hex strings. */
export function hexList(value: unknown, field: string): Uint8Array[] {
  if (!Array.isArray(value)) throw new Error(`${field}: expected an array, got ${JSON.stringify(value)}`);
  return value.map((v, i) => hexField(v, `${field}[${i}]`));
}

/** A plain object with exactly the given keys (extra or missing keys mean the runner is out of date). */
export function record(value: unknown, field: string, keys: readonly string[]): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new Error(`${field}: expected an object, got ${JSON.stringify(value)}`);
  }
  const actual = Object.keys(value).sort();
  const expected = [...keys].sort();
  if (actual.join(",") !== expected.join(",")) {
    throw new Error(`${field}: keys [${actual.join(", ")}], runner handles [${expected.join(", ")}]`);
  }
  return value as Record<string, unknown>;
}
