// Gas of settle / settleAndPush / withdraw for 4, 7 and 10 members against a private anvil
// (prague). Threshold t = ⌈2n/3⌉ signatures; every member is a recipient.
//   npm run bench -w @cohort/chain
import {
  type Chain,
  createPublicClient,
  createTestClient,
  createWalletClient,
  defineChain,
  http,
  parseEther,
} from "viem";
import { generatePrivateKey, type PrivateKeyAccount, privateKeyToAccount } from "viem/accounts";
import {
  deploySplitter,
  type Settlement,
  type SplitterClients,
  settlementTypedData,
  submitSettlement,
  withdraw,
} from "../src/index.ts";
import { ANVIL_DEV_KEY, startAnvil } from "../src/testing/anvil.ts";

const anvil = await startAnvil();
try {
  const chain: Chain = defineChain({
    id: anvil.chainId,
    name: "anvil",
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [anvil.rpcUrl] } },
  });
  const transport = http(anvil.rpcUrl);
  const publicClient = createPublicClient({ chain, transport, pollingInterval: 20 });
  const clients: SplitterClients = {
    publicClient,
    walletClient: createWalletClient({ account: privateKeyToAccount(ANVIL_DEV_KEY), chain, transport }),
  };
  const test = createTestClient({ mode: "anvil", chain, transport });

  const rows: Record<string, string | number>[] = [];
  for (const n of [4, 7, 10]) {
    const t = Math.ceil((2 * n) / 3);
    const ops: PrivateKeyAccount[] = Array.from({ length: n }, () =>
      privateKeyToAccount(generatePrivateKey()),
    );
    for (const o of ops) await test.setBalance({ address: o.address, value: parseEther("1") });
    const { address: splitter, gasUsed: deployGas } = await deploySplitter(clients, {
      operators: ops.map((o) => ({ signer: o.address, payout: o.address })),
      threshold: BigInt(t),
      principalRecipient: privateKeyToAccount(generatePrivateKey()).address,
      principal: parseEther("32"),
    });
    await test.setBalance({ address: splitter, value: parseEther("100") });

    const settle = async (periodId: bigint, push = false) => {
      const s: Settlement = {
        periodId,
        recipients: ops.map((o) => o.address),
        amounts: ops.map((_, i) => parseEther("0.01") * BigInt(i + 1)),
        total: 0n,
      };
      s.total = s.amounts.reduce((a, b) => a + b, 0n);
      const signatures = await Promise.all(
        ops
          .slice(0, t)
          .map((o) => o.signTypedData(settlementTypedData({ splitter, chainId: anvil.chainId, ...s }))),
      );
      return (await submitSettlement(clients, { splitter, settlement: s, signatures, push })).gasUsed;
    };
    const w = async (o: PrivateKeyAccount) =>
      (
        await withdraw(
          { publicClient, walletClient: createWalletClient({ account: o, chain, transport }) },
          { splitter },
        )
      ).gasUsed;

    const settleFirst = await settle(1n); // credits 0 → non-zero for every member
    const settleNext = await settle(2n); // credits non-zero → non-zero
    const withdrawGas: bigint[] = [];
    for (const o of ops) withdrawGas.push(await w(o));
    const settleAfterWithdraw = await settle(3n); // credits 0 → non-zero again
    const settleAndPush = await settle(4n, true); // settle + n transfers
    const avgWithdraw = withdrawGas.reduce((a, b) => a + b, 0n) / BigInt(n);
    rows.push({
      members: n,
      threshold: t,
      deploy: Number(deployGas),
      "settle (fresh credits)": Number(settleFirst),
      "settle (credits pending)": Number(settleNext),
      "settle (after withdraw)": Number(settleAfterWithdraw),
      settleAndPush: Number(settleAndPush),
      "withdraw (avg)": Number(avgWithdraw),
      "settle+n·withdraw": Number(settleAfterWithdraw + avgWithdraw * BigInt(n)),
    });
  }
  console.log("CohortSplitter gas (anvil, prague, solc 0.8.37 optimizer 200 runs)");
  console.table(rows);
} finally {
  await anvil.stop();
}
