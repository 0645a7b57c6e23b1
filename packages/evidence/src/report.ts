/**
 * What an agent reports to the portal: batches of its own sent partial-signature messages, its
 * receipts of the others' messages, duty outcomes, heartbeats and per-epoch commitments, signed as a
 * whole with the member's identity key (secp256k1, from the cluster lock).
 *
 * Encoding and digests (stable; the portal and the offline verifier recompute them):
 * - batch digest = sha256("cohort/report/v1" ‖ JCS(batch)), JCS = RFC 8785 canonical JSON
 *   (`canonicalize`); the batch signature is a 65-byte R‖S‖V secp256k1 signature over it. The
 *   digest is also the batch's idempotency key: re-sending a batch changes nothing.
 * - a receipt leaf = sha256(0x00 ‖ "cohort/receipt/v1" ‖ message digest ‖ from ‖ receivedAt)
 * - a sent leaf = sha256(0x00 ‖ "cohort/sent/v1" ‖ message digest)
 * - an epoch root commits to every message a member sent and every receipt it recorded for the
 *   duties of one epoch ({@link merkleRoot} over the sorted leaves), signed over
 *   sha256("cohort/epoch-root/v1" ‖ lockHash ‖ shareIndex ‖ epoch ‖ sentRoot ‖ receiptsRoot ‖
 *   sentCount ‖ receiptCount). A member signs it once the epoch's duty deadlines have passed; the
 *   offline bundle carries these roots so a verifier can check any leaf without the whole log.
 */
import { createHash } from "node:crypto";
import { k1Sign, k1Verify65 } from "@cohort/cluster";
import canonicalize from "canonicalize";
import { z } from "zod";
import { fromHex, type Hex, parSigMsgDigest, type SignedParSigMsg, toHex, u64be } from "./message";

export const REPORT_VERSION = 1;

/** This member received another member's message (identified by its digest) at `receivedAt`. */
export interface Receipt {
  /** {@link parSigMsgDigest} of the received message, 0x-hex. */
  digest: string;
  /** Share index of the sender. */
  from: number;
  slot: number;
  dutyType: number;
  /** Receiver's unix ms. */
  receivedAt: number;
}

/** How a duty ended on this member's side (the tracker's view). */
export interface DutyOutcomeReport {
  slot: number;
  dutyType: number;
  success: boolean;
  /** Tracker reason code when it failed (`no_consensus`, `insufficient_peer_signatures`, …). */
  reason: string | null;
  /** Validators (group pubkeys) of the duty, and which of them were aggregated / submitted by this member. */
  validators: { pubkey: string; aggregated: boolean; submitted: boolean }[];
  /** Share indices that sent invalid partials or conflicting signed messages for this duty. */
  invalidFrom: number[];
  /** Slashing protection refused to sign. */
  slashingRefused: boolean;
  /** Milliseconds from the duty's start to this member's submission (when it submitted). */
  latencyMs: number | null;
}

export interface Heartbeat {
  /** Unix ms. */
  at: number;
  /** Share indices of the peers connected at that moment. */
  peersConnected: number[];
  /** Median clock offset to the peers (ms), when known. */
  clockOffsetMs: number | null;
  beaconStatus: "ok" | "syncing" | "down";
  /** `/readyz` reason when not ready. */
  readyReason: string | null;
  version: string;
}

export interface EpochRoot {
  epoch: number;
  sentRoot: string;
  receiptsRoot: string;
  sentCount: number;
  receiptCount: number;
  /** 65-byte secp256k1 signature over {@link epochRootDigest}. */
  signature: string;
}

export interface ReportBatch {
  version: typeof REPORT_VERSION;
  lockHash: string;
  /** Share index of the reporting member. */
  reporter: number;
  /** Per reporter, increasing by one per batch; persisted across restarts. */
  seq: number;
  /** Unix ms. */
  createdAt: number;
  sent: SignedParSigMsg[];
  receipts: Receipt[];
  outcomes: DutyOutcomeReport[];
  heartbeats: Heartbeat[];
  epochRoots: EpochRoot[];
  /**
   * The chain's clock as the agent's beacon node reports it. The portal needs it for duty deadlines
   * on networks it does not know (devnets) and checks it against what it knows otherwise.
   */
  chain?: ChainClock;
}

export interface ChainClock {
  /** Unix seconds. */
  genesisTime: number;
  secondsPerSlot: number;
  slotsPerEpoch: number;
}

/** Duty type codes (append-only, as `@cohort/core` DutyType) ↔ the portal's enum names. */
export const DUTY_TYPE_NAMES: Readonly<Record<number, string>> = {
  1: "ATTESTER",
  2: "PROPOSER",
  3: "RANDAO",
  4: "PREPARE_AGGREGATOR",
  5: "AGGREGATOR",
  6: "SYNC_MESSAGE",
  7: "PREPARE_SYNC_CONTRIBUTION",
  8: "SYNC_CONTRIBUTION",
  9: "BUILDER_REGISTRATION",
  10: "VOLUNTARY_EXIT",
};
/**
 * Duties the chain sees, on which members are held accountable. RANDAO reveals and selection
 * proofs are steps inside proposer / aggregator / contribution duties: their messages are kept as
 * evidence but not counted as duties of their own.
 */
export const ACCOUNTABLE_DUTY_CODES: ReadonlySet<number> = new Set([1, 2, 5, 6, 8]);

export interface SignedReportBatch {
  batch: ReportBatch;
  signature: string;
}

// ---- validation (the portal's first line: shape and sizes, before any signature work) ----

const hexOf = (bytes: number) =>
  z.string().regex(new RegExp(`^0x[0-9a-fA-F]{${bytes * 2}}$`), `expected ${bytes}-byte 0x-hex`);
const uint = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

export const MAX_BATCH_MESSAGES = 2_000;
export const MAX_BATCH_RECEIPTS = 20_000;
export const MAX_PARTIALS_PER_MESSAGE = 10_000;

export const signedParSigMsgSchema = z.object({
  message: z.object({
    lockHash: hexOf(32),
    slot: uint,
    dutyType: z.number().int().min(1).max(255),
    shareIndex: z.number().int().min(1).max(10_000),
    sentAt: uint,
    partials: z
      .array(
        z.object({
          pubkey: hexOf(48),
          signingRoot: hexOf(32),
          signature: hexOf(96),
          data: z.unknown(),
        }),
      )
      .min(1)
      .max(MAX_PARTIALS_PER_MESSAGE),
  }),
  signature: hexOf(65),
});

export const reportBatchSchema = z.object({
  version: z.literal(REPORT_VERSION),
  lockHash: hexOf(32),
  reporter: z.number().int().min(1).max(10_000),
  seq: uint,
  createdAt: uint,
  sent: z.array(signedParSigMsgSchema).max(MAX_BATCH_MESSAGES),
  receipts: z
    .array(
      z.object({
        digest: hexOf(32),
        from: z.number().int().min(1).max(10_000),
        slot: uint,
        dutyType: z.number().int().min(1).max(255),
        receivedAt: uint,
      }),
    )
    .max(MAX_BATCH_RECEIPTS),
  outcomes: z
    .array(
      z.object({
        slot: uint,
        dutyType: z.number().int().min(1).max(255),
        success: z.boolean(),
        reason: z.string().max(64).nullable(),
        validators: z
          .array(z.object({ pubkey: hexOf(48), aggregated: z.boolean(), submitted: z.boolean() }))
          .max(MAX_PARTIALS_PER_MESSAGE),
        invalidFrom: z.array(z.number().int().min(1)).max(64),
        slashingRefused: z.boolean(),
        latencyMs: z.number().nonnegative().nullable(),
      }),
    )
    .max(MAX_BATCH_MESSAGES),
  heartbeats: z
    .array(
      z.object({
        at: uint,
        peersConnected: z.array(z.number().int().min(1)).max(64),
        clockOffsetMs: z.number().nullable(),
        beaconStatus: z.enum(["ok", "syncing", "down"]),
        readyReason: z.string().max(64).nullable(),
        version: z.string().max(64),
      }),
    )
    .max(10_000),
  epochRoots: z
    .array(
      z.object({
        epoch: uint,
        sentRoot: hexOf(32),
        receiptsRoot: hexOf(32),
        sentCount: uint,
        receiptCount: uint,
        signature: hexOf(65),
      }),
    )
    .max(1_000),
  chain: z
    .object({
      genesisTime: uint,
      secondsPerSlot: z.number().int().min(1).max(600),
      slotsPerEpoch: z.number().int().min(1).max(1024),
    })
    .optional(),
});

export const signedReportBatchSchema = z.object({ batch: reportBatchSchema, signature: hexOf(65) });

// ---- digests and signatures ----

const sha256 = (...parts: (Uint8Array | string)[]) => {
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
};

export function reportBatchDigest(batch: ReportBatch): Uint8Array {
  const json = canonicalize(batch);
  if (json === undefined) throw new TypeError("report batch is not serialisable");
  return sha256("cohort/report/v1", json);
}

export function signReportBatch(batch: ReportBatch, identityKey: Uint8Array): SignedReportBatch {
  return { batch, signature: toHex(k1Sign(identityKey, reportBatchDigest(batch))) };
}

export function verifyReportBatchSignature(
  signed: SignedReportBatch,
  identityPublicKey: Uint8Array,
): boolean {
  try {
    return k1Verify65(identityPublicKey, reportBatchDigest(signed.batch), fromHex(signed.signature));
  } catch {
    return false;
  }
}

export function verifyParSigMsgSignature(signed: SignedParSigMsg, identityPublicKey: Uint8Array): boolean {
  try {
    return k1Verify65(identityPublicKey, parSigMsgDigest(signed.message), fromHex(signed.signature));
  } catch {
    return false;
  }
}

const LEAF = new Uint8Array([0]);
const NODE = new Uint8Array([1]);

export const sentLeaf = (messageDigest: Uint8Array): Uint8Array =>
  sha256(LEAF, "cohort/sent/v1", messageDigest);

export const receiptLeaf = (r: Pick<Receipt, "digest" | "from" | "receivedAt">): Uint8Array =>
  sha256(LEAF, "cohort/receipt/v1", fromHex(r.digest), u64be(r.from), u64be(r.receivedAt));

const compare = (a: Uint8Array, b: Uint8Array) => Buffer.compare(a, b);

/**
 * Binary Merkle root over leaves sorted bytewise (duplicates removed); an odd node is promoted
 * unchanged; internal nodes are sha256(0x01 ‖ left ‖ right), leaves are already 0x00-prefixed
 * hashes, so a leaf can never pass for a node (RFC 6962's separation). The empty set's root is
 * sha256(0x01). Hand-written (a dozen lines) because the maintained libraries fix other choices:
 * OpenZeppelin's merkle-tree is keccak over ABI-encoded leaves, merkletreejs is unmaintained.
 */
export function merkleRoot(leaves: readonly Uint8Array[]): Uint8Array {
  const unique = [...new Map(leaves.map((l) => [toHex(l), l])).values()].sort(compare);
  if (unique.length === 0) return sha256(NODE);
  let level = unique;
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i < level.length; i += 2) {
      const right = level[i + 1];
      next.push(right ? sha256(NODE, level[i]!, right) : level[i]!);
    }
    level = next;
  }
  return level[0]!;
}

export function epochRootDigest(
  lockHash: string,
  shareIndex: number,
  r: Omit<EpochRoot, "signature">,
): Uint8Array {
  return sha256(
    "cohort/epoch-root/v1",
    fromHex(lockHash),
    u64be(shareIndex),
    u64be(r.epoch),
    fromHex(r.sentRoot),
    fromHex(r.receiptsRoot),
    u64be(r.sentCount),
    u64be(r.receiptCount),
  );
}

/** Builds and signs a member's commitment to its sent messages and receipts of one epoch. */
export function signEpochRoot(
  lockHash: string,
  shareIndex: number,
  epoch: number,
  sentDigests: readonly Uint8Array[],
  receipts: readonly Pick<Receipt, "digest" | "from" | "receivedAt">[],
  identityKey: Uint8Array,
): EpochRoot {
  const sentLeaves = sentDigests.map(sentLeaf);
  const receiptLeaves = receipts.map(receiptLeaf);
  const body = {
    epoch,
    sentRoot: toHex(merkleRoot(sentLeaves)),
    receiptsRoot: toHex(merkleRoot(receiptLeaves)),
    sentCount: new Set(sentLeaves.map(toHex)).size,
    receiptCount: new Set(receiptLeaves.map(toHex)).size,
  };
  return { ...body, signature: toHex(k1Sign(identityKey, epochRootDigest(lockHash, shareIndex, body))) };
}

export function verifyEpochRootSignature(
  lockHash: string,
  shareIndex: number,
  root: EpochRoot,
  identityPublicKey: Uint8Array,
): boolean {
  try {
    return k1Verify65(
      identityPublicKey,
      epochRootDigest(lockHash, shareIndex, root),
      fromHex(root.signature),
    );
  } catch {
    return false;
  }
}

export type { Hex };
