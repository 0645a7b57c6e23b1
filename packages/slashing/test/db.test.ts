import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import {
  type Interchange,
  interchangeSchema,
  SlashingProtectionDb,
  SlashingProtectionError,
  type Strategy,
} from "../src/index.ts";

const GVR = `0x${"00".repeat(32)}`;
const OTHER_GVR = `0x${"ff".repeat(32)}`;
const PK = `0x${"a1".repeat(48)}`;
const PK2 = `0x${"b2".repeat(48)}`;
const R1 = `0x${"11".repeat(32)}`;
const R2 = `0x${"22".repeat(32)}`;

const tmp = mkdtempSync(join(tmpdir(), "slashing-db-"));
let n = 0;
const open: SlashingProtectionDb[] = [];
async function fresh(strategy: Strategy, path = join(tmp, `db${n++}`), gvr = GVR) {
  const db = await SlashingProtectionDb.open({ path, genesisValidatorsRoot: gvr, strategy });
  open.push(db);
  return db;
}
afterEach(async () => {
  for (const db of open.splice(0)) await db.close();
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "ok";
  } catch (e) {
    if (e instanceof SlashingProtectionError) return e.code;
    throw e;
  }
}

function interchange(data: Interchange["data"], gvr = GVR): Interchange {
  return { metadata: { interchange_format_version: "5", genesis_validators_root: gvr }, data };
}

describe.each(["minimal", "complete"] as const)("%s strategy", (strategy) => {
  it("refuses double proposals, allows identical re-signs, and refuses null-root matches", async () => {
    const db = await fresh(strategy);
    expect(await db.checkAndInsertBlock(PK, { slot: 10, signingRoot: R1 })).toBe("inserted");
    expect(await db.checkAndInsertBlock(PK, { slot: 10, signingRoot: R1 })).toBe("repeat");
    expect(await code(db.checkAndInsertBlock(PK, { slot: 10, signingRoot: R2 }))).toBe(
      "DOUBLE_BLOCK_PROPOSAL",
    );
    expect(await db.checkAndInsertBlock(PK, { slot: 11 })).toBe("inserted");
    expect(await code(db.checkAndInsertBlock(PK, { slot: 11 }))).toBe("DOUBLE_BLOCK_PROPOSAL");
    // Other validators are independent.
    expect(await db.checkAndInsertBlock(PK2, { slot: 10, signingRoot: R2 })).toBe("inserted");
  });

  it("refuses double votes and source > target, allows identical re-signs", async () => {
    const db = await fresh(strategy);
    expect(await db.checkAndInsertAttestation(PK, { sourceEpoch: 1, targetEpoch: 2, signingRoot: R1 })).toBe(
      "inserted",
    );
    expect(await db.checkAndInsertAttestation(PK, { sourceEpoch: 1, targetEpoch: 2, signingRoot: R1 })).toBe(
      "repeat",
    );
    expect(
      await code(db.checkAndInsertAttestation(PK, { sourceEpoch: 1, targetEpoch: 2, signingRoot: R2 })),
    ).toBe("DOUBLE_VOTE");
    expect(await code(db.checkAndInsertAttestation(PK, { sourceEpoch: 5, targetEpoch: 4 }))).toBe(
      "SOURCE_EXCEEDS_TARGET",
    );
  });

  it("serialises concurrent requests: exactly one of two conflicting signings passes", async () => {
    const db = await fresh(strategy);
    for (let slot = 0; slot < 20; slot++) {
      const results = await Promise.all([
        code(db.checkAndInsertBlock(PK, { slot, signingRoot: R1 })),
        code(db.checkAndInsertBlock(PK, { slot, signingRoot: R2 })),
        code(db.checkAndInsertAttestation(PK, { sourceEpoch: slot, targetEpoch: slot + 1, signingRoot: R1 })),
        code(db.checkAndInsertAttestation(PK, { sourceEpoch: slot, targetEpoch: slot + 1, signingRoot: R2 })),
      ]);
      expect(results.slice(0, 2).filter((r) => r === "ok")).toHaveLength(1);
      expect(results.slice(2).filter((r) => r === "ok")).toHaveLength(1);
    }
  });

  it("persists decisions across reopen", async () => {
    const path = join(tmp, `reopen-${strategy}`);
    const db = await SlashingProtectionDb.open({ path, genesisValidatorsRoot: GVR, strategy });
    await db.checkAndInsertBlock(PK, { slot: 5, signingRoot: R1 });
    await db.checkAndInsertAttestation(PK, { sourceEpoch: 3, targetEpoch: 4, signingRoot: R1 });
    await db.close();
    const again = await fresh(strategy, path);
    expect(await code(again.checkAndInsertBlock(PK, { slot: 5, signingRoot: R2 }))).toBe(
      "DOUBLE_BLOCK_PROPOSAL",
    );
    expect(await code(again.checkAndInsertAttestation(PK, { sourceEpoch: 2, targetEpoch: 4 }))).toBe(
      "DOUBLE_VOTE",
    );
    // A different genesis_validators_root is a separate key space.
    const other = await SlashingProtectionDb.open({
      path: join(tmp, "x"),
      genesisValidatorsRoot: OTHER_GVR,
      strategy,
    });
    open.push(other);
    expect(await other.listValidators()).toEqual([]);
  });

  it("rejects use after close", async () => {
    const db = await SlashingProtectionDb.open({
      path: join(tmp, `closed-${strategy}`),
      genesisValidatorsRoot: GVR,
      strategy,
    });
    await db.close();
    expect(await code(db.checkAndInsertBlock(PK, { slot: 1 }))).toBe("DB_CLOSED");
  });

  it("rejects malformed input", async () => {
    const db = await fresh(strategy);
    expect(await code(db.checkAndInsertBlock("0x1234", { slot: 1 }))).toBe("INVALID_INPUT");
    expect(await code(db.checkAndInsertBlock(PK, { slot: -1 }))).toBe("INVALID_INPUT");
    expect(await code(db.checkAndInsertBlock(PK, { slot: 1, signingRoot: "0xab" }))).toBe("INVALID_INPUT");
  });
});

describe("minimal strategy", () => {
  it("refuses anything at or below the watermarks", async () => {
    const db = await fresh("minimal");
    await db.checkAndInsertBlock(PK, { slot: 10, signingRoot: R1 });
    expect(await code(db.checkAndInsertBlock(PK, { slot: 9, signingRoot: R1 }))).toBe("BELOW_HIGH_WATERMARK");
    await db.checkAndInsertAttestation(PK, { sourceEpoch: 5, targetEpoch: 10, signingRoot: R1 });
    expect(await code(db.checkAndInsertAttestation(PK, { sourceEpoch: 6, targetEpoch: 9 }))).toBe(
      "BELOW_HIGH_WATERMARK",
    );
    expect(await code(db.checkAndInsertAttestation(PK, { sourceEpoch: 4, targetEpoch: 11 }))).toBe(
      "BELOW_HIGH_WATERMARK",
    );
    expect(await db.checkAndInsertAttestation(PK, { sourceEpoch: 5, targetEpoch: 11 })).toBe("inserted");
  });
});

describe("complete strategy", () => {
  it("detects surround votes and allows non-slashable out-of-order signing", async () => {
    const db = await fresh("complete");
    await db.checkAndInsertAttestation(PK, { sourceEpoch: 10, targetEpoch: 20 });
    expect(await code(db.checkAndInsertAttestation(PK, { sourceEpoch: 11, targetEpoch: 19 }))).toBe(
      "SURROUNDED_VOTE",
    );
    await db.checkAndInsertAttestation(PK, { sourceEpoch: 12, targetEpoch: 30 });
    expect(await code(db.checkAndInsertAttestation(PK, { sourceEpoch: 11, targetEpoch: 31 }))).toBe(
      "SURROUNDING_VOTE",
    );
    expect(await db.checkAndInsertAttestation(PK, { sourceEpoch: 11, targetEpoch: 25 })).toBe("inserted");
    await db.checkAndInsertBlock(PK, { slot: 100 });
    expect(await db.checkAndInsertBlock(PK, { slot: 150 })).toBe("inserted");
    expect(await db.checkAndInsertBlock(PK, { slot: 120 })).toBe("inserted");
    // Below the oldest known record the history is unknown: refused.
    expect(await code(db.checkAndInsertBlock(PK, { slot: 99 }))).toBe("BELOW_LOW_WATERMARK");
    expect(await code(db.checkAndInsertAttestation(PK, { sourceEpoch: 9, targetEpoch: 10 }))).toBe(
      "BELOW_LOW_WATERMARK",
    );
    expect(await code(db.checkAndInsertAttestation(PK, { sourceEpoch: 9, targetEpoch: 40 }))).toBe(
      "SURROUNDING_VOTE",
    );
  });

  it("prune deletes history but keeps everything it protected against refused", async () => {
    const db = await fresh("complete");
    for (let e = 0; e < 10; e++)
      await db.checkAndInsertAttestation(PK, { sourceEpoch: e, targetEpoch: e + 1 });
    for (let s = 0; s < 10; s++) await db.checkAndInsertBlock(PK, { slot: s * 2 });
    await db.prune(PK, { slot: 10, targetEpoch: 6 });
    const exported = await db.exportInterchange([PK]);
    expect(exported.data[0]?.signed_blocks.map((b) => b.slot)).toEqual(["10", "12", "14", "16", "18"]);
    expect(exported.data[0]?.signed_attestations.map((a) => a.target_epoch)).toEqual([
      "6",
      "7",
      "8",
      "9",
      "10",
    ]);
    expect(await code(db.checkAndInsertBlock(PK, { slot: 3 }))).toBe("BELOW_LOW_WATERMARK");
    expect(await code(db.checkAndInsertAttestation(PK, { sourceEpoch: 3, targetEpoch: 4 }))).toBe(
      "BELOW_LOW_WATERMARK",
    );
    expect(await db.checkAndInsertBlock(PK, { slot: 11 })).toBe("inserted");
    expect(await db.getWatermarks(PK)).toMatchObject({ lowSlot: 10n, lowTargetEpoch: 6n, maxSlot: 18n });
  });
});

describe("interchange", () => {
  it("refuses a wrong genesis_validators_root and names invalid fields", async () => {
    const db = await fresh("complete");
    expect(await code(db.importInterchange(interchange([], OTHER_GVR)))).toBe(
      "GENESIS_VALIDATORS_ROOT_MISMATCH",
    );
    const bad = interchange([{ pubkey: PK, signed_blocks: [{ slot: "x" }], signed_attestations: [] }]);
    await expect(db.importInterchange(bad)).rejects.toThrow(/data\[0\]\.signed_blocks\[0\]\.slot/);
    await expect(
      db.importInterchange({
        ...interchange([]),
        metadata: { interchange_format_version: "4", genesis_validators_root: GVR },
      }),
    ).rejects.toThrow(/metadata\.interchange_format_version/);
    await expect(db.importInterchange("{not json")).rejects.toThrow(/INVALID_INTERCHANGE/);
  });

  it("is all-or-nothing", async () => {
    const db = await fresh("complete");
    const bad = interchange([
      { pubkey: PK, signed_blocks: [{ slot: "5" }], signed_attestations: [] },
      { pubkey: PK2, signed_blocks: [], signed_attestations: [{ source_epoch: "1", target_epoch: "-2" }] },
    ]);
    expect(await code(db.importInterchange(bad))).toBe("INVALID_INTERCHANGE");
    expect(await db.listValidators()).toEqual([]);
    expect(await db.checkAndInsertBlock(PK, { slot: 5 })).toBe("inserted");
  });

  it("merges without ever lowering watermarks and handles duplicate pubkeys", async () => {
    const db = await fresh("minimal");
    await db.checkAndInsertBlock(PK, { slot: 100, signingRoot: R1 });
    await db.importInterchange(
      interchange([
        {
          pubkey: PK,
          signed_blocks: [{ slot: "50" }],
          signed_attestations: [{ source_epoch: "3", target_epoch: "4" }],
        },
        {
          pubkey: PK,
          signed_blocks: [{ slot: "60" }],
          signed_attestations: [{ source_epoch: "2", target_epoch: "9" }],
        },
      ]),
    );
    expect(await db.getWatermarks(PK)).toMatchObject({
      maxSlot: 100n,
      maxSourceEpoch: 3n,
      maxTargetEpoch: 9n,
    });
    expect(await code(db.checkAndInsertBlock(PK, { slot: 99 }))).toBe("BELOW_HIGH_WATERMARK");
    expect(await code(db.checkAndInsertAttestation(PK, { sourceEpoch: 3, targetEpoch: 9 }))).toBe(
      "DOUBLE_VOTE",
    );
    expect(await db.checkAndInsertAttestation(PK, { sourceEpoch: 3, targetEpoch: 10 })).toBe("inserted");
  });

  it("conflicting roots for the same slot merge to an unknown root", async () => {
    const db = await fresh("complete");
    await db.checkAndInsertBlock(PK, { slot: 7, signingRoot: R1 });
    await db.importInterchange(
      interchange([
        { pubkey: PK, signed_blocks: [{ slot: "7", signing_root: R2 }], signed_attestations: [] },
      ]),
    );
    expect(await code(db.checkAndInsertBlock(PK, { slot: 7, signingRoot: R1 }))).toBe(
      "DOUBLE_BLOCK_PROPOSAL",
    );
    expect(await code(db.checkAndInsertBlock(PK, { slot: 7, signingRoot: R2 }))).toBe(
      "DOUBLE_BLOCK_PROPOSAL",
    );
  });

  it("exports valid, complete interchange that round-trips", async () => {
    const db = await fresh("complete");
    await db.checkAndInsertBlock(PK, { slot: 1 });
    await db.checkAndInsertBlock(PK, { slot: 3, signingRoot: R1 });
    await db.checkAndInsertAttestation(PK, { sourceEpoch: 0, targetEpoch: 1, signingRoot: R2 });
    await db.checkAndInsertAttestation(PK2, { sourceEpoch: 4, targetEpoch: 5 });
    const exported = await db.exportInterchange();
    expect(interchangeSchema.safeParse(JSON.parse(JSON.stringify(exported))).success).toBe(true);
    expect(exported.data).toEqual([
      {
        pubkey: PK,
        signed_blocks: [{ slot: "1" }, { slot: "3", signing_root: R1 }],
        signed_attestations: [{ source_epoch: "0", target_epoch: "1", signing_root: R2 }],
      },
      { pubkey: PK2, signed_blocks: [], signed_attestations: [{ source_epoch: "4", target_epoch: "5" }] },
    ]);
    const copy = await fresh("complete");
    await copy.importInterchange(JSON.stringify(exported));
    expect(await copy.exportInterchange()).toEqual(exported);
    expect(await copy.exportInterchange([PK2])).toEqual({ ...exported, data: [exported.data[1]] });
  });
});
