import { fromRlp, keccak256, toRlp } from "viem";
import { ClusterError, fail } from "./errors";
import { k1IsPublicKey, k1PublicKey, k1Sign, k1Verify64 } from "./k1";

/**
 * Ethereum Node Records (EIP-778) as Charon uses them (`eth2util/enr`): the "v4" identity scheme,
 * a compressed secp256k1 key under "secp256k1", an optional IPv4 address and TCP/UDP ports, and the
 * `enr:` + unpadded base64url text form.
 */

export interface Enr {
  /** The record text, as given. */
  text: string;
  /** 64-byte R ‖ S signature over the keccak256 of the RLP content. */
  signature: Uint8Array;
  /** Sequence number. */
  seq: bigint;
  /** The node's secp256k1 public key as stored in the record (normally 33 bytes, compressed). */
  publicKey: Uint8Array;
  /** All key/value pairs. */
  entries: ReadonlyMap<string, Uint8Array>;
  ip?: string;
  tcp?: number;
  udp?: number;
}

export interface EnrOptions {
  /** IPv4 address, dotted quad. */
  ip?: string;
  tcp?: number;
  udp?: number;
}

const BASE64URL_RE = /^[A-Za-z0-9_-]*$/;

const bigEndian = (n: number): Uint8Array => {
  const out: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) out.unshift(v % 256);
  return Uint8Array.from(out);
};
const fromBigEndian = (b: Uint8Array): number => b.reduce((n, x) => n * 256 + x, 0);

/**
 * Decodes a record's RLP with viem, then insists on what an ENR is: one list of byte strings. A nested
 * list anywhere is refused (Charon's decoder refuses it too), and so are bytes after the list (viem is
 * stricter than Charon there, which ignores them; Charon never writes any).
 */
function decodeRecord(raw: Uint8Array): Uint8Array[] {
  const decoded = fromRlp(raw, "bytes");
  if (!Array.isArray(decoded)) throw new Error("not an RLP list");
  return decoded.map((item) => {
    if (!(item instanceof Uint8Array)) throw new Error("nested RLP lists are not allowed");
    return item;
  });
}

/**
 * Parses and verifies an ENR text record. Throws {@link ClusterError} (`invalid_enr`) against `field`.
 */
export function parseEnr(text: string, field = "enr"): Enr {
  const bad = (reason: string, cause?: unknown): never => fail("invalid_enr", field, reason, cause);
  if (!text.startsWith("enr:")) bad("missing 'enr:' prefix");
  // Charon strips "=" padding written by old versions.
  const body = text.slice(4).replace(/=+$/, "");
  if (!BASE64URL_RE.test(body) || body.length % 4 === 1) bad("invalid base64url encoding");
  const raw = new Uint8Array(Buffer.from(body, "base64url"));

  let elements: Uint8Array[] = [];
  try {
    elements = decodeRecord(raw);
  } catch (e) {
    bad(`invalid RLP encoding: ${(e as Error).message}`, e);
  }
  if (elements.length < 4) bad("too few elements");
  if (elements.length % 2 !== 0) bad("odd number of elements");

  const entries = new Map<string, Uint8Array>();
  let publicKey: Uint8Array | undefined;
  for (let i = 2; i < elements.length; i += 2) {
    const key = new TextDecoder().decode(elements[i]);
    const value = elements[i + 1] ?? new Uint8Array();
    if (entries.has(key)) bad(`duplicate key "${key}"`);
    entries.set(key, value);
    if (key === "secp256k1") {
      if (!k1IsPublicKey(value)) bad("invalid secp256k1 public key");
      publicKey = value;
    } else if (key === "id" && new TextDecoder().decode(value) !== "v4") {
      bad("identity scheme is not v4");
    }
  }
  if (!publicKey) return bad("missing secp256k1 public key");

  const signature = elements[0] ?? new Uint8Array();
  const digest = keccak256(toRlp(elements.slice(1), "bytes"), "bytes");
  if (!k1Verify64(publicKey, digest, signature)) bad("record signature does not verify");

  const enr: Enr = {
    text,
    signature,
    seq: (elements[1] ?? new Uint8Array()).reduce((n, x) => n * 256n + BigInt(x), 0n),
    publicKey,
    entries,
  };
  const ip = entries.get("ip");
  if (ip && ip.length === 4) enr.ip = Array.from(ip).join(".");
  const tcp = entries.get("tcp");
  if (tcp) enr.tcp = fromBigEndian(tcp);
  const udp = entries.get("udp");
  if (udp) enr.udp = fromBigEndian(udp);
  return enr;
}

/** Like {@link parseEnr} but returns undefined instead of throwing. */
export function tryParseEnr(text: string): Enr | undefined {
  try {
    return parseEnr(text);
  } catch (e) {
    if (e instanceof ClusterError) return undefined;
    throw e;
  }
}

function ipv4(ip: string): Uint8Array {
  const parts = ip.split(".");
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) {
    throw new RangeError(`invalid IPv4 address "${ip}"`);
  }
  return Uint8Array.from(parts.map(Number));
}

function port(p: number, name: string): Uint8Array {
  if (!Number.isInteger(p) || p < 0 || p > 65535) throw new RangeError(`invalid ${name} port ${p}`);
  return bigEndian(p);
}

/**
 * Creates a signed ENR (sequence 0) for a secp256k1 private key, as Charon's `enr.New` does: keys sorted,
 * compressed public key, optional IPv4/TCP/UDP. Returns the `enr:` text.
 */
export function createEnr(privateKey: Uint8Array, options: EnrOptions = {}): string {
  const kvs = new Map<string, Uint8Array>([
    ["id", new TextEncoder().encode("v4")],
    ["secp256k1", k1PublicKey(privateKey)],
  ]);
  if (options.ip !== undefined) kvs.set("ip", ipv4(options.ip));
  if (options.tcp !== undefined) kvs.set("tcp", port(options.tcp, "tcp"));
  if (options.udp !== undefined) kvs.set("udp", port(options.udp, "udp"));

  const content: Uint8Array[] = [new Uint8Array()]; // seq = 0, big-endian without leading zeros
  for (const key of [...kvs.keys()].sort()) content.push(new TextEncoder().encode(key), kvs.get(key)!);
  const digest = keccak256(toRlp(content, "bytes"), "bytes");
  const signature = k1Sign(privateKey, digest).subarray(0, 64);
  return `enr:${Buffer.from(toRlp([signature, ...content], "bytes")).toString("base64url")}`;
}
