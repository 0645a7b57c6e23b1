import { beaconBlockFromJson, blockSigningRoot, devnetConfig, randaoSigningRoot } from "@cohort/eth";
import { generateSecretKey, secretToPublicKey, sign } from "@cohort/tbls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bitlistHex } from "./server";
import { startBeaconSim } from "./start";
import { network, simFixture } from "./testing";
import { fillerSecretKey, validatorSet } from "./validators";

type Fixture = Awaited<ReturnType<typeof simFixture>>;
let f: Fixture;
beforeAll(async () => {
  f = await simFixture();
});
afterAll(() => f.sim.stop());

const hex = (b: Uint8Array) => `0x${Buffer.from(b).toString("hex")}`;
const reveal = (validatorIndex: number, slot: number) =>
  hex(sign(f.secretKey(validatorIndex), randaoSigningRoot(network, f.chain.epochOf(slot))));
// biome-ignore lint/suspicious/noExplicitAny: block JSON is edited loosely
const signBlock = (validatorIndex: number, blockJson: any) =>
  hex(sign(f.secretKey(validatorIndex), blockSigningRoot(network, beaconBlockFromJson(network, blockJson))));
/** A slot of `epoch` and its proposer, choosing a slot whose proposer is not `avoid`. */
const proposalIn = (epoch: number, nth = 0) => {
  const slot = epoch * 8 + 1 + nth;
  return { slot, proposer: f.chain.proposerIndex(slot) };
};

describe("block production (GET /eth/v3/validator/blocks/{slot})", () => {
  it("returns an Electra block contents response with the v3 headers", async () => {
    const { slot, proposer } = proposalIn(2);
    f.at(slot, 0);
    const res = await f.request(
      `/eth/v3/validator/blocks/${slot}?randao_reveal=${reveal(proposer, slot)}&graffiti=cohort`,
    );
    expect(res.status).toBe(200);
    expect(res.headers.get("eth-consensus-version")).toBe("electra");
    expect(res.headers.get("eth-execution-payload-blinded")).toBe("false");
    expect(res.headers.get("eth-execution-payload-value")).toBe("0");
    expect(res.headers.get("eth-consensus-block-value")).toBe("0");
    expect(res.body).toMatchObject({
      version: "electra",
      execution_payload_blinded: false,
      data: { kzg_proofs: [], blobs: [] },
    });
    const block = res.body.data.block;
    expect(block).toMatchObject({
      slot: String(slot),
      proposer_index: String(proposer),
      parent_root: hex(f.chain.blockRoot(slot - 1)),
      body: { randao_reveal: reveal(proposer, slot) },
    });
    expect(block.body.graffiti).toBe(hex(Buffer.concat([Buffer.from("cohort"), Buffer.alloc(26)])));
    expect(block.body.execution_requests).toBeDefined(); // electra body
    // Parses as the fork's block type.
    expect(() => beaconBlockFromJson(network, block, { fork: "electra" })).not.toThrow();
  });

  it("checks the randao reveal against the proposer's key", async () => {
    const { slot, proposer } = proposalIn(2, 1);
    f.at(slot, 0);
    const other = (proposer + 1) % 16;
    const res = await f.request(`/eth/v3/validator/blocks/${slot}?randao_reveal=${reveal(other, slot)}`);
    expect(res).toMatchObject({
      status: 400,
      body: { code: 400, message: `Invalid randao_reveal for proposer ${proposer} at epoch 2` },
    });
    expect((await f.request(`/eth/v3/validator/blocks/${slot}?randao_reveal=0x1234`)).status).toBe(400);
    expect(
      (await f.request(`/eth/v3/validator/blocks/${slot + 5}?randao_reveal=${reveal(proposer, slot)}`))
        .status,
    ).toBe(400);
  });

  it("serves the Deneb block contents before Electra", async () => {
    const { slot, proposer } = proposalIn(0, 2);
    f.at(slot, 0);
    const res = await f.request(`/eth/v3/validator/blocks/${slot}?randao_reveal=${reveal(proposer, slot)}`);
    expect(res.body.version).toBe("deneb");
    expect(res.body.data.block.body.blob_kzg_commitments).toEqual([]);
    expect(res.body.data.block.body.execution_requests).toBeUndefined();
  });
});

describe("block publication (POST /eth/v2/beacon/blocks)", () => {
  const produce = async (slot: number, proposer: number, graffiti = "") => {
    f.at(slot, 0);
    const res = await f.request(
      `/eth/v3/validator/blocks/${slot}?randao_reveal=${reveal(proposer, slot)}&graffiti=${graffiti}`,
    );
    return res.body.data.block;
  };
  const publish = (block: unknown, signature: string, query = "", fork = "electra") =>
    f.post(
      `/eth/v2/beacon/blocks${query}`,
      { signed_block: { message: block, signature }, kzg_proofs: [], blobs: [] },
      {
        "Eth-Consensus-Version": fork,
      },
    );

  it("imports a block signed by the scheduled proposer, and takes it again idempotently", async () => {
    const { slot, proposer } = proposalIn(3);
    const block = await produce(slot, proposer);
    expect((await publish(block, signBlock(proposer, block))).status).toBe(200);
    expect((await publish(block, signBlock(proposer, block))).status).toBe(200);
    const recorded = (await f.request(`/cohort/v1/blocks?slot=${slot}`)).body.data;
    expect(recorded).toMatchObject([
      { slot, proposerIndex: proposer, imported: true, fork: "electra", blinded: false },
    ]);
  });

  it("refuses a bad signature, a block from someone else, and a wrong or missing fork header", async () => {
    const { slot, proposer } = proposalIn(3, 1);
    const block = await produce(slot, proposer);
    const other = (proposer + 1) % 16;
    expect(await publish(block, signBlock(other, block))).toMatchObject({
      status: 400,
      body: { code: 400, message: "Invalid block signature" },
    });
    const stolen = { ...block, proposer_index: String(other) };
    expect(await publish(stolen, signBlock(other, stolen))).toMatchObject({
      status: 400,
      body: { message: `Proposer ${other} is not the scheduled proposer of slot ${slot} (${proposer})` },
    });
    expect((await publish(block, signBlock(proposer, block), "", "deneb")).status).toBe(400);
    expect(
      (await f.post("/eth/v2/beacon/blocks", { message: block, signature: signBlock(proposer, block) })).body,
    ).toEqual({
      code: 400,
      message: "Eth-Consensus-Version header is required",
    });
    expect((await f.request(`/cohort/v1/blocks?slot=${slot}`)).body.data).toMatchObject([
      { proposerIndex: other, imported: false }, // validly signed by `other`: kept for slashing detection
    ]);
  });

  it("detects a double proposal (202 by default, 400 with consensus_and_equivocation)", async () => {
    const { slot, proposer } = proposalIn(4);
    const a = await produce(slot, proposer, "a");
    const b = await produce(slot, proposer, "b");
    const c = await produce(slot, proposer, "c");
    expect((await publish(a, signBlock(proposer, a))).status).toBe(200);
    expect((await publish(b, signBlock(proposer, b))).status).toBe(202);
    expect(
      await publish(c, signBlock(proposer, c), "?broadcast_validation=consensus_and_equivocation"),
    ).toMatchObject({
      status: 400,
      body: { message: expect.stringMatching(/^Slashable equivocation/) },
    });
    const slashings = (await f.request("/cohort/v1/slashings")).body.data;
    expect(slashings).toHaveLength(2);
    expect(slashings[0]).toMatchObject({
      kind: "double_proposal",
      validatorIndex: proposer,
      slot,
      blocks: [{ imported: true }, { imported: false }],
    });
    const stats = (await f.request("/cohort/v1/stats?from_slot=24&to_slot=39")).body;
    const mine = stats.validators.find((v: { index: number }) => v.index === proposer).proposer;
    expect(mine).toMatchObject({ submitted: 3, valid: 2, invalid: 1, slashable: 2 });
    expect(mine.included).toBeGreaterThanOrEqual(1);
    expect(stats.totals.proposer).toMatchObject({ expected: 16, included: 2 });
  });
});

describe("events (SSE)", () => {
  it("streams attestation and block events", async () => {
    const controller = new AbortController();
    const res = await fetch(`${f.sim.url}/eth/v1/events?topics=single_attestation,attestation,block`, {
      signal: controller.signal,
    });
    expect(res.headers.get("content-type")).toBe("text/event-stream");
    const reader = res.body!.getReader();
    await reader.read(); // the opening comment
    const duty = f.chain.attesterDuties(6).find((d) => d.validatorIndex === 10)!;
    f.at(duty.slot);
    await f.post("/eth/v2/beacon/pool/attestations", [f.single(10, f.dataJson(duty.slot))], {
      "Eth-Consensus-Version": "electra",
    });
    let text = "";
    while (text.split("\n\n").length < 3) text += new TextDecoder().decode((await reader.read()).value);
    controller.abort();
    const [single, attestation] = text.split("\n\n");
    expect(single).toMatch(/^event: single_attestation\ndata: /);
    expect(JSON.parse(single!.split("data: ")[1]!)).toMatchObject({
      attester_index: "10",
      committee_index: "0",
    });
    expect(attestation).toMatch(/^event: attestation\ndata: /);
    const committee = f.chain.committee(duty.slot);
    expect(JSON.parse(attestation!.split("data: ")[1]!)).toMatchObject({
      aggregation_bits: bitlistHex(committee.map((d) => d.validatorIndex === 10)),
      committee_bits: "0x0100000000000000",
      data: { slot: String(duty.slot), index: "0" },
    });
    expect((await f.request("/eth/v1/events?topics=nope")).status).toBe(400);
  });
});

describe("head events", () => {
  it("announces each new wall-clock slot's simulated head", async () => {
    f.at(70);
    const controller = new AbortController();
    const res = await fetch(`${f.sim.url}/eth/v1/events?topics=head`, { signal: controller.signal });
    const reader = res.body!.getReader();
    await reader.read();
    f.at(72, 0); // first slot of epoch 9
    let text = "";
    while (!text.includes("\n\n")) text += new TextDecoder().decode((await reader.read()).value);
    controller.abort();
    expect(text).toMatch(/^event: head\ndata: /);
    expect(JSON.parse(text.split("data: ")[1]!)).toMatchObject({
      slot: "72",
      block: hex(f.chain.blockRoot(72)),
      epoch_transition: true,
      execution_optimistic: false,
    });
  });
});

describe("startBeaconSim and validatorSet", () => {
  it("builds a set from cluster pubkeys plus deterministic fillers and serves it", async () => {
    const cluster = [generateSecretKey(), generateSecretKey()].map((k) => hex(secretToPublicKey(k)));
    const set = validatorSet(
      cluster.map((p) => p.toUpperCase().replace("0X", "0x")),
      { fillers: 3 },
    );
    expect(set.map((v) => v.index)).toEqual([0, 1, 2, 3, 4]);
    expect(set.slice(0, 2).map((v) => v.pubkey)).toEqual(cluster); // lower-cased, in order
    expect(set[2]!.pubkey).toBe(hex(secretToPublicKey(fillerSecretKey(0))));
    expect(validatorSet([], { fillers: 3 })).toEqual(validatorSet([], { fillers: 3 })); // deterministic
    expect(() => validatorSet([cluster[0]!, cluster[0]!])).toThrow(/duplicate/);
    expect(() => validatorSet(["0x1234"])).toThrow();
    expect(fillerSecretKey(0)).toHaveLength(32);
    const sim = await startBeaconSim({ network, validators: validatorSet([], { fillers: 4 }) });
    try {
      const res = await fetch(`${sim.url}/eth/v1/beacon/states/head/validators`).then((r) => r.json());
      expect(res.data).toHaveLength(4);
      expect(sim.chain.validators).toHaveLength(4);
    } finally {
      await sim.stop();
    }
  });
});

describe("before Deneb", () => {
  it("produces and takes a bare (unwrapped) Capella block", async () => {
    const capella = devnetConfig({
      genesisForkVersion: "0x10000039",
      genesisValidatorsRoot: `0x${"cd".repeat(32)}`,
      genesisTime: 1_700_000_000,
      secondsPerSlot: 2,
      slotsPerEpoch: 8,
      forkEpochs: { altair: 0, bellatrix: 0, capella: 0 },
    });
    const sim = await startBeaconSim({
      network: capella,
      validators: validatorSet([], { fillers: 4 }),
      now: () => (1_700_000_000 + 2 * 5) * 1000,
    });
    try {
      const slot = 5;
      const proposer = sim.chain.proposerIndex(slot);
      const sk = fillerSecretKey(proposer);
      const randao = hex(sign(sk, randaoSigningRoot(capella, 0)));
      const res = await fetch(`${sim.url}/eth/v3/validator/blocks/${slot}?randao_reveal=${randao}`);
      const body = await res.json();
      expect(res.headers.get("eth-consensus-version")).toBe("capella");
      expect(body.data.slot).toBe("5"); // the block itself, no {block, kzg_proofs, blobs}
      const signature = hex(sign(sk, blockSigningRoot(capella, beaconBlockFromJson(capella, body.data))));
      const published = await fetch(`${sim.url}/eth/v2/beacon/blocks`, {
        method: "POST",
        headers: { "content-type": "application/json", "Eth-Consensus-Version": "capella" },
        body: JSON.stringify({ message: body.data, signature }),
      });
      expect(published.status).toBe(200);
      expect(sim.recorder.blocks(5)).toMatchObject([{ fork: "capella", imported: true }]);
    } finally {
      await sim.stop();
    }
  });
});
