import { randomBytes } from "node:crypto";
import {
  isAggregator as simIsAggregator,
  isSyncCommitteeAggregator as simIsSyncAggregator,
} from "@cohort/beacon-sim";
import { describe, expect, it } from "vitest";
import {
  CoreError,
  duty,
  firstSyncSubcommittee,
  isAggregator,
  isSyncCommitteeAggregator,
  MAINNET_SELECTION_CONSTANTS,
  type PubKey,
  selectionConstantsFromSpec,
  Tracker,
} from "../src/index";

describe("aggregator selection", () => {
  it("matches the spec rule (as the simulator implements it) for every committee size", () => {
    for (let i = 0; i < 300; i++) {
      const proof = new Uint8Array(randomBytes(96));
      const len = 1 + (i % 200);
      expect(isAggregator(len, proof)).toBe(simIsAggregator(len, proof));
      expect(isSyncCommitteeAggregator(proof)).toBe(simIsSyncAggregator(proof));
    }
    // modulo = max(1, len / 16): committees under 32 members select everyone.
    expect(isAggregator(31, new Uint8Array(96).fill(7))).toBe(true);
  });

  it("reads the constants from the spec and keeps mainnet values for missing ones", () => {
    const c = selectionConstantsFromSpec({
      SYNC_COMMITTEE_SIZE: "32",
      TARGET_AGGREGATORS_PER_COMMITTEE: "x",
    });
    expect(c).toEqual({ ...MAINNET_SELECTION_CONSTANTS, SYNC_COMMITTEE_SIZE: 32 });
    // minimal preset: 32 / 4 / 16 = 0 → modulo 1, everyone is a sync aggregator.
    expect(isSyncCommitteeAggregator(new Uint8Array(96).fill(1), c)).toBe(true);
    const def = { pubkey: "0xaa" as PubKey, validatorIndex: 1, slot: 1, syncCommitteeIndices: [300, 129] };
    expect(firstSyncSubcommittee(def)).toBe(1);
    expect(firstSyncSubcommittee(def, c)).toBe(16); // positions/8 with 32 members: 129 → 16
  });
});

describe("tracker: aggregation and sync duties", () => {
  const pk1 = "0x01" as PubKey;
  const pk2 = "0x02" as PubKey;
  const defs = new Map([
    [pk1, { pubkey: pk1, validatorIndex: 1, slot: 5 }],
    [pk2, { pubkey: pk2, validatorIndex: 2, slot: 5 }],
  ]);

  it("an aggregator duty with no selected validator is not reported; selected ones are judged alone", () => {
    const t = new Tracker();
    const none = duty(5, "aggregator");
    t.scheduled(none, defs);
    t.fetched(none, new Map());
    t.expire(none);
    expect(t.outcomes()).toEqual([]);

    const one = duty(6, "aggregator");
    t.scheduled(one, defs);
    t.fetched(one, new Map([[pk2, { kind: "aggregate_and_proof", message: {} }]]));
    t.decided(one);
    t.aggregated(one, pk2);
    t.broadcast(one, pk2);
    t.expire(one);
    expect(t.outcomes()[0]).toMatchObject({ success: true, reason: null });
    expect(t.outcomes()[0]!.validators.map((v) => v.pubkey)).toEqual([pk2]);
  });

  it("missing selection proof / sync message / aggregate get their own reasons", () => {
    const t = new Tracker();
    const cases = [
      ["aggregator", "NO_SELECTION_PROOF", "no_selection_proof"],
      ["aggregator", "NO_ATTESTATION", "no_attestation"],
      ["sync_contribution", "NO_SYNC_MESSAGE", "no_sync_message"],
      ["sync_contribution", "NO_AGGREGATE", "no_aggregate"],
    ] as const;
    for (const [i, [type, code, reason]] of cases.entries()) {
      const d = duty(10 + i, type);
      t.scheduled(d, defs);
      t.fetchFailed(d, new CoreError(code, "x"));
      t.expire(d);
      expect(t.outcomes().at(-1)).toMatchObject({ success: false, reason });
    }
    // A sync message that is aggregated but never broadcast is a bcast failure, not a success.
    const d = duty(20, "sync_message");
    t.scheduled(d, defs);
    t.fetched(d);
    t.aggregated(d, pk1);
    t.aggregated(d, pk2);
    t.expire(d);
    expect(t.outcomes().at(-1)).toMatchObject({ success: false, reason: "bcast_failed" });
  });
});
