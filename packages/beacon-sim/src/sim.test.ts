import type { AddressInfo } from "node:net";
import { devnetConfig } from "@cohort/eth";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SimChain, type SimValidator } from "./chain";
import { createBeaconApi } from "./server";

const network = devnetConfig({
  genesisForkVersion: "0x10000038",
  genesisValidatorsRoot: `0x${"ab".repeat(32)}`,
  genesisTime: 1_700_000_000,
  secondsPerSlot: 2,
  slotsPerEpoch: 8,
  forkEpochs: { altair: 0, bellatrix: 0, capella: 0, deneb: 0, electra: 1 },
});
const validators: SimValidator[] = Array.from({ length: 16 }, (_, i) => ({
  index: i,
  pubkey: `0x${i.toString(16).padStart(2, "0").repeat(48)}`,
  withdrawalCredentials: `0x01${"00".repeat(31)}`,
  balanceGwei: 32_000_000_000n,
}));
const chain = new SimChain(network, validators);

describe("SimChain schedule", () => {
  it("gives every validator exactly one attestation slot per epoch, inside the epoch", () => {
    for (const epoch of [0, 1, 7]) {
      const duties = chain.attesterDuties(epoch);
      expect(duties.map((d) => d.validatorIndex).sort((a, b) => a - b)).toEqual(
        validators.map((v) => v.index),
      );
      for (const d of duties) {
        expect(d.slot).toBeGreaterThanOrEqual(epoch * 8);
        expect(d.slot).toBeLessThan(epoch * 8 + 8);
      }
      // Committee positions are 0..length-1 within each slot.
      const bySlot = new Map<number, typeof duties>();
      for (const d of duties) bySlot.set(d.slot, [...(bySlot.get(d.slot) ?? []), d]);
      for (const committee of bySlot.values()) {
        expect(committee.map((d) => d.validatorCommitteeIndex).sort()).toEqual(committee.map((_, i) => i));
        for (const d of committee) expect(d.committeeLength).toBe(committee.length);
      }
    }
  });

  it("is deterministic and names one proposer per slot", () => {
    const again = new SimChain(network, validators);
    expect(again.proposerDuties(3)).toEqual(chain.proposerDuties(3));
    expect(chain.proposerDuties(3).map((d) => d.slot)).toEqual([24, 25, 26, 27, 28, 29, 30, 31]);
  });
});

describe("beacon API", () => {
  let base: string;
  const server = createBeaconApi(chain, { now: () => (1_700_000_000 + 2 * 20) * 1000 });
  beforeAll(async () => {
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));
  const get = async (path: string, init?: RequestInit) => {
    const res = await fetch(base + path, init);
    // biome-ignore lint/suspicious/noExplicitAny: JSON responses are inspected loosely in assertions
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };

  it("serves genesis, spec, fork schedule and the fork at a state", async () => {
    expect((await get("/eth/v1/beacon/genesis")).body.data).toEqual({
      genesis_time: "1700000000",
      genesis_validators_root: `0x${"ab".repeat(32)}`,
      genesis_fork_version: "0x10000038",
    });
    const spec = (await get("/eth/v1/config/spec")).body.data;
    expect(spec).toMatchObject({
      SECONDS_PER_SLOT: "2",
      SLOTS_PER_EPOCH: "8",
      DOMAIN_BEACON_ATTESTER: "0x01000000",
      ELECTRA_FORK_EPOCH: "1",
    });
    const head = (await get("/eth/v1/beacon/states/head/fork")).body.data; // slot 20 = epoch 2: electra
    expect(head).toEqual({
      previous_version: network.forks.at(-2)!.version,
      current_version: network.forks.at(-1)!.version,
      epoch: "1",
    });
    expect((await get("/eth/v1/node/syncing")).body.data.head_slot).toBe("20");
  });

  it("serves duties in the Beacon API's shapes", async () => {
    const proposers = await get("/eth/v1/validator/duties/proposer/2");
    expect(proposers.body.data).toHaveLength(8);
    expect(proposers.body.data[0]).toEqual({
      pubkey: validators[chain.proposerIndex(16)]!.pubkey,
      validator_index: String(chain.proposerIndex(16)),
      slot: "16",
    });
    const attesters = await get("/eth/v1/validator/duties/attester/2", {
      method: "POST",
      body: JSON.stringify(["0", "5"]),
    });
    expect(attesters.status).toBe(200);
    expect(attesters.body.data.map((d: { validator_index: string }) => d.validator_index).sort()).toEqual([
      "0",
      "5",
    ]);
    expect(Object.keys(attesters.body.data[0]).sort()).toEqual([
      "committee_index",
      "committee_length",
      "committees_at_slot",
      "pubkey",
      "slot",
      "validator_committee_index",
      "validator_index",
    ]);
  });

  it("answers bad requests with the Beacon API's error shape", async () => {
    expect(await get("/eth/v1/validator/duties/proposer/abc")).toEqual({
      status: 400,
      body: { code: 400, message: "Invalid epoch: abc" },
    });
    const bad = await get("/eth/v1/validator/duties/attester/1", { method: "POST", body: "[1]" });
    expect(bad.status).toBe(400);
    expect((await get("/eth/v1/nope")).status).toBe(404);
  });
});
