// The demo's execution chain: a private anvil (the native binary, hardfork pinned to the contracts'
// evmVersion), the CohortSplitter deployed with the cluster's operators, and "rewards" sent to it.
import { deploySplitter, readSplitterState } from "@cohort/chain";
import { anvilBinary } from "@cohort/chain/testing";
import {
  type Address,
  createPublicClient,
  createWalletClient,
  defineChain,
  formatEther,
  getContractAddress,
  http,
  parseEther,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import type { Supervisor } from "./procs";
import { freePort, sleep } from "./procs";

export const DEMO_CHAIN_ID = 31337;

/**
 * Anvil's well-known dev accounts (mnemonic "test test … junk"): PUBLIC keys, funded only on a
 * local anvil. #0 deploys the splitter, #1 pays the "rewards", #2 submits settlements (gas).
 */
export const ANVIL_KEYS = {
  deployer: "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
  rewards: "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
  submitter: "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
  principalRecipient: "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
} as const;

export async function startChain(sup: Supervisor, logFile: string) {
  const port = await freePort();
  const proc = sup.spawn(
    "anvil",
    anvilBinary(),
    ["--port", String(port), "--chain-id", String(DEMO_CHAIN_ID), "--hardfork", "prague", "--silent"],
    { logFile },
  );
  const rpcUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 15_000;
  for (;;) {
    const ok = await fetch(rpcUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
    }).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline || proc.child.exitCode !== null)
      throw new Error(`anvil did not start (see ${logFile})`);
    await sleep(50);
  }
  const chain = defineChain({
    id: DEMO_CHAIN_ID,
    name: "cohort-demo-anvil",
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [rpcUrl] } },
  });
  const publicClient = createPublicClient({ chain, transport: http(rpcUrl) });
  const wallet = (key: `0x${string}`) =>
    createWalletClient({ chain, transport: http(rpcUrl), account: privateKeyToAccount(key) });
  const deployer = wallet(ANVIL_KEYS.deployer);
  const rewards = wallet(ANVIL_KEYS.rewards);

  return {
    rpcUrl,
    chainId: DEMO_CHAIN_ID,
    proc,
    /** Where the deployer's next transaction (the splitter deployment) will create its contract. */
    async predictSplitterAddress(): Promise<Address> {
      const nonce = await publicClient.getTransactionCount({ address: deployer.account.address });
      return getContractAddress({ from: deployer.account.address, nonce: BigInt(nonce) });
    },
    async deploy(operators: Address[], threshold: number, validators: number) {
      const { address } = await deploySplitter(
        { publicClient, walletClient: deployer },
        {
          operators: operators.map((a) => ({ signer: a, payout: a })),
          threshold: BigInt(threshold),
          principalRecipient: privateKeyToAccount(ANVIL_KEYS.principalRecipient).address,
          principal: parseEther("32") * BigInt(validators),
        },
      );
      const state = await readSplitterState(publicClient, address);
      return { address, state };
    },
    /** Stands for the consensus/execution rewards the splitter receives as fee recipient. */
    async sendRewards(splitter: Address, eth: string) {
      const hash = await rewards.sendTransaction({ to: splitter, value: parseEther(eth) });
      await publicClient.waitForTransactionReceipt({ hash });
    },
    async balance(address: Address) {
      return formatEther(await publicClient.getBalance({ address }));
    },
  };
}
export type DemoChain = Awaited<ReturnType<typeof startChain>>;
