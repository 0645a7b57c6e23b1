import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { readKeystores } from "@cohort/eth";
import { secretToPublicKey } from "@cohort/tbls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runBeaconSim } from "../src/beaconSim";
import { cohort } from "./cohort";

const FEE = "0x000000000000000000000000000000000000fee0";
const WITHDRAWAL = "0x0000000000000000000000000000000000dead00";
const hex = (b: Uint8Array) => `0x${Buffer.from(b).toString("hex")}`;

describe("cohort cluster create + cohort lock verify", () => {
  let dir: string;
  let out: string;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "cohort-cli-"));
    out = path.join(dir, "cluster");
    const r = await cohort(
      "cluster",
      "create",
      "--name",
      "test",
      "--nodes",
      "4",
      "--validators",
      "2",
      "--network",
      "hoodi",
      "--fee-recipient",
      FEE,
      "--withdrawal",
      WITHDRAWAL,
      "--out",
      out,
      "--insecure-keys",
      "interop:0..1",
    );
    expect(r.err).toContain("WARNING: --insecure-keys uses PUBLIC interop validator keys");
    expect(r.code).toBe(0);
  }, 60_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const lockPath = (i = 0) => path.join(out, `node${i}`, "cluster-lock.json");

  it("writes one identical, fully signed v1.10.0 lock per node, and it verifies", async () => {
    const locks = [0, 1, 2, 3].map((i) => readFileSync(lockPath(i), "utf8"));
    expect(new Set(locks).size).toBe(1);
    const lock = JSON.parse(locks[0]!);
    expect(lock.cluster_definition.version).toBe("v1.10.0");
    expect(lock.cluster_definition.threshold).toBe(3);
    // Interop keys 0 and 1: the well-known devnet genesis validators.
    expect(lock.distributed_validators[0].distributed_public_key).toBe(
      "0xa99a76ed7796f7be22d5b7e85deeb7c5677e88e511e0b337618f8c4eb61349b4bf2d153f649f7b53359fe8b94a38e44c",
    );
    const r = await cohort("lock", "verify", lockPath());
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^ok: cluster-lock v1\.10\.0 "test" 3-of-4, 2 validator\(s\)/);
    for (const check of [
      "operator_signatures",
      "creator_signature",
      "signature_aggregate",
      "node_signatures",
      "deposit_data",
    ]) {
      expect(r.out).toContain(check);
    }
    const def = await cohort("lock", "verify", path.join(out, "cluster-definition.json"));
    expect(def.code).toBe(0);
    expect(def.out).toMatch(/^ok: cluster-definition v1\.10\.0/);
  });

  it("runs the beacon-node simulator for the cluster's validators (cohort beacon-sim)", async () => {
    const sim = await runBeaconSim({
      lock: lockPath(),
      fillers: 6,
      slotTime: 2,
      slotsPerEpoch: 8,
      fork: "electra",
      port: 0,
      genesisDelay: 0,
    });
    try {
      const lock = JSON.parse(readFileSync(lockPath(), "utf8"));
      const genesis = (await (await fetch(`${sim.url}/eth/v1/beacon/genesis`)).json()) as {
        data: Record<string, string>;
      };
      expect(genesis.data.genesis_fork_version).toBe(lock.cluster_definition.fork_version);
      const validators = (await (await fetch(`${sim.url}/eth/v1/beacon/states/head/validators`)).json()) as {
        data: { validator: { pubkey: string } }[];
      };
      expect(validators.data).toHaveLength(8);
      expect(validators.data.slice(0, 2).map((v) => v.validator.pubkey)).toEqual(
        lock.distributed_validators.map((v: { distributed_public_key: string }) => v.distributed_public_key),
      );
    } finally {
      await sim.stop();
    }
    await expect(
      runBeaconSim({ fillers: 1, slotTime: 2, slotsPerEpoch: 8, fork: "merge", port: 0, genesisDelay: 0 }),
    ).rejects.toThrow(/--fork must be one of phase0/);
  });

  it("gives each node the keystores of its own shares", async () => {
    const lock = JSON.parse(readFileSync(lockPath(), "utf8"));
    for (const node of [0, 3]) {
      const secrets = await readKeystores(path.join(out, `node${node}`, "validator_keys"));
      expect(secrets.map((s) => hex(secretToPublicKey(s)))).toEqual(
        lock.distributed_validators.map((v: { public_shares: string[] }) => v.public_shares[node]),
      );
    }
  });

  /** Flips the last hex digit of the string at `pointer` (a path into the lock JSON). */
  function tamper(pointer: (string | number)[]): string {
    const lock = JSON.parse(readFileSync(lockPath(), "utf8"));
    let parent = lock;
    for (const key of pointer.slice(0, -1)) parent = parent[key];
    const last = pointer.at(-1)!;
    const value: string = parent[last];
    parent[last] = value.slice(0, -1) + (value.at(-1) === "0" ? "1" : "0");
    const file = path.join(dir, `tampered-${pointer.join("-")}.json`);
    writeFileSync(file, JSON.stringify(lock, null, 1));
    return file;
  }

  it.each([
    [["lock_hash"], /lock_hash/],
    [["cluster_definition", "config_hash"], /config_hash/],
    [["cluster_definition", "definition_hash"], /definition_hash/],
    [["cluster_definition", "operators", 1, "config_signature"], /operators\[1\]\.config_signature/],
    [["cluster_definition", "creator", "config_signature"], /creator\.config_signature/],
    [["node_signatures", 2], /node_signatures\[2\]/],
    [["signature_aggregate"], /signature_aggregate/],
    [["distributed_validators", 1, "public_shares", 2], /distributed_validators\[1\]\.public_shares\[2\]/],
    [
      ["distributed_validators", 0, "partial_deposit_data", 0, "signature"],
      /distributed_validators\[0\]\.partial_deposit_data\[0\]/,
    ],
    [
      ["distributed_validators", 0, "builder_registration", "signature"],
      /distributed_validators\[0\]\.builder_registration/,
    ],
  ] as const)("a flipped byte in %j fails, naming the field", async (pointer, expected) => {
    const r = await cohort("lock", "verify", tamper([...pointer]));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(expected);
  });

  it("creates a devnet cluster from a fork version; it verifies with the devnet EIP-712 chain id", async () => {
    const devnet = path.join(dir, "devnet");
    const created = await cohort(
      "cluster",
      "create",
      "--name",
      "dev",
      "--nodes",
      "3",
      "--validators",
      "1",
      "--fork-version",
      "0x10000038",
      "--fee-recipient",
      FEE,
      "--withdrawal",
      WITHDRAWAL,
      "--out",
      devnet,
      "--insecure-keys",
      "interop:5..5",
    );
    expect(created.code).toBe(0);
    const file = path.join(devnet, "node0", "cluster-lock.json");
    const ok = await cohort("lock", "verify", file, "--chain-id", "1337");
    expect(ok.err).toBe("");
    expect(ok.code).toBe(0);
    const unknown = await cohort("lock", "verify", file);
    expect(unknown.code).toBe(1);
    expect(unknown.err).toMatch(/unknown fork version 0x10000038; pass chainId/);
    const wrong = await cohort("lock", "verify", file, "--chain-id", "1");
    expect(wrong.err).toMatch(/operators\[0\]\.config_signature/);
  });

  it("refuses an unsafe threshold, a non-empty output directory and a bad address, clearly", async () => {
    const base = [
      "cluster",
      "create",
      "--name",
      "x",
      "--nodes",
      "4",
      "--validators",
      "1",
      "--network",
      "hoodi",
      "--fee-recipient",
      FEE,
      "--withdrawal",
      WITHDRAWAL,
    ];
    const low = await cohort(...base, "--threshold", "2", "--out", path.join(dir, "low"));
    expect(low.code).toBe(2);
    expect(low.err).toMatch(/--threshold 2 is unsafe for 4 nodes: it must be between 3 .* and 4/);
    const high = await cohort(...base, "--threshold", "5", "--out", path.join(dir, "high"));
    expect(high.err).toMatch(/--threshold 5 is unsafe/);
    const busy = await cohort(...base, "--out", out);
    expect(busy.err).toMatch(/is not empty; refusing to overwrite keys/);
    const bad = await cohort(...base.slice(0, -2), "--withdrawal", "0x1234", "--out", path.join(dir, "bad"));
    expect(bad.err).toMatch(/--withdrawal must be an Ethereum address/);
  });
});

describe("cohort lock verify on the Obol conformance lock", () => {
  it("verifies real_keys_3_of_4 (its EIP-712, registration and deposit fields are placeholders, so those are skipped)", async () => {
    const vectors = path.resolve(
      import.meta.dirname,
      "../../../../shared/vectors/obol-dv-specs/cluster_hashing.json",
    );
    const suite = JSON.parse(readFileSync(vectors, "utf8"));
    const real = suite.lock.find((c: { name: string }) => c.name === "real_keys_3_of_4");
    const dir = mkdtempSync(path.join(tmpdir(), "cohort-vec-"));
    try {
      const file = path.join(dir, "cluster-lock.json");
      writeFileSync(file, JSON.stringify(real.input));
      const r = await cohort("lock", "verify", file, "--skip", "eip712,builder-registrations,deposit-data");
      expect(r.err).toBe("");
      expect(r.code).toBe(0);
      expect(r.out).toContain(`lock_hash 0x${real.lock_hash}`);
      expect(r.out).toContain("signature_aggregate");
      expect(r.out).toContain("node_signatures");
      // Without the skips, the placeholder operator signature is caught and named.
      const strict = await cohort("lock", "verify", file);
      expect(strict.code).toBe(1);
      expect(strict.err).toMatch(/operators\[0\]\.config_signature/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("rejects an unknown --skip name and a file that is not JSON", async () => {
    const r = await cohort("lock", "verify", "/etc/hostname", "--skip", "everything");
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/unknown check "everything"/);
    const notJson = await cohort("lock", "verify", "/etc/hostname");
    expect(notJson.err).toMatch(/not JSON/);
  });
});
