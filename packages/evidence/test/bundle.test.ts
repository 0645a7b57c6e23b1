import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { writeLock } from "@cohort/cluster";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../../../apps/agent/src/cli";
import { buildBundle, type EvidenceBundle, merkleProofs, verifyBundle, verifyMerkleProof } from "../src";
import { ABSENT, digestOf, HOODI_TIMING, LATE, makeWorld, messageFor, type World } from "./fixture";

let w: World;
let bundle: EvidenceBundle;
beforeAll(() => {
  w = makeWorld();
  bundle = buildBundle({
    lock: w.lock,
    timing: HOODI_TIMING,
    range: { fromSlot: 3200, toSlot: 3207 },
    duties: w.duties,
    messages: w.messages,
    logs: w.logs,
  });
});

/** A JSON round trip, then a change. */
const tamper = (change: (b: EvidenceBundle) => void): EvidenceBundle => {
  const copy = JSON.parse(JSON.stringify(bundle)) as EvidenceBundle;
  change(copy);
  return copy;
};
const failure = (b: unknown) => {
  const r = verifyBundle(b, w.lock);
  if (r.ok) throw new Error("expected the bundle to fail");
  return r.failure;
};
const entry = (b: EvidenceBundle, shareIndex: number) => b.members.find((e) => e.shareIndex === shareIndex)!;
/** Drops member 3's receipt of member 1's slot-3200 message (one of three: not needed for q = 2). */
const dropSurplus = (b: EvidenceBundle) => {
  const m = entry(b, 1).sent.find((s) => s.message.message.slot === 3200)!;
  const e = entry(b, 3);
  e.receipts = e.receipts.filter((r) => r.digest !== digestOf(m.message));
};

describe("merkle proofs", () => {
  it("prove every leaf for every tree size, and nothing else", () => {
    for (let n = 1; n <= 9; n++) {
      const leaves = Array.from({ length: n }, (_, i) => new Uint8Array(32).fill(i * 7 + 1));
      const { root, proofs } = merkleProofs(leaves);
      for (const l of leaves) {
        const p = proofs.get(`0x${Buffer.from(l).toString("hex")}`)!;
        expect(verifyMerkleProof(root, n, l, p)).toBe(true);
        if ((p.index ^ 1) < n)
          expect(verifyMerkleProof(root, n, l, { ...p, index: p.index ^ 1 })).toBe(false);
        expect(verifyMerkleProof(root, n, l, { ...p, index: n })).toBe(false);
        expect(verifyMerkleProof(root, n, new Uint8Array(32).fill(255), p)).toBe(false);
      }
    }
  });
});

describe("evidence bundle", () => {
  it("builds and verifies the realistic dataset with the exact per-member table", () => {
    expect(bundle.claimed.map(({ missed, ...c }) => ({ ...c, missed: missed.length }))).toEqual([
      { shareIndex: 1, expected: 24, contributed: 24, receipts: 20, missed: 0 },
      { shareIndex: 2, expected: 24, contributed: 21, receipts: 20, missed: 3 },
      { shareIndex: 3, expected: 24, contributed: 24, receipts: 20, missed: 0 },
      { shareIndex: 4, expected: 24, contributed: 12, receipts: 12, missed: 12 },
    ]);
    expect(bundle.claimed[1]!.missed.every((m) => m.slot === LATE.slot && m.reason === "late")).toBe(true);
    // Compact: partial data dropped, only receipts of bundled messages.
    expect(
      bundle.members.every((e) =>
        e.sent.every((s) => s.message.message.partials.every((p) => p.data === null)),
      ),
    ).toBe(true);
    const r = verifyBundle(JSON.parse(JSON.stringify(bundle)), w.lock);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.members.map((m) => [m.shareIndex, m.expected, m.contributed, m.rate])).toEqual([
      [1, 24, 24, 1],
      [2, 24, 21, 21 / 24],
      [3, 24, 24, 1],
      [4, 24, 12, 0.5],
    ]);
    expect(r.members[0]!.address).toBe(w.lock.definition.operators[0]!.address);
  });

  it("fails on one altered partial, naming the message", () => {
    const f = failure(
      tamper((b) => {
        const p = entry(b, 2).sent[3]!.message.message.partials[1]!;
        p.signature = `${p.signature.slice(0, -2)}${p.signature.endsWith("00") ? "01" : "00"}`;
      }),
    );
    expect(f).toMatchObject({ code: "bad_message_signature", shareIndex: 2, slot: 3203, dutyType: 1 });
    expect(f.message).toMatch(
      /^message 0x[0-9a-f]{64} \(member 2, slot 3203, duty type 1\) is not signed by member 2's identity key$/,
    );
  });

  it("fails on one removed receipt a claim depends on (member 4 absent: exactly q receipts)", () => {
    const f = failure(
      tamper((b) => {
        const e = entry(b, 1);
        const i = e.receipts.findIndex(
          (r) =>
            r.from === 2 &&
            b.members.some((x) =>
              x.sent.some((s) => s.message.message.slot === 3206 && s.message.message.shareIndex === 2),
            ) &&
            r.receivedAt > (HOODI_TIMING.genesisTime + 3206 * 12) * 1000 &&
            r.receivedAt < (HOODI_TIMING.genesisTime + 3207 * 12) * 1000,
        );
        e.receipts.splice(i, 1);
      }),
    );
    expect(f).toMatchObject({ code: "claim_mismatch", shareIndex: 2, slot: 3206, dutyType: 1 });
    expect(f.message).toMatch(
      /^member 2 slot 3206 duty type 1 validator 0x[0-9a-f]{96}: claimed as contributed, the evidence does not support it \(insufficient_receipts, 1 on-time receipt\(s\) of 2 needed, message 0x[0-9a-f]{64}\)$/,
    );
  });

  it("fails on one removed surplus receipt too (the claimed receipt count)", () => {
    const f = failure(tamper(dropSurplus));
    expect(f.code).toBe("claim_mismatch");
    expect(f.message).toMatch(/member 1 claimed 20 receipt\(s\) of its messages, the bundle proves 19/);
  });

  it("fails on one message re-signed by the wrong key", () => {
    const f = failure(
      tamper((b) => {
        const s = entry(b, 3).sent[0]!;
        s.message = {
          ...messageFor(w, 3, 3200, s.message.message.sentAt, w.identityKeys[0]),
          message: s.message.message,
        };
        s.message.signature = messageFor(w, 3, 3200, s.message.message.sentAt, w.identityKeys[0]).signature;
      }),
    );
    expect(f).toMatchObject({ code: "bad_message_signature", shareIndex: 3, slot: 3200 });
  });

  it("fails on one member's roots swapped with another's", () => {
    const f = failure(
      tamper((b) => {
        const [a, c] = [entry(b, 1), entry(b, 2)];
        [a.root, c.root] = [c.root, a.root];
      }),
    );
    expect(f).toMatchObject({ code: "bad_epoch_root_signature", shareIndex: 1, epoch: 100 });
    expect(f.message).toBe("epoch root of member 1 for epoch 100 is not signed by member 1's identity key");
  });

  it("fails on a receipt moved before the deadline (its leaf is not in the signed root)", () => {
    const f = failure(
      tamper((b) => {
        const late = b.members
          .flatMap((e) => e.sent)
          .find(
            (s) => s.message.message.shareIndex === LATE.shareIndex && s.message.message.slot === LATE.slot,
          )!;
        const r = entry(b, 1).receipts.find((x) => x.digest === digestOf(late.message))!;
        r.receivedAt = late.message.message.sentAt - 30_000;
      }),
    );
    expect(f).toMatchObject({ code: "bad_receipt_proof", shareIndex: 1, slot: LATE.slot, dutyType: 1 });
  });

  it("fails on a stretched deadline, an inflated claim, a message from outside the lock and a foreign lock", () => {
    expect(failure(tamper((b) => (b.duties[1]!.deadline += 60_000))).code).toBe("timing_mismatch");
    const inflated = failure(tamper((b) => (b.claimed[3]!.contributed = 13)));
    expect(inflated).toMatchObject({ code: "claim_mismatch", shareIndex: ABSENT });
    expect(inflated.message).toBe("member 4 claimed 13 contributed, the evidence supports 12");
    const hidden = failure(tamper((b) => b.claimed[3]!.missed.splice(0, 1)));
    expect(hidden.message).toMatch(
      /^member 4 slot 3204 duty type 1 validator 0x[0-9a-f]{96}: claimed as contributed, the evidence does not support it \(no_message, 0 on-time receipt\(s\) of 2 needed\)$/,
    );
    expect(failure(tamper((b) => (entry(b, 4).sent[0]!.message.message.shareIndex = 5))).code).toBe(
      "message_misplaced",
    );
    expect(failure(tamper((b) => (b.lockHash = `0x${"00".repeat(32)}`))).code).toBe("lock_mismatch");
    expect(failure({ ...bundle, version: 2 }).code).toBe("malformed");
  });
});

describe("cohort evidence verify", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), "cohort-evidence-"));
    writeFileSync(path.join(dir, "cluster-lock.json"), writeLock(w.lock));
    writeFileSync(path.join(dir, "bundle.json"), JSON.stringify(bundle));
    writeFileSync(path.join(dir, "bad.json"), JSON.stringify(tamper(dropSurplus)));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const run = async (...argv: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
    return { code, out: out.join("\n"), err: err.join("\n") };
  };

  it("exits 0 with the per-member table", async () => {
    const r = await run(
      "evidence",
      "verify",
      path.join(dir, "bundle.json"),
      "--lock",
      path.join(dir, "cluster-lock.json"),
    );
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    const lines = r.out.split("\n");
    expect(lines[0]).toMatch(/^ok: evidence for lock 0x[0-9a-f]{64}, slots 3200–3207 \(8 duties, q = 2\)/);
    expect(lines[1]).toMatch(/^share\s+operator\s+expected\s+contributed\s+rate$/);
    expect(lines[3]).toMatch(
      new RegExp(`^2\\s+${w.lock.definition.operators[1]!.address}\\s+24\\s+21\\s+87\\.5%$`),
    );
    expect(lines[5]).toMatch(/^4\s+0x[0-9a-fA-F]{40}\s+24\s+12\s+50\.0%$/);
    const j = await run(
      "evidence",
      "verify",
      path.join(dir, "bundle.json"),
      "--lock",
      path.join(dir, "cluster-lock.json"),
      "--json",
    );
    expect(j.code).toBe(0);
    expect(JSON.parse(j.out).members.map((m: { contributed: number }) => m.contributed)).toEqual([
      24, 21, 24, 12,
    ]);
  });

  it("exits non-zero naming the first bad item; usage errors exit 2", async () => {
    const r = await run(
      "evidence",
      "verify",
      path.join(dir, "bad.json"),
      "--lock",
      path.join(dir, "cluster-lock.json"),
    );
    expect(r.code).toBe(1);
    expect(r.err).toMatch(
      /does not verify: member 1 claimed 20 receipt\(s\) of its messages, the bundle proves 19 \(claim_mismatch\)/,
    );
    const missing = await run(
      "evidence",
      "verify",
      path.join(dir, "nope.json"),
      "--lock",
      path.join(dir, "cluster-lock.json"),
    );
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/cannot read the evidence bundle/);
  });
});
