/**
 * `agent run --portal-url --portal-key` end to end: four agents IN ONE PROCESS (real libp2p, real
 * slashing DBs and evidence journals) against the beacon-node simulator, agent 0 reporting to a
 * small HTTP server acting as the portal's ingest endpoint (schema + identity signature checked).
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer as createHttpServer } from "node:http";
import { type AddressInfo, createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { startBeaconSim, validatorSet } from "@cohort/beacon-sim";
import { k1PublicKey } from "@cohort/cluster";
import { devnetConfig } from "@cohort/eth";
import {
  parSigMsgDigest,
  type SignedReportBatch,
  signedReportBatchSchema,
  toHex,
  verifyEpochRootSignature,
  verifyReportBatchSignature,
} from "@cohort/evidence";
import { createLogger } from "@cohort/logger";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AgentError, type RunningAgent, startAgent } from "../src/agentRun";
import { createCluster } from "../src/cluster/create";
import { readJournal } from "../src/journal";

const FORK_VERSION = "0x10000038";
const KEY = "cohort_ak_agent0_secret";

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

describe("agent run --portal-url", () => {
  let dir: string;
  let nodeDirs: string[];
  let pubkeys: string[];
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "cohort-agent-report-"));
    const created = await createCluster({
      name: "report-test",
      nodes: 4,
      threshold: 3,
      validators: 4,
      forkVersion: FORK_VERSION,
      feeRecipient: "0x000000000000000000000000000000000000fee0",
      withdrawal: "0x0000000000000000000000000000000000dead00",
      out: path.join(dir, "cluster"),
      interopIndices: [0, 1, 2, 3],
      kdf: "pbkdf2",
    });
    nodeDirs = created.nodeDirs;
    pubkeys = created.validatorPubkeys;
  }, 60_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("refuses half a portal configuration and a key that is not an agent API key", async () => {
    for (const o of [{ portalUrl: "http://x" }, { portalUrl: "http://x", portalKey: "nope" }])
      await expect(
        startAgent({ dataDir: nodeDirs[0]!, beaconUrl: "http://127.0.0.1:9", ...o }),
      ).rejects.toBeInstanceOf(AgentError);
  });

  it("reports signed batches (sent, receipts, outcomes, heartbeats, epoch roots) and flushes at stop", async () => {
    const identity = k1PublicKey(
      Buffer.from(readFileSync(path.join(nodeDirs[0]!, "charon-enr-private-key"), "utf8").trim(), "hex"),
    );
    const batches: SignedReportBatch[] = [];
    const portal = createHttpServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c) => chunks.push(c));
      req.on("end", () => {
        const reply = (status: number, body: object) => {
          res.writeHead(status, { "content-type": "application/json" });
          res.end(JSON.stringify(body));
        };
        if (req.url !== "/ingest/v1/reports" || req.headers.authorization !== `Bearer ${KEY}`)
          return reply(401, { code: "UNAUTHENTICATED", message: "" });
        const parsed = signedReportBatchSchema.safeParse(JSON.parse(Buffer.concat(chunks).toString()));
        if (!parsed.success) return reply(400, { code: "INVALID_BATCH", message: parsed.error.message });
        const signed = parsed.data as SignedReportBatch;
        if (!verifyReportBatchSignature(signed, identity))
          return reply(400, { code: "BAD_SIGNATURE", message: "" });
        batches.push(signed);
        reply(202, { accepted: true, batchHash: "0x", duplicate: false });
      });
    });
    await new Promise<void>((r) => portal.listen(0, "127.0.0.1", () => r()));
    const portalUrl = `http://127.0.0.1:${(portal.address() as AddressInfo).port}`;

    // Genesis 12 s ago: the agents start late in epoch 1; epochs 1 and 2 get sealed (slots 18, 26).
    const genesisTime = Math.floor(Date.now() / 1000) - 12;
    const network = devnetConfig({
      genesisForkVersion: FORK_VERSION,
      genesisValidatorsRoot: toHex(randomBytes(32)),
      genesisTime,
      secondsPerSlot: 1,
      slotsPerEpoch: 8,
      forkEpochs: { altair: 0, bellatrix: 0, capella: 0, deneb: 0, electra: 0 },
    });
    const bn = await startBeaconSim({ network, validators: validatorSet(pubkeys, { fillers: 8 }) });
    const ports = await Promise.all(nodeDirs.map(() => freePort()));
    const peers = new Map(ports.map((p, i) => [i, `127.0.0.1:${p}`]));
    const logger = createLogger({ name: "agent-report-test", level: "error" });
    const agents: RunningAgent[] = [];
    try {
      agents.push(
        ...(await Promise.all(
          nodeDirs.map((dataDir, i) =>
            startAgent({
              dataDir,
              beaconUrl: bn.url,
              peers,
              monitoringAddress: "127.0.0.1:0",
              logger,
              p2p: { pingIntervalMs: 500 },
              duties: { aggregation: false, syncCommittee: false },
              ...(i === 0
                ? {
                    portalUrl,
                    portalKey: KEY,
                    evidence: { reportIntervalMs: 1000, heartbeatIntervalMs: 3000 },
                  }
                : {}),
            }),
          ),
        )),
      );
      expect(agents[0]!.reporter).not.toBeNull();
      expect(agents[1]!.reporter).toBeNull();
      await new Promise((r) => setTimeout(r, Math.max(0, (genesisTime + 27) * 1000 + 500 - Date.now())));
      const metrics = await (await fetch(`${agents[0]!.monitoringUrl}/metrics`)).text();
      expect(metrics).toMatch(/^cohort_evidence_reports_acknowledged_total\{[^}]*\} [1-9]/m);
      expect(metrics).toMatch(/^cohort_evidence_journal_backlog\{[^}]*\} \d+/m);
    } finally {
      await Promise.all(agents.map((a) => a.stop()));
      await bn.stop();
      await new Promise((r) => portal.close(r));
    }

    expect(batches.map((b) => b.batch.seq)).toEqual(batches.map((_, i) => i + 1));
    const all = batches.map((b) => b.batch);
    expect(new Set(all.map((b) => b.reporter))).toEqual(new Set([1]));
    const sent = all.flatMap((b) => b.sent);
    const receipts = all.flatMap((b) => b.receipts);
    expect(sent.length).toBeGreaterThan(0);
    expect(sent.every((m) => m.message.shareIndex === 1)).toBe(true);
    expect(new Set(receipts.map((r) => r.from))).toEqual(new Set([2, 3, 4]));
    expect(all.flatMap((b) => b.outcomes).some((o) => o.dutyType === 1 && o.success)).toBe(true);
    const hb = all.flatMap((b) => b.heartbeats);
    expect(hb.length).toBeGreaterThan(0);
    expect(hb.at(-1)!.peersConnected).toEqual([2, 3, 4]);
    const roots = all.flatMap((b) => b.epochRoots);
    const lockHash = all[0]!.lockHash;
    const r2 = roots.find((r) => r.epoch === 2);
    expect(r2, JSON.stringify(roots)).toBeDefined();
    expect(r2!.sentCount).toBeGreaterThan(0);
    expect(r2!.receiptCount).toBeGreaterThan(0);
    for (const r of roots) expect(verifyEpochRootSignature(lockHash, 1, r, identity)).toBe(true);

    // The final report at stop delivered everything journaled: the portal has every sent message.
    const journal = await readJournal(path.join(nodeDirs[0]!, "evidence"));
    const journaledSent = journal
      .filter((e) => e.kind === "sent")
      .map((e) => (e as { digest: string }).digest);
    expect(new Set(sent.map((m) => toHex(parSigMsgDigest(m.message))))).toEqual(new Set(journaledSent));
    expect(receipts.length).toBe(journal.filter((e) => e.kind === "receipt").length);
  }, 90_000);
});
