/** The assertions shared by the SIGKILL-mid-signing tests. */
import { expect } from "vitest";
import {
  attestationConflicts,
  attestationsOf,
  blocksOf,
  interchangeConflicts,
  type KillSigningOptions,
  runKillSigning,
} from "./killSigning";

export async function checkKillSigning(o: KillSigningOptions): Promise<void> {
  const lines: string[] = [];
  const r = await runKillSigning({ ...o, log: (l) => lines.push(l) });
  const why = `${lines.join("\n")}\n(logs in ${r.dir})`;
  try {
    expect(r.kills, why).toHaveLength(o.kills);
    // 1. The chain saw nothing slashable.
    expect(r.simSlashable, why).toBe(0);
    expect(r.simSlashings, why).toBe(0);
    // 2. The killed node's slashing-protection history has no conflicting entries.
    expect(r.interchange.data.length, why).toBeGreaterThan(0);
    expect(
      r.interchange.data.some((v) => v.signed_attestations.length > 0),
      why,
    ).toBe(true);
    expect(interchangeConflicts(r.interchange), why).toEqual([]);
    // 3. Across all its restarts, what the OTHER members received from it holds no double or
    //    surround vote and no double proposal.
    const atts = attestationsOf(r.fromVictim);
    expect(atts.length, why).toBeGreaterThan(0);
    expect(attestationConflicts(atts), why).toEqual([]);
    const blocks = blocksOf(r.fromVictim);
    const bySlot = new Map<string, Set<string>>();
    for (const b of blocks)
      bySlot.set(
        `${b.pubkey}/${b.slot}`,
        (bySlot.get(`${b.pubkey}/${b.slot}`) ?? new Set()).add(b.signingRoot),
      );
    expect(
      [...bySlot].filter(([, roots]) => roots.size > 1),
      why,
    ).toEqual([]);
    // 4. Every message the others received from it is in its own journal (fsynced before sending).
    const missing = r.fromVictim.filter((e) => !r.victimSentDigests.has(e.digest));
    expect(
      missing.map((e) => `${e.message.message.slot}/${e.message.message.dutyType}`),
      why,
    ).toEqual([]);
    // 5. It contributed again after its last restart.
    expect(
      r.fromVictim.filter((e) => e.message.message.sentAt > r.lastRestartAt).length,
      why,
    ).toBeGreaterThan(0);
    const after = r.fromVictim.filter((e) => e.message.message.sentAt > r.lastRestartAt).length;
    console.log(
      `kill-signing: kills at slots ${r.kills.map((k) => k.slot).join(",")}; others received ` +
        `${r.fromVictim.length} messages (${atts.length} attestation partials) from node ` +
        `${r.victimShareIndex - 1}, ${after} after its last restart; it journaled ${r.victimSentDigests.size} sent; ` +
        `slashing DB: ${r.interchange.data.map((v) => v.signed_attestations.length).join("/")} attestations`,
    );
    r.cleanup();
  } catch (e) {
    console.error(`kill-signing failed; logs kept in ${r.dir}`);
    throw e;
  }
}
