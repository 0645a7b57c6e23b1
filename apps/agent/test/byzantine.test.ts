/** The test-only byzantine wrappers of `agent run --byzantine` and simnet's flag parsing (no processes). */
import { k1GeneratePrivateKey, k1PublicKey, k1Verify65 } from "@cohort/cluster";
import {
  fromHex,
  PARSIGEX_PROTOCOL,
  parSigMsgDigest,
  QBFT_PROTOCOL,
  qbftMsgDigest,
  type SignedParSigMsg,
  toHex,
} from "@cohort/core";
import { MsgType } from "@cohort/qbft";
import { describe, expect, it } from "vitest";
import { type ByzantineMode, byzantineMessaging } from "../src/byzantine";
import { CliError } from "../src/cluster/create";
import { parseByzantine, parseKill } from "../src/simnet";

const keys = [0, 1, 2, 3].map(() => k1GeneratePrivateKey());
const members = keys.map((k, i) => ({
  peerId: `peer${i}`,
  shareIndex: i + 1,
  identityPublicKey: k1PublicKey(k),
}));
const lockHash = new Uint8Array(32).fill(7);

function harness(mode: ByzantineMode) {
  const sent: { to: number | "all"; protocol: string; bytes: Uint8Array }[] = [];
  const node = {
    handle: () => () => {},
    broadcast: (protocol: string, bytes: Uint8Array) => {
      sent.push({ to: "all", protocol, bytes });
      return { sent: [1, 2, 3], failed: [] };
    },
    send: (to: number, protocol: string, bytes: Uint8Array) => void sent.push({ to, protocol, bytes }),
  };
  const m = byzantineMessaging({ mode, node, members, selfIndex: 0, lockHash, identityKey: keys[0]! });
  return { m, sent };
}

const parsig: SignedParSigMsg = {
  message: {
    lockHash: toHex(lockHash),
    slot: 5,
    dutyType: 1,
    shareIndex: 1,
    sentAt: 1,
    partials: [
      {
        pubkey: `0x${"aa".repeat(48)}`,
        signingRoot: `0x${"bb".repeat(32)}`,
        signature: `0x${"cc".repeat(96)}`,
        data: {} as never,
      },
    ],
  },
  signature: `0x${"00".repeat(65)}`,
};
const json = (b: Uint8Array) => JSON.parse(Buffer.from(b).toString("utf8"));

describe("byzantine messaging (test feature)", () => {
  it("silent drops everything", () => {
    const { m, sent } = harness("silent");
    m.broadcast(PARSIGEX_PROTOCOL, Buffer.from(JSON.stringify(parsig)));
    m.broadcast(QBFT_PROTOCOL, Buffer.from("{}"));
    expect(sent).toEqual([]);
  });

  it("bad-partials replaces the partials and re-signs with its own identity key", () => {
    const { m, sent } = harness("bad-partials");
    m.broadcast(PARSIGEX_PROTOCOL, Buffer.from(JSON.stringify(parsig)));
    const out = json(sent[0]!.bytes) as SignedParSigMsg;
    expect(out.message.partials[0]!.signature).not.toBe(parsig.message.partials[0]!.signature);
    expect(out.message.partials[0]!.signature).toMatch(/^0x[0-9a-f]{192}$/);
    expect(
      k1Verify65(members[0]!.identityPublicKey, parSigMsgDigest(out.message), fromHex(out.signature)),
    ).toBe(true);
  });

  it("wrong-share claims another member's share index, re-signed", () => {
    const { m, sent } = harness("wrong-share");
    m.broadcast(PARSIGEX_PROTOCOL, Buffer.from(JSON.stringify(parsig)));
    const out = json(sent[0]!.bytes) as SignedParSigMsg;
    expect(out.message.shareIndex).toBe(2);
    expect(
      k1Verify65(members[0]!.identityPublicKey, parSigMsgDigest(out.message), fromHex(out.signature)),
    ).toBe(true);
  });

  it("equivocate sends validly signed conflicting prepares to different peers", () => {
    const { m, sent } = harness("equivocate");
    const msg = {
      type: MsgType.Prepare,
      instance: "5/attester",
      source: 0,
      round: 1,
      value: '[["0xaa",{}]]',
      preparedRound: 0,
      preparedValue: null,
      signature: `0x${"00".repeat(65)}`,
      justification: [],
    };
    m.broadcast(QBFT_PROTOCOL, Buffer.from(JSON.stringify(msg)));
    expect(sent.map((s) => s.to)).toEqual([1, 2, 3]);
    const values = sent.map((s) => json(s.bytes).value);
    expect(new Set(values).size).toBe(2);
    const other = json(sent[0]!.bytes);
    expect(
      k1Verify65(members[0]!.identityPublicKey, qbftMsgDigest(lockHash, other), fromHex(other.signature)),
    ).toBe(true);
    // Round changes (no value) go out unchanged to everyone.
    m.broadcast(
      QBFT_PROTOCOL,
      Buffer.from(JSON.stringify({ ...msg, type: MsgType.RoundChange, value: null })),
    );
    expect(sent.at(-1)!.to).toBe("all");
  });
});

describe("simnet flags", () => {
  it("--kill and --byzantine", () => {
    expect(parseKill("1@4:10")).toEqual({ node: 1, slot: 4, restartSlot: 10 });
    expect(parseKill("2@7")).toEqual({ node: 2, slot: 7 });
    expect(() => parseKill("1@4:3")).toThrow(CliError);
    expect(() => parseKill("x")).toThrow(/--kill must be/);
    expect(parseByzantine("3:bad-partials")).toEqual([3, "bad-partials"]);
    expect(() => parseByzantine("3:evil")).toThrow(/silent, bad-partials, wrong-share, equivocate/);
  });
});
