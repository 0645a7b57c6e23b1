/**
 * SIGKILL in the middle of signing (short variant, ~1 min): 4 agent processes (t = 3) on the
 * beacon-node simulator, node 1 killed with SIGKILL at seeded random moments 4 times and restarted
 * at once on its data dir. No slashable message may ever come out of it: see killSigning.ts and the
 * long variant killSigning.sim.test.ts (`npm run test:sim`).
 */
import { describe, it } from "vitest";
import { checkKillSigning } from "./killSigningChecks";

describe("SIGKILL mid-signing (short)", () => {
  it("4 kills of node 1: nothing slashable, every message it sent is journaled, it contributes again", async () => {
    await checkKillSigning({ kills: 4, seed: 0xc0ffee, delayMs: [300, 2500], tailSlots: 6 });
  }, 90_000);
});
