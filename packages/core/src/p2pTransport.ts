/**
 * Adapters from a `@cohort/p2p` node (authenticated full mesh, opaque byte messages) to the core's
 * `ConsensusTransport` and `ParSigExTransport`.
 *
 * Peer index (the lock's operator index, proved by the Noise handshake) = position in
 * `ClusterInfo.members`; `fromPeer` handed to the core is that member's `peerId`.
 *
 * ## Encoding
 *
 * Both protocols carry UTF-8 JSON; byte fields are 0x-prefixed lowercase hex.
 *
 * `/cohort/parsigex/1`: a `SignedParSigMsg` as is (it is already hex/JSON; its own secp256k1
 * signature is checked by `SignedParSigEx`). The shape is validated here before delivery.
 *
 * `/cohort/qbft/1`: a signed QBFT message
 * ```
 * SignedQbft = { type, instance, source, round, value, preparedRound, preparedValue,
 *                signature: 0x-hex(65), justification: SignedQbft[] }   // nested: justification []
 * ```
 * `signature` is the secp256k1 (R‖S‖V) signature by the identity key of member `source` over
 * {@link qbftMsgDigest} = sha256("cohort/qbft/v1" ‖ lockHash ‖ canonical JSON
 * `[type, instance, source, round, value, preparedRound, preparedValue]`). Justifications are not
 * covered by the outer signature (as in Charon): each nested message carries its author's own
 * signature, so a relay can include other members' votes but cannot forge or alter them.
 *
 * Receive path: wire size, then {@link checkMessageLimits} (justification and value counts), then
 * shape, sender binding (`source` = authenticated peer index), outer signature and every nested
 * signature against the lock's identity keys. Any failure drops the whole message and is reported
 * through `onInvalid(reason, fromPeer)`. Verified signatures are remembered per instance so that
 * this node can relay them when the QBFT engine justifies its own messages with them.
 */
import { createHash } from "node:crypto";
import { k1Sign, k1Verify65 } from "@cohort/cluster";
import type { P2PNode } from "@cohort/p2p";
import { checkMessageLimits, MAX_CONSENSUS_MSG_SIZE, type Msg, MsgType } from "@cohort/qbft";
import type { ConsensusMsg, ConsensusTransport } from "./consensus";
import type { MemberIdentity, ParSigExTransport, SignedParSigMsg } from "./parsigex";
import { fromHex, toHex } from "./signing";

export const QBFT_PROTOCOL = "/cohort/qbft/1";
export const PARSIGEX_PROTOCOL = "/cohort/parsigex/1";

/** The part of a `@cohort/p2p` node the adapters use. */
export type P2PMessaging = Pick<P2PNode, "handle" | "broadcast">;

export type QbftTransportRejectReason =
  | "unknown_peer"
  | "msg_too_large"
  | "too_many_justifications"
  | "too_many_values"
  | "malformed"
  | "source_not_sender"
  | "bad_signature"
  | "bad_justification_signature";

export interface P2PTransportOptions {
  node: P2PMessaging;
  /** Members in operator order (p2p peer index = position). */
  members: readonly MemberIdentity[];
  lockHash: Uint8Array;
}

export interface QbftP2PTransportOptions extends P2PTransportOptions {
  /** This node's secp256k1 identity key (signs its own messages). */
  identityKey: Uint8Array;
  /** This node's position in `members`. */
  selfIndex: number;
  onInvalid?: (reason: QbftTransportRejectReason | string, fromPeer: string) => void;
  /** Called with every message received and accepted (after verification). */
  onReceive?: (msg: ConsensusMsg, fromPeer: string) => void;
  /** Called when a broadcast could not reach some peers. */
  onSendFailures?: (failedPeerIndices: number[]) => void;
  /** Instances whose signatures are remembered (default 1024, oldest dropped first). */
  maxInstances?: number;
}

type QbftFields = Omit<ConsensusMsg, "justification">;

/** sha256("cohort/qbft/v1" ‖ lockHash ‖ JSON[type, instance, source, round, value, preparedRound, preparedValue]). */
export function qbftMsgDigest(lockHash: Uint8Array, m: QbftFields): Uint8Array {
  const body = JSON.stringify([
    m.type,
    m.instance,
    m.source,
    m.round,
    m.value,
    m.preparedRound,
    m.preparedValue,
  ]);
  return new Uint8Array(createHash("sha256").update("cohort/qbft/v1").update(lockHash).update(body).digest());
}

interface WireQbft {
  type: MsgType;
  instance: string;
  source: number;
  round: number;
  value: string | null;
  preparedRound: number;
  preparedValue: string | null;
  signature: string;
  justification: WireQbft[];
}

const MSG_TYPES = new Set<number>(Object.values(MsgType));
const HEX_SIG = /^0x[0-9a-fA-F]{130}$/;
const isInt = (x: unknown): x is number => typeof x === "number" && Number.isSafeInteger(x);
const isStrOrNull = (x: unknown): x is string | null => x === null || typeof x === "string";

function isWireQbft(x: unknown, nested: boolean): x is WireQbft {
  if (typeof x !== "object" || x === null) return false;
  const m = x as Record<string, unknown>;
  if (
    !isInt(m.type) ||
    !MSG_TYPES.has(m.type) ||
    typeof m.instance !== "string" ||
    !isInt(m.source) ||
    !isInt(m.round) ||
    !isStrOrNull(m.value) ||
    !isInt(m.preparedRound) ||
    !isStrOrNull(m.preparedValue) ||
    typeof m.signature !== "string" ||
    !HEX_SIG.test(m.signature) ||
    !Array.isArray(m.justification)
  )
    return false;
  if (nested) return m.justification.length === 0;
  return m.justification.every((j) => isWireQbft(j, true));
}

/** Values (value, preparedValue) carried by a message and its direct justifications, before validation. */
const countValuesRaw = (outer: unknown, justification: unknown[]) =>
  [outer, ...justification].reduce<number>((n, m) => {
    const r = (typeof m === "object" && m !== null ? m : {}) as Record<string, unknown>;
    return n + (r.value != null ? 1 : 0) + (r.preparedValue != null ? 1 : 0);
  }, 0);

const fields = (m: QbftFields): QbftFields => ({
  type: m.type,
  instance: m.instance,
  source: m.source,
  round: m.round,
  value: m.value,
  preparedRound: m.preparedRound,
  preparedValue: m.preparedValue,
});

/**
 * `ConsensusTransport` over p2p with per-message identity signatures (nested justifications
 * included). See the module comment for the encoding and checks.
 */
export class QbftP2PTransport implements ConsensusTransport {
  private readonly subscribers: ((msg: ConsensusMsg, fromPeer: string) => void)[] = [];
  /** instance → digest hex → signature hex (own and verified ones). */
  private readonly sigs = new Map<string, Map<string, string>>();
  private readonly unregister: () => void;
  private closed = false;

  constructor(private readonly o: QbftP2PTransportOptions) {
    if (!o.members[o.selfIndex]) throw new RangeError(`qbft transport: no member at index ${o.selfIndex}`);
    this.unregister = o.node.handle(QBFT_PROTOCOL, (from, bytes) => this.receive(from, bytes));
  }

  subscribe(fn: (msg: ConsensusMsg, fromPeer: string) => void): void {
    this.subscribers.push(fn);
  }

  close(): void {
    this.closed = true;
    this.unregister();
  }

  broadcast(msg: ConsensusMsg): void {
    if (this.closed) return; // a round timer can still fire while the agent shuts down
    let wire: WireQbft;
    try {
      wire = {
        ...fields(msg),
        signature: this.signatureFor(msg),
        justification: msg.justification.map((j) => ({
          ...fields(j),
          signature: this.signatureFor(j),
          justification: [],
        })),
      };
    } catch (e) {
      this.o.onInvalid?.(`unsendable: ${(e as Error).message}`, this.o.members[this.o.selfIndex]!.peerId);
      return;
    }
    const res = this.o.node.broadcast(QBFT_PROTOCOL, Buffer.from(JSON.stringify(wire)));
    if (res.failed.length > 0) this.o.onSendFailures?.(res.failed.map((f) => f.peerIndex));
  }

  /** Own messages are signed; others' must have been received (and verified) before. */
  private signatureFor(m: QbftFields): string {
    const digest = qbftMsgDigest(this.o.lockHash, m);
    const key = toHex(digest);
    const known = this.sigs.get(m.instance)?.get(key);
    if (known) return known;
    if (m.source !== this.o.selfIndex)
      throw new Error(`no signature known for a justification from member ${m.source}`);
    const sig = toHex(k1Sign(this.o.identityKey, digest));
    this.remember(m.instance, key, sig);
    return sig;
  }

  private remember(instance: string, digestHex: string, sig: string): void {
    let m = this.sigs.get(instance);
    if (!m) {
      m = new Map();
      this.sigs.set(instance, m);
      const max = this.o.maxInstances ?? 1024;
      while (this.sigs.size > max) this.sigs.delete(this.sigs.keys().next().value as string);
    }
    if (m.size < 4096) m.set(digestHex, sig);
  }

  /** Verifies (or finds already verified) `w`'s signature by member `w.source`. */
  private verified(w: WireQbft): boolean {
    const member = this.o.members[w.source];
    if (!member) return false;
    const digest = qbftMsgDigest(this.o.lockHash, w);
    const key = toHex(digest);
    const sig = w.signature.toLowerCase();
    if (this.sigs.get(w.instance)?.get(key) === sig) return true;
    if (!k1Verify65(member.identityPublicKey, digest, fromHex(sig))) return false;
    this.remember(w.instance, key, sig);
    return true;
  }

  /** Returns the reject reason, or null when delivered. */
  private receive(fromIndex: number, bytes: Uint8Array): QbftTransportRejectReason | null {
    const member = this.o.members[fromIndex];
    const fromPeer = member?.peerId ?? `index:${fromIndex}`;
    const reject = (reason: QbftTransportRejectReason) => {
      this.o.onInvalid?.(reason, fromPeer);
      return reason;
    };
    if (!member) return reject("unknown_peer");
    const nodes = this.o.members.length;
    const size = checkMessageLimits({ wireSizeBytes: bytes.length });
    if (!size.accepted || bytes.length > MAX_CONSENSUS_MSG_SIZE) return reject("msg_too_large");
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.from(bytes).toString("utf8"));
    } catch {
      return reject("malformed");
    }
    // Amplification limits before any per-element work (signature checks).
    const j = (parsed as { justification?: unknown } | null)?.justification;
    if (Array.isArray(j)) {
      const limits = checkMessageLimits({
        nodes,
        justificationCount: j.length,
        valueCount: countValuesRaw(parsed, j),
      });
      if (!limits.accepted && limits.reason) return reject(limits.reason);
    }
    if (!isWireQbft(parsed, false)) return reject("malformed");
    const w = parsed;
    if (w.source !== fromIndex) return reject("source_not_sender");
    if (!this.verified(w)) return reject("bad_signature");
    for (const just of w.justification) {
      if (just.instance !== w.instance || !this.verified(just)) return reject("bad_justification_signature");
    }
    const msg: ConsensusMsg = {
      ...fields(w),
      justification: w.justification.map((x) => ({ ...fields(x), justification: [] })),
    };
    this.o.onReceive?.(msg, fromPeer);
    for (const fn of this.subscribers) fn(msg, fromPeer);
    return null;
  }

  /** Feeds raw bytes as if received from `fromIndex` (tests). */
  receiveForTest(fromIndex: number, bytes: Uint8Array): QbftTransportRejectReason | null {
    return this.receive(fromIndex, bytes);
  }
}

/** Encodes a signed QBFT wire message (tests and tools). */
export function encodeSignedQbft(
  lockHash: Uint8Array,
  msg: Msg<string, string>,
  signer: (source: number) => Uint8Array,
): Uint8Array {
  const sign = (m: QbftFields) => toHex(k1Sign(signer(m.source), qbftMsgDigest(lockHash, m)));
  const wire: WireQbft = {
    ...fields(msg),
    signature: sign(msg),
    justification: msg.justification.map((j) => ({ ...fields(j), signature: sign(j), justification: [] })),
  };
  return Buffer.from(JSON.stringify(wire));
}

export interface ParSigExP2PTransportOptions extends P2PTransportOptions {
  onInvalid?: (reason: "unknown_peer" | "malformed", fromPeer: string) => void;
  onReceive?: (msg: SignedParSigMsg, fromPeer: string) => void;
  onSendFailures?: (failedPeerIndices: number[]) => void;
}

function isSignedParSigMsg(x: unknown): x is SignedParSigMsg {
  if (typeof x !== "object" || x === null) return false;
  const s = x as Record<string, unknown>;
  const m = s.message as Record<string, unknown> | null;
  if (typeof s.signature !== "string" || typeof m !== "object" || m === null) return false;
  return (
    typeof m.lockHash === "string" &&
    isInt(m.slot) &&
    isInt(m.dutyType) &&
    isInt(m.shareIndex) &&
    isInt(m.sentAt) &&
    Array.isArray(m.partials) &&
    m.partials.every((p: unknown) => {
      if (typeof p !== "object" || p === null) return false;
      const q = p as Record<string, unknown>;
      return (
        typeof q.pubkey === "string" && typeof q.signingRoot === "string" && typeof q.signature === "string"
      );
    })
  );
}

/** `ParSigExTransport` over p2p: JSON of the (already signed) `SignedParSigMsg`. */
export class ParSigExP2PTransport implements ParSigExTransport {
  private readonly subscribers: ((msg: SignedParSigMsg, fromPeer: string) => void)[] = [];
  private readonly unregister: () => void;
  private closed = false;

  constructor(private readonly o: ParSigExP2PTransportOptions) {
    this.unregister = o.node.handle(PARSIGEX_PROTOCOL, (from, bytes) => this.receive(from, bytes));
  }

  subscribe(fn: (msg: SignedParSigMsg, fromPeer: string) => void): void {
    this.subscribers.push(fn);
  }

  close(): void {
    this.closed = true;
    this.unregister();
  }

  broadcast(msg: SignedParSigMsg): void {
    if (this.closed) return;
    const res = this.o.node.broadcast(PARSIGEX_PROTOCOL, Buffer.from(JSON.stringify(msg)));
    if (res.failed.length > 0) this.o.onSendFailures?.(res.failed.map((f) => f.peerIndex));
  }

  private receive(fromIndex: number, bytes: Uint8Array): void {
    const member = this.o.members[fromIndex];
    if (!member) {
      this.o.onInvalid?.("unknown_peer", `index:${fromIndex}`);
      return;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.from(bytes).toString("utf8"));
    } catch {
      parsed = undefined;
    }
    if (!isSignedParSigMsg(parsed)) {
      this.o.onInvalid?.("malformed", member.peerId);
      return;
    }
    this.o.onReceive?.(parsed, member.peerId);
    for (const fn of this.subscribers) fn(parsed, member.peerId);
  }
}
