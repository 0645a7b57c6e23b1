/**
 * ParSigEx: exchanges this member's partial signatures with the others. Each message carries one
 * member's partials for all of a duty's validators and is signed with the member's secp256k1
 * identity key over (lock hash, duty, share index, the (pubkey, signing root, partial) set, send
 * time). Receivers check the sender binding (the claimed share index must be the one the cluster
 * assigned to the authenticated sender), the lock hash and the signature, and keep every accepted
 * message with their own receipt time: the participation evidence.
 */
import { k1Sign, k1Verify65 } from "@cohort/cluster";
import {
  type ParSigMsg as EvidenceParSigMsg,
  type SignedParSigMsg as EvidenceSignedParSigMsg,
  parSigMsgDigest,
} from "@cohort/evidence";
import type { Clock } from "./deadline";
import type { ParSig, ParSigEx, ParSigSet, UnsignedData } from "./interfaces";
import { fromHex, toHex } from "./signing";
import { type Duty, DutyType, type DutyTypeName, dutyTypeName, duty as makeDuty, type PubKey } from "./types";

/** The wire message (see `@cohort/evidence`), with the core's typed unsigned data. */
export type ParSigMsg = EvidenceParSigMsg<UnsignedData>;
export type SignedParSigMsg = EvidenceSignedParSigMsg<UnsignedData>;
export { parSigMsgDigest };

/** Delivery between members; `fromPeer` is the authenticated sender (e.g. the libp2p peer id). */
export interface ParSigExTransport {
  broadcast(msg: SignedParSigMsg): void;
  subscribe(fn: (msg: SignedParSigMsg, fromPeer: string) => void): void;
}

export type SenderBindingReason = "unknown_peer" | "share_idx_mismatch";
export type ParSigExRejectReason = SenderBindingReason | "wrong_lock" | "bad_signature" | "malformed";

/**
 * A peer may only contribute under the share index the cluster assigned it (by peer map, never by
 * position: removing an operator leaves gapped indices).
 */
export function verifySenderShareIndex(
  shareIdxByPeer: ReadonlyMap<string, number>,
  sender: string,
  shareIdx: number,
): { accepted: true; reason: null } | { accepted: false; reason: SenderBindingReason } {
  const assigned = shareIdxByPeer.get(sender);
  if (assigned === undefined) return { accepted: false, reason: "unknown_peer" };
  if (!Number.isInteger(shareIdx) || shareIdx <= 0 || shareIdx !== assigned)
    return { accepted: false, reason: "share_idx_mismatch" };
  return { accepted: true, reason: null };
}

/** Every peer must have a positive share index, or its partials would be silently dropped. */
export function checkPeerMap(
  peers: readonly string[],
  shareIdxByPeer: ReadonlyMap<string, number>,
): { accepted: true; reason: null } | { accepted: false; reason: "missing_share_idx"; peer: string } {
  for (const peer of peers) {
    const idx = shareIdxByPeer.get(peer);
    if (idx === undefined || !Number.isInteger(idx) || idx <= 0)
      return { accepted: false, reason: "missing_share_idx", peer };
  }
  return { accepted: true, reason: null };
}

/** One accepted message as received: what an auditor can verify offline. */
export interface EvidenceRecord {
  message: SignedParSigMsg;
  fromPeer: string;
  receivedAt: number;
}

export interface MemberIdentity {
  peerId: string;
  shareIndex: number;
  /** Compressed secp256k1 public key (33 bytes). */
  identityPublicKey: Uint8Array;
}

export interface SignedParSigExOptions {
  clock: Clock;
  transport: ParSigExTransport;
  lockHash: Uint8Array;
  members: readonly MemberIdentity[];
  self: string;
  identityKey: Uint8Array;
  onReject?: (fromPeer: string, reason: ParSigExRejectReason) => void;
  /**
   * Awaited before each of this member's messages leaves the process (e.g. an fsynced journal
   * write: the member can always prove what it sent). If it rejects, the message is NOT sent and
   * {@link onSendError} is told.
   */
  beforeSend?: (msg: SignedParSigMsg) => Promise<void>;
  /** A `beforeSend` failure (the message was withheld). */
  onSendError?: (msg: SignedParSigMsg, err: unknown) => void;
  /** Every accepted received message, with its receipt time (e.g. to persist it). */
  onAccept?: (record: EvidenceRecord) => void;
  /** Keep accepted messages in memory for {@link SignedParSigEx.evidence} (default true). */
  keepEvidence?: boolean;
}

export class SignedParSigEx implements ParSigEx {
  private readonly listeners: ((duty: Duty, set: ParSigSet, fromShareIndex: number) => void)[] = [];
  private readonly shareIdxByPeer: Map<string, number>;
  private readonly keyByPeer: Map<string, Uint8Array>;
  private readonly evidenceLog: EvidenceRecord[] = [];
  private readonly self: MemberIdentity;

  constructor(private readonly o: SignedParSigExOptions) {
    this.shareIdxByPeer = new Map(o.members.map((m) => [m.peerId, m.shareIndex]));
    this.keyByPeer = new Map(o.members.map((m) => [m.peerId, m.identityPublicKey]));
    const check = checkPeerMap(
      o.members.map((m) => m.peerId),
      this.shareIdxByPeer,
    );
    if (!check.accepted) throw new RangeError(`parsigex: ${check.reason} for ${check.peer}`);
    const self = o.members.find((m) => m.peerId === o.self);
    if (!self) throw new RangeError(`parsigex: ${o.self} is not a cluster member`);
    this.self = self;
    o.transport.subscribe((msg, from) => this.receive(msg, from));
  }

  subscribe(fn: (duty: Duty, set: ParSigSet, fromShareIndex: number) => void): void {
    this.listeners.push(fn);
  }

  /**
   * Signs and sends this member's partials for a duty. With a `beforeSend` hook the send waits for
   * it (the returned promise settles once the message was handed to the transport or withheld).
   */
  broadcast(duty: Duty, set: ParSigSet): Promise<void> | undefined {
    const message: ParSigMsg = {
      lockHash: toHex(this.o.lockHash),
      slot: duty.slot,
      dutyType: DutyType[duty.type],
      shareIndex: this.self.shareIndex,
      sentAt: this.o.clock.now(),
      partials: [...set].map(([pubkey, p]) => ({
        pubkey,
        signingRoot: toHex(p.signingRoot),
        signature: toHex(p.signature),
        data: p.data,
      })),
    };
    const signed: SignedParSigMsg = {
      message,
      signature: toHex(k1Sign(this.o.identityKey, parSigMsgDigest(message))),
    };
    const before = this.o.beforeSend;
    if (!before) {
      this.o.transport.broadcast(signed);
      return undefined;
    }
    return before(signed).then(
      () => this.o.transport.broadcast(signed),
      (err) => this.o.onSendError?.(signed, err),
    );
  }

  /** Accepted messages with their receipt time, optionally for one duty. */
  evidence(duty?: Duty): readonly EvidenceRecord[] {
    if (!duty) return [...this.evidenceLog];
    const code = DutyType[duty.type];
    return this.evidenceLog.filter(
      (e) => e.message.message.slot === duty.slot && e.message.message.dutyType === code,
    );
  }

  private reject(from: string, reason: ParSigExRejectReason): ParSigExRejectReason {
    this.o.onReject?.(from, reason);
    return reason;
  }

  private receive(signed: SignedParSigMsg, fromPeer: string): ParSigExRejectReason | null {
    const receivedAt = this.o.clock.now();
    const m = signed.message;
    const binding = verifySenderShareIndex(this.shareIdxByPeer, fromPeer, m.shareIndex);
    if (!binding.accepted) return this.reject(fromPeer, binding.reason);
    if (m.lockHash.toLowerCase() !== toHex(this.o.lockHash)) return this.reject(fromPeer, "wrong_lock");
    let duty: Duty;
    let digest: Uint8Array;
    try {
      duty = makeDuty(m.slot, dutyTypeName(m.dutyType) as DutyTypeName);
      digest = parSigMsgDigest(m);
    } catch {
      return this.reject(fromPeer, "malformed");
    }
    if (!k1Verify65(this.keyByPeer.get(fromPeer)!, digest, fromHex(signed.signature)))
      return this.reject(fromPeer, "bad_signature");
    const record: EvidenceRecord = { message: signed, fromPeer, receivedAt };
    if (this.o.keepEvidence !== false) this.evidenceLog.push(record);
    this.o.onAccept?.(record);
    const set = new Map<PubKey, ParSig>(
      m.partials.map((p) => [
        p.pubkey as PubKey,
        {
          data: p.data,
          signingRoot: fromHex(p.signingRoot),
          signature: fromHex(p.signature),
          shareIndex: m.shareIndex,
        },
      ]),
    );
    for (const fn of this.listeners) fn(duty, set, m.shareIndex);
    return null;
  }
}
