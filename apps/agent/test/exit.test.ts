/**
 * `cohort exit sign` / `cohort exit broadcast` against the beacon-node simulator (in-process): each
 * operator signs a partial exit offline; ≥ threshold of them are combined and submitted.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { type RunningBeaconSim, startBeaconSim, validatorSet } from "@cohort/beacon-sim";
import { k1Sign, parseLock } from "@cohort/cluster";
import { registrationsFromLock } from "@cohort/core";
import { devnetConfig } from "@cohort/eth";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type PartialExitFile, partialExitDigest } from "../src/exit";
import { cohort } from "./cohort";

const FORK_VERSION = "0x10000038";
const FEE = "0x000000000000000000000000000000000000fee0";
const WITHDRAWAL = "0x0000000000000000000000000000000000dead00";
const hex = (b: Uint8Array) => `0x${Buffer.from(b).toString("hex")}`;

async function createCluster(dir: string, name: string): Promise<{ nodes: string[]; lock: string }> {
  const out = path.join(dir, name);
  const r = await cohort(
    "cluster",
    "create",
    "--name",
    name,
    "--nodes",
    "4",
    "--validators",
    "2",
    "--fork-version",
    FORK_VERSION,
    "--fee-recipient",
    FEE,
    "--withdrawal",
    WITHDRAWAL,
    "--out",
    out,
    "--insecure-keys",
    "interop:0..1",
    "--kdf",
    "pbkdf2",
  );
  expect(r.code, r.err).toBe(0);
  const nodes = [0, 1, 2, 3].map((i) => path.join(out, `node${i}`));
  return { nodes, lock: path.join(nodes[0]!, "cluster-lock.json") };
}

describe("cohort exit", () => {
  let dir: string;
  let a: { nodes: string[]; lock: string };
  let b: { nodes: string[]; lock: string };
  let bn: RunningBeaconSim;
  let pubkeys: string[];

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "cohort-exit-"));
    a = await createCluster(dir, "exit-a");
    // Same (public interop) validator keys, other operators: another cluster, another lock hash.
    b = await createCluster(dir, "exit-b");
    const lock = JSON.parse(readFileSync(a.lock, "utf8"));
    pubkeys = lock.distributed_validators.map((dv: { distributed_public_key: string }) =>
      dv.distributed_public_key.toLowerCase(),
    );
    const network = devnetConfig({
      genesisForkVersion: FORK_VERSION,
      genesisValidatorsRoot: hex(randomBytes(32)),
      genesisTime: Math.floor(Date.now() / 1000) - 100,
      secondsPerSlot: 1,
      slotsPerEpoch: 8,
      forkEpochs: { altair: 0, bellatrix: 0, capella: 0, deneb: 0, electra: 0 },
    });
    bn = await startBeaconSim({
      network,
      validators: validatorSet(pubkeys, { fillers: 2 }),
      shardCommitteePeriod: 0,
    });
  }, 120_000);
  afterAll(async () => {
    await bn?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const sign = async (node: string, validator: string, out: string, epoch?: number) =>
    cohort(
      "exit",
      "sign",
      "--data-dir",
      node,
      "--beacon-url",
      bn.url,
      "--validator",
      validator,
      "--out",
      out,
      ...(epoch === undefined ? [] : ["--epoch", String(epoch)]),
    );
  const broadcast = (lock: string, ...files: string[]) =>
    cohort("exit", "broadcast", "--lock", lock, "--beacon-url", bn.url, ...files);
  const file = (name: string) => path.join(dir, name);
  const read = (f: string) => JSON.parse(readFileSync(f, "utf8")) as PartialExitFile;

  it("3 of 4 operators sign; the combined exit is accepted by the beacon node", async () => {
    // Operator 0 takes the beacon node's current epoch; the others sign the same message.
    const first = await sign(a.nodes[0]!, pubkeys[0]!, file("v0-s1.json"));
    expect(first.code, first.err).toBe(0);
    expect(first.out).toMatch(/signed partial exit of validator 0 .* with share 1/);
    const epoch = Number(read(file("v0-s1.json")).message.epoch);
    expect(epoch).toBeGreaterThan(0);
    // By pubkey or by index: the same message.
    expect((await sign(a.nodes[1]!, "0", file("v0-s2.json"), epoch)).code).toBe(0);
    expect((await sign(a.nodes[2]!, pubkeys[0]!, file("v0-s3.json"), epoch)).code).toBe(0);
    const s3 = read(file("v0-s3.json"));
    expect(s3).toMatchObject({ validator: pubkeys[0], share_index: 3, message: { validator_index: "0" } });

    const r = await broadcast(a.lock, file("v0-s1.json"), file("v0-s2.json"), file("v0-s3.json"));
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(
      new RegExp(
        `submitted voluntary exit of validator 0 \\(${pubkeys[0]}\\) at epoch ${epoch}, combined from shares 1, 2, 3`,
      ),
    );
    const exits = bn.recorder.exits();
    expect(exits).toHaveLength(1);
    expect(exits[0]).toMatchObject({ validatorIndex: 0, epoch });
  }, 60_000);

  it("2 of 4 are refused with the count", async () => {
    expect((await sign(a.nodes[0]!, "1", file("v1-s1.json"), 1)).code).toBe(0);
    expect((await sign(a.nodes[3]!, "1", file("v1-s4.json"), 1)).code).toBe(0);
    const r = await broadcast(a.lock, file("v1-s1.json"), file("v1-s4.json"));
    expect(r.code).toBe(1);
    expect(r.err).toContain("2 valid partial exit(s), need 3 of 4");
    expect(r.err).toContain("EXIT_INSUFFICIENT_PARTIALS");
    expect(bn.recorder.exits().map((e) => e.validatorIndex)).toEqual([0]);
  }, 60_000);

  it("names a tampered partial (and one re-signed over another share's signature)", async () => {
    expect((await sign(a.nodes[1]!, "1", file("v1-s2.json"), 1)).code).toBe(0);
    // Tampered after signing: the operator's identity signature no longer covers it.
    const tampered = read(file("v1-s2.json"));
    const sig = tampered.partial_signature;
    tampered.partial_signature = `${sig.slice(0, -2)}${sig.endsWith("00") ? "01" : "00"}` as `0x${string}`;
    writeFileSync(file("v1-s2-tampered.json"), JSON.stringify(tampered));
    const r = await broadcast(a.lock, file("v1-s1.json"), file("v1-s2-tampered.json"), file("v1-s4.json"));
    expect(r.code).toBe(1);
    expect(r.err).toContain(`${file("v1-s2-tampered.json")}: identity signature does not verify`);
    expect(r.err).toContain("2 valid partial exit(s), need 3 of 4");

    // Operator 2 (share 3) passes off share 4's partial as its own, correctly identity-signed.
    const forged = { ...read(file("v1-s4.json")), share_index: 3 };
    const key = new Uint8Array(
      Buffer.from(readFileSync(path.join(a.nodes[2]!, "charon-enr-private-key"), "utf8").trim(), "hex"),
    );
    forged.identity_signature = hex(k1Sign(key, partialExitDigest(forged))) as `0x${string}`;
    writeFileSync(file("v1-s3-forged.json"), JSON.stringify(forged));
    const f = await broadcast(a.lock, file("v1-s1.json"), file("v1-s2.json"), file("v1-s3-forged.json"));
    expect(f.code).toBe(1);
    expect(f.err).toContain(
      `${file("v1-s3-forged.json")}: partial signature does not verify against share 3's public key`,
    );
    // The genuine three go through.
    const ok = await broadcast(a.lock, file("v1-s1.json"), file("v1-s2.json"), file("v1-s4.json"));
    expect(ok.code, ok.err).toBe(0);
    expect(bn.recorder.exits().map((e) => e.validatorIndex)).toEqual([0, 1]);
  }, 60_000);

  it("refuses a partial from another cluster, mixed messages and duplicate shares, naming the file", async () => {
    expect((await sign(b.nodes[2]!, "1", file("b-v1-s3.json"), 1)).code).toBe(0);
    const foreign = await broadcast(a.lock, file("v1-s1.json"), file("v1-s2.json"), file("b-v1-s3.json"));
    expect(foreign.code).toBe(1);
    expect(foreign.err).toContain(`${file("b-v1-s3.json")}: partial exit for another cluster`);
    expect(foreign.err).toContain("EXIT_FOREIGN_LOCK");

    expect((await sign(a.nodes[2]!, "1", file("v1-s3-e2.json"), 2)).code).toBe(0);
    const mixed = await broadcast(a.lock, file("v1-s1.json"), file("v1-s2.json"), file("v1-s3-e2.json"));
    expect(mixed.code).toBe(1);
    expect(mixed.err).toContain(`${file("v1-s3-e2.json")}: exits validator 1 at epoch 2, but`);

    const dup = await broadcast(a.lock, file("v1-s1.json"), file("v1-s2.json"), file("v1-s2-tampered.json"));
    expect(dup.code).toBe(1);
    expect(dup.err).toContain(
      `${file("v1-s2-tampered.json")}: duplicate share index 2 (also in ${file("v1-s2.json")})`,
    );

    // An existing output file is not overwritten.
    const again = await sign(a.nodes[0]!, "1", file("v1-s1.json"), 1);
    expect(again.code).toBe(2);
    expect(again.err).toContain("already exists");
  }, 60_000);

  it("`cluster create` fills every builder registration, group-signed under the builder domain", async () => {
    const regs = registrationsFromLock(parseLock(readFileSync(a.lock, "utf8")));
    expect([...regs.keys()]).toEqual(pubkeys);
    for (const r of regs.values()) expect(r.message).toMatchObject({ fee_recipient: FEE, timestamp: "0" });
    // The simulator verifies them like a beacon node (genesis fork version, zero validators root).
    const res = await fetch(`${bn.url}/eth/v1/validator/register_validator`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify([...regs.values()]),
    });
    expect(res.status, await res.clone().text()).toBe(200);
    expect(bn.recorder.registrations().map((x) => x.validatorIndex)).toEqual([0, 1]);
  });

  it("agent run refuses a malformed --fee-recipient / --gas-limit", async () => {
    const base = ["agent", "run", "--data-dir", a.nodes[0]!, "--beacon-url", bn.url];
    const fee = await cohort(...base, "--fee-recipient", "0x12");
    expect(fee.code).toBe(2);
    expect(fee.err).toContain("--fee-recipient must be a 20-byte 0x-hex address");
    const gas = await cohort(...base, "--gas-limit", "0");
    expect(gas.code).toBe(2);
    expect(gas.err).toContain("--gas-limit must be a positive integer");
  });
});
