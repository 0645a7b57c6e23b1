import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cohort } from "./cohort";

const vector = JSON.parse(
  readFileSync(
    path.resolve(
      import.meta.dirname,
      "../../../../shared/vectors/eip3076/multiple_validators_multiple_blocks_and_attestations.json",
    ),
    "utf8",
  ),
);

describe("cohort slashing import|export", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "cohort-slashing-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const dataDir = path.join(dir, "node0");
  const interchange = vector.steps[0].interchange;
  const root = interchange.metadata.genesis_validators_root as string;

  it("imports an EIP-3076 file and exports the same history", async () => {
    const file = path.join(dir, "in.json");
    writeFileSync(file, JSON.stringify(interchange));
    const imported = await cohort("slashing", "import", "--data-dir", dataDir, "--file", file);
    expect(imported.err).toBe("");
    expect(imported.out).toMatch(/^imported \d+ validator\(s\)/);

    const out = path.join(dir, "out.json");
    const exported = await cohort(
      "slashing",
      "export",
      "--data-dir",
      dataDir,
      "--genesis-validators-root",
      root,
      "--out",
      out,
    );
    expect(exported.code).toBe(0);
    const back = JSON.parse(readFileSync(out, "utf8"));
    expect(back.metadata).toMatchObject({ interchange_format_version: "5", genesis_validators_root: root });
    const key = (d: { pubkey: string }) => d.pubkey;
    expect(back.data.map(key).sort()).toEqual([...new Set(interchange.data.map(key))].sort());
    for (const v of interchange.data) {
      const mine = back.data.find((d: { pubkey: string }) => d.pubkey === v.pubkey);
      for (const b of v.signed_blocks)
        expect(mine.signed_blocks.map((x: { slot: string }) => x.slot)).toContain(b.slot);
    }
    // Exporting again over an existing file is refused, not overwritten.
    const again = await cohort(
      "slashing",
      "export",
      "--data-dir",
      dataDir,
      "--genesis-validators-root",
      root,
      "--out",
      out,
    );
    expect(again.code).not.toBe(0);
    expect(again.err).toMatch(/refusing to overwrite/);
  });

  it("refuses a malformed file without changing anything, naming the field", async () => {
    const bad = structuredClone(interchange);
    bad.data[0].signed_blocks[0].slot = "not-a-number";
    const file = path.join(dir, "bad.json");
    writeFileSync(file, JSON.stringify(bad));
    const r = await cohort("slashing", "import", "--data-dir", dataDir, "--file", file);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/data\[0\]\.signed_blocks\[0\]\.slot/);
  });
});
