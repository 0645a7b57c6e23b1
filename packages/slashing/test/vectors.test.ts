import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { SlashingProtectionDb, SlashingProtectionError, type Strategy } from "../src/index.ts";

// Official EIP-3076 interchange test vectors (eth-clients/slashing-protection-interchange-tests).
const VECTOR_DIR = resolve(import.meta.dirname, "../../../../shared/vectors/eip3076");

const hex = z.string().regex(/^0x[0-9a-fA-F]*$/);
const num = z.string().regex(/^\d+$/);
// Strict: any field or shape this runner does not understand fails the test instead of being ignored.
const vectorSchema = z.strictObject({
  name: z.string(),
  genesis_validators_root: hex,
  steps: z.array(
    z.strictObject({
      should_succeed: z.boolean(),
      contains_slashable_data: z.boolean(),
      interchange: z.unknown(),
      blocks: z.array(
        z.strictObject({
          pubkey: hex,
          slot: num,
          signing_root: hex.optional(),
          should_succeed: z.boolean(),
          should_succeed_complete: z.boolean(),
        }),
      ),
      attestations: z.array(
        z.strictObject({
          pubkey: hex,
          source_epoch: num,
          target_epoch: num,
          signing_root: hex.optional(),
          should_succeed: z.boolean(),
          should_succeed_complete: z.boolean(),
        }),
      ),
    }),
  ),
});

const files = readdirSync(VECTOR_DIR)
  .filter((f) => f.endsWith(".json") && f !== "schema.json")
  .sort();
const tmp = mkdtempSync(join(tmpdir(), "slashing-vectors-"));
const counts: Record<Strategy, { cases: number; imports: number; checks: number }> = {
  minimal: { cases: 0, imports: 0, checks: 0 },
  complete: { cases: 0, imports: 0, checks: 0 },
};

afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
  console.log(`EIP-3076 vectors: ${JSON.stringify(counts)}`);
});

it("finds the whole vector suite and nothing it does not understand", () => {
  expect(files.length).toBe(38);
  const other = readdirSync(VECTOR_DIR).filter((f) => !files.includes(f));
  expect(other.sort()).toEqual(["README.md", "schema.json"]);
});

describe.each(["minimal", "complete"] as const)("EIP-3076 vectors (%s strategy)", (strategy) => {
  it.each(files)("%s", async (file) => {
    const vector = vectorSchema.parse(JSON.parse(readFileSync(join(VECTOR_DIR, file), "utf8")));
    const db = await SlashingProtectionDb.open({
      path: join(tmp, `${strategy}-${file}`),
      genesisValidatorsRoot: vector.genesis_validators_root,
      strategy,
    });
    try {
      for (const [i, step] of vector.steps.entries()) {
        const where = `${vector.name} step ${i}`;
        if (step.should_succeed) {
          // We always import (merging slashable data conservatively), so every check must hold.
          await db.importInterchange(step.interchange);
        } else {
          await expect(db.importInterchange(step.interchange), where).rejects.toBeInstanceOf(
            SlashingProtectionError,
          );
        }
        counts[strategy].imports++;
        for (const [j, b] of step.blocks.entries()) {
          const expected = strategy === "minimal" ? b.should_succeed : b.should_succeed_complete;
          const outcome = await db
            .checkAndInsertBlock(b.pubkey, { slot: b.slot, signingRoot: b.signing_root })
            .then(
              () => true,
              (e: unknown) => {
                if (!(e instanceof SlashingProtectionError)) throw e;
                return false;
              },
            );
          expect(outcome, `${where} block ${j} (slot ${b.slot})`).toBe(expected);
          counts[strategy].checks++;
        }
        for (const [j, a] of step.attestations.entries()) {
          const expected = strategy === "minimal" ? a.should_succeed : a.should_succeed_complete;
          const outcome = await db
            .checkAndInsertAttestation(a.pubkey, {
              sourceEpoch: a.source_epoch,
              targetEpoch: a.target_epoch,
              signingRoot: a.signing_root,
            })
            .then(
              () => true,
              (e: unknown) => {
                if (!(e instanceof SlashingProtectionError)) throw e;
                return false;
              },
            );
          expect(outcome, `${where} attestation ${j} (${a.source_epoch}->${a.target_epoch})`).toBe(expected);
          counts[strategy].checks++;
        }
      }
      counts[strategy].cases++;
    } finally {
      await db.close();
    }
  });
});
