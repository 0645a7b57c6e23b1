/**
 * Settlement end to end (real PostgreSQL, Redis, BullMQ workers, HTTP, anvil with the compiled
 * CohortSplitter): a 3-of-4 cluster whose member 4 is absent for exactly a quarter of the period
 * reports its evidence; rewards are sent to the splitter; the portal drafts the period; the draft
 * must equal the documented formula (docs/rewards.md) to the wei; members approve with EIP-712
 * signatures through GraphQL; the worker submits at the threshold; each member withdraws exactly
 * its allocation; and the splitter refuses a second submission of the period and a 2-signature one.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  ChainError,
  cohortSplitterAbi,
  createSettlementChain,
  deploySplitter,
  isPeriodSettled,
  readCredit,
  type Settlement,
  type SplitterClients,
  settlementTypedData,
  submitSettlement,
  withdraw,
} from "@cohort/chain";
import { ANVIL_DEV_KEY, type Anvil, startAnvil } from "@cohort/chain/testing";
import { toHex } from "@cohort/evidence";
import { createLogger } from "@cohort/logger";
import { jobsPortFor } from "@cohort/queue";
import { startTestApp, TEST_SIWE_DOMAIN, type TestApp, waitFor } from "@cohort/test-utils";
import { startWorkers } from "@cohort/worker";
import {
  type Address,
  type Chain,
  createPublicClient,
  createWalletClient,
  defineChain,
  getAddress,
  type Hex,
  http,
  parseEther,
} from "viem";
import { type PrivateKeyAccount, privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { makeWorld, type World } from "../../../packages/evidence/test/fixture";
import { approveSettlement } from "../../agent/src/settlement";
import {
  batchOf,
  type EvidenceCluster,
  postReport,
  setupEvidenceCluster,
  signBatch,
} from "./evidenceCluster";

const SLOTS = Array.from({ length: 16 }, (_, i) => 3200 + i); // epoch 100 (Hoodi: 32 slots per epoch)
const ABSENT = { member: 4, from: 3212, to: 3215 }; // 4 of the 16 slots: a quarter of the period's duties
const present = (i: number, slot: number) =>
  !(i === ABSENT.member && slot >= ABSENT.from && slot <= ABSENT.to);
const PERIOD = 100; // periodEpochs 1: period 100 = epoch 100
const REWARDS = parseEther("1.234567890123456789");

let anvil: Anvil;
let chain: Chain;
let app: TestApp;
let w: World;
let c: EvidenceCluster;
let worker: ReturnType<typeof startWorkers>;
let funder: SplitterClients;
let splitter: Address;
let operators: PrivateKeyAccount[];
const tokens: string[] = [];

const clientsFor = (account: PrivateKeyAccount): SplitterClients => ({
  publicClient: createPublicClient({ chain, transport: http(anvil.rpcUrl) }),
  walletClient: createWalletClient({ account, chain, transport: http(anvil.rpcUrl) }),
});

beforeAll(async () => {
  anvil = await startAnvil();
  chain = defineChain({
    id: anvil.chainId,
    name: "anvil",
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [anvil.rpcUrl] } },
  });
  funder = clientsFor(privateKeyToAccount(ANVIL_DEV_KEY));
  app = await startTestApp({
    queuePrefix: `${inject("queuePrefix")}-settlement`,
    settlement: {
      chain: await createSettlementChain({
        rpcUrl: anvil.rpcUrl,
        submitterKey: ANVIL_DEV_KEY,
        pollingIntervalMs: 100,
      }),
      confirmPollMs: 100,
    },
  });
  w = makeWorld({ slots: SLOTS, present, late: null });
  operators = w.operatorKeys.map((k) => privateKeyToAccount(toHex(k) as Hex));
  c = await setupEvidenceCluster(app, w, "settlement");
  for (const op of operators) tokens.push(await app.signIn(op));

  // The splitter: the lock's operators sign, each is paid at its own address, threshold 3.
  ({ address: splitter } = await deploySplitter(funder, {
    operators: operators.map((o) => ({ signer: o.address, payout: o.address })),
    threshold: 3n,
    principalRecipient: getAddress(`0x${randomBytes(20).toString("hex")}`),
    principal: parseEther("96"),
  }));
  // Gas money for the members' withdrawals.
  for (const op of operators) {
    const hash = await funder.walletClient.sendTransaction({ to: op.address, value: parseEther("1") });
    await funder.publicClient.waitForTransactionReceipt({ hash });
  }

  const logger = createLogger({ name: "worker-test", level: process.env.TEST_LOG_LEVEL ?? "silent" });
  worker = startWorkers({
    backend: app.backend,
    services: app.services,
    logger,
    jobsPort: jobsPortFor(app.producer),
  });
}, 120_000);

afterAll(async () => {
  await worker?.close();
  await app?.close();
  await anvil?.stop();
});

/** Largest remainder over exact shares num[i]/den of `total`, leftovers to the lower share index on ties. */
function expectedSplit(total: bigint, num: bigint[], den: bigint): bigint[] {
  const floors = num.map((n) => (total * n) / den);
  const rems = num.map((n, i) => ({ i, r: (total * n) % den }));
  let left = total - floors.reduce((a, b) => a + b, 0n);
  rems.sort((a, b) => (a.r === b.r ? a.i - b.i : a.r > b.r ? -1 : 1));
  for (const { i } of rems) {
    if (left === 0n) break;
    floors[i]! += 1n;
    left -= 1n;
  }
  return floors;
}

const PERIOD_FIELDS = `id index status amountWei allocatedWei carriedOutWei digest typedData threshold txHash confirmations error
  approvals { member { shareIndex } signer }
  disputes { member { shareIndex } note resolvedAt }
  allocations { member { shareIndex } recipient amountWei expectedDuties contributedDuties penaltyWei explanation }`;

type PeriodJson = {
  id: string;
  index: number;
  status: string;
  amountWei: string;
  allocatedWei: string;
  carriedOutWei: string;
  digest: string;
  typedData: {
    domain: { chainId: string; verifyingContract: Address; name: string; version: string };
    message: { periodId: string; recipients: Address[]; amounts: string[]; total: string };
  };
  threshold: number;
  txHash: string | null;
  confirmations: number;
  error: string | null;
  approvals: { member: { shareIndex: number }; signer: string }[];
  disputes: { member: { shareIndex: number }; note: string; resolvedAt: string | null }[];
  allocations: {
    member: { shareIndex: number };
    recipient: string;
    amountWei: string;
    expectedDuties: number;
    contributedDuties: number;
    penaltyWei: string;
    explanation: { steps: { step: string; weight?: string; share?: string }[] };
  }[];
};

async function period(token: string): Promise<PeriodJson | undefined> {
  const r = await app.gql<{ cluster: { settlements: PeriodJson[] } }>(
    `query($id: ID!) { cluster(id: $id) { settlements(first: 5) { ${PERIOD_FIELDS} } } }`,
    { id: c.clusterId },
    token,
  );
  expect(r.errors).toBeUndefined();
  return r.data!.cluster.settlements.find((p) => p.index === PERIOD);
}

async function sign(op: PrivateKeyAccount, p: PeriodJson): Promise<Hex> {
  const m = p.typedData.message;
  return op.signTypedData(
    settlementTypedData({
      splitter: p.typedData.domain.verifyingContract,
      chainId: BigInt(p.typedData.domain.chainId),
      periodId: BigInt(m.periodId),
      recipients: m.recipients,
      amounts: m.amounts.map(BigInt),
      total: BigInt(m.total),
    }),
  );
}

const approve = (token: string, periodId: string, signature: Hex) =>
  app.gql<{ approveSettlement: PeriodJson }>(
    `mutation($input: ApproveSettlementInput!) { approveSettlement(input: $input) { ${PERIOD_FIELDS} } }`,
    { input: { periodId, signature } },
    token,
  );

describe("settlement on anvil, end to end", () => {
  let draft: PeriodJson;
  let expected: bigint[];

  it("ingests a period where member 4 is absent for exactly a quarter of its duties", async () => {
    const ids: string[] = [];
    for (let i = 1; i <= 4; i++) {
      const res = await postReport(
        app,
        signBatch(w, batchOf(w, i, { seq: 1, epochRoot: false })),
        c.keys[i - 1],
      );
      expect(res.status).toBe(202);
      ids.push(res.body.reportId as string);
    }
    await waitFor(
      async () => (await app.db.agentReport.count({ where: { id: { in: ids }, status: "ACCEPTED" } })) === 4,
      30_000,
      "reports ingested",
    );
  });

  it("drafts the period from stored participation and the splitter's balance, exactly by the formula", async () => {
    const sent = await funder.walletClient.sendTransaction({ to: splitter, value: REWARDS });
    await funder.publicClient.waitForTransactionReceipt({ hash: sent });

    // Bad configuration is refused with the field named, and nothing changes.
    const bad = await app.gql(
      `mutation($input: ConfigureSettlementInput!) { configureSettlement(input: $input) { id } }`,
      {
        input: {
          clusterId: c.clusterId,
          splitterAddress: splitter,
          chainId: anvil.chainId,
          periodEpochs: 1,
          policy: { uncoverd: "carry" },
        },
      },
      tokens[0],
    );
    expect(bad.errors?.[0]?.message).toMatch(/input\.policy.*unknown field "uncoverd"/);
    const configured = await app.gql<{
      configureSettlement: { splitterAddress: string; periodEpochs: number };
    }>(
      `mutation($input: ConfigureSettlementInput!) { configureSettlement(input: $input) { splitterAddress periodEpochs } }`,
      {
        input: { clusterId: c.clusterId, splitterAddress: splitter, chainId: anvil.chainId, periodEpochs: 1 },
      },
      tokens[0],
    );
    expect(configured.errors).toBeUndefined();
    expect(configured.data!.configureSettlement.splitterAddress).toBe(splitter);

    const requested = await app.gql<{ requestSettlementDraft: { index: number } | null }>(
      `mutation($id: ID!) { requestSettlementDraft(clusterId: $id) { index } }`,
      { id: c.clusterId },
      tokens[0],
    );
    expect(requested.errors).toBeUndefined();
    expect(requested.data!.requestSettlementDraft?.index).toBe(PERIOD);
    draft = await waitFor(() => period(tokens[0]!), 30_000, "draft");
    expect(draft.status).toBe("DRAFT");

    // The documented formula by hand: weights 1, 1, 1 and 36/48 = 3/4 → shares 4/15, 4/15, 4/15, 3/15
    // of the whole amount (no failed duties, so no penalties), rounded by largest remainder.
    const byMember = [...draft.allocations].sort((a, b) => a.member.shareIndex - b.member.shareIndex);
    expect(byMember.map((a) => [a.expectedDuties, a.contributedDuties])).toEqual([
      [48, 48],
      [48, 48],
      [48, 48],
      [48, 36],
    ]);
    expected = expectedSplit(REWARDS, [4n, 4n, 4n, 3n], 15n);
    expect(BigInt(draft.amountWei)).toBe(REWARDS);
    expect(byMember.map((a) => BigInt(a.amountWei))).toEqual(expected);
    expect(BigInt(draft.allocatedWei)).toBe(REWARDS);
    expect(draft.carriedOutWei).toBe("0");
    expect(byMember.map((a) => a.penaltyWei)).toEqual(["0", "0", "0", "0"]);
    expect(byMember.map((a) => getAddress(a.recipient))).toEqual(operators.map((o) => o.address));
    const weight = byMember[3]!.explanation.steps.find((s) => s.step === "weight")!;
    expect([weight.weight, weight.share]).toEqual(["3/4", "1/5"]);
    // The typed data is exactly what the splitter will verify.
    expect(draft.typedData.message.amounts).toEqual(expected.map(String));
    expect(draft.typedData.domain.verifyingContract).toBe(getAddress(splitter));
    const onChainDigest = await funder.publicClient.readContract({
      address: splitter,
      abi: cohortSplitterAbi,
      functionName: "settlementDigest",
      args: [BigInt(PERIOD), operators.map((o) => o.address), expected, REWARDS],
    });
    expect(draft.digest).toBe(onChainDigest);

    // Drafting again changes nothing.
    const again = await app.services.settlement.draft(c.clusterId, PERIOD);
    expect(again.created).toBe(false);
    expect(again.period.id).toBe(draft.id);
  });

  it("takes a dispute, refuses signatures that are not the caller's, and approves at the threshold", async () => {
    const disputed = await app.gql<{ disputeSettlement: PeriodJson }>(
      `mutation($input: DisputeSettlementInput!) { disputeSettlement(input: $input) { ${PERIOD_FIELDS} } }`,
      { input: { periodId: draft.id, note: "slots 3212-3215 were announced maintenance" } },
      tokens[3],
    );
    expect(disputed.errors).toBeUndefined();
    expect(disputed.data!.disputeSettlement.status).toBe("DISPUTED");

    // Member 2 relaying member 1's signature is refused, naming the field; so is a malformed one.
    const sig1 = await sign(operators[0]!, draft);
    const relayed = await approve(tokens[1]!, draft.id, sig1);
    expect(relayed.errors?.[0]?.extensions?.code).toBe("SIGNATURE_INVALID");
    expect(relayed.errors?.[0]?.message).toMatch(/^input\.signature: signed by/);
    const malformed = await approve(tokens[1]!, draft.id, "0x1234" as Hex);
    expect(malformed.errors?.[0]?.message).toMatch(/input\.signature: must be 65 bytes/);
    // Someone with no role in the cluster cannot even see it.
    const stranger = await app.signIn(privateKeyToAccount(toHex(randomBytes(32)) as Hex));
    expect((await approve(stranger, draft.id, sig1)).errors?.[0]?.extensions?.code).toBe("NOT_FOUND");

    let p = (await approve(tokens[0]!, draft.id, sig1)).data!.approveSettlement;
    expect(p.status).toBe("DISPUTED"); // member 4's dispute is still open
    p = (await approve(tokens[1]!, draft.id, await sign(operators[1]!, draft))).data!.approveSettlement;
    expect(p.approvals.map((a) => a.member.shareIndex)).toEqual([1, 2]);
    // Approving twice is harmless.
    expect(
      (await approve(tokens[1]!, draft.id, await sign(operators[1]!, draft))).data!.approveSettlement
        .approvals,
    ).toHaveLength(2);
    // The member who disputed cannot then be counted without withdrawing its dispute by approving…
    const late = await app.gql(
      `mutation($input: DisputeSettlementInput!) { disputeSettlement(input: $input) { id } }`,
      { input: { periodId: draft.id, note: "changed my mind" } },
      tokens[0],
    );
    expect(late.errors?.[0]?.extensions?.code).toBe("CONFLICT"); // member 1 approved already
    // Member 3 approves from the command line (`cohort settlement approve`) with its key file.
    const dir = await mkdtemp(path.join(tmpdir(), "cohort-settle-"));
    const keyFile = path.join(dir, "operator-private-key");
    await writeFile(keyFile, toHex(w.operatorKeys[2]!), { mode: 0o600 });
    const out = await approveSettlement({
      portalUrl: app.url,
      operatorKey: keyFile,
      cluster: c.clusterId,
      period: PERIOD,
      siweDomain: TEST_SIWE_DOMAIN,
    });
    expect(out[0]).toBe(`approved as ${operators[2]!.address}`);
    expect(out[1]).toMatch(
      new RegExp(
        `^settlement ${PERIOD} \\(epochs 100–100\\): (APPROVED|SUBMITTED|CONFIRMED), .* 3/3 approvals$`,
      ),
    );
    expect(out.find((l) => l.startsWith("  member 4"))).toMatch(/36\/48 duties/);
    await rm(dir, { recursive: true });
    p = (await period(tokens[2]!))!;
    expect(p.approvals).toHaveLength(3);
    expect(["APPROVED", "SUBMITTED", "CONFIRMED"]).toContain(p.status);
    expect(p.approvals.map((a) => getAddress(a.signer))).toEqual(operators.slice(0, 3).map((o) => o.address));
  });

  it("submits at the threshold and records the transaction and its confirmation", async () => {
    const done = await waitFor(
      async () => {
        const p = await period(tokens[0]!);
        return p?.status === "CONFIRMED" || p?.status === "FAILED" ? p : undefined;
      },
      30_000,
      "settlement confirmed",
    );
    expect(done.error).toBeNull();
    expect(done.status).toBe("CONFIRMED");
    expect(done.confirmations).toBeGreaterThanOrEqual(1);
    const receipt = await funder.publicClient.getTransactionReceipt({ hash: done.txHash as Hex });
    expect(receipt.status).toBe("success");
    expect(await isPeriodSettled(funder.publicClient, splitter, BigInt(PERIOD))).toBe(true);
    for (const [i, op] of operators.entries())
      expect(await readCredit(funder.publicClient, splitter, op.address)).toBe(expected[i]);

    // A crash after sending (the row still APPROVED, no hash): the retry adopts the on-chain one.
    await app.db.settlementPeriod.update({
      where: { id: done.id },
      data: { status: "APPROVED", txHash: null, blockNumber: null },
    });
    const adopted = await app.services.settlement.submit(done.id);
    expect(adopted).toEqual({ status: "SUBMITTED", txHash: done.txHash });
    await waitFor(async () => (await period(tokens[0]!))?.status === "CONFIRMED", 30_000, "re-confirmed");
  });

  it("pays each member exactly its allocation", async () => {
    for (const [i, op] of operators.entries()) {
      const clients = clientsFor(op);
      const before = await clients.publicClient.getBalance({ address: op.address });
      const { receipt } = await withdraw(clients, { splitter });
      const after = await clients.publicClient.getBalance({ address: op.address });
      const gas = receipt.gasUsed * receipt.effectiveGasPrice;
      expect(after - before + gas, `member ${i + 1}`).toBe(expected[i]);
      expect(await readCredit(clients.publicClient, splitter, op.address)).toBe(0n);
    }
    expect(await funder.publicClient.getBalance({ address: splitter })).toBe(0n);
  });

  it("the splitter refuses the same period again, and a settlement with only 2 approvals", async () => {
    const stored = await app.db.settlementPeriod.findUniqueOrThrow({
      where: { id: draft.id },
      include: { approvals: true },
    });
    const settlement: Settlement = {
      periodId: BigInt(PERIOD),
      recipients: operators.map((o) => o.address),
      amounts: expected,
      total: REWARDS,
    };
    // More rewards arrive, so only the period check can stop a replay.
    const sent = await funder.walletClient.sendTransaction({ to: splitter, value: REWARDS });
    await funder.publicClient.waitForTransactionReceipt({ hash: sent });
    const replay = await submitSettlement(funder, {
      splitter,
      settlement,
      signatures: stored.approvals.map((a) => a.signature as Hex),
    }).catch((e: unknown) => e);
    expect(replay).toBeInstanceOf(ChainError);
    expect((replay as ChainError).revert?.errorName).toBe("PeriodAlreadySettled");

    const next: Settlement = { ...settlement, periodId: BigInt(PERIOD + 1) };
    const td = settlementTypedData({ splitter, chainId: anvil.chainId, ...next });
    const two = await Promise.all(operators.slice(0, 2).map((o) => o.signTypedData(td)));
    const short = await submitSettlement(funder, { splitter, settlement: next, signatures: two }).catch(
      (e: unknown) => e,
    );
    expect(short).toBeInstanceOf(ChainError);
    expect((short as ChainError).revert?.errorName).toBe("InsufficientSignatures");
    expect(await isPeriodSettled(funder.publicClient, splitter, BigInt(PERIOD + 1))).toBe(false);
  });
});
