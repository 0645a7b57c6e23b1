import type { IncomingMessage, ServerResponse } from "node:http";
import type { NetworkConfig } from "@cohort/eth";
import type { SimChain } from "./chain";
import type { SimRecorder } from "./recorder";

/** A Beacon API error, as beacon nodes send it: `{code, message}` with the HTTP status. */
export class BeaconApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** A per-item failure of a pool submission (`IndexedErrorMessage.failures`). */
export interface IndexedFailure {
  index: number;
  message: string;
}

/** A pool submission with failing items: 400 `{code, message, failures}`. */
export class IndexedBeaconApiError extends BeaconApiError {
  constructor(
    message: string,
    readonly failures: IndexedFailure[],
  ) {
    super(400, message);
  }
}

/** A handler's answer with a status other than 200 and/or response headers. */
export class Reply {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly headers: Record<string, string> = {},
  ) {}
}

/** Returned by a handler that wrote (and keeps writing) the response itself. */
export const STREAMING = Symbol("streaming");

/** A refusal of one submitted item (becomes a `failures` entry or a 400). */
export class ItemError extends Error {}
/**
 * Refused for timing only (outside the gossip propagation window), as a beacon node IGNOREs such a
 * message rather than rejecting it: counted as `late`, not `invalid`.
 */
export class LateItemError extends ItemError {}

export const hex = (b: Uint8Array) => `0x${Buffer.from(b).toString("hex")}`;

export const send = (
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) => {
  if (body === undefined) {
    res.writeHead(status, headers);
    res.end();
    return;
  }
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(body));
};

/** SSZ `Bitlist` JSON: bits little-endian within bytes, then the length delimiter bit. */
export function bitlistHex(bits: readonly boolean[]): string {
  const bytes = new Uint8Array(Math.floor(bits.length / 8) + 1);
  [...bits, true].forEach((b, i) => {
    if (b) bytes[i >> 3]! |= 1 << (i & 7);
  });
  return hex(bytes);
}

/** SSZ `Bitvector[bits.length]` JSON (bits little-endian within bytes, no delimiter). */
export function bitvectorHex(bits: readonly boolean[]): string {
  const bytes = new Uint8Array(Math.ceil(bits.length / 8));
  bits.forEach((b, i) => {
    if (b) bytes[i >> 3]! |= 1 << (i & 7);
  });
  return hex(bytes);
}

/** Gossip's MAXIMUM_GOSSIP_CLOCK_DISPARITY: messages up to this early are not "from the future". */
export const CLOCK_DISPARITY_MS = 500;

export function parseUint(value: string | null | undefined, what: string): number {
  if (!value || !/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw new BeaconApiError(400, `Invalid ${what}: ${value ?? "missing"}`);
  }
  return Number(value);
}

export function parseEpoch(value: string | undefined): number {
  if (!value || !/^\d+$/.test(value)) throw new BeaconApiError(400, `Invalid epoch: ${value}`);
  return Number(value);
}

export async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8") || "null");
  } catch {
    throw new BeaconApiError(400, "Invalid JSON body");
  }
}

/** The request body as an array (400 otherwise). */
export async function readArray(req: IncomingMessage, what: string): Promise<unknown[]> {
  const body = await readJson(req);
  if (!Array.isArray(body))
    throw new BeaconApiError(400, `Invalid request body: expected an array of ${what}`);
  return body;
}

/** The request's `Eth-Consensus-Version` header, if any. */
export function consensusVersion(req: IncomingMessage): string | undefined {
  const header = req.headers["eth-consensus-version"];
  return Array.isArray(header) ? header[0] : header;
}

/**
 * Runs `check` on every item; 200 with no body if all pass, else a 400 with the `failures` of the
 * items that threw an {@link ItemError} (the others are still processed).
 */
export function eachItem(
  items: unknown[],
  what: string,
  check: (item: unknown, index: number) => void,
): Reply {
  const failures: IndexedFailure[] = [];
  items.forEach((item, index) => {
    try {
      check(item, index);
    } catch (e) {
      if (!(e instanceof ItemError)) throw e;
      failures.push({ index, message: e.message });
    }
  });
  if (failures.length > 0) {
    throw new IndexedBeaconApiError(`Some ${what} failed validation`, failures);
  }
  return new Reply(200, undefined);
}

/** A string field of a JSON object, or an ItemError. */
export function uintField(json: unknown, field: string): number {
  const v = typeof json === "object" && json !== null ? (json as Record<string, unknown>)[field] : undefined;
  if (typeof v !== "string" || !/^\d+$/.test(v) || !Number.isSafeInteger(Number(v))) {
    throw new ItemError(`${field} must be a uint64 string`);
  }
  return Number(v);
}

export type Handler = (
  match: RegExpMatchArray,
  req: IncomingMessage,
  url: URL,
  res: ServerResponse,
) => Promise<unknown> | unknown;

export type Route = [method: string, path: RegExp, handler: Handler];

/** What route modules share with the server. */
export interface RouteContext {
  chain: SimChain;
  recorder: SimRecorder;
  network: NetworkConfig;
  now: () => number;
  /** The wall-clock slot. */
  headSlot: () => number;
  /** Validator `index`'s public key bytes (cached). */
  pubkeyOf: (index: number) => Uint8Array;
}
