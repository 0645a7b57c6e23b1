/**
 * The participation rule, as a pure function over signed material (no database, no clock).
 *
 * Member m contributed to validator v of duty d iff
 *   1. m's identity-signed message for d (key from the lock, {@link verifyParSigMsgSignature}) carries
 *      a partial for v that verifies against m's public share of v over its signing root, and that
 *      root is the duty's root: the caller's expected root when it knows it, else the root at least
 *      t members' valid partials agree on; with neither, a root that is another duty's root of v is
 *      refused (a partial reused from another duty); and
 *   2. at least q OTHER members report receiving one of m's messages carrying such a partial (same
 *      digest) at or before the duty's deadline (a receiver's receipt of its own message never counts;
 *      each receiver counts once, at its earliest receipt).
 *
 * Everything else is a reason code on the row, and suspicious input is listed as an anomaly. The
 * result depends only on the set of inputs, never on their order.
 */
import type { EvidenceCluster, EvidenceValidator } from "./cluster";
import { defaultReceiptQuorum } from "./cluster";
import { fromHex, parSigMsgDigest, type SignedParSigMsg, toHex } from "./message";
import { verifyParSigMsgSignature } from "./report";
import { type PartialItem, verifyPartials } from "./verifyPartials";

export type NotContributedReason =
  | "no_message"
  | "bad_message_signature"
  | "no_partial_for_validator"
  | "wrong_signing_root"
  | "invalid_partial"
  | "late"
  | "insufficient_receipts";

export interface ExpectedDuty {
  slot: number;
  dutyType: number;
  /** Group public keys of the duty's validators (0x-hex; case-insensitive). */
  validators: readonly string[];
  /** Unix ms: receipts after this do not count. */
  deadline: number;
  /** Validator → the signing root the cluster decided, when the caller knows it. */
  signingRoots?: Readonly<Record<string, string>>;
}

/** A receiver's authenticated statement that it received message `digest` from `from` at `receivedAt`. */
export interface ReceiptEvidence {
  /** Share index of the member that recorded the receipt. */
  receiver: number;
  digest: string;
  from: number;
  /** Receiver's unix ms. */
  receivedAt: number;
}

export interface ReconcileInput {
  cluster: EvidenceCluster;
  duties: readonly ExpectedDuty[];
  messages: readonly SignedParSigMsg[];
  receipts: readonly ReceiptEvidence[];
  /** Receipt quorum: other members that must vouch; default ⌈(n − 1)/2⌉. */
  q?: number;
}

export interface ContributionRow {
  slot: number;
  dutyType: number;
  validator: string;
  shareIndex: number;
  contributed: boolean;
  reason: NotContributedReason | null;
  /** Earliest receipt by another member of a message carrying a valid partial (any time), or null. */
  earliestReceipt: number | null;
  /** Distinct other members that received such a message at or before the deadline. */
  onTimeReceipts: number;
  /** Digests of the member's messages that carried a valid partial for this validator. */
  digests: string[];
}

export type AnomalyKind =
  | "wrong_lock_hash"
  | "unknown_sender"
  | "bad_message_signature"
  | "unexpected_duty"
  | "unknown_validator"
  | "invalid_partial"
  | "wrong_signing_root"
  | "equivocation"
  | "ambiguous_root"
  | "unknown_receiver"
  | "receipt_sender_mismatch"
  | "receipt_unknown_message";

export interface Anomaly {
  kind: AnomalyKind;
  /** The member the anomaly is about (sender; for receipt anomalies, the receiver). */
  shareIndex: number;
  slot: number | null;
  dutyType: number | null;
  digest: string | null;
  validator: string | null;
  detail: string;
}

export interface MemberTotals {
  shareIndex: number;
  /** (duty, validator) pairs the member was expected to sign. */
  expected: number;
  contributed: number;
}

export interface ReconcileResult {
  q: number;
  rows: ContributionRow[];
  members: MemberTotals[];
  anomalies: Anomaly[];
}

interface Accepted {
  digest: string;
  msg: SignedParSigMsg["message"];
  dutyKey: string;
}

interface Candidate {
  digest: string;
  root: string;
  itemIndex: number;
}

const lc = (s: string) => s.toLowerCase();
const dutyKeyOf = (slot: number, dutyType: number) => `${slot}/${dutyType}`;

/** Applies the participation rule; see the module comment. @throws RangeError for inconsistent inputs (q, unknown validators, duplicate duties). */
export function reconcile(input: ReconcileInput): ReconcileResult {
  const { cluster } = input;
  const n = cluster.members.length;
  const q = input.q ?? defaultReceiptQuorum(n);
  if (!Number.isInteger(q) || q < 1 || q > n - 1)
    throw new RangeError(`receipt quorum q must be an integer in [1, ${n - 1}] (got ${q})`);
  const lockHash = lc(cluster.lockHash);
  const members = new Map(cluster.members.map((m) => [m.shareIndex, m]));
  const validators = new Map<string, EvidenceValidator>(cluster.validators.map((v) => [lc(v.pubkey), v]));
  const anomalies: Anomaly[] = [];

  // Duties, normalised and in a canonical order.
  const duties = new Map<string, ExpectedDuty & { validators: string[]; roots: Map<string, string> }>();
  for (const d of input.duties) {
    const key = dutyKeyOf(d.slot, d.dutyType);
    if (duties.has(key)) throw new RangeError(`duty ${key} is listed twice`);
    const vs = [...new Set(d.validators.map(lc))].sort();
    for (const v of vs)
      if (!validators.has(v)) throw new RangeError(`duty ${key}: validator ${v} is not in the cluster`);
    const roots = new Map(Object.entries(d.signingRoots ?? {}).map(([k, r]) => [lc(k), lc(r)]));
    duties.set(key, { ...d, validators: vs, roots });
  }
  const orderedDuties = [...duties.entries()].sort(
    ([, a], [, b]) => a.slot - b.slot || a.dutyType - b.dutyType,
  );

  // Messages: authenticate, then keep one copy per digest.
  const accepted = new Map<string, Accepted>();
  const badSignature = new Set<string>(); // `${dutyKey}|${shareIndex}`
  for (const signed of input.messages) {
    const m = signed.message;
    const digest = toHex(parSigMsgDigest(m));
    const base = { shareIndex: m.shareIndex, slot: m.slot, dutyType: m.dutyType, digest, validator: null };
    if (lc(m.lockHash) !== lockHash) {
      anomalies.push({ ...base, kind: "wrong_lock_hash", detail: `message for lock ${m.lockHash}` });
      continue;
    }
    const member = members.get(m.shareIndex);
    if (!member) {
      anomalies.push({
        ...base,
        kind: "unknown_sender",
        detail: `share index ${m.shareIndex} is not a member`,
      });
      continue;
    }
    const dutyKey = dutyKeyOf(m.slot, m.dutyType);
    if (!verifyParSigMsgSignature(signed, member.identityPublicKey)) {
      badSignature.add(`${dutyKey}|${m.shareIndex}`);
      anomalies.push({
        ...base,
        kind: "bad_message_signature",
        detail: `not signed by member ${m.shareIndex}'s identity key`,
      });
      continue;
    }
    if (!duties.has(dutyKey)) {
      anomalies.push({ ...base, kind: "unexpected_duty", detail: `no expected duty ${dutyKey}` });
      continue;
    }
    if (!accepted.has(digest)) accepted.set(digest, { digest, msg: m, dutyKey });
  }

  // Partials of accepted messages, verified in one batch (grouped by signing root).
  const items: PartialItem[] = [];
  const candidates = new Map<string, Candidate[]>(); // `${dutyKey}|${validator}|${shareIndex}`
  const byDutyMember = new Map<string, Accepted[]>();
  for (const a of [...accepted.values()].sort((x, y) => (x.digest < y.digest ? -1 : 1))) {
    const duty = duties.get(a.dutyKey)!;
    const dm = `${a.dutyKey}|${a.msg.shareIndex}`;
    byDutyMember.set(dm, [...(byDutyMember.get(dm) ?? []), a]);
    for (const p of a.msg.partials) {
      const v = lc(p.pubkey);
      if (!duty.validators.includes(v)) {
        anomalies.push({
          kind: "unknown_validator",
          shareIndex: a.msg.shareIndex,
          slot: a.msg.slot,
          dutyType: a.msg.dutyType,
          digest: a.digest,
          validator: v,
          detail: `validator ${v} is not part of duty ${a.dutyKey}`,
        });
        continue;
      }
      const share = validators.get(v)!.publicShares.get(a.msg.shareIndex)!;
      const key = `${a.dutyKey}|${v}|${a.msg.shareIndex}`;
      const list = candidates.get(key) ?? [];
      list.push({ digest: a.digest, root: lc(p.signingRoot), itemIndex: items.length });
      candidates.set(key, list);
      items.push({
        publicShare: share,
        signingRoot: fromHex(p.signingRoot),
        signature: fromHex(p.signature),
      });
    }
  }
  const badItems = new Set(verifyPartials(items).bad);
  const blsOk = (c: Candidate) => !badItems.has(c.itemIndex) && /^0x[0-9a-f]{64}$/.test(c.root);

  // Each (duty, validator)'s root: expected, else agreed by ≥ t members' valid partials.
  const dutyRoot = new Map<string, string>(); // `${dutyKey}|${validator}` → root
  const rootOwner = new Map<string, string>(); // `${validator}|${root}` → dutyKey
  for (const [dutyKey, duty] of orderedDuties) {
    for (const v of duty.validators) {
      let root = duty.roots.get(v);
      if (root === undefined) {
        const signers = new Map<string, Set<number>>();
        for (const m of cluster.members)
          for (const c of candidates.get(`${dutyKey}|${v}|${m.shareIndex}`) ?? [])
            if (blsOk(c)) signers.set(c.root, (signers.get(c.root) ?? new Set()).add(m.shareIndex));
        const agreed = [...signers].filter(([, s]) => s.size >= cluster.threshold).map(([r]) => r);
        if (agreed.length === 1) root = agreed[0];
        else if (agreed.length > 1)
          anomalies.push({
            kind: "ambiguous_root",
            shareIndex: 0,
            slot: duty.slot,
            dutyType: duty.dutyType,
            digest: null,
            validator: v,
            detail: `${agreed.length} signing roots each have ≥ ${cluster.threshold} valid partials`,
          });
      }
      if (root !== undefined) {
        dutyRoot.set(`${dutyKey}|${v}`, root);
        if (!rootOwner.has(`${v}|${root}`)) rootOwner.set(`${v}|${root}`, dutyKey);
      }
    }
  }

  // Receipts, by digest then receiver (earliest wins).
  const receipts = new Map<string, Map<number, number>>();
  for (const r of input.receipts) {
    const digest = lc(r.digest);
    const a = accepted.get(digest);
    const base = {
      shareIndex: r.receiver,
      slot: a?.msg.slot ?? null,
      dutyType: a?.msg.dutyType ?? null,
      digest,
      validator: null,
    };
    if (!members.has(r.receiver)) {
      anomalies.push({ ...base, kind: "unknown_receiver", detail: `receiver ${r.receiver} is not a member` });
      continue;
    }
    if (!a) {
      anomalies.push({
        ...base,
        kind: "receipt_unknown_message",
        detail: "no accepted message has this digest",
      });
      continue;
    }
    if (r.from !== a.msg.shareIndex) {
      anomalies.push({
        ...base,
        kind: "receipt_sender_mismatch",
        detail: `receipt names sender ${r.from}, the message is from ${a.msg.shareIndex}`,
      });
      continue;
    }
    if (r.receiver === a.msg.shareIndex) continue; // one's own receipt never counts
    const byReceiver = receipts.get(digest) ?? new Map<number, number>();
    const prev = byReceiver.get(r.receiver);
    if (prev === undefined || r.receivedAt < prev) byReceiver.set(r.receiver, r.receivedAt);
    receipts.set(digest, byReceiver);
  }

  // Equivocation: one member, one duty, two signed messages with different roots for a validator.
  for (const [dm, list] of byDutyMember) {
    if (list.length < 2) continue;
    const roots = new Map<string, Set<string>>();
    for (const a of list)
      for (const p of a.msg.partials) {
        const v = lc(p.pubkey);
        roots.set(v, (roots.get(v) ?? new Set()).add(lc(p.signingRoot)));
      }
    for (const [v, set] of [...roots].sort(([x], [y]) => (x < y ? -1 : 1))) {
      if (set.size < 2) continue;
      const first = list[0]!.msg;
      anomalies.push({
        kind: "equivocation",
        shareIndex: first.shareIndex,
        slot: first.slot,
        dutyType: first.dutyType,
        digest: null,
        validator: v,
        detail: `member ${first.shareIndex} signed ${list.length} messages for duty ${dm.split("|")[0]} with ${set.size} signing roots for ${v}: ${list.map((a) => a.digest).join(", ")}`,
      });
    }
  }

  // Rows.
  const rows: ContributionRow[] = [];
  const totals = new Map(
    [...members.keys()].sort((a, b) => a - b).map((i) => [i, { shareIndex: i, expected: 0, contributed: 0 }]),
  );
  for (const [dutyKey, duty] of orderedDuties) {
    for (const v of duty.validators) {
      const root = dutyRoot.get(`${dutyKey}|${v}`);
      const rootOk = (c: Candidate) =>
        root !== undefined ? c.root === root : (rootOwner.get(`${v}|${c.root}`) ?? dutyKey) === dutyKey;
      for (const shareIndex of totals.keys()) {
        const row: ContributionRow = {
          slot: duty.slot,
          dutyType: duty.dutyType,
          validator: v,
          shareIndex,
          contributed: false,
          reason: null,
          earliestReceipt: null,
          onTimeReceipts: 0,
          digests: [],
        };
        rows.push(row);
        totals.get(shareIndex)!.expected++;
        const hasMessage = byDutyMember.has(`${dutyKey}|${shareIndex}`);
        const cands = candidates.get(`${dutyKey}|${v}|${shareIndex}`) ?? [];
        const anomaly = (kind: AnomalyKind, c: Candidate, detail: string) =>
          anomalies.push({
            kind,
            shareIndex,
            slot: duty.slot,
            dutyType: duty.dutyType,
            digest: c.digest,
            validator: v,
            detail,
          });
        for (const c of cands) {
          if (!blsOk(c))
            anomaly(
              "invalid_partial",
              c,
              `partial does not verify against member ${shareIndex}'s public share over ${c.root}`,
            );
          else if (!rootOk(c))
            anomaly(
              "wrong_signing_root",
              c,
              root !== undefined
                ? `signs ${c.root}, the duty's root is ${root}`
                : `signs ${c.root}, the root of duty ${rootOwner.get(`${v}|${c.root}`)}`,
            );
        }
        const good = cands.filter((c) => blsOk(c) && rootOk(c));
        if (!hasMessage) {
          row.reason = badSignature.has(`${dutyKey}|${shareIndex}`) ? "bad_message_signature" : "no_message";
          continue;
        }
        if (cands.length === 0) {
          row.reason = "no_partial_for_validator";
          continue;
        }
        if (good.length === 0) {
          row.reason = cands.some(rootOk) ? "invalid_partial" : "wrong_signing_root";
          continue;
        }
        const earliest = new Map<number, number>();
        for (const c of good)
          for (const [receiver, at] of receipts.get(c.digest) ?? [])
            if (!earliest.has(receiver) || at < earliest.get(receiver)!) earliest.set(receiver, at);
        const times = [...earliest.values()];
        row.digests = [...new Set(good.map((c) => c.digest))].sort();
        row.earliestReceipt = times.length ? Math.min(...times) : null;
        row.onTimeReceipts = times.filter((t) => t <= duty.deadline).length;
        if (row.onTimeReceipts >= q) {
          row.contributed = true;
          totals.get(shareIndex)!.contributed++;
        } else row.reason = times.length >= q ? "late" : "insufficient_receipts";
      }
    }
  }

  const str = (x: unknown) => (x === null ? "" : String(x));
  anomalies.sort(
    (a, b) =>
      (a.slot ?? -1) - (b.slot ?? -1) ||
      (a.dutyType ?? -1) - (b.dutyType ?? -1) ||
      a.shareIndex - b.shareIndex ||
      a.kind.localeCompare(b.kind) ||
      str(a.validator).localeCompare(str(b.validator)) ||
      str(a.digest).localeCompare(str(b.digest)) ||
      a.detail.localeCompare(b.detail),
  );
  return { q, rows, members: [...totals.values()], anomalies: dedupe(anomalies) };
}

function dedupe(list: Anomaly[]): Anomaly[] {
  const seen = new Set<string>();
  return list.filter((a) => {
    const k = JSON.stringify(a);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
