import { createHash } from "node:crypto";
import {
  aggregateAndProofFromJson,
  aggregateAndProofSigningRoot,
  attestationSigningRoot,
  hexToBytes,
  selectionProofSigningRoot,
} from "@cohort/eth";
import { fastAggregateVerify } from "@cohort/tbls";
import { ssz } from "@lodestar/types";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isAggregator } from "./chain";
import { network, simFixture } from "./testing";

type Fixture = Awaited<ReturnType<typeof simFixture>>;
let f: Fixture;
beforeAll(async () => {
  f = await simFixture();
});
afterAll(() => f.sim.stop());

const dataRoot = (data: unknown) =>
  `0x${Buffer.from(ssz.phase0.AttestationData.hashTreeRoot(ssz.phase0.AttestationData.fromJson(data))).toString("hex")}`;
const selectionProof = (i: number, slot: number, signer = i) =>
  f.signRoot(signer, selectionProofSigningRoot(network, slot));
/** A SignedAggregateAndProof JSON for `aggregate` by `aggregator` (signature by `signer`). */
const signedAggregate = (
  aggregator: number,
  aggregate: { data: { slot: string } },
  { proof, signer = aggregator }: { proof?: string; signer?: number } = {},
) => {
  const message = {
    aggregator_index: String(aggregator),
    aggregate,
    selection_proof: proof ?? selectionProof(aggregator, Number(aggregate.data.slot)),
  };
  const root = aggregateAndProofSigningRoot(network, aggregateAndProofFromJson(network, message));
  return { message, signature: f.signRoot(signer, root) };
};
/** Posts an attestation from every member of `slot`'s committee; returns the data and members. */
const attestAll = async (slot: number) => {
  const data = f.dataJson(slot);
  const members = f.chain.committee(slot).map((d) => d.validatorIndex);
  const electra = f.chain.forkNameAt(f.chain.epochOf(slot)) === "electra";
  const res = electra
    ? await f.post(
        "/eth/v2/beacon/pool/attestations",
        members.map((i) => f.single(i, data)),
        { "Eth-Consensus-Version": "electra" },
      )
    : await f.post(
        "/eth/v1/beacon/pool/attestations",
        members.map((i) => f.aggregate(slot, i, { data })),
      );
  expect(res.status).toBe(200);
  return { data, members };
};
/** A slot of `epoch` whose committee has at least two members. */
const busySlot = (epoch: number) => {
  const start = f.chain.startSlot(epoch);
  for (let s = start; s < start + network.slotsPerEpoch; s++) if (f.chain.committee(s).length >= 2) return s;
  throw new Error("no committee of two");
};

describe("aggregator selection (is_aggregator)", () => {
  it("selects iff sha256(proof)[0:8] as a little-endian uint64 is 0 modulo max(1, len / 16)", () => {
    const proofs = Array.from({ length: 40 }, (_, i) =>
      f.signRoot(2 + (i % 14), selectionProofSigningRoot(network, i)),
    );
    for (const p of proofs) {
      const bytes = hexToBytes(p, 96);
      const n = createHash("sha256").update(bytes).digest().readBigUInt64LE(0);
      expect(isAggregator(2, bytes)).toBe(true); // modulo 1: every committee member of a small committee
      expect(isAggregator(31, bytes)).toBe(true);
      expect(isAggregator(160, bytes)).toBe(n % 10n === 0n);
      expect(isAggregator(48, bytes)).toBe(n % 3n === 0n);
    }
    // With modulo 10, some of 40 proofs are refused and (almost surely) some are selected.
    expect(proofs.filter((p) => !isAggregator(160, hexToBytes(p, 96))).length).toBeGreaterThan(0);
  });
});

describe("beacon committee selections (DV endpoint)", () => {
  it("returns verified, already-combined selection proofs", async () => {
    const slot = busySlot(2);
    f.at(slot);
    const [a, b] = f.chain.committee(slot).map((d) => d.validatorIndex);
    const body = [a!, b!].map((i) => ({
      validator_index: String(i),
      slot: String(slot),
      selection_proof: selectionProof(i, slot),
    }));
    const res = await f.post("/eth/v1/validator/beacon_committee_selections", body);
    expect(res).toMatchObject({ status: 200, body: { data: body } });
  });

  it("refuses proofs by the wrong key, for another slot, or of validators not in the committee", async () => {
    const slot = busySlot(2);
    const member = f.chain.committee(slot)[0]!.validatorIndex;
    const outsider = f.chain.validators.find(
      (v) => !f.chain.committee(slot).some((d) => d.validatorIndex === v.index),
    )!.index;
    const res = await f.post("/eth/v1/validator/beacon_committee_selections", [
      {
        validator_index: String(member),
        slot: String(slot),
        selection_proof: selectionProof(member, slot, outsider),
      },
      {
        validator_index: String(member),
        slot: String(slot),
        selection_proof: selectionProof(member, slot + 1),
      },
      {
        validator_index: String(outsider),
        slot: String(slot),
        selection_proof: selectionProof(outsider, slot),
      },
      { validator_index: "99", slot: String(slot), selection_proof: selectionProof(member, slot) },
      { validator_index: String(member), slot: String(slot), selection_proof: "0x1234" },
    ]);
    expect(res.status).toBe(400);
    expect(res.body.failures).toEqual([
      { index: 0, message: "invalid selection proof" },
      { index: 1, message: "invalid selection proof" },
      { index: 2, message: `validator ${outsider} is not in committee 0 at slot ${slot}` },
      { index: 3, message: "unknown validator 99" },
      { index: 4, message: "selection_proof must be a 96-byte hex signature" },
    ]);
  });
});

describe("aggregate attestation and aggregate-and-proofs (Electra)", () => {
  it("aggregates the attestations received for the data root", async () => {
    const slot = busySlot(3);
    f.at(slot, 1000);
    const { data, members } = await attestAll(slot);
    const res = await f.request(
      `/eth/v2/validator/aggregate_attestation?attestation_data_root=${dataRoot(data)}&slot=${slot}&committee_index=0`,
    );
    expect(res.status).toBe(200);
    expect(res.headers.get("eth-consensus-version")).toBe("electra");
    expect(res.body.version).toBe("electra");
    const att = ssz.electra.Attestation.fromJson(res.body.data);
    expect(att.aggregationBits.bitLen).toBe(members.length);
    expect(att.aggregationBits.getTrueBitIndexes()).toEqual(members.map((_, i) => i));
    expect(att.committeeBits.getTrueBitIndexes()).toEqual([0]);
    expect(res.body.data.data).toEqual(data);
    const pubkeys = members.map((i) => hexToBytes(f.validators[i]!.pubkey, 48));
    const root = attestationSigningRoot(network, ssz.phase0.AttestationData.fromJson(data));
    expect(fastAggregateVerify(pubkeys, root, att.signature)).toBe(true);

    // 404 for data nobody attested, 400 for malformed parameters.
    const other = { ...data, beacon_block_root: `0x${"11".repeat(32)}` };
    const missing = await f.request(
      `/eth/v2/validator/aggregate_attestation?attestation_data_root=${dataRoot(other)}&slot=${slot}&committee_index=0`,
    );
    expect(missing.status).toBe(404);
    expect(
      (
        await f.request(
          `/eth/v2/validator/aggregate_attestation?attestation_data_root=0x12&slot=${slot}&committee_index=0`,
        )
      ).status,
    ).toBe(400);
  });

  it("accepts a correct SignedAggregateAndProof and refuses bad ones", async () => {
    const slot = busySlot(4);
    f.at(slot, 1500);
    const { data, members } = await attestAll(slot);
    const aggregate = (
      await f.request(
        `/eth/v2/validator/aggregate_attestation?attestation_data_root=${dataRoot(data)}&slot=${slot}&committee_index=0`,
      )
    ).body.data;
    const aggregator = members[0]!;
    const outsider = f.chain.validators.find((v) => !members.includes(v.index))!.index;
    const headers = { "Eth-Consensus-Version": "electra" };
    const ok = await f.post(
      "/eth/v2/validator/aggregate_and_proofs",
      [signedAggregate(aggregator, aggregate)],
      headers,
    );
    expect(ok.status).toBe(200);
    const recorded = (await f.request(`/cohort/v1/aggregates?slot=${slot}`)).body.data;
    expect(recorded).toHaveLength(1);
    expect(recorded[0]).toMatchObject({
      aggregatorIndex: aggregator,
      attesters: members,
      included: true,
      fork: "electra",
    });

    const forgedAggregate = { ...aggregate, signature: f.single(outsider, data).signature };
    const bad = await f.post(
      "/eth/v2/validator/aggregate_and_proofs",
      [
        signedAggregate(aggregator, aggregate, { signer: outsider }),
        signedAggregate(aggregator, aggregate, { proof: selectionProof(aggregator, slot - 1) }),
        signedAggregate(outsider, aggregate),
        signedAggregate(aggregator, forgedAggregate),
        { message: { aggregator_index: "0" }, signature: "0x00" },
      ],
      headers,
    );
    expect(bad.status).toBe(400);
    expect(bad.body.failures.slice(0, 4)).toEqual([
      { index: 0, message: "invalid signature" },
      { index: 1, message: "invalid selection proof" },
      { index: 2, message: `validator ${outsider} is not in committee 0 at slot ${slot}` },
      { index: 3, message: "invalid aggregate signature" },
    ]);
    expect(bad.body.failures[4]).toMatchObject({ index: 4, message: expect.stringContaining("slot") });
    expect(
      (await f.post("/eth/v2/validator/aggregate_and_proofs", [signedAggregate(aggregator, aggregate)])).body,
    ).toEqual({ code: 400, message: "Eth-Consensus-Version header is required" });
    expect(
      (
        await f.post("/eth/v2/validator/aggregate_and_proofs", [signedAggregate(aggregator, aggregate)], {
          "Eth-Consensus-Version": "deneb",
        })
      ).body.failures[0].message,
    ).toContain("does not match fork electra");

    const stats = (await f.request(`/cohort/v1/stats?from_slot=${slot}&to_slot=${slot}`)).body;
    const mine = stats.validators.find((v: { index: number }) => v.index === aggregator).aggregator;
    expect(mine).toMatchObject({ expected: 1, included: 1, valid: 1, slashable: 0 });
    expect(mine.invalid).toBeGreaterThanOrEqual(4);
    expect(stats.totals.aggregator.included).toBe(1);
  });
});

describe("aggregation before Electra (phase0 Attestation)", () => {
  it("aggregates and accepts a Deneb aggregate", async () => {
    const slot = busySlot(0);
    f.at(slot, 1000);
    const { data, members } = await attestAll(slot);
    const res = await f.request(
      `/eth/v2/validator/aggregate_attestation?attestation_data_root=${dataRoot(data)}&slot=${slot}&committee_index=0`,
    );
    expect(res.body.version).toBe("deneb");
    expect(res.body.data.committee_bits).toBeUndefined();
    const att = ssz.phase0.Attestation.fromJson(res.body.data);
    expect(att.aggregationBits.getTrueBitIndexes()).toHaveLength(members.length);
    const ok = await f.post(
      "/eth/v2/validator/aggregate_and_proofs",
      [signedAggregate(members[1]!, res.body.data)],
      {
        "Eth-Consensus-Version": "deneb",
      },
    );
    expect(ok.status).toBe(200);
    // The v1 routes serve the same pre-Electra aggregate and accept it without a header.
    const v1 = await f.request(
      `/eth/v1/validator/aggregate_attestation?attestation_data_root=${dataRoot(data)}&slot=${slot}`,
    );
    expect(v1.body).toEqual({ data: res.body.data });
    const v1Post = await f.post("/eth/v1/validator/aggregate_and_proofs", [
      signedAggregate(members[0]!, v1.body.data),
    ]);
    expect(v1Post.status).toBe(200);
    expect((await f.request(`/cohort/v1/aggregates?slot=${slot}`)).body.data).toHaveLength(2);
    const electraSlot = busySlot(3);
    const refused = await f.request(
      `/eth/v1/validator/aggregate_attestation?attestation_data_root=${dataRoot(data)}&slot=${electraSlot}`,
    );
    expect(refused.status).toBe(400);
  });
});
