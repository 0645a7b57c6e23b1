import { randomBytes } from "node:crypto";
import { k1GeneratePrivateKey, k1PublicKey } from "@cohort/cluster";
import type { MessageHandler } from "@cohort/p2p";
import { MsgType } from "@cohort/qbft";
import { describe, expect, it } from "vitest";
import {
  type ConsensusMsg,
  encodeSignedQbft,
  type MemberIdentity,
  type P2PMessaging,
  PARSIGEX_PROTOCOL,
  ParSigExP2PTransport,
  QBFT_PROTOCOL,
  QbftP2PTransport,
} from "../src/index";

/** A fake p2p node: records broadcasts, lets the test inject received frames. */
function fakeNode() {
  const handlers = new Map<string, MessageHandler>();
  const sent: { protocol: string; bytes: Uint8Array }[] = [];
  const node: P2PMessaging = {
    handle: (protocol, fn) => {
      handlers.set(protocol, fn);
      return () => handlers.delete(protocol);
    },
    broadcast: (protocol, bytes) => {
      sent.push({ protocol, bytes });
      return { sent: [1, 2, 3], failed: [] };
    },
  };
  return {
    node,
    sent,
    deliver: (protocol: string, from: number, bytes: Uint8Array) => handlers.get(protocol)!(from, bytes),
  };
}

const keys = [0, 1, 2, 3].map(() => k1GeneratePrivateKey());
const members: MemberIdentity[] = keys.map((k, i) => ({
  peerId: `peer${i}`,
  shareIndex: i + 1,
  identityPublicKey: k1PublicKey(k),
}));
const lockHash = new Uint8Array(randomBytes(32));

const msg = (type: MsgType, source: number, justification: ConsensusMsg[] = [], round = 1): ConsensusMsg => ({
  type,
  instance: "17/attester",
  source,
  round,
  value: type === MsgType.RoundChange ? null : "value",
  preparedRound: 0,
  preparedValue: null,
  justification,
});

function setup(selfIndex = 0) {
  const fake = fakeNode();
  const invalid: string[] = [];
  const received: [ConsensusMsg, string][] = [];
  const t = new QbftP2PTransport({
    node: fake.node,
    members,
    lockHash,
    identityKey: keys[selfIndex]!,
    selfIndex,
    onInvalid: (r) => invalid.push(r),
  });
  t.subscribe((m, from) => received.push([m, from]));
  return { ...fake, t, invalid, received };
}

describe("QbftP2PTransport", () => {
  it("delivers a correctly signed message with nested justifications, sender = authenticated peer", () => {
    const s = setup();
    const prepares = [1, 2, 3].map((i) => msg(MsgType.Prepare, i));
    const rc = { ...msg(MsgType.RoundChange, 2, [], 2), preparedRound: 1, preparedValue: "value" };
    s.deliver(
      QBFT_PROTOCOL,
      2,
      encodeSignedQbft(lockHash, { ...rc, justification: prepares }, (i) => keys[i]!),
    );
    expect(s.invalid).toEqual([]);
    expect(s.received).toHaveLength(1);
    expect(s.received[0]![1]).toBe("peer2");
    expect(s.received[0]![0].justification.map((j) => j.source)).toEqual([1, 2, 3]);
  });

  it("drops a message whose nested justification is forged by the relay", () => {
    const s = setup();
    const prepares = [1, 2, 3].map((i) => msg(MsgType.Prepare, i));
    // Member 2 signs member 3's PREPARE with its own key.
    const bytes = encodeSignedQbft(
      lockHash,
      {
        ...msg(MsgType.RoundChange, 2, [], 2),
        preparedRound: 1,
        preparedValue: "value",
        justification: prepares,
      },
      (i) => keys[i === 3 ? 2 : i]!,
    );
    s.deliver(QBFT_PROTOCOL, 2, bytes);
    expect(s.invalid).toEqual(["bad_justification_signature"]);
    expect(s.received).toEqual([]);
  });

  it("drops an altered justification, a bad outer signature, a spoofed source, oversized justification lists, garbage", () => {
    const s = setup();
    const good = JSON.parse(
      Buffer.from(
        encodeSignedQbft(lockHash, msg(MsgType.Commit, 1, [msg(MsgType.Prepare, 2)]), (i) => keys[i]!),
      ).toString(),
    );
    const altered = structuredClone(good);
    altered.justification[0].value = "other";
    s.deliver(QBFT_PROTOCOL, 1, Buffer.from(JSON.stringify(altered)));
    const badOuter = structuredClone(good);
    badOuter.round = 2;
    s.deliver(QBFT_PROTOCOL, 1, Buffer.from(JSON.stringify(badOuter)));
    s.deliver(QBFT_PROTOCOL, 3, Buffer.from(JSON.stringify(good)));
    const many = structuredClone(good);
    many.justification = Array.from({ length: 9 }, () => good.justification[0]);
    s.deliver(QBFT_PROTOCOL, 1, Buffer.from(JSON.stringify(many)));
    s.deliver(QBFT_PROTOCOL, 1, Buffer.from("not json"));
    s.deliver(QBFT_PROTOCOL, 1, Buffer.from(JSON.stringify({ ...good, type: 9 })));
    expect(s.invalid).toEqual([
      "bad_justification_signature",
      "bad_signature",
      "source_not_sender",
      "too_many_justifications",
      "malformed",
      "malformed",
    ]);
    expect(s.received).toEqual([]);
    s.deliver(QBFT_PROTOCOL, 1, Buffer.from(JSON.stringify(good)));
    expect(s.received).toHaveLength(1);
  });

  it("signs its own messages and relays others' verified signatures in its justifications", () => {
    const a = setup(0);
    const b = setup(1);
    // Node 0 receives PREPAREs from 2 and 3, then justifies its own ROUND-CHANGE with them and its own.
    for (const i of [2, 3])
      a.deliver(
        QBFT_PROTOCOL,
        i,
        encodeSignedQbft(lockHash, msg(MsgType.Prepare, i), (j) => keys[j]!),
      );
    const prepares = [0, 2, 3].map((i) => msg(MsgType.Prepare, i));
    a.t.broadcast({
      ...msg(MsgType.RoundChange, 0, [], 2),
      preparedRound: 1,
      preparedValue: "value",
      justification: prepares,
    });
    expect(a.sent).toHaveLength(1);
    b.deliver(QBFT_PROTOCOL, 0, a.sent[0]!.bytes);
    expect(b.invalid).toEqual([]);
    expect(b.received[0]![0].justification).toHaveLength(3);
    // A justification whose signature it never saw cannot be sent.
    a.t.broadcast({ ...msg(MsgType.RoundChange, 0, [], 2), justification: [msg(MsgType.Prepare, 1)] });
    expect(a.sent).toHaveLength(1);
    expect(a.invalid[0]).toMatch(/^unsendable/);
  });
});

describe("ParSigExP2PTransport", () => {
  it("delivers well-formed messages with the authenticated sender, drops malformed ones", () => {
    const fake = fakeNode();
    const invalid: string[] = [];
    const got: string[] = [];
    const t = new ParSigExP2PTransport({
      node: fake.node,
      members,
      lockHash,
      onInvalid: (r) => invalid.push(r),
    });
    t.subscribe((_m, from) => got.push(from));
    const signed = {
      message: { lockHash: "0x00", slot: 1, dutyType: 1, shareIndex: 2, sentAt: 5, partials: [] },
      signature: "0x00",
    };
    t.broadcast(signed);
    expect(fake.sent[0]!.protocol).toBe(PARSIGEX_PROTOCOL);
    fake.deliver(PARSIGEX_PROTOCOL, 1, fake.sent[0]!.bytes);
    fake.deliver(PARSIGEX_PROTOCOL, 1, Buffer.from(JSON.stringify({ message: { lockHash: 5 } })));
    fake.deliver(PARSIGEX_PROTOCOL, 9, fake.sent[0]!.bytes);
    expect(got).toEqual(["peer1"]);
    expect(invalid).toEqual(["malformed", "unknown_peer"]);
  });
});
