import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { simFixture } from "./testing";

type Fixture = Awaited<ReturnType<typeof simFixture>>;
let f: Fixture;
beforeAll(async () => {
  f = await simFixture();
});
afterAll(() => f.sim.stop());

/** A duty in `epoch` of a validator, and a second validator of the same slot's committee if any. */
const dutyIn = (epoch: number, validatorIndex: number) =>
  f.chain.attesterDuties(epoch).find((d) => d.validatorIndex === validatorIndex)!;
const hex32 = (byte: string) => `0x${byte.repeat(32)}`;

describe("attestation data", () => {
  it("is the simulated chain's head, justified source and epoch target", async () => {
    f.at(20);
    const res = await f.request("/eth/v1/validator/attestation_data?slot=20&committee_index=0");
    expect(res.status).toBe(200);
    const root = (slot: number) => `0x${Buffer.from(f.chain.blockRoot(slot)).toString("hex")}`;
    expect(res.body.data).toEqual({
      slot: "20",
      index: "0",
      beacon_block_root: root(20),
      source: { epoch: "1", root: root(8) },
      target: { epoch: "2", root: root(16) },
    });
    // Epochs 0 and 1 vote from the genesis checkpoint.
    const early = await f.request("/eth/v1/validator/attestation_data?slot=3&committee_index=0");
    expect(early.body.data.source).toEqual({ epoch: "0", root: hex32("00") });
    expect(early.body.data.target).toEqual({ epoch: "0", root: root(0) });
  });

  it("refuses future slots, missing parameters and unknown committees", async () => {
    f.at(20);
    expect(await f.request("/eth/v1/validator/attestation_data?slot=22&committee_index=0")).toMatchObject({
      status: 400,
      body: { code: 400, message: "Requested slot 22 is in the future" },
    });
    expect((await f.request("/eth/v1/validator/attestation_data?slot=20")).body).toEqual({
      code: 400,
      message: "Invalid committee_index: missing",
    });
    expect((await f.request("/eth/v1/validator/attestation_data?slot=20&committee_index=3")).status).toBe(
      400,
    );
  });
});

describe("attestation pool (Electra SingleAttestation, v2)", () => {
  it("accepts a correctly signed attestation and would include it at the next slot", async () => {
    const duty = dutyIn(2, 0);
    f.at(duty.slot, 1500);
    const res = await f.post("/eth/v2/beacon/pool/attestations", [f.single(0, f.dataJson(duty.slot))], {
      "Eth-Consensus-Version": "electra",
    });
    expect(res).toMatchObject({ status: 200 });
    const recorded = (await f.request(`/cohort/v1/attestations?validator_index=0&slot=${duty.slot}`)).body
      .data;
    expect(recorded).toHaveLength(1);
    expect(recorded[0]).toMatchObject({ accepted: true, inclusionSlot: duty.slot + 1, fork: "electra" });
    // Re-sending the same attestation (another node of the cluster) is fine and records nothing new.
    const again = await f.post("/eth/v2/beacon/pool/attestations", [f.single(0, f.dataJson(duty.slot))], {
      "Eth-Consensus-Version": "electra",
    });
    expect(again.status).toBe(200);
    expect((await f.request("/cohort/v1/attestations?validator_index=0")).body.data).toHaveLength(1);
  });

  it("refuses bad items with the per-item failures array and keeps the good ones", async () => {
    const duty = dutyIn(3, 1);
    f.at(duty.slot);
    const data = f.dataJson(duty.slot);
    const notInCommittee = f.chain.validators.find(
      (v) => !f.chain.committee(duty.slot).some((d) => d.validatorIndex === v.index),
    )!.index;
    const items = [
      f.single(1, data), // valid
      f.single(1, data, 5), // signed by another validator's key
      f.single(notInCommittee, data), // validly signed, not scheduled at this slot
      { ...f.single(1, data), committee_index: "1" }, // no such committee
      { attester_index: "1", data }, // shape
      { ...f.single(1, data), attester_index: "99" }, // unknown validator
      f.single(1, { ...data, target: { ...data.target, epoch: "2" } }), // target epoch != slot's epoch
    ];
    const res = await f.post("/eth/v2/beacon/pool/attestations", items, {
      "Eth-Consensus-Version": "electra",
    });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe(400);
    expect(typeof res.body.message).toBe("string");
    expect(res.body.failures.map((x: { index: number }) => x.index)).toEqual([1, 2, 3, 4, 5, 6]);
    const messages = res.body.failures.map((x: { message: string }) => x.message);
    expect(messages[0]).toBe("invalid signature");
    expect(messages[1]).toBe(`validator ${notInCommittee} is not in committee 0 at slot ${duty.slot}`);
    expect(messages[2]).toBe(`committee 1 does not exist at slot ${duty.slot}`);
    expect(messages[3]).toMatch(/^invalid SingleAttestation/);
    expect(messages[4]).toBe("unknown validator 99");
    expect(messages[5]).toMatch(/target epoch 2/);
    // The valid item was accepted.
    const mine = (await f.request(`/cohort/v1/attestations?validator_index=1&slot=${duty.slot}`)).body.data;
    expect(mine).toMatchObject([{ accepted: true, inclusionSlot: duty.slot + 1 }]);
  });

  it("refuses future attestations, a wrong or missing Eth-Consensus-Version, and v1 after Electra", async () => {
    const duty = dutyIn(4, 2);
    f.at(duty.slot - 1, 0);
    const item = f.single(2, f.dataJson(duty.slot));
    const future = await f.post("/eth/v2/beacon/pool/attestations", [item], {
      "Eth-Consensus-Version": "electra",
    });
    expect(future.body.failures).toEqual([
      { index: 0, message: `attestation slot ${duty.slot} is in the future` },
    ]);
    f.at(duty.slot);
    const wrong = await f.post("/eth/v2/beacon/pool/attestations", [item], {
      "Eth-Consensus-Version": "deneb",
    });
    expect(wrong.body.failures[0].message).toMatch(/does not match fork electra/);
    expect(await f.post("/eth/v2/beacon/pool/attestations", [item])).toMatchObject({
      status: 400,
      body: { code: 400, message: "Eth-Consensus-Version header is required" },
    });
    const v1 = await f.post("/eth/v1/beacon/pool/attestations", [item]);
    expect(v1.body.failures[0].message).toMatch(/submit a SingleAttestation/);
    expect(
      (await f.post("/eth/v2/beacon/pool/attestations", {}, { "Eth-Consensus-Version": "electra" })).status,
    ).toBe(400);
  });

  it("accepts a late attestation but does not include it", async () => {
    const duty = dutyIn(2, 3);
    f.at(duty.slot + 9);
    const res = await f.post("/eth/v2/beacon/pool/attestations", [f.single(3, f.dataJson(duty.slot))], {
      "Eth-Consensus-Version": "electra",
    });
    expect(res.status).toBe(200);
    const [rec] = (await f.request("/cohort/v1/attestations?validator_index=3")).body.data;
    expect(rec).toMatchObject({ accepted: true, inclusionSlot: null, receivedSlot: duty.slot + 9 });
  });
});

describe("attestation pool before Electra (phase0 Attestation)", () => {
  it("accepts aggregation-bit attestations on v1 and on v2 with the Deneb header", async () => {
    const a = dutyIn(0, 4);
    const b = dutyIn(0, 5);
    f.at(Math.max(a.slot, b.slot));
    expect((await f.post("/eth/v1/beacon/pool/attestations", [f.aggregate(a.slot, 4)])).status).toBe(200);
    expect(
      (
        await f.post("/eth/v2/beacon/pool/attestations", [f.aggregate(b.slot, 5)], {
          "Eth-Consensus-Version": "deneb",
        })
      ).status,
    ).toBe(200);
    const recorded = (await f.request("/cohort/v1/attestations?validator_index=4")).body.data;
    expect(recorded).toMatchObject([{ slot: a.slot, fork: "deneb", accepted: true }]);
  });

  it("checks the bits against the committee and the signature against the bit's validator", async () => {
    const duty = dutyIn(0, 6);
    f.at(duty.slot);
    const size = f.chain.committee(duty.slot).length;
    const res = await f.post("/eth/v1/beacon/pool/attestations", [
      f.aggregate(duty.slot, 6, { signer: 7 }),
      f.aggregate(duty.slot, 6, { bits: Array(size).fill(false) }),
      f.aggregate(duty.slot, 6, { bits: Array(size + 1).fill(true) }),
      f.aggregate(duty.slot, 6, { bits: [...Array(size).fill(false), true] }),
    ]);
    expect(res.status).toBe(400);
    expect(res.body.failures).toEqual([
      { index: 0, message: "invalid signature" },
      { index: 1, message: "an unaggregated attestation has exactly one aggregation bit set, not 0" },
      {
        index: 2,
        message: `an unaggregated attestation has exactly one aggregation bit set, not ${size + 1}`,
      },
      { index: 3, message: `aggregation_bits length ${size + 1} is not the committee size ${size}` },
    ]);
  });
});

describe("slashable offences", () => {
  it("detects a double vote from validly signed attestations only", async () => {
    const duty = dutyIn(5, 8);
    f.at(duty.slot);
    const data = f.dataJson(duty.slot);
    const other = { ...data, beacon_block_root: hex32("11") };
    const header = { "Eth-Consensus-Version": "electra" };
    expect((await f.post("/eth/v2/beacon/pool/attestations", [f.single(8, data)], header)).status).toBe(200);
    // An invalid signature over conflicting data is refused and not slashable.
    const forged = await f.post("/eth/v2/beacon/pool/attestations", [f.single(8, other, 9)], header);
    expect(forged.body.failures).toEqual([{ index: 0, message: "invalid signature" }]);
    expect((await f.request("/cohort/v1/slashings")).body.data).toEqual([]);
    // A validly signed conflicting vote is accepted (as gossip would) and flagged.
    expect((await f.post("/eth/v2/beacon/pool/attestations", [f.single(8, other)], header)).status).toBe(200);
    const slashings = (await f.request("/cohort/v1/slashings")).body.data;
    expect(slashings).toHaveLength(1);
    expect(slashings[0]).toMatchObject({
      kind: "double_vote",
      validatorIndex: 8,
      attestations: [{ beaconBlockRoot: data.beacon_block_root }, { beaconBlockRoot: hex32("11") }],
    });
  });

  it("detects a surround vote, even from an attestation that could not be included", async () => {
    const first = dutyIn(6, 9);
    const second = dutyIn(7, 9);
    const header = { "Eth-Consensus-Version": "electra" };
    f.at(first.slot);
    expect(
      (await f.post("/eth/v2/beacon/pool/attestations", [f.single(9, f.dataJson(first.slot))], header))
        .status,
    ).toBe(200); // source 5 → target 6
    f.at(second.slot);
    const surrounding = { ...f.dataJson(second.slot), source: { epoch: "4", root: hex32("22") } }; // 4 → 7
    expect(
      (await f.post("/eth/v2/beacon/pool/attestations", [f.single(9, surrounding)], header)).status,
    ).toBe(200);
    const recorded = (await f.request(`/cohort/v1/attestations?validator_index=9&slot=${second.slot}`)).body
      .data;
    expect(recorded[0]).toMatchObject({ accepted: true, inclusionSlot: null }); // wrong source
    const slashings = (await f.request("/cohort/v1/slashings")).body.data.filter(
      (s: { validatorIndex: number }) => s.validatorIndex === 9,
    );
    expect(slashings).toMatchObject([
      {
        kind: "surround_vote",
        attestations: [
          { source: { epoch: 5 }, target: { epoch: 6 } },
          { source: { epoch: 4 }, target: { epoch: 7 } },
        ],
      },
    ]);
  });
});

describe("stats", () => {
  it("summarises expected, submitted, valid, invalid, included and slashable per validator", async () => {
    f.at(63);
    const stats = (await f.request("/cohort/v1/stats?from_slot=0&to_slot=63")).body;
    expect(stats).toMatchObject({ from_slot: 0, to_slot: 63, slashings: 2 });
    const v = (i: number) => stats.validators.find((x: { index: number }) => x.index === i);
    // Validator 0: one duty per epoch 0..7, one attestation sent twice, included once.
    expect(v(0).attester).toEqual({
      expected: 8,
      submitted: 2,
      valid: 2,
      invalid: 0,
      late: 0,
      included: 1,
      slashable: 0,
    });
    expect(v(0).pubkey).toBe(f.validators[0]!.pubkey);
    // Validator 3: accepted late, never included.
    expect(v(3).attester).toMatchObject({ valid: 1, included: 0 });
    // Validator 8: one vote, one forged, one double vote.
    expect(v(8).attester).toMatchObject({ submitted: 3, valid: 2, invalid: 1, included: 1, slashable: 1 });
    expect(v(9).attester).toMatchObject({ valid: 2, included: 1, slashable: 1 });
    expect(stats.totals.attester.expected).toBe(16 * 8);
    expect(stats.totals.proposer.expected).toBe(63); // slots 1..63
    expect(stats.unattributed_invalid).toBeGreaterThan(0); // the malformed and unknown-validator items
  });
});
