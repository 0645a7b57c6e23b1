import {
  beaconBlockFromJson,
  blockSigningRoot,
  computeSigningRoot,
  DOMAIN_VOLUNTARY_EXIT,
  domainAt,
  randaoSigningRoot,
  syncCommitteeMessageSigningRoot,
  validatorRegistrationFromJson,
  validatorRegistrationSigningRoot,
  voluntaryExitSigningRoot,
} from "@cohort/eth";
import { ssz } from "@lodestar/types";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REWARDS } from "./rewards";
import { hex, network, simFixture } from "./testing";

type Fixture = Awaited<ReturnType<typeof simFixture>>;
let f: Fixture;
beforeAll(async () => {
  f = await simFixture({ shardCommitteePeriod: 2 });
});
afterAll(() => f.sim.stop());

const dutyIn = (epoch: number, i: number) =>
  f.chain.attesterDuties(epoch).find((d) => d.validatorIndex === i)!;
const attest = async (i: number, slot: number) =>
  f.post("/eth/v2/beacon/pool/attestations", [f.single(i, f.dataJson(slot))], {
    "Eth-Consensus-Version": "electra",
  });

describe("liveness", () => {
  it("is live after a validly signed message for a slot of the epoch", async () => {
    const duty = dutyIn(2, 0);
    f.at(duty.slot, 1000);
    expect((await attest(0, duty.slot)).status).toBe(200);
    const res = await f.post("/eth/v1/validator/liveness/2", ["0", "5"]);
    expect(res).toMatchObject({
      status: 200,
      body: {
        data: [
          { index: "0", is_live: true },
          { index: "5", is_live: false },
        ],
      },
    });
    expect((await f.post("/eth/v1/validator/liveness/1", ["0"])).body.data[0].is_live).toBe(false);
    expect((await f.post("/eth/v1/validator/liveness/9", ["0"])).status).toBe(400);
    expect((await f.post("/eth/v1/validator/liveness/2", [0])).status).toBe(400);
  });
});

describe("proposer preparation and builder registration", () => {
  it("keeps fee recipients", async () => {
    const feeRecipient = `0x${"aB".repeat(20)}`;
    const ok = await f.post("/eth/v1/validator/prepare_beacon_proposer", [
      { validator_index: "1", fee_recipient: feeRecipient },
    ]);
    expect(ok.status).toBe(200);
    expect((await f.request("/cohort/v1/proposer_preparations")).body.data).toEqual([
      { validatorIndex: 1, feeRecipient: feeRecipient.toLowerCase() },
    ]);
    expect(
      (
        await f.post("/eth/v1/validator/prepare_beacon_proposer", [
          { validator_index: "1", fee_recipient: "0x12" },
        ])
      ).status,
    ).toBe(400);
  });

  it("verifies builder registrations under the builder domain", async () => {
    const timestamp = Math.floor(f.clock.ms / 1000);
    const registration = (
      i: number,
      { signer = i, ts = timestamp, pubkey = f.validators[i]!.pubkey } = {},
    ) => {
      const message = {
        fee_recipient: `0x${"11".repeat(20)}`,
        gas_limit: "36000000",
        timestamp: String(ts),
        pubkey,
      };
      const root = validatorRegistrationSigningRoot(network, validatorRegistrationFromJson(message));
      return { message, signature: f.signRoot(signer, root) };
    };
    expect(
      (await f.post("/eth/v1/validator/register_validator", [registration(0), registration(1)])).status,
    ).toBe(200);
    const bad = await f.post("/eth/v1/validator/register_validator", [
      registration(2, { signer: 3 }),
      registration(2, { ts: timestamp + 60 }),
      registration(2, { pubkey: `0x${"a0".repeat(48)}` }),
      { message: {}, signature: "0x" },
    ]);
    expect(bad.status).toBe(400);
    expect(bad.body.failures.slice(0, 3)).toEqual([
      { index: 0, message: "invalid signature" },
      { index: 1, message: `timestamp ${timestamp + 60} is in the future` },
      { index: 2, message: `unknown validator pubkey 0x${"a0".repeat(48)}` },
    ]);
    expect(bad.body.failures[3].index).toBe(3);
    const kept = (await f.request("/cohort/v1/registrations")).body.data;
    expect(kept.map((r: { validatorIndex: number }) => r.validatorIndex)).toEqual([0, 1]);
    expect(kept[0]).toMatchObject({ gasLimit: 36_000_000, timestamp, feeRecipient: `0x${"11".repeat(20)}` });
  });
});

describe("voluntary exits", () => {
  const signedExit = (i: number, epoch: number, current: number, signer = i) => {
    const message = { epoch: String(epoch), validator_index: String(i) };
    const root = voluntaryExitSigningRoot(network, ssz.phase0.VoluntaryExit.fromJson(message), current);
    return { message, signature: f.signRoot(signer, root) };
  };

  it("refuses exits before SHARD_COMMITTEE_PERIOD and exits from the future", async () => {
    f.at(12); // epoch 1
    expect((await f.post("/eth/v1/beacon/pool/voluntary_exits", signedExit(5, 1, 1))).body.message).toContain(
      "SHARD_COMMITTEE_PERIOD",
    );
    f.at(24); // epoch 3
    expect((await f.post("/eth/v1/beacon/pool/voluntary_exits", signedExit(5, 4, 3))).body).toEqual({
      code: 400,
      message: "Exit epoch 4 is after the current epoch 3",
    });
  });

  it("verifies exits with the EIP-7044 (Capella) domain and records them", async () => {
    f.at(24);
    // Signed with the domain of the current (Electra) fork: not EIP-7044, refused.
    const message = { epoch: "2", validator_index: "6" };
    const electraDomain = domainAt(network, DOMAIN_VOLUNTARY_EXIT, 3);
    const wrong = f.signRoot(
      6,
      computeSigningRoot(ssz.phase0.VoluntaryExit, ssz.phase0.VoluntaryExit.fromJson(message), electraDomain),
    );
    expect((await f.post("/eth/v1/beacon/pool/voluntary_exits", { message, signature: wrong })).body).toEqual(
      {
        code: 400,
        message: "Invalid voluntary exit signature",
      },
    );
    const exit = signedExit(6, 2, 3);
    const controller = new AbortController();
    const events = await fetch(`${f.sim.url}/eth/v1/events?topics=voluntary_exit`, {
      signal: controller.signal,
    });
    const reader = events.body!.getReader();
    await reader.read(); // the opening comment
    expect((await f.post("/eth/v1/beacon/pool/voluntary_exits", exit)).status).toBe(200);
    const text = new TextDecoder().decode((await reader.read()).value);
    controller.abort();
    expect(text).toBe(`event: voluntary_exit\ndata: ${JSON.stringify(exit)}\n\n`);
    expect((await f.post("/eth/v1/beacon/pool/voluntary_exits", exit)).status).toBe(200); // resent by a peer node
    expect((await f.post("/eth/v1/beacon/pool/voluntary_exits", signedExit(6, 3, 3))).body.message).toBe(
      "Validator 6 is already exiting",
    );
    expect((await f.post("/eth/v1/beacon/pool/voluntary_exits", signedExit(99, 3, 3))).status).toBe(400);
    expect((await f.request("/cohort/v1/exits")).body.data).toEqual([
      { validatorIndex: 6, epoch: 2, signature: exit.signature, receivedSlot: 24 },
    ]);
  });
});

describe("routing", () => {
  it("answers 405 for a known path with another method, 404 for an unknown path", async () => {
    expect((await f.request("/eth/v1/beacon/pool/voluntary_exits")).body).toEqual({
      code: 405,
      message: "Method GET not allowed",
    });
    expect((await f.request("/eth/v1/nope")).status).toBe(404);
  });
});

describe("rewards", () => {
  it("pays attesters by the documented model", async () => {
    // Epoch 4: validator 1 attests on time, validator 2 three slots late, validator 3 not at all.
    const d1 = dutyIn(4, 1);
    const d2 = dutyIn(4, 2);
    f.at(d1.slot, 1000);
    expect((await attest(1, d1.slot)).status).toBe(200);
    f.at(d2.slot + 3, 1000);
    expect((await attest(2, d2.slot)).status).toBe(200);
    expect((await f.post("/eth/v1/beacon/rewards/attestations/4", [])).body).toEqual({
      code: 400,
      message: "Epoch 4 is not finished yet (current epoch 4)",
    });
    f.at(41);
    const res = await f.post("/eth/v1/beacon/rewards/attestations/4", ["1", "2", f.validators[3]!.pubkey]);
    expect(res.status).toBe(200);
    expect(res.body.data.ideal_rewards).toEqual([
      { effective_balance: "32000000000", head: "14000", target: "26000", source: "14000", inactivity: "0" },
    ]);
    // Validator 2's attestation is included 4 slots after its slot: > ⌊√8⌋ = 2, so the source is missed.
    expect(res.body.data.total_rewards).toEqual([
      { validator_index: "1", head: "14000", target: "26000", source: "14000", inactivity: "0" },
      {
        validator_index: "2",
        head: "0",
        target: "26000",
        source: "-14000",
        inactivity: "0",
      },
      { validator_index: "3", head: "0", target: "-26000", source: "-14000", inactivity: "0" },
    ]);
    // No body: every validator.
    expect(
      (await f.post("/eth/v1/beacon/rewards/attestations/4", null)).body.data.total_rewards,
    ).toHaveLength(16);
  });

  it("pays proposers per imported block and sync committee members per slot", async () => {
    // Epoch 6: everyone in slot d's committee attests during d, sync members sign slot d, and the
    // proposer of d + 1 publishes its block.
    const d = f.chain.startSlot(6) + 2;
    f.at(d, 1000);
    const attesters = f.chain.committee(d).map((x) => x.validatorIndex);
    for (const i of attesters) expect((await attest(i, d)).status).toBe(200);
    const root = hex(f.chain.blockRoot(d));
    const syncSigners = [0, 1, 2];
    const messages = syncSigners.map((i) => ({
      slot: String(d),
      beacon_block_root: root,
      validator_index: String(i),
      signature: f.signRoot(i, syncCommitteeMessageSigningRoot(network, d, root)),
    }));
    expect((await f.post("/eth/v1/beacon/pool/sync_committees", messages)).status).toBe(200);

    const slot = d + 1;
    const proposer = f.chain.proposerIndex(slot);
    f.at(slot, 0);
    expect((await f.request(`/eth/v1/beacon/rewards/blocks/${slot}`)).status).toBe(404);
    const reveal = f.signRoot(proposer, randaoSigningRoot(network, f.chain.epochOf(slot)));
    const produced = await f.request(`/eth/v3/validator/blocks/${slot}?randao_reveal=${reveal}`);
    const block = produced.body.data.block;
    const signature = f.signRoot(proposer, blockSigningRoot(network, beaconBlockFromJson(network, block)));
    const published = await f.post(
      "/eth/v2/beacon/blocks",
      { signed_block: { message: block, signature }, kzg_proofs: [], blobs: [] },
      { "Eth-Consensus-Version": "electra" },
    );
    expect(published.status).toBe(200);

    const perAttestation = Math.floor((REWARDS.sourceGwei + REWARDS.targetGwei + REWARDS.headGwei) / 7);
    const perSync = Math.floor(REWARDS.syncGwei / 7);
    const expected = {
      proposer_index: String(proposer),
      attestations: String(attesters.length * perAttestation),
      sync_aggregate: String(syncSigners.length * perSync),
      total: String(attesters.length * perAttestation + syncSigners.length * perSync),
      proposer_slashings: "0",
      attester_slashings: "0",
    };
    const res = await f.request(`/eth/v1/beacon/rewards/blocks/${slot}`);
    expect(res.body).toEqual({ execution_optimistic: false, finalized: false, data: expected });
    expect((await f.request("/eth/v1/beacon/rewards/blocks/head")).body.data).toEqual(expected);
    const blockRoot = (await f.request(`/cohort/v1/blocks?slot=${slot}`)).body.data[0].blockRoot;
    expect((await f.request(`/eth/v1/beacon/rewards/blocks/${blockRoot}`)).body.data).toEqual(expected);
    expect((await f.request("/eth/v1/beacon/rewards/blocks/nope")).status).toBe(400);

    const sync = await f.post(`/eth/v1/beacon/rewards/sync_committee/${slot}`, ["0", "1", "2", "3"]);
    expect(sync.body.data).toEqual([
      { validator_index: "0", reward: "2000" },
      { validator_index: "1", reward: "2000" },
      { validator_index: "2", reward: "2000" },
      { validator_index: "3", reward: "-2000" },
    ]);
  });
});
