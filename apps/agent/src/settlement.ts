// `cohort settlement show|approve|dispute`: a member reviews and signs a settlement draft from the
// command line with its operator key (the same EIP-712 signature the dashboard asks for).
import { readFile } from "node:fs/promises";
import { settlementTypedData } from "@cohort/chain";
import { graphqlRequest, signInWithEthereum } from "@cohort/portal-client";
import { formatEther, getAddress, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { CliError } from "./cluster/create";

interface PeriodJson {
  id: string;
  index: number;
  status: string;
  startEpoch: number;
  endEpoch: number;
  amountWei: string;
  allocatedWei: string;
  threshold: number;
  digest: string | null;
  txHash: string | null;
  typedData: {
    domain: { chainId: string; verifyingContract: Hex };
    message: { periodId: string; recipients: Hex[]; amounts: string[]; total: string };
  } | null;
  approvals: { member: { shareIndex: number } }[];
  disputes: { member: { shareIndex: number }; note: string; resolvedAt: string | null }[];
  allocations: {
    member: { shareIndex: number };
    recipient: string;
    amountWei: string;
    expectedDuties: number;
    contributedDuties: number;
    penaltyWei: string;
  }[];
}

const FIELDS = `id index status startEpoch endEpoch amountWei allocatedWei threshold digest txHash typedData
  approvals { member { shareIndex } }
  disputes { member { shareIndex } note resolvedAt }
  allocations { member { shareIndex } recipient amountWei expectedDuties contributedDuties penaltyWei }`;

export interface SettlementCliOptions {
  portalUrl: string;
  /** File holding the operator's 0x private key (`operator-private-key` from `cohort cluster create`). */
  operatorKey: string;
  cluster: string;
  /** On-chain period index; default: the newest period. */
  period?: number;
  /** The domain in the Sign-In with Ethereum message (default: the portal URL's host). */
  siweDomain?: string;
}

async function session(o: SettlementCliOptions) {
  let key: string;
  try {
    key = (await readFile(o.operatorKey, "utf8")).trim();
  } catch (e) {
    throw new CliError(`--operator-key: cannot read ${o.operatorKey}: ${(e as Error).message}`);
  }
  if (!/^(0x)?[0-9a-fA-F]{64}$/.test(key))
    throw new CliError(`--operator-key: ${o.operatorKey} does not hold a 32-byte hex private key`);
  const account = privateKeyToAccount((key.startsWith("0x") ? key : `0x${key}`) as Hex);
  let token: string;
  try {
    token = await signInWithEthereum(o.portalUrl, account, o.siweDomain ?? new URL(o.portalUrl).host);
  } catch (e) {
    throw new CliError(`cannot sign in to the portal at ${o.portalUrl}: ${(e as Error).message}`);
  }
  return { account, token };
}

async function gql<T>(
  o: SettlementCliOptions,
  token: string,
  query: string,
  variables: Record<string, unknown>,
) {
  const r = await graphqlRequest<T>(o.portalUrl, query, variables, token);
  if (r.errors?.length)
    throw new CliError(`the portal refused: ${r.errors.map((e) => e.message).join("; ")}`);
  return r.data as T;
}

async function findPeriod(o: SettlementCliOptions, token: string): Promise<PeriodJson> {
  const data = await gql<{ cluster: { settlements: PeriodJson[] } }>(
    o,
    token,
    `query($id: ID!) { cluster(id: $id) { settlements(first: 100) { ${FIELDS} } } }`,
    { id: o.cluster },
  );
  const periods = data.cluster.settlements;
  const p = o.period === undefined ? periods[0] : periods.find((x) => x.index === o.period);
  if (!p)
    throw new CliError(
      o.period === undefined
        ? "the cluster has no settlement yet"
        : `--period: no settlement ${o.period} (have: ${periods.map((x) => x.index).join(", ") || "none"})`,
    );
  return p;
}

/** Human-readable summary of a period, one line per member. */
export function describePeriod(p: PeriodJson): string[] {
  const approved = new Set(p.approvals.map((a) => a.member.shareIndex));
  const lines = [
    `settlement ${p.index} (epochs ${p.startEpoch}–${p.endEpoch - 1}): ${p.status}, ${formatEther(BigInt(p.allocatedWei))} ETH to allocate, ${p.approvals.length}/${p.threshold} approvals`,
    ...[...p.allocations]
      .sort((a, b) => a.member.shareIndex - b.member.shareIndex)
      .map(
        (a) =>
          `  member ${a.member.shareIndex} ${getAddress(a.recipient)}  ${a.contributedDuties}/${a.expectedDuties} duties  ` +
          `penalty ${formatEther(BigInt(a.penaltyWei))}  → ${formatEther(BigInt(a.amountWei))} ETH${approved.has(a.member.shareIndex) ? "  (approved)" : ""}`,
      ),
    ...p.disputes.map(
      (d) => `  dispute by member ${d.member.shareIndex}${d.resolvedAt ? " (withdrawn)" : ""}: ${d.note}`,
    ),
  ];
  if (p.digest) lines.push(`  EIP-712 digest ${p.digest}`);
  if (p.txHash) lines.push(`  transaction ${p.txHash}`);
  return lines;
}

export async function showSettlement(o: SettlementCliOptions): Promise<string[]> {
  const { token } = await session(o);
  return describePeriod(await findPeriod(o, token));
}

/** Signs the period's typed data with the operator key and records the approval. */
export async function approveSettlement(o: SettlementCliOptions): Promise<string[]> {
  const { account, token } = await session(o);
  const p = await findPeriod(o, token);
  if (!p.typedData) throw new CliError(`settlement ${p.index} is not bound to a splitter`);
  const m = p.typedData.message;
  const signature = await account.signTypedData(
    settlementTypedData({
      splitter: p.typedData.domain.verifyingContract,
      chainId: BigInt(p.typedData.domain.chainId),
      periodId: BigInt(m.periodId),
      recipients: m.recipients,
      amounts: m.amounts.map(BigInt),
      total: BigInt(m.total),
    }),
  );
  const data = await gql<{ approveSettlement: PeriodJson }>(
    o,
    token,
    `mutation($input: ApproveSettlementInput!) { approveSettlement(input: $input) { ${FIELDS} } }`,
    { input: { periodId: p.id, signature } },
  );
  return [`approved as ${account.address}`, ...describePeriod(data.approveSettlement)];
}

export async function disputeSettlement(o: SettlementCliOptions & { note: string }): Promise<string[]> {
  const { token } = await session(o);
  const p = await findPeriod(o, token);
  const data = await gql<{ disputeSettlement: PeriodJson }>(
    o,
    token,
    `mutation($input: DisputeSettlementInput!) { disputeSettlement(input: $input) { ${FIELDS} } }`,
    { input: { periodId: p.id, note: o.note } },
  );
  return describePeriod(data.disputeSettlement);
}
