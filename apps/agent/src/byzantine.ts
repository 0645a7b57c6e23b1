/**
 * TEST FEATURE ONLY — byzantine behaviour for `cohort simnet` (hidden `agent run --byzantine`).
 *
 * Wraps the outgoing side of this node's p2p messaging before the core's transports get it, so a
 * member misbehaves on the wire while everything it receives and does locally is unchanged. A
 * byzantine member owns its identity key, so tampered messages are re-signed with it (they pass the
 * transports' signature checks and must be caught by the layers above):
 *
 * - `silent`: drops every outgoing QBFT and parsigex message (pings still flow: it looks connected).
 * - `bad-partials`: replaces every partial signature in outgoing parsigex messages with a valid G2
 *   point that signs the wrong message, and re-signs the message.
 * - `wrong-share`: claims another member's share index in outgoing parsigex messages, re-signed.
 * - `equivocate`: sends conflicting QBFT messages: its PREPARE/COMMIT values go unchanged to some
 *   peers and replaced by another (re-signed, empty) value to the others.
 */
import { k1Sign } from "@cohort/cluster";
import {
  fromHex,
  type MemberIdentity,
  type P2PMessaging,
  PARSIGEX_PROTOCOL,
  parSigMsgDigest,
  QBFT_PROTOCOL,
  qbftMsgDigest,
  type SignedParSigMsg,
  toHex,
} from "@cohort/core";
import type { BroadcastResult, P2PNode } from "@cohort/p2p";
import { MsgType } from "@cohort/qbft";
import { generateSecretKey, sign } from "@cohort/tbls";

export const BYZANTINE_MODES = ["silent", "bad-partials", "wrong-share", "equivocate"] as const;
export type ByzantineMode = (typeof BYZANTINE_MODES)[number];

export function isByzantineMode(x: string): x is ByzantineMode {
  return (BYZANTINE_MODES as readonly string[]).includes(x);
}

export interface ByzantineOptions {
  mode: ByzantineMode;
  node: Pick<P2PNode, "handle" | "broadcast" | "send">;
  members: readonly MemberIdentity[];
  selfIndex: number;
  lockHash: Uint8Array;
  identityKey: Uint8Array;
}

const reSign = (identityKey: Uint8Array, msg: SignedParSigMsg): SignedParSigMsg => ({
  message: msg.message,
  signature: toHex(k1Sign(identityKey, parSigMsgDigest(msg.message))),
});

/** The messaging handed to the transports; outgoing traffic is tampered with per `mode`. */
export function byzantineMessaging(o: ByzantineOptions): P2PMessaging {
  const wrongKey = generateSecretKey();
  const nothing = (): BroadcastResult => ({ sent: [], failed: [] });
  const tamperParSig = (bytes: Uint8Array): Uint8Array => {
    const msg = JSON.parse(Buffer.from(bytes).toString("utf8")) as SignedParSigMsg;
    if (o.mode === "bad-partials") {
      msg.message.partials = msg.message.partials.map((p) => ({
        ...p,
        signature: toHex(sign(wrongKey, fromHex(p.signingRoot))),
      }));
    } else {
      const others = o.members.filter((_, i) => i !== o.selfIndex);
      msg.message.shareIndex = others[0]?.shareIndex ?? msg.message.shareIndex + 1;
    }
    return Buffer.from(JSON.stringify(reSign(o.identityKey, msg)));
  };
  const equivocate = (bytes: Uint8Array): BroadcastResult => {
    const w = JSON.parse(Buffer.from(bytes).toString("utf8")) as {
      type: number;
      instance: string;
      source: number;
      round: number;
      value: string | null;
      preparedRound: number;
      preparedValue: string | null;
      signature: string;
      justification: unknown[];
    };
    if (
      (w.type !== MsgType.Prepare && w.type !== MsgType.Commit) ||
      w.value === null ||
      w.source !== o.selfIndex
    )
      return o.node.broadcast(QBFT_PROTOCOL, bytes);
    // A different (well-formed, empty) unsigned-data set: conflicts with the real value.
    const other = { ...w, value: "[]" };
    other.signature = toHex(k1Sign(o.identityKey, qbftMsgDigest(o.lockHash, other as never)));
    const conflicting = Buffer.from(JSON.stringify(other));
    const res: BroadcastResult = { sent: [], failed: [] };
    for (let i = 0; i < o.members.length; i++) {
      if (i === o.selfIndex) continue;
      try {
        o.node.send(i, QBFT_PROTOCOL, i % 2 === 0 ? bytes : conflicting);
        res.sent.push(i);
      } catch (error) {
        res.failed.push({ peerIndex: i, error: error as Error });
      }
    }
    return res;
  };
  return {
    handle: (protocol, handler) => o.node.handle(protocol, handler),
    broadcast: (protocol, bytes) => {
      if (o.mode === "silent") return nothing();
      if (protocol === PARSIGEX_PROTOCOL && (o.mode === "bad-partials" || o.mode === "wrong-share"))
        return o.node.broadcast(protocol, tamperParSig(bytes));
      if (protocol === QBFT_PROTOCOL && o.mode === "equivocate") return equivocate(bytes);
      return o.node.broadcast(protocol, bytes);
    },
  };
}
