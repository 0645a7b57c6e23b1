import { describe, expect, it } from "vitest";
import {
  type Definition,
  isJustifiedDecided,
  isJustifiedPrePrepare,
  isJustifiedRoundChange,
  type Msg,
  MsgType,
  quorum,
  runQbft,
} from "../src/index";

type M = Msg<number, string>;
const N = 4;
const INSTANCE = 0;
/** Leader of round r is (instance + r) mod n: round 1 → 1, round 2 → 2, ... */
const isLeader = (instance: number, round: number, process: number) => (instance + round) % N === process;

function msg(
  type: M["type"],
  source: number,
  round: number,
  value: string | null,
  extra: Partial<M> = {},
): M {
  return {
    type,
    instance: INSTANCE,
    source,
    round,
    value,
    preparedRound: 0,
    preparedValue: null,
    justification: [],
    ...extra,
  };
}
const prepare = (source: number, round: number, value: string) => msg(MsgType.Prepare, source, round, value);
const commit = (source: number, round: number, value: string) => msg(MsgType.Commit, source, round, value);
const rc = (source: number, round: number, pr = 0, pv: string | null = null, just: M[] = []) =>
  msg(MsgType.RoundChange, source, round, null, {
    preparedRound: pr,
    preparedValue: pv,
    justification: just,
  });

/** A process driven by hand: timers fire when told, sent messages are recorded. */
function harness(process: number, input = `in${process}`) {
  const sent: M[] = [];
  const decided: Array<{ value: string; qcommit: readonly M[] }> = [];
  const equivocations: Array<[M, M]> = [];
  const invalid: string[] = [];
  const timers = new Map<number, () => void>();
  let handler: (m: M) => void = () => {};
  const def: Definition<number, string> = {
    nodes: N,
    isLeader,
    equals: (a, b) => a === b,
    newTimer: (round, onExpire) => {
      timers.set(round, onExpire);
      return { cancel: () => timers.delete(round) };
    },
    decide: (_i, value, qcommit) => decided.push({ value, qcommit }),
    onEquivocation: (a, b) => equivocations.push([a, b]),
    onInvalid: (_m, reason) => invalid.push(reason),
  };
  const proc = runQbft(
    def,
    {
      broadcast: (m) => sent.push(m),
      subscribe: (h) => {
        handler = h;
        return () => {
          handler = () => {};
        };
      },
    },
    INSTANCE,
    process,
    input,
  );
  return {
    def,
    proc,
    sent,
    decided,
    equivocations,
    invalid,
    deliver: (...ms: M[]) => {
      for (const m of ms) handler(m);
    },
    expire: (round: number) => timers.get(round)?.(),
    sentOf: (type: M["type"]) => sent.filter((m) => m.type === type),
  };
}

const def: Definition<number, string> = {
  nodes: N,
  isLeader,
  equals: (a, b) => a === b,
  newTimer: () => ({ cancel() {} }),
  decide() {},
};

describe("quorum", () => {
  it("is ⌈2n/3⌉", () => {
    expect([1, 2, 3, 4, 5, 6, 7, 10].map(quorum)).toEqual([1, 2, 2, 3, 4, 4, 5, 7]);
  });
});

describe("ROUND-CHANGE justification", () => {
  const cert = [prepare(0, 1, "v"), prepare(1, 1, "v"), prepare(3, 1, "v")];
  it("accepts nothing prepared, or a quorum of matching PREPAREs", () => {
    expect(isJustifiedRoundChange(def, rc(0, 2))).toBe(true);
    expect(isJustifiedRoundChange(def, rc(0, 2, 1, "v", cert))).toBe(true);
  });
  it("rejects bogus certificates", () => {
    expect(isJustifiedRoundChange(def, rc(0, 2, 1, "v"))).toBe(false); // no prepares
    expect(isJustifiedRoundChange(def, rc(0, 2, 1, "v", cert.slice(0, 2)))).toBe(false); // < quorum
    expect(isJustifiedRoundChange(def, rc(0, 2, 1, "w", cert))).toBe(false); // other value
    expect(isJustifiedRoundChange(def, rc(0, 2, 2, "v", cert))).toBe(false); // pr not < round
    const dup = [prepare(0, 1, "v"), prepare(0, 1, "v"), prepare(1, 1, "v")];
    expect(isJustifiedRoundChange(def, rc(0, 2, 1, "v", dup))).toBe(false); // duplicate source
    const unknown = [...cert.slice(0, 2), prepare(9, 1, "v")];
    expect(isJustifiedRoundChange(def, rc(0, 2, 1, "v", unknown))).toBe(false); // unknown source
    expect(isJustifiedRoundChange(def, rc(0, 2, 0, "v"))).toBe(false); // pv without pr
    expect(isJustifiedRoundChange(def, rc(0, 2, 0, null, cert))).toBe(false); // prepares without pr
  });
});

describe("PRE-PREPARE justification (J1/J2)", () => {
  const pp = (source: number, round: number, value: string, just: M[] = []) =>
    msg(MsgType.PrePrepare, source, round, value, { justification: just });
  const nullRcs = [rc(0, 2), rc(1, 2), rc(3, 2)];
  const cert = [prepare(0, 1, "v"), prepare(1, 1, "v"), prepare(3, 1, "v")];

  it("round 1 needs only the leader", () => {
    expect(isJustifiedPrePrepare(def, INSTANCE, pp(1, 1, "x"))).toBe(true);
    expect(isJustifiedPrePrepare(def, INSTANCE, pp(0, 1, "x"))).toBe(false);
  });
  it("J1: a quorum of ROUND-CHANGEs with nothing prepared allows any value", () => {
    expect(isJustifiedPrePrepare(def, INSTANCE, pp(2, 2, "anything", nullRcs))).toBe(true);
    expect(isJustifiedPrePrepare(def, INSTANCE, pp(2, 2, "x", nullRcs.slice(0, 2)))).toBe(false);
    expect(isJustifiedPrePrepare(def, INSTANCE, pp(2, 2, "x", [rc(0, 2), rc(0, 2), rc(1, 2)]))).toBe(false);
    expect(isJustifiedPrePrepare(def, INSTANCE, pp(2, 3, "x", nullRcs))).toBe(false); // wrong round / leader
    expect(isJustifiedPrePrepare(def, INSTANCE, pp(1, 2, "x", nullRcs))).toBe(false); // not the leader
  });
  it("J2: the highest prepared value must be proposed, with its PREPARE quorum", () => {
    const rcs = [rc(0, 2, 1, "v"), rc(1, 2), rc(3, 2)];
    expect(isJustifiedPrePrepare(def, INSTANCE, pp(2, 2, "v", [...rcs, ...cert]))).toBe(true);
    expect(isJustifiedPrePrepare(def, INSTANCE, pp(2, 2, "w", [...rcs, ...cert]))).toBe(false);
    expect(isJustifiedPrePrepare(def, INSTANCE, pp(2, 2, "v", rcs))).toBe(false); // no prepares
    expect(isJustifiedPrePrepare(def, INSTANCE, pp(2, 2, "v", [...rcs, ...cert.slice(1)]))).toBe(false);
    const wrongRound = [prepare(0, 2, "v"), prepare(1, 2, "v"), prepare(3, 2, "v")];
    expect(isJustifiedPrePrepare(def, INSTANCE, pp(2, 2, "v", [...rcs, ...wrongRound]))).toBe(false);
  });
});

describe("DECIDED justification", () => {
  it("needs a quorum of COMMITs for its round and value", () => {
    const commits = [commit(0, 3, "v"), commit(1, 3, "v"), commit(2, 3, "v")];
    const decided = (round: number, value: string, just: M[]) =>
      msg(MsgType.Decided, 0, round, value, { justification: just });
    expect(isJustifiedDecided(def, decided(3, "v", commits))).toBe(true);
    expect(isJustifiedDecided(def, decided(3, "w", commits))).toBe(false);
    expect(isJustifiedDecided(def, decided(2, "v", commits))).toBe(false);
    expect(isJustifiedDecided(def, decided(3, "v", commits.slice(0, 2)))).toBe(false);
  });
});

describe("runQbft", () => {
  it("the round-1 leader proposes its input and prepares it", () => {
    const h = harness(1);
    expect(h.sentOf(MsgType.PrePrepare).map((m) => m.value)).toEqual(["in1"]);
    expect(h.sentOf(MsgType.Prepare).map((m) => [m.round, m.value])).toEqual([[1, "in1"]]);
  });

  it("happy path: PRE-PREPARE → PREPARE quorum → COMMIT quorum → decide", () => {
    const h = harness(0);
    h.deliver(msg(MsgType.PrePrepare, 1, 1, "v"));
    expect(h.sentOf(MsgType.Prepare).map((m) => m.value)).toEqual(["v"]);
    h.deliver(prepare(1, 1, "v"), prepare(2, 1, "v"));
    expect(h.sentOf(MsgType.Commit).map((m) => m.value)).toEqual(["v"]);
    h.deliver(commit(1, 1, "v"), commit(2, 1, "v"));
    expect(h.decided.map((d) => d.value)).toEqual(["v"]);
    expect(h.decided[0]?.qcommit.map((m) => m.source).sort()).toEqual([0, 1, 2]);
    expect(h.proc.hasDecided).toBe(true);
  });

  it("ignores unknown sources, malformed rounds and duplicates; counts one message per source", () => {
    const h = harness(0);
    h.deliver(commit(7, 1, "v"), commit(-1, 1, "v"), commit(1, 0, "v"), commit(1, 1.5, "v"));
    expect(h.invalid).toEqual(["unknown_source", "unknown_source", "bad_round", "bad_round"]);
    h.deliver(commit(1, 1, "v"), commit(1, 1, "v"), commit(1, 1, "v"), commit(2, 1, "v"));
    expect(h.decided).toEqual([]); // 2 distinct sources only
    expect(h.equivocations).toEqual([]); // exact duplicates are not equivocation
    h.deliver(commit(3, 1, "v"));
    expect(h.decided.map((d) => d.value)).toEqual(["v"]);
  });

  it("reports an equivocating source and ignores its second message", () => {
    const h = harness(0);
    h.deliver(prepare(1, 1, "v"), prepare(1, 1, "w"), prepare(2, 1, "w"), prepare(3, 1, "w"));
    expect(h.equivocations).toHaveLength(1);
    expect(h.equivocations[0]?.map((m) => m.value)).toEqual(["v", "w"]);
    // Only 2 counted PREPAREs for w: no commit.
    expect(h.sentOf(MsgType.Commit)).toEqual([]);
    // A message in this process's own name arriving from the transport is ignored too.
    h.deliver(prepare(0, 1, "w"));
    expect(h.sentOf(MsgType.Commit)).toEqual([]);
  });

  it("rejects unjustified PRE-PREPAREs and ROUND-CHANGEs with bogus certificates", () => {
    const h = harness(0);
    h.deliver(msg(MsgType.PrePrepare, 2, 1, "x")); // not the leader
    h.deliver(msg(MsgType.PrePrepare, 2, 2, "x")); // round 2 without justification
    h.deliver(rc(1, 2, 1, "x", [prepare(1, 1, "x")]));
    expect(h.invalid).toEqual([
      "unjustified_pre_prepare",
      "unjustified_pre_prepare",
      "unjustified_round_change",
    ]);
    expect(h.sentOf(MsgType.Prepare)).toEqual([]);
  });

  it("drops messages over the justification limit (2n)", () => {
    const h = harness(0);
    const just = Array.from({ length: 2 * N + 1 }, (_, i) => rc(i % N, 2));
    h.deliver(msg(MsgType.PrePrepare, 2, 2, "x", { justification: just }));
    expect(h.invalid).toEqual(["too_many_justifications"]);
  });

  it("on timeout moves to the next round with a ROUND-CHANGE carrying its prepared certificate", () => {
    const h = harness(0);
    h.deliver(msg(MsgType.PrePrepare, 1, 1, "v"), prepare(1, 1, "v"), prepare(2, 1, "v"));
    h.expire(1);
    expect(h.proc.round).toBe(2);
    const [change] = h.sentOf(MsgType.RoundChange);
    expect(change).toMatchObject({ round: 2, preparedRound: 1, preparedValue: "v" });
    expect(change?.justification).toHaveLength(3);
    expect(change && isJustifiedRoundChange(h.def, change)).toBe(true);
  });

  it("jumps to the smallest of f+1 higher ROUND-CHANGE rounds", () => {
    const h = harness(0);
    h.deliver(rc(1, 5));
    expect(h.proc.round).toBe(1);
    h.deliver(rc(2, 3));
    expect(h.proc.round).toBe(3);
    expect(h.sentOf(MsgType.RoundChange).map((m) => m.round)).toEqual([3]);
  });

  it("as a later leader, re-proposes the highest prepared value (J2), not its input", () => {
    const h = harness(2, "mine"); // leader of round 2
    h.expire(1);
    const cert = [prepare(0, 1, "v"), prepare(1, 1, "v"), prepare(3, 1, "v")];
    h.deliver(rc(0, 2, 1, "v", cert), rc(1, 2));
    const [pp] = h.sentOf(MsgType.PrePrepare);
    expect(pp?.value).toBe("v");
    expect(pp && isJustifiedPrePrepare(h.def, INSTANCE, pp)).toBe(true);
  });

  it("as a later leader with nothing prepared (J1), proposes its input", () => {
    const h = harness(2, "mine");
    h.expire(1);
    h.deliver(rc(0, 2), rc(1, 2));
    const [pp] = h.sentOf(MsgType.PrePrepare);
    expect(pp?.value).toBe("mine");
    expect(pp && isJustifiedPrePrepare(h.def, INSTANCE, pp)).toBe(true);
  });

  it("a late joiner decides from DECIDED; a decided process answers ROUND-CHANGEs with DECIDED", () => {
    const late = harness(0);
    const commits = [commit(1, 2, "v"), commit(2, 2, "v"), commit(3, 2, "v")];
    late.deliver(msg(MsgType.Decided, 1, 2, "v", { justification: commits.slice(0, 2) }));
    expect(late.decided).toEqual([]);
    late.deliver(msg(MsgType.Decided, 1, 2, "v", { justification: commits }));
    expect(late.decided.map((d) => d.value)).toEqual(["v"]);
    late.deliver(rc(3, 4), rc(3, 4));
    const replies = late.sentOf(MsgType.Decided);
    expect(replies).toHaveLength(1); // once per (source, round)
    expect(replies[0] && isJustifiedDecided(late.def, replies[0])).toBe(true);
  });

  it("stop() silences the process", () => {
    const h = harness(0);
    h.proc.stop();
    h.deliver(msg(MsgType.PrePrepare, 1, 1, "v"));
    h.expire(1);
    expect(h.sent).toEqual([]);
  });
});
