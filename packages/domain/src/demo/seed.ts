import type { Db } from "@cohort/db";
import { publicKeyHex, randomScalar, splitSecret } from "@cohort/tbls";
import { keccak256, toBytes } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import type { Actor } from "../actor";
import type { Services } from "../index";

/**
 * INSECURE, PUBLIC demo keys. Anyone can derive them from this source: they exist only so the demo
 * and tests can act as the demo cluster's operators. Never fund these addresses.
 */
export const DEMO_OPERATOR_KEYS = [1, 2, 3, 4].map((i) =>
  keccak256(toBytes(`cohort insecure demo operator ${i}`)),
);
export const demoOperators = DEMO_OPERATOR_KEYS.map((k) => privateKeyToAccount(k));
export const DEMO_CLUSTER_NAME = "Cohort demo";

/**
 * INSECURE, PUBLIC demo keys for the read-only roles `npm run demo` grants on its cluster (an auditor
 * and a viewer), so the dashboard's dev signer can sign in as them. Never fund these addresses.
 */
export const DEMO_AUDITOR_KEY = keccak256(toBytes("cohort insecure demo auditor"));
export const DEMO_VIEWER_KEY = keccak256(toBytes("cohort insecure demo viewer"));
export const demoAuditor = privateKeyToAccount(DEMO_AUDITOR_KEY);
export const demoViewer = privateKeyToAccount(DEMO_VIEWER_KEY);

const demoActor = (address: `0x${string}`): Actor => ({
  kind: "account",
  accountId: "00000000-0000-0000-0000-000000000000",
  address: address.toLowerCase() as `0x${string}`,
  sessionId: "demo-seed",
});

/**
 * Seeds the demo: a 3-of-4 cluster proposed by demo operator 1, every operator's EIP-712
 * acceptance (signed with the demo keys), and `validators` distributed validators whose public
 * shares come from a real Shamir split of a random BLS key (the secret is discarded: the demo
 * cluster can never sign). Idempotent: returns the existing cluster if already seeded.
 */
export async function seedDemo(db: Db, services: Services, { validators = 4 } = {}) {
  const creator = demoOperators[0]!;
  const existing = await db.cluster.findFirst({
    where: { name: DEMO_CLUSTER_NAME, createdByAddress: creator.address.toLowerCase() },
  });
  if (existing) return { cluster: existing, created: false };

  const cluster = await services.clusters.create(
    { actor: demoActor(creator.address), requestId: "demo-seed" },
    {
      name: DEMO_CLUSTER_NAME,
      network: "devnet",
      threshold: 3,
      operators: demoOperators.map((o) => o.address),
    },
  );
  const nicknames = ["Ada (demo)", "Boole (demo)", "Curie (demo)", "Dijkstra (demo)"];
  for (const [i, op] of demoOperators.entries()) {
    await db.operator.update({
      where: { address: op.address.toLowerCase() },
      data: { nickname: nicknames[i]! },
    });
    const ctx = { actor: demoActor(op.address), requestId: "demo-seed" };
    const typedData = await services.clusters.membershipTypedData(ctx, cluster.id);
    const signature = await op.signTypedData(typedData);
    await services.clusters.acceptMembership(ctx, { clusterId: cluster.id, signature });
  }
  await services.clusters.recomputeRoster(cluster.id);

  await db.validator.createMany({
    data: Array.from({ length: validators }, (_, v) => {
      const secret = randomScalar();
      return {
        clusterId: cluster.id,
        pubkey: publicKeyHex(secret),
        publicShares: splitSecret(secret, 3, 4).map(publicKeyHex),
        index: v,
        status: "active_ongoing",
        balanceGwei: 32_000_000_000n,
        effectiveBalanceGwei: 32_000_000_000n,
      };
    }),
  });
  return { cluster: await db.cluster.findUniqueOrThrow({ where: { id: cluster.id } }), created: true };
}
