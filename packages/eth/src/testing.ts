// Test-only helpers shared by this package's *.test.ts files (not exported from index.ts).
import { readFileSync } from "node:fs";
import { isEthError } from "./errors";

/** Reads a JSON vector from packages/eth/test/vectors. */
export function readVector<T = unknown>(name: string): T {
  return JSON.parse(readFileSync(new URL(`../test/vectors/${name}`, import.meta.url), "utf8")) as T;
}

/** Reads a JSON file from the shared conformance vectors (../shared/vectors from the repo root). */
export function readSharedVector<T = unknown>(path: string): T {
  return JSON.parse(
    readFileSync(new URL(`../../../../shared/vectors/${path}`, import.meta.url), "utf8"),
  ) as T;
}

/** The EthError code a call throws (or a marker when it throws something else / nothing). */
export function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return isEthError(e) ? e.code : `not an EthError: ${String(e)}`;
  }
  return undefined;
}

/** Async variant of {@link codeOf}. */
export async function asyncCodeOf(fn: () => Promise<unknown>): Promise<string | undefined> {
  try {
    await fn();
  } catch (e) {
    return isEthError(e) ? e.code : `not an EthError: ${String(e)}`;
  }
  return undefined;
}
