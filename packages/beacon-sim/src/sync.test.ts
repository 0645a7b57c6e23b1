import {
  contributionAndProofFromJson,
  contributionAndProofSigningRoot,
  hexToBytes,
  syncCommitteeMessageSigningRoot,
  syncCommitteeSelectionProofSigningRoot,
} from "@cohort/eth";
import { fastAggregateVerify } from "@cohort/tbls";
import { ssz } from "@lodestar/types";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isSyncCommitteeAggregator, SYNC_SUBCOMMITTEE_SIZE } from "./chain";
import { hex, network, simFixture } from "./testing";

type Fixture = Awaited<ReturnType<typeof simFixture>>;
let f: Fixture;
beforeAll(async () => {
  f = await simFixture({ epochsPerSyncCommitteePeriod: 2 });
});
afterAll(() => f.sim.stop());

const root = (slot: number) => hex(f.chain.blockRoot(slot));
const message = (i: number, slot: number, blockRoot = root(slot), signer = i) => ({
  slot: String(slot),
  beacon_block_root: blockRoot,
  validator_index: String(i),
  signature: f.signRoot(signer, syncCommitteeMessageSigningRoot(network, slot, blockRoot)),
});
const syncProof = (i: number, slot: number, subcommitteeIndex: number, signer = i) =>
  f.signRoot(signer, syncCommitteeSelectionProofSigningRoot(network, { slot, subcommitteeIndex }));
/** Positions of validator `i` within subcommittee `sub` at `slot`. */
const subPositions = (slot: number, i: number, sub: number) =>
  f.chain
    .syncPositions(slot, i)
    .filter((p) => Math.floor(p / SYNC_SUBCOMMITTEE_SIZE) === sub)
    .map((p) => p % SYNC_SUBCOMMITTEE_SIZE);

describe("the simulated sync committee", () => {
  it("has 512 deterministic positions per period, the committee of slot s being that of epoch(s + 1)", () => {
    const c = f.chain.syncCommittee(3);
    expect(c).toHaveLength(512);
    expect(c.every((i) => i >= 0 && i < 16)).toBe(true);
    expect(f.chain.syncCommittee(3)).toEqual(c);
    expect(f.chain.syncCommittee(4)).not.toEqual(c);
    // Period 3 = epochs 6-7 = slots 48-63; slot 47 already signs for period 3.
    expect(f.chain.syncCommitteeAtSlot(47)).toBe(f.chain.syncCommittee(3));
    expect(f.chain.syncCommitteeAtSlot(46)).toBe(f.chain.syncCommittee(2));
    expect(f.chain.syncCommitteeAtSlot(63)).toBe(f.chain.syncCommittee(4));
  });

  it("serves sync duties, the period length in the spec, and block roots", async () => {
    f.at(40);
    const res = await f.post("/eth/v1/validator/duties/sync/5", ["0", "1", "99"]);
    expect(res.status).toBe(200);
    expect(res.body.execution_optimistic).toBe(false);
    const positions = (i: number) => f.chain.syncCommittee(2).flatMap((v, p) => (v === i ? [String(p)] : []));
    expect(res.body.data).toEqual(
      [0, 1].map((i) => ({
        pubkey: f.validators[i]!.pubkey,
        validator_index: String(i),
        validator_sync_committee_indices: positions(i),
      })),
    );
    expect((await f.post("/eth/v1/validator/duties/sync/7", ["0"])).status).toBe(200); // next period
    expect((await f.post("/eth/v1/validator/duties/sync/8", ["0"])).status).toBe(400); // beyond it
    expect((await f.post("/eth/v1/validator/duties/sync/5", [0])).status).toBe(400);
    expect((await f.request("/eth/v1/config/spec")).body.data.EPOCHS_PER_SYNC_COMMITTEE_PERIOD).toBe("2");

    expect((await f.request("/eth/v1/beacon/blocks/head/root")).body).toEqual({
      execution_optimistic: false,
      finalized: false,
      data: { root: root(40) },
    });
    expect((await f.request("/eth/v1/beacon/blocks/genesis/root")).body.data.root).toBe(root(0));
    expect((await f.request("/eth/v1/beacon/blocks/33/root")).body.data.root).toBe(root(33));
    expect((await f.request("/eth/v1/beacon/blocks/41/root")).status).toBe(404);
    expect((await f.request("/eth/v1/beacon/blocks/nope/root")).status).toBe(400);
  });
});

describe("sync committee messages", () => {
  it("accepts correctly signed messages and refuses bad ones", async () => {
    const slot = 42;
    f.at(slot);
    const ok = await f.post("/eth/v1/beacon/pool/sync_committees", [message(0, slot), message(1, slot)]);
    expect(ok.status).toBe(200);
    expect((await f.post("/eth/v1/beacon/pool/sync_committees", [message(0, slot)])).status).toBe(200); // resent
    const bad = await f.post("/eth/v1/beacon/pool/sync_committees", [
      message(2, slot, root(slot), 3), // wrong key
      message(2, slot + 1), // future
      message(2, slot - 2), // too old
      message(99, slot),
      { slot: String(slot), validator_index: "2", beacon_block_root: "0x12", signature: "0x00" },
      message(2, slot, `0x${"77".repeat(32)}`), // valid but for a non-canonical root
    ]);
    expect(bad.status).toBe(400);
    expect(bad.body.failures).toEqual([
      { index: 0, message: "invalid signature" },
      { index: 1, message: `slot ${slot + 1} is in the future` },
      { index: 2, message: `slot ${slot - 2} is too old (current slot ${slot})` },
      { index: 3, message: "unknown validator 99" },
      { index: 4, message: "beacon_block_root must be a 32-byte hex root" },
    ]);
    const recorded = (await f.request(`/cohort/v1/sync_committee_messages?slot=${slot}`)).body.data;
    expect(
      recorded.map((m: { validatorIndex: number; included: boolean }) => [m.validatorIndex, m.included]),
    ).toEqual([
      [0, true],
      [1, true],
      [2, false],
    ]);
    // The too-old message is refused for timing only: counted late, not invalid.
    const stats = (await f.request(`/cohort/v1/stats?from_slot=0&to_slot=${slot}`)).body;
    const v2 = stats.validators.find((x: { index: number }) => x.index === 2).sync_message;
    expect(v2).toMatchObject({ late: 1, invalid: 3 }); // wrong key, future, malformed root
  });
});

describe("sync committee selections, contributions and contribution-and-proofs", () => {
  it("returns verified selection proofs and refuses bad ones", async () => {
    const slot = 44;
    f.at(slot);
    const item = {
      validator_index: "0",
      slot: String(slot),
      subcommittee_index: "1",
      selection_proof: syncProof(0, slot, 1),
    };
    expect(await f.post("/eth/v1/validator/sync_committee_selections", [item])).toMatchObject({
      status: 200,
      body: { data: [item] },
    });
    const bad = await f.post("/eth/v1/validator/sync_committee_selections", [
      { ...item, selection_proof: syncProof(0, slot, 2) },
      { ...item, subcommittee_index: "4" },
    ]);
    expect(bad.body.failures).toEqual([
      { index: 0, message: "invalid selection proof" },
      { index: 1, message: "subcommittee_index 4 must be below 4" },
    ]);
  });

  it("aggregates messages into a contribution and accepts a selected aggregator's proof", async () => {
    const slot = 45;
    f.at(slot, 800);
    const signers = [0, 1, 2, 3, 4, 5];
    expect(
      (
        await f.post(
          "/eth/v1/beacon/pool/sync_committees",
          signers.map((i) => message(i, slot)),
        )
      ).status,
    ).toBe(200);
    // Find a (validator, subcommittee) whose proof selects it, and one whose proof does not.
    let chosen: { i: number; sub: number; proof: string } | undefined;
    let refused: { i: number; sub: number; proof: string } | undefined;
    for (const i of signers) {
      for (let sub = 0; sub < 4; sub++) {
        if (subPositions(slot, i, sub).length === 0) continue;
        const proof = syncProof(i, slot, sub);
        if (isSyncCommitteeAggregator(hexToBytes(proof, 96))) chosen ??= { i, sub, proof };
        else refused ??= { i, sub, proof };
      }
    }
    expect(chosen && refused).toBeTruthy();
    const { i, sub, proof } = chosen!;

    const res = await f.request(
      `/eth/v1/validator/sync_committee_contribution?slot=${slot}&subcommittee_index=${sub}&beacon_block_root=${root(slot)}`,
    );
    expect(res.status).toBe(200);
    const contribution = ssz.altair.SyncCommitteeContribution.fromJson(res.body.data);
    const expected = signers.flatMap((v) => subPositions(slot, v, sub)).sort((a, b) => a - b);
    expect(contribution.aggregationBits.getTrueBitIndexes()).toEqual(expected);
    const committee = f.chain.syncCommitteeAtSlot(slot);
    const pubkeys = expected.map((p) =>
      hexToBytes(f.validators[committee[sub * SYNC_SUBCOMMITTEE_SIZE + p]!]!.pubkey, 48),
    );
    expect(
      fastAggregateVerify(
        pubkeys,
        syncCommitteeMessageSigningRoot(network, slot, root(slot)),
        contribution.signature,
      ),
    ).toBe(true);

    const signed = (aggregator: number, selection: string, c = res.body.data, signer = aggregator) => {
      const msg = { aggregator_index: String(aggregator), contribution: c, selection_proof: selection };
      return {
        message: msg,
        signature: f.signRoot(
          signer,
          contributionAndProofSigningRoot(network, contributionAndProofFromJson(msg)),
        ),
      };
    };
    expect((await f.post("/eth/v1/validator/contribution_and_proofs", [signed(i, proof)])).status).toBe(200);
    const recorded = (await f.request(`/cohort/v1/contributions?slot=${slot}`)).body.data;
    expect(recorded).toEqual([
      expect.objectContaining({
        aggregatorIndex: i,
        subcommitteeIndex: sub,
        positions: expected,
        included: true,
      }),
    ]);

    const refusedContribution = (
      await f.request(
        `/eth/v1/validator/sync_committee_contribution?slot=${slot}&subcommittee_index=${refused!.sub}&beacon_block_root=${root(slot)}`,
      )
    ).body.data;
    const bad = await f.post("/eth/v1/validator/contribution_and_proofs", [
      signed(refused!.i, refused!.proof, refusedContribution),
      signed(i, proof, res.body.data, (i + 1) % 16),
      signed(i, proof, { ...res.body.data, signature: message(0, slot).signature }),
      signed(i, syncProof(i, slot, sub, 7)),
    ]);
    expect(bad.body.failures).toEqual([
      {
        index: 0,
        message: `validator ${refused!.i} is not selected as a sync aggregator at slot ${slot} subcommittee ${refused!.sub}`,
      },
      { index: 1, message: "invalid signature" },
      { index: 2, message: "invalid contribution signature" },
      { index: 3, message: "invalid selection proof" },
    ]);

    // 404 without messages; 400 for bad parameters.
    expect(
      (
        await f.request(
          `/eth/v1/validator/sync_committee_contribution?slot=${slot - 1}&subcommittee_index=0&beacon_block_root=${root(slot)}`,
        )
      ).status,
    ).toBe(404);
    expect(
      (
        await f.request(
          `/eth/v1/validator/sync_committee_contribution?slot=${slot}&subcommittee_index=9&beacon_block_root=${root(slot)}`,
        )
      ).status,
    ).toBe(400);

    const stats = (await f.request(`/cohort/v1/stats?from_slot=${slot}&to_slot=${slot}`)).body;
    expect(stats.totals.sync_message).toMatchObject({
      expected: new Set(committee).size,
      included: signers.length,
    });
    const mine = stats.validators.find((v: { index: number }) => v.index === i);
    expect(mine.sync_contribution).toMatchObject({ expected: 1, included: 1, valid: 1 });
    expect(stats.totals.sync_contribution.included).toBe(1);
  });
});
