import {
  type Address,
  type Chain,
  createPublicClient,
  createTestClient,
  createWalletClient,
  defineChain,
  type Hex,
  http,
  keccak256,
  parseEther,
  toHex,
} from "viem";
import { generatePrivateKey, type PrivateKeyAccount, privateKeyToAccount } from "viem/accounts";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  ChainError,
  changeOperatorsTypedData,
  cohortSplitterAbi,
  deploySplitter,
  isPeriodSettled,
  parseSplitterLogs,
  readCredit,
  readSplitterState,
  reservePrincipal,
  reservePrincipalTypedData,
  type Settlement,
  type SplitterClients,
  type SplitterEventLog,
  settlementDigest,
  settlementTypedData,
  submitSettlement,
  watchSplitterEvents,
  withdraw,
} from "../src/index.ts";
import { ANVIL_DEV_KEY, type Anvil, startAnvil } from "../src/testing/anvil.ts";

let anvil: Anvil;
let chain: Chain;
let clients: SplitterClients;
let test: ReturnType<typeof createTestClient>;
let splitter: Address;
let snapshot: Hex;
const operators: PrivateKeyAccount[] = Array.from({ length: 4 }, () =>
  privateKeyToAccount(generatePrivateKey()),
);
const staker = privateKeyToAccount(generatePrivateKey());

function walletFor(account: PrivateKeyAccount) {
  return createWalletClient({ account, chain, transport: http(anvil.rpcUrl) });
}

async function expectRevert(p: Promise<unknown>, errorName: string): Promise<ChainError> {
  const err = await p.then(
    () => expect.unreachable(`expected ${errorName}`),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ChainError);
  const ce = err as ChainError;
  expect(ce.code).toBe("REVERTED");
  expect(ce.revert?.errorName).toBe(errorName);
  return ce;
}

const settlement = (periodId: bigint, amounts: bigint[]): Settlement => ({
  periodId,
  recipients: operators.map((o) => o.address),
  amounts,
  total: amounts.reduce((a, b) => a + b, 0n),
});

const sign = (signers: PrivateKeyAccount[], s: Settlement, chainId = anvil.chainId, at = splitter) =>
  Promise.all(signers.map((o) => o.signTypedData(settlementTypedData({ splitter: at, chainId, ...s }))));

beforeAll(async () => {
  anvil = await startAnvil();
  chain = defineChain({
    id: anvil.chainId,
    name: "anvil",
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [anvil.rpcUrl] } },
  });
  const publicClient = createPublicClient({ chain, transport: http(anvil.rpcUrl), pollingInterval: 50 });
  clients = { publicClient, walletClient: walletFor(privateKeyToAccount(ANVIL_DEV_KEY)) };
  test = createTestClient({ mode: "anvil", chain, transport: http(anvil.rpcUrl) });
  for (const o of operators) await test.setBalance({ address: o.address, value: parseEther("1") });
  const deployed = await deploySplitter(clients, {
    operators: operators.map((o) => ({ signer: o.address, payout: o.address })),
    threshold: 3n,
    principalRecipient: staker.address,
    principal: parseEther("32"),
  });
  splitter = deployed.address;
  // Fund: 10 ETH of rewards sent by a plain transfer (receive()).
  const fundHash = await clients.walletClient.sendTransaction({ to: splitter, value: parseEther("10") });
  await publicClient.waitForTransactionReceipt({ hash: fundHash });
}, 60_000);

afterAll(async () => {
  await anvil?.stop();
});

beforeEach(async () => {
  snapshot = await test.snapshot();
});

afterEach(async () => {
  await test.revert({ id: snapshot });
});

describe("CohortSplitter via @cohort/chain", () => {
  it("deploys with the operator set and funds via receive()", async () => {
    const state = await readSplitterState(clients.publicClient, splitter);
    expect(state.threshold).toBe(3n);
    expect(state.operators.map((o) => o.signer)).toEqual(operators.map((o) => o.address));
    expect(state.balance).toBe(parseEther("10"));
    expect(state.unallocated).toBe(parseEther("10"));
    expect(state.principalOutstanding).toBe(parseEther("32"));
    expect(state.principalRecipient).toBe(staker.address);
  });

  it("computes the same EIP-712 digests as the contract", async () => {
    const s = settlement(42n, [1n, 2n, 3n, 4n]);
    const onChain = await clients.publicClient.readContract({
      address: splitter,
      abi: cohortSplitterAbi,
      functionName: "settlementDigest",
      args: [s.periodId, s.recipients, s.amounts, s.total],
    });
    expect(settlementDigest({ splitter, chainId: anvil.chainId, ...s })).toBe(onChain);
  });

  it("applies a 3-of-4 settlement; each member withdraws exactly its credit, once", async () => {
    const s = settlement(1n, [parseEther("1"), parseEther("2"), parseEther("3"), parseEther("0.5")]);
    const seen: SplitterEventLog[] = [];
    const unwatch = watchSplitterEvents(clients.publicClient, {
      splitter,
      onLogs: (l) => seen.push(...l),
      pollingInterval: 50,
    });
    const res = await submitSettlement(clients, {
      splitter,
      settlement: s,
      signatures: await sign(operators.slice(0, 3), s),
    });
    const events = parseSplitterLogs(res.receipt.logs).map((l) => l.eventName);
    expect(events).toEqual(["Credited", "Credited", "Credited", "Credited", "Settled"]);
    expect(await isPeriodSettled(clients.publicClient, splitter, 1n)).toBe(true);
    expect((await readSplitterState(clients.publicClient, splitter)).unallocated).toBe(parseEther("3.5"));

    for (const [i, o] of operators.entries()) {
      const credit = await readCredit(clients.publicClient, splitter, o.address);
      expect(credit).toBe(s.amounts[i]);
      const before = await clients.publicClient.getBalance({ address: o.address });
      const w = await withdraw(
        { publicClient: clients.publicClient, walletClient: walletFor(o) },
        { splitter },
      );
      const after = await clients.publicClient.getBalance({ address: o.address });
      expect(after - before + w.gasUsed * w.receipt.effectiveGasPrice).toBe(credit);
      expect(await readCredit(clients.publicClient, splitter, o.address)).toBe(0n);
      await expectRevert(
        withdraw({ publicClient: clients.publicClient, walletClient: walletFor(o) }, { splitter }),
        "NothingToWithdraw",
      );
    }
    const state = await readSplitterState(clients.publicClient, splitter);
    expect(state.balance).toBe(parseEther("3.5"));
    expect(state.totalCredits).toBe(0n);

    await expect
      .poll(() => seen.filter((l) => l.eventName === "Withdrawn").length, { timeout: 5_000 })
      .toBe(4);
    unwatch();
  });

  it("refuses the same period twice with the decoded custom error", async () => {
    const s = settlement(7n, [1n, 1n, 1n, 1n]);
    const sigs = await sign(operators.slice(1), s);
    await submitSettlement(clients, { splitter, settlement: s, signatures: sigs });
    const err = await expectRevert(
      submitSettlement(clients, { splitter, settlement: s, signatures: sigs }),
      "PeriodAlreadySettled",
    );
    expect(err.revert?.args).toEqual([7n]);
    expect(err.message).toContain("settle: reverted with PeriodAlreadySettled(7)");
    expect(err.details.periodId).toBe(7n);
  });

  it("refuses 2 signatures (threshold 3)", async () => {
    const s = settlement(2n, [1n, 1n, 1n, 1n]);
    const err = await expectRevert(
      submitSettlement(clients, {
        splitter,
        settlement: s,
        signatures: await sign(operators.slice(0, 2), s),
      }),
      "InsufficientSignatures",
    );
    expect(err.revert?.args).toEqual([2n, 3n]);
  });

  it("refuses a duplicated signer", async () => {
    const s = settlement(2n, [1n, 1n, 1n, 1n]);
    const [a, b] = await sign(operators.slice(0, 2), s);
    await expectRevert(
      submitSettlement(clients, { splitter, settlement: s, signatures: [a!, b!, a!] }),
      "DuplicateSigner",
    );
  });

  it("refuses signatures made for another chain id or another splitter", async () => {
    const s = settlement(3n, [1n, 1n, 1n, 1n]);
    await expectRevert(
      submitSettlement(clients, {
        splitter,
        settlement: s,
        signatures: await sign(operators.slice(0, 3), s, 1),
      }),
      "NotOperator",
    );
    const other = "0x000000000000000000000000000000000000c0de" as Address;
    await expectRevert(
      submitSettlement(clients, {
        splitter,
        settlement: s,
        signatures: await sign(operators.slice(0, 3), s, anvil.chainId, other),
      }),
      "NotOperator",
    );
  });

  it("refuses more than the unallocated balance, and a bad total before sending", async () => {
    const s = settlement(4n, [parseEther("5"), parseEther("5"), 1n, 0n]);
    await expectRevert(
      submitSettlement(clients, {
        splitter,
        settlement: s,
        signatures: await sign(operators.slice(0, 3), s),
      }),
      "InsufficientUnallocated",
    );
    const bad = { ...settlement(5n, [1n, 2n, 3n, 4n]), total: 11n };
    await expect(
      submitSettlement(clients, { splitter, settlement: bad, signatures: [] }),
    ).rejects.toMatchObject({
      code: "INVALID_INPUT",
    });
  });

  it("keeps reserved principal out of settlements", async () => {
    await test.setBalance({ address: splitter, value: parseEther("42") }); // + 32 ETH exit sweep (no event)
    const exitId = keccak256(toHex("validator-0"));
    const td = reservePrincipalTypedData({
      splitter,
      chainId: anvil.chainId,
      exitId,
      amount: parseEther("32"),
    });
    const sigs = await Promise.all(operators.slice(0, 3).map((o) => o.signTypedData(td)));
    await reservePrincipal(clients, { splitter, exitId, amount: parseEther("32"), signatures: sigs });
    const state = await readSplitterState(clients.publicClient, splitter);
    expect(state.reservedPrincipal).toBe(parseEther("32"));
    expect(state.unallocated).toBe(parseEther("10"));
    const s = settlement(6n, [parseEther("10"), 1n, 0n, 0n]);
    await expectRevert(
      submitSettlement(clients, {
        splitter,
        settlement: s,
        signatures: await sign(operators.slice(0, 3), s),
      }),
      "InsufficientUnallocated",
    );
  });

  it("changeOperators typed data matches the contract", async () => {
    const ops = operators.slice(0, 3).map((o) => ({ signer: o.address, payout: o.address }));
    const onChain = await clients.publicClient.readContract({
      address: splitter,
      abi: cohortSplitterAbi,
      functionName: "changeOperatorsDigest",
      args: [ops, 2n, 0n],
    });
    const { hashTypedData } = await import("viem");
    expect(
      hashTypedData(
        changeOperatorsTypedData({
          splitter,
          chainId: anvil.chainId,
          operators: ops,
          threshold: 2n,
          nonce: 0n,
        }),
      ),
    ).toBe(onChain);
  });
});
