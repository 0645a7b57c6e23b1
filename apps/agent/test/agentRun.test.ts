/**
 * Four `agent run` instances IN ONE PROCESS (real libp2p over 127.0.0.1, real keystores, real
 * slashing DBs) against the beacon-node simulator, on a real clock with 1 s slots.
 */
import { randomBytes } from "node:crypto";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { type RunningBeaconSim, type StatsResponse, startBeaconSim, validatorSet } from "@cohort/beacon-sim";
import { devnetConfig } from "@cohort/eth";
import { createLogger } from "@cohort/logger";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AgentError, type RunningAgent, startAgent } from "../src/agentRun";
import { main } from "../src/cli";
import { createCluster } from "../src/cluster/create";

const FORK_VERSION = "0x10000038";
const FEE = "0x000000000000000000000000000000000000fee0";
const WITHDRAWAL = "0x0000000000000000000000000000000000dead00";
const hex = (b: Uint8Array) => `0x${Buffer.from(b).toString("hex")}`;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function sim(forkVersion: string, pubkeys: string[], genesisTime: number): Promise<RunningBeaconSim> {
  const network = devnetConfig({
    genesisForkVersion: forkVersion,
    genesisValidatorsRoot: hex(randomBytes(32)),
    genesisTime,
    secondsPerSlot: 1,
    slotsPerEpoch: 8,
    forkEpochs: { altair: 0, bellatrix: 0, capella: 0, deneb: 0, electra: 3 },
  });
  return startBeaconSim({ network, validators: validatorSet(pubkeys, { fillers: 8 }), statsFromSlot: 16 });
}

describe("cohort agent run", () => {
  let dir: string;
  let nodeDirs: string[];
  let pubkeys: string[];
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "cohort-agent-"));
    const created = await createCluster({
      name: "agent-test",
      nodes: 4,
      threshold: 3,
      validators: 4,
      forkVersion: FORK_VERSION,
      feeRecipient: FEE,
      withdrawal: WITHDRAWAL,
      out: path.join(dir, "cluster"),
      interopIndices: [0, 1, 2, 3],
      kdf: "pbkdf2",
    });
    nodeDirs = created.nodeDirs;
    pubkeys = created.validatorPubkeys;
  }, 60_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("refuses to start against a beacon node on another chain (genesis fork version)", async () => {
    const bn = await sim("0x00000099", pubkeys, Math.floor(Date.now() / 1000) - 10);
    try {
      const err: string[] = [];
      const code = await main(
        [
          "agent",
          "run",
          "--data-dir",
          nodeDirs[0]!,
          "--beacon-url",
          bn.url,
          "--monitoring-address",
          "127.0.0.1:0",
        ],
        { out: () => {}, err: (l) => err.push(l) },
      );
      expect(code).toBe(1);
      expect(err.join("\n")).toMatch(
        /genesis fork version 0x00000099, but cluster "agent-test" .* is for fork version 0x10000038: refusing to run \(FORK_VERSION_MISMATCH\)/,
      );
      await expect(
        startAgent({ dataDir: nodeDirs[0]!, beaconUrl: bn.url, monitoringAddress: "127.0.0.1:0" }),
      ).rejects.toSatisfy((e) => e instanceof AgentError && e.code === "FORK_VERSION_MISMATCH");
    } finally {
      await bn.stop();
    }
  });

  it("refuses to start on a lock whose hashes or signatures do not verify", async () => {
    const tampered = path.join(dir, "tampered-node0");
    cpSync(nodeDirs[0]!, tampered, { recursive: true });
    const lockFile = path.join(tampered, "cluster-lock.json");
    const lock = JSON.parse(readFileSync(lockFile, "utf8"));
    const share: string = lock.distributed_validators[0].public_shares[1];
    lock.distributed_validators[0].public_shares[1] = share.slice(0, -1) + (share.endsWith("0") ? "1" : "0");
    writeFileSync(lockFile, JSON.stringify(lock));
    await expect(
      startAgent({ dataDir: tampered, beaconUrl: "http://127.0.0.1:9", monitoringAddress: "127.0.0.1:0" }),
    ).rejects.toThrow(/distributed_validators\[0\]\.public_shares\[1\]/);
  });

  it("4 agents, t=3, over libp2p: every attester duty of 2 epochs included; /readyz and /metrics", async () => {
    // Genesis 11 s ago: the agents start in epoch 1 and are judged on epochs 2 and 3 (slots 16–31).
    const genesisTime = Math.floor(Date.now() / 1000) - 11;
    const bn = await sim(FORK_VERSION, pubkeys, genesisTime);
    const ports = await Promise.all(nodeDirs.map(() => freePort()));
    const peers = new Map(ports.map((p, i) => [i, `127.0.0.1:${p}`]));
    const logger = createLogger({ name: "agent-test", level: "error" });
    const agents: RunningAgent[] = [];
    try {
      agents.push(
        ...(await Promise.all(
          nodeDirs.map((dataDir) =>
            startAgent({
              dataDir,
              beaconUrl: bn.url,
              peers,
              monitoringAddress: "127.0.0.1:0",
              logger,
              p2p: { pingIntervalMs: 500 },
              // Four agents share this one process (and 2 CPUs): the aggregation and sync duties
              // are exercised by packages/core's simnet test and by `npm run test:sim`.
              duties: { aggregation: false, syncCommittee: false },
            }),
          ),
        )),
      );
      expect(agents.map((a) => a.selfIndex)).toEqual([0, 1, 2, 3]);
      const first = 16;
      const last = first + 2 * 8 - 1;
      const until = (genesisTime + last + 3) * 1000 + 500; // past the last duty's deadline
      await new Promise((r) => setTimeout(r, Math.max(0, until - Date.now())));

      const s = (await (
        await fetch(`${bn.url}/cohort/v1/stats?from_slot=${first}&to_slot=${last}`)
      ).json()) as StatsResponse;
      const ours = s.validators.filter((v) => pubkeys.includes(v.pubkey));
      expect(ours.length).toBe(4);
      for (const v of ours) {
        expect(v.attester.expected).toBeGreaterThan(0);
        expect(v.attester.included, `validator ${v.index}`).toBe(v.attester.expected);
        expect(v.attester.invalid).toBe(0);
        expect(v.attester.slashable).toBe(0);
      }
      expect(s.unattributed_invalid).toBe(0);
      expect(s.slashings).toBe(0);
      // Builder registrations: no --fee-recipient, so the lock's pre-signed ones, submitted as is.
      const regs = (
        (await (await fetch(`${bn.url}/cohort/v1/registrations`)).json()) as {
          data: { pubkey: string; feeRecipient: string; timestamp: number }[];
        }
      ).data.filter((r) => pubkeys.includes(r.pubkey));
      expect(regs.map((r) => [r.feeRecipient, r.timestamp])).toEqual(pubkeys.map(() => [FEE, 0]));

      for (const a of agents) {
        const ready = await fetch(`${a.monitoringUrl}/readyz`);
        expect(ready.status, await ready.text()).toBe(200);
        expect((await fetch(`${a.monitoringUrl}/livez`)).status).toBe(200);
        const metrics = await (await fetch(`${a.monitoringUrl}/metrics`)).text();
        expect(metrics).toMatch(
          /^cohort_duty_total\{(?=[^}]*type="attester")(?=[^}]*outcome="success")(?=[^}]*cluster_name="agent-test")[^}]*\} [1-9]/m,
        );
        expect(metrics).toMatch(/^cohort_parsigex_received_total\{[^}]*peer="peer\d"[^}]*\} [1-9]/m);
        expect(metrics).toMatch(/^cohort_peer_connected\{[^}]*peer="peer\d"[^}]*\} 1/m);
        expect(metrics).toMatch(/^cohort_consensus_decided_total\{/m);
        expect(metrics).toMatch(/^cohort_beacon_request_duration_seconds_count\{/m);
        expect(metrics).not.toMatch(/^cohort_consensus_invalid_total\{/m);
        expect(a.core.tracker.invalidPeers().size).toBe(0);
      }

      // One agent stops: the others lose a peer but keep quorum (3 of 4 connected).
      await agents[3]!.stop();
      await new Promise((r) => setTimeout(r, 300));
      expect((await fetch(`${agents[0]!.monitoringUrl}/readyz`)).status).toBe(200);
      await agents[2]!.stop();
      let body: { reason?: string } = {};
      for (let i = 0; i < 50 && body.reason === undefined; i++) {
        await new Promise((r) => setTimeout(r, 100));
        body = (await (await fetch(`${agents[0]!.monitoringUrl}/readyz`)).json()) as { reason?: string };
      }
      expect(body.reason).toBe("quorum_peers_not_connected");
    } finally {
      await Promise.all(agents.map((a) => a.stop()));
      await bn.stop();
    }
  }, 60_000);
});
