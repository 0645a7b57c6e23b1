/**
 * The offline audit bundle: everything an auditor needs, besides the cluster lock, to recompute who
 * contributed to which duty over a slot range — and to check every byte of it against keys in the
 * lock. JSON; see docs/accountability.md for the field-by-field description.
 *
 * Layout (version 1): per member-epoch, the member's signed {@link EpochRoot} (or null when it never
 * signed one), the messages it sent (full {@link SignedParSigMsg}; `data` may be null — the digest
 * does not cover it) each with a Merkle proof against that root's sentRoot, and the receipt leaves it
 * recorded for the bundled messages, each with a Merkle proof against its receiptsRoot (compact: only
 * the leaves a claim depends on, not the whole epoch). The claimed table is per member: expected,
 * contributed, and the number of receipt leaves of its messages in the bundle (so dropping any
 * receipt changes a claim).
 */
import { clusterNetwork, computeLockHash, type Lock } from "@cohort/cluster";
import { z } from "zod";
import { defaultReceiptQuorum, type EvidenceCluster, evidenceClusterFromLock } from "./cluster";
import { type MerkleProof, merkleProofs, verifyMerkleProof } from "./merkle";
import { fromHex, parSigMsgDigest, type SignedParSigMsg, toHex } from "./message";
import { type ExpectedDuty, type NotContributedReason, type ReconcileResult, reconcile } from "./reconcile";
import {
  type EpochRoot,
  type Receipt,
  receiptLeaf,
  sentLeaf,
  signedParSigMsgSchema,
  verifyEpochRootSignature,
  verifyParSigMsgSignature,
} from "./report";

export const BUNDLE_VERSION = 1;
export const BUNDLE_KIND = "cohort/evidence-bundle";

/** How slots map to time and epochs, and when a duty's receipts stop counting. */
export interface BundleTiming {
  /** Unix seconds of slot 0. */
  genesisTime: number;
  secondsPerSlot: number;
  slotsPerEpoch: number;
  /** A duty's deadline is the start of slot (slot + deadlineSlots) — the agent's default is 3. */
  deadlineSlots: number;
}

export interface BundleSent {
  message: SignedParSigMsg;
  /** Inclusion of sentLeaf(digest) in the sender's epoch sentRoot; null only when `root` is null. */
  proof: MerkleProof | null;
}

export interface BundleReceipt {
  digest: string;
  from: number;
  receivedAt: number;
  /** Inclusion of receiptLeaf(digest, from, receivedAt) in this receiver's epoch receiptsRoot. */
  proof: MerkleProof;
}

export interface BundleMemberEpoch {
  shareIndex: number;
  epoch: number;
  /** The member's signed commitment for the epoch; null if it never signed one (then no receipts). */
  root: EpochRoot | null;
  sent: BundleSent[];
  receipts: BundleReceipt[];
}

export interface ClaimedMember {
  shareIndex: number;
  expected: number;
  contributed: number;
  /** Receipt leaves by other members of this member's messages in the bundle. */
  receipts: number;
  /** Every (duty, validator) the member did NOT contribute to, with the reason (slot, duty type, validator order). */
  missed: ClaimedMiss[];
}

export interface ClaimedMiss {
  slot: number;
  dutyType: number;
  validator: string;
  reason: NotContributedReason;
}

export interface EvidenceBundle {
  kind: typeof BUNDLE_KIND;
  version: typeof BUNDLE_VERSION;
  lockHash: string;
  /** The cluster-lock.json object, when embedded (else the verifier is given the lock). */
  lock?: unknown;
  /** Inclusive slot range. */
  range: { fromSlot: number; toSlot: number };
  timing: BundleTiming;
  q: number;
  duties: (ExpectedDuty & { validators: string[] })[];
  members: BundleMemberEpoch[];
  claimed: ClaimedMember[];
}

// ---- shape ----

const hexOf = (bytes: number) =>
  z.string().regex(new RegExp(`^0x[0-9a-fA-F]{${bytes * 2}}$`), `expected ${bytes}-byte 0x-hex`);
const uint = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
const proofSchema = z.object({ index: uint, siblings: z.array(hexOf(32)).max(64) });
const epochRootSchema = z.object({
  epoch: uint,
  sentRoot: hexOf(32),
  receiptsRoot: hexOf(32),
  sentCount: uint,
  receiptCount: uint,
  signature: hexOf(65),
});

export const evidenceBundleSchema = z.object({
  kind: z.literal(BUNDLE_KIND),
  version: z.literal(BUNDLE_VERSION),
  lockHash: hexOf(32),
  lock: z.unknown().optional(),
  range: z.object({ fromSlot: uint, toSlot: uint }),
  timing: z.object({
    genesisTime: uint,
    secondsPerSlot: z.number().int().min(1).max(3600),
    slotsPerEpoch: z.number().int().min(1).max(1024),
    deadlineSlots: z.number().int().min(0).max(1024),
  }),
  q: z.number().int().min(1),
  duties: z.array(
    z.object({
      slot: uint,
      dutyType: z.number().int().min(1).max(255),
      validators: z.array(hexOf(48)).min(1),
      deadline: uint,
      signingRoots: z.record(z.string(), hexOf(32)).optional(),
    }),
  ),
  members: z.array(
    z.object({
      shareIndex: z.number().int().min(1),
      epoch: uint,
      root: epochRootSchema.nullable(),
      sent: z.array(z.object({ message: signedParSigMsgSchema, proof: proofSchema.nullable() })),
      receipts: z.array(
        z.object({ digest: hexOf(32), from: z.number().int().min(1), receivedAt: uint, proof: proofSchema }),
      ),
    }),
  ),
  claimed: z.array(
    z.object({
      shareIndex: z.number().int().min(1),
      expected: uint,
      contributed: uint,
      receipts: uint,
      missed: z.array(
        z.object({
          slot: uint,
          dutyType: z.number().int().min(1).max(255),
          validator: hexOf(48),
          reason: z.enum([
            "no_message",
            "bad_message_signature",
            "no_partial_for_validator",
            "wrong_signing_root",
            "invalid_partial",
            "late",
            "insufficient_receipts",
          ]),
        }),
      ),
    }),
  ),
});

// ---- shared helpers ----

/** Unix ms of the deadline of a duty at `slot`. */
export const dutyDeadline = (t: BundleTiming, slot: number) =>
  (t.genesisTime + (slot + t.deadlineSlots) * t.secondsPerSlot) * 1000;

export const epochOf = (t: Pick<BundleTiming, "slotsPerEpoch">, slot: number) =>
  Math.floor(slot / t.slotsPerEpoch);

const lc = (s: string) => s.toLowerCase();

// ---- builder ----

/** One member's full log for one epoch, as the portal stores it (all of it: proofs need every leaf). */
export interface MemberEpochLog {
  shareIndex: number;
  epoch: number;
  /** Its signed commitment, or null if it never signed one. */
  root: EpochRoot | null;
  /** Digests of every message it sent that epoch (the sentRoot's leaves). */
  sentDigests: string[];
  /** Every receipt it recorded that epoch (the receiptsRoot's leaves). */
  receipts: Pick<Receipt, "digest" | "from" | "receivedAt">[];
}

export interface BuildBundleInput {
  lock: Lock;
  /** Embed the lock JSON object (as `writeLock` prints it). */
  lockJson?: unknown;
  timing: BundleTiming;
  range: { fromSlot: number; toSlot: number };
  q?: number;
  /** Expected duties; a missing deadline is computed from `timing`, a given one must agree. */
  duties: (Omit<ExpectedDuty, "deadline"> & { deadline?: number })[];
  /** Signed messages (any; those outside the range or duties are left out). */
  messages: SignedParSigMsg[];
  logs: MemberEpochLog[];
  /** Keep each partial's unsigned `data` (default: dropped, set to null). */
  keepData?: boolean;
}

/**
 * Builds a bundle from stored evidence and computes its claimed table with {@link reconcile}.
 * @throws Error when the logs do not match their signed roots or a message is missing from its sender's root.
 */
export function buildBundle(input: BuildBundleInput): EvidenceBundle {
  const cluster = evidenceClusterFromLock(input.lock);
  const { timing, range } = input;
  const q = input.q ?? defaultReceiptQuorum(cluster.members.length);
  const duties = input.duties
    .filter((d) => d.slot >= range.fromSlot && d.slot <= range.toSlot)
    .map((d) => {
      const deadline = dutyDeadline(timing, d.slot);
      if (d.deadline !== undefined && d.deadline !== deadline)
        throw new Error(
          `duty ${d.slot}/${d.dutyType}: deadline ${d.deadline} is not the timing's ${deadline}`,
        );
      return {
        slot: d.slot,
        dutyType: d.dutyType,
        validators: d.validators.map(lc),
        deadline,
        ...(d.signingRoots ? { signingRoots: d.signingRoots } : {}),
      };
    })
    .sort((a, b) => a.slot - b.slot || a.dutyType - b.dutyType);
  const dutyKeys = new Set(duties.map((d) => `${d.slot}/${d.dutyType}`));

  const logs = new Map<
    string,
    MemberEpochLog & { sentProofs: Map<string, MerkleProof>; receiptProofs: Map<string, MerkleProof> }
  >();
  for (const log of input.logs) {
    const sent = merkleProofs(log.sentDigests.map((d) => sentLeaf(fromHex(d))));
    const rec = merkleProofs(log.receipts.map(receiptLeaf));
    if (
      log.root &&
      (toHex(sent.root) !== lc(log.root.sentRoot) || toHex(rec.root) !== lc(log.root.receiptsRoot))
    )
      throw new Error(
        `member ${log.shareIndex} epoch ${log.epoch}: the log does not match its signed epoch root`,
      );
    logs.set(`${log.shareIndex}/${log.epoch}`, {
      ...log,
      sentProofs: sent.proofs,
      receiptProofs: rec.proofs,
    });
  }

  const entries = new Map<string, BundleMemberEpoch>();
  const entry = (shareIndex: number, epoch: number) => {
    const key = `${shareIndex}/${epoch}`;
    let e = entries.get(key);
    if (!e) {
      e = { shareIndex, epoch, root: logs.get(key)?.root ?? null, sent: [], receipts: [] };
      entries.set(key, e);
    }
    return e;
  };

  const bundled = new Map<string, SignedParSigMsg>();
  for (const signed of input.messages) {
    const m = signed.message;
    if (!dutyKeys.has(`${m.slot}/${m.dutyType}`)) continue;
    const digest = toHex(parSigMsgDigest(m));
    if (bundled.has(digest)) continue;
    const message: SignedParSigMsg = input.keepData
      ? signed
      : { ...signed, message: { ...m, partials: m.partials.map((p) => ({ ...p, data: null })) } };
    bundled.set(digest, message);
    const epoch = epochOf(timing, m.slot);
    const e = entry(m.shareIndex, epoch);
    let proof: MerkleProof | null = null;
    if (e.root) {
      proof = logs.get(`${m.shareIndex}/${epoch}`)!.sentProofs.get(toHex(sentLeaf(fromHex(digest)))) ?? null;
      if (!proof)
        throw new Error(
          `message ${digest} (member ${m.shareIndex}, slot ${m.slot}, duty type ${m.dutyType}) is not in its sender's signed sent root`,
        );
    }
    e.sent.push({ message, proof });
  }

  for (const log of logs.values()) {
    if (!log.root) continue;
    for (const r of log.receipts) {
      const msg = bundled.get(lc(r.digest));
      if (!msg || r.from !== msg.message.shareIndex || log.shareIndex === r.from) continue;
      if (epochOf(timing, msg.message.slot) !== log.epoch) continue;
      const proof = log.receiptProofs.get(toHex(receiptLeaf(r)))!;
      entry(log.shareIndex, log.epoch).receipts.push({
        digest: lc(r.digest),
        from: r.from,
        receivedAt: r.receivedAt,
        proof,
      });
    }
  }

  const members = [...entries.values()].sort((a, b) => a.epoch - b.epoch || a.shareIndex - b.shareIndex);
  for (const e of members) {
    e.sent.sort(
      (a, b) =>
        a.message.message.slot - b.message.message.slot ||
        a.message.message.dutyType - b.message.message.dutyType,
    );
    e.receipts.sort((a, b) =>
      a.digest < b.digest ? -1 : a.digest > b.digest ? 1 : a.receivedAt - b.receivedAt,
    );
  }
  const result = reconcileBundle(cluster, q, duties, members);
  return {
    kind: BUNDLE_KIND,
    version: BUNDLE_VERSION,
    lockHash: cluster.lockHash,
    ...(input.lockJson !== undefined ? { lock: input.lockJson } : {}),
    range: { ...range },
    timing: { ...timing },
    q,
    duties,
    members,
    claimed: claimedTable(result, members),
  };
}

function reconcileBundle(
  cluster: EvidenceCluster,
  q: number,
  duties: ExpectedDuty[],
  members: BundleMemberEpoch[],
): ReconcileResult {
  return reconcile({
    cluster,
    q,
    duties,
    messages: members.flatMap((e) => e.sent.map((s) => s.message)),
    receipts: members.flatMap((e) =>
      e.receipts.map((r) => ({
        receiver: e.shareIndex,
        digest: r.digest,
        from: r.from,
        receivedAt: r.receivedAt,
      })),
    ),
  });
}

function claimedTable(result: ReconcileResult, members: BundleMemberEpoch[]): ClaimedMember[] {
  const receipts = new Map<number, number>();
  for (const e of members)
    for (const r of e.receipts)
      if (r.from !== e.shareIndex) receipts.set(r.from, (receipts.get(r.from) ?? 0) + 1);
  return result.members.map((m) => ({
    shareIndex: m.shareIndex,
    expected: m.expected,
    contributed: m.contributed,
    receipts: receipts.get(m.shareIndex) ?? 0,
    missed: result.rows
      .filter((r) => r.shareIndex === m.shareIndex && !r.contributed)
      .map((r) => ({ slot: r.slot, dutyType: r.dutyType, validator: r.validator, reason: r.reason! })),
  }));
}

// ---- verifier ----

export type BundleFailureCode =
  | "malformed"
  | "lock_mismatch"
  | "timing_mismatch"
  | "bad_duty"
  | "unknown_member"
  | "duplicate_entry"
  | "bad_epoch_root_signature"
  | "bad_message_signature"
  | "message_misplaced"
  | "unexpected_duty"
  | "duplicate_message"
  | "missing_sent_proof"
  | "bad_sent_proof"
  | "receipt_without_root"
  | "bad_receipt_proof"
  | "receipt_unknown_message"
  | "receipt_misplaced"
  | "claim_mismatch";

export interface BundleFailure {
  code: BundleFailureCode;
  /** One line naming the bad item (member share index, slot, duty type, digest where they apply). */
  message: string;
  shareIndex?: number;
  epoch?: number;
  slot?: number;
  dutyType?: number;
  digest?: string;
}

export interface VerifiedMember {
  shareIndex: number;
  /** The operator's address from the lock. */
  address: string;
  expected: number;
  contributed: number;
  receipts: number;
  /** contributed / expected (1 when nothing was expected). */
  rate: number;
}

export type BundleVerification =
  | { ok: true; members: VerifiedMember[]; result: ReconcileResult; bundle: EvidenceBundle }
  | { ok: false; failure: BundleFailure };

class Fail extends Error {
  constructor(readonly failure: BundleFailure) {
    super(failure.message);
  }
}
const fail = (
  code: BundleFailureCode,
  message: string,
  where: Omit<BundleFailure, "code" | "message"> = {},
): never => {
  throw new Fail({ code, message, ...where });
};

/**
 * Recomputes everything in `bundle` from signed material and the `lock`: the lock hash, the timing
 * against the lock's network, every epoch-root signature, every message signature (and its inclusion
 * in its sender's signed sent root), every receipt leaf's inclusion in its receiver's signed receipts
 * root, every partial (randomised batch), the participation of every member with {@link reconcile},
 * and the claimed table. Stops at the first failure.
 */
export function verifyBundle(input: unknown, lock: Lock): BundleVerification {
  try {
    return verifyOrThrow(input, lock);
  } catch (e) {
    if (e instanceof Fail) return { ok: false, failure: e.failure };
    throw e;
  }
}

function verifyOrThrow(input: unknown, lock: Lock): BundleVerification {
  const parsed = evidenceBundleSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    fail("malformed", `bundle.${issue.path.join(".")}: ${issue.message}`);
  }
  const bundle = parsed.data as EvidenceBundle;

  // Lock.
  const recomputed = toHex(computeLockHash(lock));
  if (recomputed !== toHex(lock.lockHash))
    fail(
      "lock_mismatch",
      `the lock's lock_hash ${toHex(lock.lockHash)} is not its content's hash ${recomputed}`,
    );
  if (lc(bundle.lockHash) !== recomputed)
    fail("lock_mismatch", `the bundle is for lock ${bundle.lockHash}, the given lock is ${recomputed}`);
  let cluster: EvidenceCluster;
  try {
    cluster = evidenceClusterFromLock(lock);
  } catch (e) {
    return fail("lock_mismatch", `the lock cannot be used: ${(e as Error).message}`);
  }
  const n = cluster.members.length;
  if (bundle.q > n - 1) fail("malformed", `bundle.q ${bundle.q} exceeds the ${n - 1} other members`);
  const memberIdx = new Map(cluster.members.map((m) => [m.shareIndex, m]));

  // Timing: the lock's network fixes it when the network is known.
  const { timing, range } = bundle;
  const network = clusterNetwork(lock.definition.forkVersion);
  if (network) {
    for (const k of ["genesisTime", "secondsPerSlot", "slotsPerEpoch"] as const)
      if (timing[k] !== network[k])
        fail("timing_mismatch", `bundle.timing.${k} is ${timing[k]}, ${network.name} has ${network[k]}`);
  }
  if (range.fromSlot > range.toSlot)
    fail("malformed", `bundle.range: fromSlot ${range.fromSlot} > toSlot ${range.toSlot}`);

  // Duties.
  const validatorSet = new Set(cluster.validators.map((v) => v.pubkey));
  const dutyKeys = new Set<string>();
  for (const d of bundle.duties) {
    const where = { slot: d.slot, dutyType: d.dutyType };
    const key = `${d.slot}/${d.dutyType}`;
    if (dutyKeys.has(key)) fail("bad_duty", `duty slot ${d.slot} type ${d.dutyType} is listed twice`, where);
    dutyKeys.add(key);
    if (d.slot < range.fromSlot || d.slot > range.toSlot)
      fail("bad_duty", `duty slot ${d.slot} type ${d.dutyType} is outside the range`, where);
    if (d.deadline !== dutyDeadline(timing, d.slot))
      fail(
        "timing_mismatch",
        `duty slot ${d.slot} type ${d.dutyType}: deadline ${d.deadline} is not start of slot ${d.slot + timing.deadlineSlots} (${dutyDeadline(timing, d.slot)})`,
        where,
      );
    const vs = d.validators.map(lc);
    if (new Set(vs).size !== vs.length)
      fail("bad_duty", `duty slot ${d.slot} type ${d.dutyType} lists a validator twice`, where);
    for (const v of vs)
      if (!validatorSet.has(v))
        fail("bad_duty", `duty slot ${d.slot} type ${d.dutyType}: validator ${v} is not in the lock`, where);
  }

  // Member-epochs: roots, messages, receipts.
  const seen = new Set<string>();
  const messages = new Map<string, SignedParSigMsg["message"]>();
  for (const e of bundle.members) {
    const whereE = { shareIndex: e.shareIndex, epoch: e.epoch };
    const member = memberIdx.get(e.shareIndex);
    if (!member) fail("unknown_member", `share index ${e.shareIndex} is not a member of the lock`, whereE);
    if (seen.has(`${e.shareIndex}/${e.epoch}`))
      fail("duplicate_entry", `member ${e.shareIndex} epoch ${e.epoch} appears twice`, whereE);
    seen.add(`${e.shareIndex}/${e.epoch}`);
    if (e.root) {
      if (e.root.epoch !== e.epoch)
        fail(
          "bad_epoch_root_signature",
          `member ${e.shareIndex}'s entry for epoch ${e.epoch} carries the root of epoch ${e.root.epoch}`,
          whereE,
        );
      if (!verifyEpochRootSignature(cluster.lockHash, e.shareIndex, e.root, member!.identityPublicKey))
        fail(
          "bad_epoch_root_signature",
          `epoch root of member ${e.shareIndex} for epoch ${e.epoch} is not signed by member ${e.shareIndex}'s identity key`,
          whereE,
        );
    }
    for (const { message: signed, proof } of e.sent) {
      const m = signed.message;
      const digest = toHex(parSigMsgDigest(m));
      const where = { shareIndex: m.shareIndex, epoch: e.epoch, slot: m.slot, dutyType: m.dutyType, digest };
      const name = `message ${digest} (member ${m.shareIndex}, slot ${m.slot}, duty type ${m.dutyType})`;
      if (m.shareIndex !== e.shareIndex || epochOf(timing, m.slot) !== e.epoch)
        fail("message_misplaced", `${name} is filed under member ${e.shareIndex} epoch ${e.epoch}`, where);
      if (lc(m.lockHash) !== cluster.lockHash)
        fail("bad_message_signature", `${name} is for lock ${m.lockHash}`, where);
      if (!verifyParSigMsgSignature(signed, member!.identityPublicKey))
        fail(
          "bad_message_signature",
          `${name} is not signed by member ${m.shareIndex}'s identity key`,
          where,
        );
      if (!dutyKeys.has(`${m.slot}/${m.dutyType}`))
        fail("unexpected_duty", `${name} is for no expected duty`, where);
      if (messages.has(digest)) fail("duplicate_message", `${name} appears twice`, where);
      messages.set(digest, m);
      if (e.root) {
        if (!proof)
          fail("missing_sent_proof", `${name} has no proof against its sender's signed sent root`, where);
        if (!verifyMerkleProof(e.root.sentRoot, e.root.sentCount, sentLeaf(fromHex(digest)), proof!))
          fail(
            "bad_sent_proof",
            `${name} is not in member ${m.shareIndex}'s signed sent root of epoch ${e.epoch}`,
            where,
          );
      } else if (proof)
        fail(
          "bad_sent_proof",
          `${name} has a proof but its sender signed no root for epoch ${e.epoch}`,
          where,
        );
    }
  }
  for (const e of bundle.members) {
    for (const r of e.receipts) {
      const m = messages.get(lc(r.digest));
      const where = {
        shareIndex: e.shareIndex,
        epoch: e.epoch,
        digest: lc(r.digest),
        ...(m ? { slot: m.slot, dutyType: m.dutyType } : {}),
      };
      const name = `receipt by member ${e.shareIndex} of message ${lc(r.digest)} (from member ${r.from}${m ? `, slot ${m.slot}, duty type ${m.dutyType}` : ""}, received at ${r.receivedAt})`;
      if (!e.root)
        fail(
          "receipt_without_root",
          `${name}: member ${e.shareIndex} signed no root for epoch ${e.epoch}`,
          where,
        );
      if (!m) fail("receipt_unknown_message", `${name}: no such message in the bundle`, where);
      if (m!.shareIndex !== r.from || epochOf(timing, m!.slot) !== e.epoch)
        fail(
          "receipt_misplaced",
          `${name}: the message is from member ${m!.shareIndex} in epoch ${epochOf(timing, m!.slot)}`,
          where,
        );
      if (!verifyMerkleProof(e.root!.receiptsRoot, e.root!.receiptCount, receiptLeaf(r), r.proof))
        fail(
          "bad_receipt_proof",
          `${name} is not in member ${e.shareIndex}'s signed receipts root of epoch ${e.epoch}`,
          where,
        );
    }
  }

  // Participation, then the claims.
  const result = reconcileBundle(cluster, bundle.q, bundle.duties, bundle.members);
  const actual = claimedTable(result, bundle.members);
  const claimed = new Map(bundle.claimed.map((c) => [c.shareIndex, c]));
  if (claimed.size !== bundle.claimed.length)
    fail("claim_mismatch", "the claimed table lists a member twice");
  for (const c of bundle.claimed)
    if (!memberIdx.has(c.shareIndex))
      fail("claim_mismatch", `the claimed table lists share index ${c.shareIndex}, not a member`);
  for (const a of actual) {
    const c = claimed.get(a.shareIndex);
    const who = `member ${a.shareIndex}`;
    if (!c)
      return fail("claim_mismatch", `the claimed table has no row for ${who}`, { shareIndex: a.shareIndex });
    if (c.expected !== a.expected)
      fail("claim_mismatch", `${who} claimed ${c.expected} expected, the duties give ${a.expected}`, {
        shareIndex: a.shareIndex,
      });
    // Row by row first, so the failure names the (duty, validator) whose claim the evidence contradicts.
    const rowKey = (x: { slot: number; dutyType: number; validator: string }) =>
      `${x.slot}/${x.dutyType}/${lc(x.validator)}`;
    const claimedMissed = new Map(c.missed.map((m) => [rowKey(m), m]));
    for (const row of result.rows) {
      if (row.shareIndex !== a.shareIndex) continue;
      const claim = claimedMissed.get(rowKey(row));
      const where = {
        shareIndex: a.shareIndex,
        slot: row.slot,
        dutyType: row.dutyType,
        ...(row.digests[0] ? { digest: row.digests[0] } : {}),
      };
      const name = `${who} slot ${row.slot} duty type ${row.dutyType} validator ${row.validator}`;
      if (!row.contributed && !claim)
        fail(
          "claim_mismatch",
          `${name}: claimed as contributed, the evidence does not support it (${row.reason}, ${row.onTimeReceipts} on-time receipt(s) of ${bundle.q} needed${row.digests.length ? `, message ${row.digests.join(", ")}` : ""})`,
          where,
        );
      if (row.contributed && claim)
        fail(
          "claim_mismatch",
          `${name}: claimed as missed (${claim.reason}), the evidence shows a contribution`,
          where,
        );
      if (claim && claim.reason !== row.reason)
        fail(
          "claim_mismatch",
          `${name}: claimed reason ${claim.reason}, the evidence gives ${row.reason}`,
          where,
        );
    }
    if (claimedMissed.size !== c.missed.length || c.missed.length !== a.missed.length)
      fail("claim_mismatch", `${who}: the claimed misses name a duty twice or one that is not expected`, {
        shareIndex: a.shareIndex,
      });
    if (c.contributed !== a.contributed)
      fail(
        "claim_mismatch",
        `${who} claimed ${c.contributed} contributed, the evidence supports ${a.contributed}`,
        {
          shareIndex: a.shareIndex,
        },
      );
    if (c.receipts !== a.receipts)
      fail(
        "claim_mismatch",
        `${who} claimed ${c.receipts} receipt(s) of its messages, the bundle proves ${a.receipts}`,
        {
          shareIndex: a.shareIndex,
        },
      );
  }
  const members = actual.map((a) => ({
    shareIndex: a.shareIndex,
    address: memberIdx.get(a.shareIndex)!.address,
    expected: a.expected,
    contributed: a.contributed,
    receipts: a.receipts,
    rate: a.expected === 0 ? 1 : a.contributed / a.expected,
  }));
  return { ok: true, members, result, bundle };
}
