import { k1GeneratePrivateKey } from "@cohort/cluster";
import { partialSign, thresholdAggregate } from "@cohort/tbls";
import { beforeAll, describe, expect, it } from "vitest";
import { dutyDeadline, type ReconcileInput, reconcile, toHex } from "../src";
import {
  ABSENT,
  ATTESTER,
  digestOf,
  HOODI_TIMING,
  LATE,
  makeWorld,
  messageFor,
  partialFor,
  rootKey,
  SLOTS,
  signMsg,
  slotStart,
  type World,
} from "./fixture";

let w: World;
beforeAll(() => {
  w = makeWorld();
});

const input = (over: Partial<ReconcileInput> = {}): ReconcileInput => ({
  cluster: w.cluster,
  duties: w.duties,
  messages: w.messages,
  receipts: w.receipts,
  ...over,
});
const row = (r: ReturnType<typeof reconcile>, shareIndex: number, slot: number, v = w.validators[0]!) =>
  r.rows.find((x) => x.shareIndex === shareIndex && x.slot === slot && x.validator === v)!;
const totals = (r: ReturnType<typeof reconcile>) =>
  r.members.map((m) => [m.shareIndex, m.expected, m.contributed]);

describe("reconcile: the realistic dataset", () => {
  it("counts every member exactly (8 slots × 3 validators; member 4 absent 4 slots; member 2 late once)", () => {
    const r = reconcile(input());
    expect(r.q).toBe(2);
    expect(totals(r)).toEqual([
      [1, 24, 24],
      [2, 24, 21],
      [3, 24, 24],
      [4, 24, 12],
    ]);
    expect(r.rows).toHaveLength(8 * 3 * 4);
    expect(r.anomalies).toEqual([]);
    for (const v of w.validators) expect(row(r, LATE.shareIndex, LATE.slot, v).reason).toBe("late");
    expect(row(r, ABSENT, 3205).reason).toBe("no_message");
    const ok = row(r, 1, 3200);
    expect(ok).toMatchObject({ contributed: true, reason: null, onTimeReceipts: 3 });
    expect(ok.earliestReceipt).toBe(slotStart(3200) + 4000 + 40 + 2);
    // While member 4 is away, the others are vouched for by exactly the two remaining receivers.
    expect(row(r, 1, 3205)).toMatchObject({ contributed: true, onTimeReceipts: 2 });
  });

  it("is invariant to the order of its inputs", () => {
    const base = reconcile(input());
    let seed = 7;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const shuffle = <T>(xs: readonly T[]) => {
      const a = [...xs];
      for (let i = a.length - 1; i > 0; i--) {
        const j = Math.floor(rand() * (i + 1));
        [a[i], a[j]] = [a[j]!, a[i]!];
      }
      return a;
    };
    // Include anomalies (a bad signature, an equivocation) so their order is exercised too.
    const extra = [
      messageFor(w, 3, 3202, slotStart(3202) + 4100),
      messageFor(w, 2, 3203, undefined, w.identityKeys[0]),
    ];
    const full = input({ messages: [...w.messages, ...extra] });
    const expected = reconcile(full);
    for (let k = 0; k < 5; k++) {
      const shuffled = reconcile({
        ...full,
        messages: shuffle(full.messages),
        receipts: shuffle(full.receipts),
        duties: shuffle(full.duties).map((d) => ({ ...d, validators: shuffle(d.validators) })),
      });
      expect(shuffled).toEqual(expected);
    }
    expect(totals(expected)).toEqual(totals(base));
  });

  it("refuses a q outside [1, n − 1] and a duty naming a validator outside the lock", () => {
    expect(() => reconcile(input({ q: 0 }))).toThrow(RangeError);
    expect(() => reconcile(input({ q: 4 }))).toThrow(RangeError);
    expect(() =>
      reconcile(
        input({ duties: [{ slot: 1, dutyType: 1, validators: [`0x${"ab".repeat(48)}`], deadline: 0 }] }),
      ),
    ).toThrow(/not in the cluster/);
  });
});

describe("reconcile: attacks", () => {
  const SLOT = 3205; // member 4 is absent here

  async function interpolatedPartial(v: string) {
    // f(4) from f(1), f(2), f(3): with g(x) = f(4 − x), g(3), g(2), g(1) are the known partials and
    // g(0) = f(4) — thresholdAggregate interpolates at 0, so it computes the absent member's partial.
    const known = [1, 2, 3].map((i) => Buffer.from(partialFor(w, i, SLOT, v).signature.slice(2), "hex"));
    return toHex(
      await thresholdAggregate(
        new Map([
          [3, known[0]!],
          [2, known[1]!],
          [1, known[2]!],
        ]),
      ),
    );
  }

  it("(a) an interpolated partial is a valid partial — but does not count without the member's message and q receipts", async () => {
    const partials = await Promise.all(
      w.validators.map(async (v) => ({
        ...partialFor(w, 1, SLOT, v),
        signature: await interpolatedPartial(v),
      })),
    );
    const root = w.roots.get(rootKey(SLOT, w.validators[0]!))!;
    // The trap is real: the interpolated partial equals the absent member's own partial.
    expect(partials[0]!.signature).toBe(
      toHex(partialSign(w.shares.get(w.validators[0]!)!.get(4)!, Buffer.from(root.slice(2), "hex"))),
    );
    const body = {
      lockHash: w.cluster.lockHash,
      slot: SLOT,
      dutyType: ATTESTER,
      shareIndex: 4,
      sentAt: slotStart(SLOT) + 4000,
    };
    // 1. Presented as member 4's message, signed by colluding member 1's key → rejected.
    const byColluder = signMsg(
      {
        ...body,
        partials: partials.map((p) => ({ ...p, signingRoot: w.roots.get(rootKey(SLOT, p.pubkey))! })),
      },
      w.identityKeys[0]!,
    );
    const vouch = (m: typeof byColluder, receivers: number[]) =>
      receivers.map((receiver) => ({
        receiver,
        digest: digestOf(m),
        from: 4,
        receivedAt: slotStart(SLOT) + 5000,
      }));
    let r = reconcile(
      input({
        messages: [...w.messages, byColluder],
        receipts: [...w.receipts, ...vouch(byColluder, [1, 2])],
      }),
    );
    expect(row(r, 4, SLOT)).toMatchObject({ contributed: false, reason: "bad_message_signature" });
    expect(r.anomalies.map((a) => a.kind)).toContain("bad_message_signature");
    expect(r.members[3]!.contributed).toBe(12);
    // 2. Signed by member 4's own key after the fact, with no receipts → not counted.
    const own = signMsg({ ...byColluder.message }, w.identityKeys[3]!);
    r = reconcile(input({ messages: [...w.messages, own] }));
    expect(row(r, 4, SLOT)).toMatchObject({
      contributed: false,
      reason: "insufficient_receipts",
      onTimeReceipts: 0,
    });
    // …nor with one colluding receiver's receipt (q = 2).
    r = reconcile(input({ messages: [...w.messages, own], receipts: [...w.receipts, ...vouch(own, [1])] }));
    expect(row(r, 4, SLOT)).toMatchObject({
      contributed: false,
      reason: "insufficient_receipts",
      onTimeReceipts: 1,
    });
    // 3. Member 1 slipping it into its own message fails BLS against member 1's share.
    const inOwn = signMsg({ ...byColluder.message, shareIndex: 1 }, w.identityKeys[0]!);
    r = reconcile(
      input({ messages: [inOwn], receipts: vouch(inOwn, [2, 3]).map((x) => ({ ...x, from: 1 })) }),
    );
    expect(row(r, 1, SLOT)).toMatchObject({ contributed: false, reason: "invalid_partial" });
  });

  it("(b) a late member with ONE colluding receiver vouching an on-time receipt is not counted (q = 2)", () => {
    const late = w.messages.find(
      (m) => m.message.shareIndex === LATE.shareIndex && m.message.slot === LATE.slot,
    )!;
    expect(late.message.sentAt).toBeGreaterThan(dutyDeadline(HOODI_TIMING, LATE.slot));
    const colluder = {
      receiver: 1,
      digest: digestOf(late),
      from: LATE.shareIndex,
      receivedAt: slotStart(LATE.slot) + 4100,
    };
    const r = reconcile(input({ receipts: [...w.receipts, colluder] }));
    expect(row(r, LATE.shareIndex, LATE.slot)).toMatchObject({
      contributed: false,
      reason: "late",
      onTimeReceipts: 1,
    });
    expect(r.members[1]!.contributed).toBe(21);
    // What q protects: with q = 1 (q ≤ the number of colluders) the single colluder suffices.
    const weak = reconcile(input({ receipts: [...w.receipts, colluder], q: 1 }));
    expect(row(weak, LATE.shareIndex, LATE.slot)).toMatchObject({ contributed: true, onTimeReceipts: 1 });
    // Two colluders vouching reach q = 2: the documented limit (q ≤ f colluders can vouch).
    const two = reconcile(input({ receipts: [...w.receipts, colluder, { ...colluder, receiver: 3 }] }));
    expect(row(two, LATE.shareIndex, LATE.slot).contributed).toBe(true);
  });

  it("(c) a message signed by a key outside the lock is rejected", () => {
    const outsider = k1GeneratePrivateKey();
    const forged = messageFor(w, ABSENT, SLOT, undefined, outsider);
    const unknown = signMsg({ ...forged.message, shareIndex: 5 }, outsider);
    const rec = (m: typeof forged, from: number) =>
      [1, 2, 3].map((receiver) => ({
        receiver,
        digest: digestOf(m),
        from,
        receivedAt: slotStart(SLOT) + 4100,
      }));
    const r = reconcile(
      input({
        messages: [...w.messages, forged, unknown],
        receipts: [...w.receipts, ...rec(forged, 4), ...rec(unknown, 5)],
      }),
    );
    expect(row(r, ABSENT, SLOT)).toMatchObject({ contributed: false, reason: "bad_message_signature" });
    expect(r.anomalies.filter((a) => a.kind === "bad_message_signature")).toHaveLength(1);
    expect(r.anomalies.filter((a) => a.kind === "unknown_sender")).toHaveLength(1);
    expect(totals(r)).toEqual(totals(reconcile(input())));
  });

  it("(d) a partial for one duty reused in another duty's message does not count", () => {
    const OLD = 3201;
    const v = w.validators[0]!;
    const reused = partialFor(w, ABSENT, OLD, v); // valid over slot 3201's root
    const mk = (p: typeof reused) =>
      signMsg(
        {
          lockHash: w.cluster.lockHash,
          slot: SLOT,
          dutyType: ATTESTER,
          shareIndex: ABSENT,
          sentAt: slotStart(SLOT) + 4000,
          partials: [p],
        },
        w.identityKeys[ABSENT - 1]!,
      );
    const receipts = (m: ReturnType<typeof mk>) =>
      [1, 2, 3].map((receiver) => ({
        receiver,
        digest: digestOf(m),
        from: ABSENT,
        receivedAt: slotStart(SLOT) + 4100,
      }));
    // Honest root label (slot 3201's): the root is not this duty's — with or without expected roots.
    const asIs = mk(reused);
    const withRoots = w.duties.map((d) => ({
      ...d,
      signingRoots: Object.fromEntries(w.validators.map((x) => [x, w.roots.get(rootKey(d.slot, x))!])),
    }));
    for (const duties of [w.duties, withRoots]) {
      const r = reconcile(
        input({ duties, messages: [...w.messages, asIs], receipts: [...w.receipts, ...receipts(asIs)] }),
      );
      expect(row(r, ABSENT, SLOT, v)).toMatchObject({ contributed: false, reason: "wrong_signing_root" });
      expect(r.anomalies.some((a) => a.kind === "wrong_signing_root" && a.shareIndex === ABSENT)).toBe(true);
    }
    // Relabelled with this duty's root: the old signature fails BLS over the new root.
    const relabelled = mk({ ...reused, signingRoot: w.roots.get(rootKey(SLOT, v))! });
    const r = reconcile(
      input({ messages: [...w.messages, relabelled], receipts: [...w.receipts, ...receipts(relabelled)] }),
    );
    expect(row(r, ABSENT, SLOT, v)).toMatchObject({ contributed: false, reason: "invalid_partial" });
    expect(r.members[3]!.contributed).toBe(12);
  });

  it("reports equivocation: one member, one duty, two signed messages with different roots", () => {
    const other = `0x${"11".repeat(32)}`;
    const m = w.messages.find((x) => x.message.shareIndex === 3 && x.message.slot === 3202)!;
    const conflicting = signMsg(
      {
        ...m.message,
        sentAt: m.message.sentAt + 1,
        partials: m.message.partials.map((p, i) => (i === 0 ? { ...p, signingRoot: other } : p)),
      },
      w.identityKeys[2]!,
    );
    const r = reconcile(input({ messages: [...w.messages, conflicting] }));
    const eq = r.anomalies.filter((a) => a.kind === "equivocation");
    expect(eq).toHaveLength(1);
    expect(eq[0]).toMatchObject({ shareIndex: 3, slot: 3202, validator: m.message.partials[0]!.pubkey });
    expect(r.members[2]!.contributed).toBe(24); // the original, received message still counts
  });

  it("never counts a member's receipt of its own message", () => {
    const own = messageFor(w, ABSENT, 3206);
    const rec = (receiver: number) => ({
      receiver,
      digest: digestOf(own),
      from: ABSENT,
      receivedAt: slotStart(3206) + 4100,
    });
    const r = reconcile(input({ messages: [...w.messages, own], receipts: [...w.receipts, rec(4), rec(1)] }));
    expect(row(r, ABSENT, 3206)).toMatchObject({
      contributed: false,
      reason: "insufficient_receipts",
      onTimeReceipts: 1,
    });
    const ok = reconcile(
      input({ messages: [...w.messages, own], receipts: [...w.receipts, rec(2), rec(1)] }),
    );
    expect(row(ok, ABSENT, 3206).contributed).toBe(true);
  });

  it("a partial missing for one validator is reported as such", () => {
    const m = messageFor(w, ABSENT, 3207);
    const partialOnly = signMsg(
      { ...m.message, partials: m.message.partials.slice(0, 1) },
      w.identityKeys[3]!,
    );
    const rec = [1, 2].map((receiver) => ({
      receiver,
      digest: digestOf(partialOnly),
      from: ABSENT,
      receivedAt: slotStart(3207) + 4100,
    }));
    const r = reconcile(input({ messages: [...w.messages, partialOnly], receipts: [...w.receipts, ...rec] }));
    const byV = w.validators.map((v) => row(r, ABSENT, 3207, v));
    const partialV = m.message.partials[0]!.pubkey;
    for (const x of byV) expect(x.reason).toBe(x.validator === partialV ? null : "no_partial_for_validator");
    expect(SLOTS).toContain(3207);
  });
});
