/**
 * SIGKILL in the middle of signing (long variant, `npm run test:sim`): node 1 of a 4-node t = 3
 * cluster is killed with SIGKILL at seeded random moments 12 times, restarted at once on its data
 * dir each time; afterwards nothing slashable may exist anywhere (see killSigning.ts).
 */
import { describe, it } from "vitest";
import { checkKillSigning } from "./killSigningChecks";

describe("SIGKILL mid-signing (long)", () => {
  it("12 kills of node 1: nothing slashable, every message it sent is journaled, it contributes again", async () => {
    await checkKillSigning({ kills: 12, seed: 20_261_121, delayMs: [200, 4000], tailSlots: 8 });
  }, 300_000);
});
