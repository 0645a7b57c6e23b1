/**
 * Settlement in the portal (docs/settlement.md): a period's draft from stored participation and what
 * the splitter received, members' EIP-712 approvals and disputes, submission once the threshold
 * approved, and confirmations.
 *
 *   period ends ─▶ settlement.draft job ─▶ DRAFT ─(dispute)▶ DISPUTED
 *                                           │ approvals (EIP-712, one per member)
 *                                           ▼ ≥ t
 *                                        APPROVED ─▶ settlement.submit job ─▶ SUBMITTED ─▶ CONFIRMED
 *                                                         │ revert                 (settlement.confirm)
 *                                                         ▼
 *                                                       FAILED (error kept; an operator may retry)
 *
 * Nothing here can move money: the splitter applies a settlement only with ≥ t operators'
 * signatures over exactly these recipients and amounts. The portal computes, collects and relays.
 */
import { createHash } from "node:crypto";
import {
  ChainError,
  type Settlement,
  type SettlementChain,
  settlementDigest,
  settlementTypedData,
} from "@cohort/chain";
import type { Db } from "@cohort/db";
import {
  allocatePeriod,
  type DebtInput,
  type DutyParticipation,
  type DutyType,
  ParticipationAccumulator,
  type PeriodAllocation,
  parseSettlementPolicy,
  RewardsError,
} from "@cohort/rewards";
import { type Address, getAddress, type Hex, recoverTypedDataAddress } from "viem";
import { z } from "zod";
import { type Authz, requireAccount, type ServiceContext } from "../actor";
import type { Chain } from "../duties/service";
import { badInput, CohortError, conflict, forbidden, notFound } from "../errors";
import { type EventsPort, noEvents } from "../events";
import { clusterChain, DEADLINE_SLOTS } from "../ingest/service";
import type { JobsPort } from "../jobs";
import { addressSchema, hexSchema, parseInput, uuidSchema } from "../validation";

/** Slots after a period's last slot before it is drafted: its last duties' deadlines and late reports. */
export const DRAFT_DELAY_SLOTS = DEADLINE_SLOTS + 4;
/** Epochs read per query while drafting (bounds memory on big clusters). */
const DRAFT_CHUNK_EPOCHS = 8;
const SUCCEEDED = new Set(["AGGREGATED", "SUBMITTED", "INCLUDED"]);
/** Statuses whose `allocatedWei` the splitter has not credited yet (reserved from the next draft). */
const UNAPPLIED = ["DRAFT", "DISPUTED", "APPROVED", "FAILED"] as const;

export interface SettlementOptions {
  /** The chain the splitters live on; without it drafting and submitting fail with a clear error. */
  chain?: SettlementChain;
  /** Confirmations before a settlement is CONFIRMED (default 1: the including block). */
  confirmations?: number;
  /** Delay between confirmation checks (default 2 s). */
  confirmPollMs?: number;
}

/** A period's epochs [startEpoch, endEpoch) and wall-clock bounds. */
export function periodBounds(index: number, periodEpochs: number, clock: Chain) {
  const startEpoch = index * periodEpochs;
  const endEpoch = startEpoch + periodEpochs;
  const startSlot = startEpoch * clock.slotsPerEpoch;
  const endSlot = endEpoch * clock.slotsPerEpoch - 1;
  const at = (slot: number) => new Date((clock.genesisTime + slot * clock.secondsPerSlot) * 1000);
  return { startEpoch, endEpoch, startSlot, endSlot, startsAt: at(startSlot), endsAt: at(endSlot + 1) };
}

const configureSchema = z.object({
  clusterId: uuidSchema,
  splitterAddress: addressSchema,
  chainId: z
    .number()
    .int()
    .positive("must be a positive chain id")
    .max(2 ** 31 - 1),
  periodEpochs: z
    .number()
    .int()
    .min(1, "must be at least 1 epoch")
    .max(100_000, "must be at most 100000 epochs")
    .optional(),
  policy: z.unknown().optional(),
});
const noteSchema = z
  .string()
  .trim()
  .min(1, "must not be empty: say what is wrong with the draft")
  .max(2000, "must be at most 2000 characters");
const signatureSchema = hexSchema(65);

/** JSON-safe copy (bigints → decimal strings). */
const jsonSafe = (value: unknown): unknown =>
  JSON.parse(JSON.stringify(value, (_k, v) => (typeof v === "bigint" ? v.toString() : v)));

/** Canonical JSON (sorted keys) for hashing. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value && typeof value === "object")
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  return JSON.stringify(value);
}

const periodInclude = {
  allocations: { include: { member: { select: { shareIndex: true } } } },
  approvals: { include: { member: { select: { shareIndex: true } } } },
  disputes: true,
  cluster: { select: { threshold: true, id: true } },
} as const;

export class SettlementService {
  private readonly chain: SettlementChain | undefined;
  private readonly confirmationsRequired: number;
  private readonly confirmPollMs: number;

  constructor(
    private readonly db: Db,
    private readonly authz: Authz,
    private readonly jobs: JobsPort,
    private readonly events: EventsPort = noEvents,
    options: SettlementOptions = {},
    private readonly now: () => Date = () => new Date(),
  ) {
    this.chain = options.chain;
    this.confirmationsRequired = Math.max(1, options.confirmations ?? 1);
    this.confirmPollMs = options.confirmPollMs ?? 2_000;
  }

  // ------------------------------------------------------------------ configuration

  /** Operators set the cluster's splitter, chain, period length and policy (validated). */
  async configure(ctx: ServiceContext, input: unknown) {
    const i = parseInput("input", configureSchema, input);
    await this.authz.assert(ctx, "cluster.manage", i.clusterId);
    let policy: object | undefined;
    if (i.policy !== undefined && i.policy !== null) {
      try {
        parseSettlementPolicy(i.policy);
        policy = i.policy as object;
      } catch (e) {
        if (e instanceof RewardsError) throw badInput("input.policy", e.message);
        throw e;
      }
    }
    const open = await this.db.settlementPeriod.count({
      where: {
        clusterId: i.clusterId,
        status: { in: ["APPROVED", "SUBMITTED"] },
        NOT: { splitterAddress: i.splitterAddress },
      },
    });
    if (open > 0)
      throw conflict(
        "a settlement for the current splitter is approved or being submitted; change the splitter after it confirms",
        "input.splitterAddress",
      );
    return this.db.cluster.update({
      where: { id: i.clusterId },
      data: {
        splitterAddress: i.splitterAddress,
        splitterChainId: i.chainId,
        ...(i.periodEpochs === undefined ? {} : { periodEpochs: i.periodEpochs }),
        ...(policy === undefined ? {} : { settlementPolicy: policy }),
      },
    });
  }

  // ------------------------------------------------------------------ drafting

  /**
   * The next period of each configured cluster whose draft is due: its last slot plus
   * DRAFT_DELAY_SLOTS have passed and, when the portal reads the cluster's schedule from a beacon
   * node, its duties are settled. Periods are drafted in order, starting with the first period that
   * has a duty.
   */
  async duePeriods(onlyClusterId?: string): Promise<{ clusterId: string; index: number }[]> {
    const clusters = await this.db.cluster.findMany({
      where: {
        splitterAddress: { not: null },
        splitterChainId: { not: null },
        status: { not: "ARCHIVED" },
        ...(onlyClusterId === undefined ? {} : { id: onlyClusterId }),
      },
      select: {
        id: true,
        periodEpochs: true,
        genesisTime: true,
        secondsPerSlot: true,
        slotsPerEpoch: true,
        network: true,
        beaconNodeUrl: true,
        dutiesSettledSlot: true,
      },
    });
    const due: { clusterId: string; index: number }[] = [];
    for (const c of clusters) {
      const clock = clusterChain(c);
      if (!clock) continue;
      const last = await this.db.settlementPeriod.findFirst({
        where: { clusterId: c.id },
        orderBy: { index: "desc" },
        select: { index: true },
      });
      let index: number;
      if (last) index = last.index + 1;
      else {
        const first = await this.db.duty.findFirst({
          where: { clusterId: c.id },
          orderBy: { slot: "asc" },
          select: { epoch: true },
        });
        if (!first) continue;
        index = Math.floor(first.epoch / c.periodEpochs);
      }
      const b = periodBounds(index, c.periodEpochs, clock);
      const dueAt = b.endsAt.getTime() + DRAFT_DELAY_SLOTS * clock.secondsPerSlot * 1000;
      if (this.now().getTime() < dueAt) continue;
      if (c.beaconNodeUrl && (c.dutiesSettledSlot ?? -1) < b.endSlot) continue;
      due.push({ clusterId: c.id, index });
    }
    return due;
  }

  /** Operators ask for the draft of the latest finished period now (it is queued). */
  async requestDraft(ctx: ServiceContext, clusterId: unknown) {
    const id = parseInput("clusterId", uuidSchema, clusterId);
    await this.authz.assert(ctx, "cluster.manage", id);
    const [due] = await this.duePeriods(id);
    if (!due) return null;
    await this.jobs.draftSettlement(id, due.index);
    return due;
  }

  /**
   * Computes and stores the draft of period `index` (idempotent: an existing draft is returned as
   * is). The amount is what the splitter may allocate now, less what earlier unapplied drafts claim.
   */
  async draft(clusterId: string, index: number) {
    const existing = await this.db.settlementPeriod.findUnique({
      where: { clusterId_index: { clusterId, index } },
    });
    if (existing) return { period: existing, created: false };
    const cluster = await this.db.cluster.findUnique({
      where: { id: clusterId },
      include: {
        members: {
          where: { status: "ACTIVE" },
          include: { operator: { select: { address: true } } },
          orderBy: { shareIndex: "asc" },
        },
      },
    });
    if (!cluster) throw notFound("cluster", clusterId);
    if (!cluster.splitterAddress || cluster.splitterChainId === null)
      throw conflict(`cluster ${clusterId} has no splitter configured (configureSettlement)`);
    const chain = this.requireChain(cluster.splitterChainId);
    const clock = clusterChain(cluster);
    if (!clock) throw conflict(`cluster ${clusterId}: the chain's clock is not known yet`);
    if (cluster.members.length === 0) throw conflict(`cluster ${clusterId} has no active members`);
    const policy = parseSettlementPolicy(cluster.settlementPolicy);
    const b = periodBounds(index, cluster.periodEpochs, clock);
    const splitter = getAddress(cluster.splitterAddress);

    const summary = await this.participationSummary(
      clusterId,
      cluster.members.map((m) => m.shareIndex),
      cluster.threshold,
      b.startEpoch,
      b.endEpoch,
      policy,
    );

    // The amount: the splitter's unallocated balance less the totals of earlier drafts not applied yet.
    const { wei: unallocatedWei, blockNumber } = await chain.unallocated(splitter);
    const earlier = await this.db.settlementPeriod.findMany({
      where: {
        clusterId,
        index: { lt: index },
        OR: [{ status: { in: [...UNAPPLIED] } }, { status: "SUBMITTED" }],
        splitterAddress: cluster.splitterAddress,
      },
      select: { index: true, status: true, allocatedWei: true },
    });
    let reservedWei = 0n;
    for (const p of earlier) {
      if (p.status === "SUBMITTED" && (await chain.isSettled(splitter, BigInt(p.index)))) continue;
      reservedWei += BigInt(p.allocatedWei.toFixed());
    }
    const amountWei = unallocatedWei > reservedWei ? unallocatedWei - reservedWei : 0n;

    const previous = await this.db.settlementPeriod.findFirst({
      where: { clusterId, index: { lt: index } },
      orderBy: { index: "desc" },
      include: { allocations: { include: { member: { select: { shareIndex: true } } } } },
    });
    const debtsIn: DebtInput[] = (previous?.allocations ?? [])
      .map((a) => ({ shareIndex: a.member.shareIndex, wei: BigInt(a.carriedWei.toFixed()) }))
      .filter((d) => d.wei > 0n && cluster.members.some((m) => m.shareIndex === d.shareIndex));

    const allocation = allocatePeriod({
      amount: { kind: "received", wei: amountWei },
      members: cluster.members.map((m) => ({ shareIndex: m.shareIndex, baseWeight: m.baseWeight })),
      participation: summary,
      debtsIn,
      policy,
    });
    const recipients = cluster.members.map((m) => getAddress(m.payoutAddress ?? m.operator.address));
    const settlement = this.settlementOf(index, recipients, allocation);
    const digest = settlementDigest({ splitter, chainId: cluster.splitterChainId, ...settlement });
    const inputs = jsonSafe({
      period: { index, startEpoch: b.startEpoch, endEpoch: b.endEpoch, periodEpochs: cluster.periodEpochs },
      amount: {
        kind: "received",
        splitter,
        chainId: cluster.splitterChainId,
        blockNumber,
        unallocatedWei,
        reservedForEarlierWei: reservedWei,
        amountWei,
      },
      members: cluster.members.map((m, i) => ({
        memberId: m.id,
        shareIndex: m.shareIndex,
        baseWeight: m.baseWeight,
        recipient: recipients[i],
      })),
      participation: summary,
      debtsIn,
      threshold: cluster.threshold,
      outcomeRule:
        "succeeded = AGGREGATED|SUBMITTED|INCLUDED, or PENDING with ≥ threshold contributions; else failed",
    }) as object;
    const inputsHash = `0x${createHash("sha256").update(canonical(inputs)).digest("hex")}`;
    const t = allocation.totals;
    try {
      const period = await this.db.settlementPeriod.create({
        data: {
          clusterId,
          index,
          startEpoch: b.startEpoch,
          endEpoch: b.endEpoch,
          status: "DRAFT",
          rewardsWei: t.amountWei.toString(),
          penaltiesWei: t.penaltyWei.toString(),
          distributableWei: t.distributableWei.toString(),
          carriedInWei: t.carriedInWei.toString(),
          carriedOutWei: t.carriedOverWei.toString(),
          allocatedWei: t.allocatedWei.toString(),
          policy: jsonSafe(allocation.policy) as object,
          inputs,
          inputsHash,
          digest,
          splitterAddress: cluster.splitterAddress,
          chainId: cluster.splitterChainId,
          allocations: {
            create: allocation.members.map((a, i) => ({
              memberId: cluster.members[i]!.id,
              recipient: recipients[i]!.toLowerCase(),
              amountWei: a.netWei.toString(),
              baseWeight: a.baseWeight,
              expectedDuties: a.expected,
              contributedDuties: a.contributed,
              penaltyWei: a.penaltyWei.toString(),
              carriedWei: a.debtOutWei.toString(),
              explanation: jsonSafe({
                ...a.explanation,
                grossWei: a.grossWei,
                compensationWei: a.compensationWei,
                roundingWei: a.roundingWei,
                weight: `${a.weight.numerator}/${a.weight.denominator}`,
                share: `${a.share.numerator}/${a.share.denominator}`,
              }) as object,
            })),
          },
        },
      });
      await this.publish(clusterId, period.id, index, "DRAFT", "drafted");
      return { period, created: true };
    } catch (e) {
      if ((e as { code?: string }).code === "P2002") {
        const period = await this.db.settlementPeriod.findUniqueOrThrow({
          where: { clusterId_index: { clusterId, index } },
        });
        return { period, created: false };
      }
      throw e;
    }
  }

  /** Streams the period's duties (with who contributed) into the rewards accumulator. */
  private async participationSummary(
    clusterId: string,
    shareIndices: number[],
    threshold: number,
    startEpoch: number,
    endEpoch: number,
    policy: ReturnType<typeof parseSettlementPolicy>,
  ) {
    const acc = new ParticipationAccumulator(shareIndices, { policy, checkDuplicates: false });
    const validatorNumber = new Map<string, number>();
    const active = new Set(shareIndices);
    for (let from = startEpoch; from < endEpoch; from += DRAFT_CHUNK_EPOCHS) {
      const to = Math.min(endEpoch, from + DRAFT_CHUNK_EPOCHS);
      const rows = await this.db.$queryRaw<
        {
          slot: number;
          type: DutyType;
          validatorId: string;
          outcome: string;
          valueGwei: bigint | null;
          contributed: number[];
        }[]
      >`
        SELECT d.slot, d.type::text AS type, d."validatorId", d.outcome::text AS outcome, d."valueGwei",
               COALESCE(array_agg(m."shareIndex") FILTER (WHERE p.contributed), '{}') AS contributed
        FROM "Duty" d
        LEFT JOIN "Participation" p ON p."dutyId" = d.id
        LEFT JOIN "ClusterMember" m ON m.id = p."memberId"
        WHERE d."clusterId" = ${clusterId}::uuid AND d.epoch >= ${from} AND d.epoch < ${to}
        GROUP BY d.id
        ORDER BY d.slot, d.id`;
      for (const r of rows) {
        let v = validatorNumber.get(r.validatorId);
        if (v === undefined) {
          v = validatorNumber.size;
          validatorNumber.set(r.validatorId, v);
        }
        const contributed = new Set(r.contributed.filter((s) => active.has(s)));
        const succeeded =
          SUCCEEDED.has(r.outcome) || (r.outcome === "PENDING" && contributed.size >= threshold);
        const duty: DutyParticipation = {
          slot: r.slot,
          dutyType: r.type,
          validator: v,
          outcome: succeeded ? "succeeded" : "failed",
          members: shareIndices.map((shareIndex) => ({
            shareIndex,
            contributed: contributed.has(shareIndex),
          })),
          ...(r.valueGwei === null ? {} : { valueGwei: r.valueGwei }),
        };
        acc.add(duty);
      }
    }
    return acc.summary();
  }

  private settlementOf(index: number, recipients: Address[], allocation: PeriodAllocation): Settlement {
    return {
      periodId: BigInt(index),
      recipients,
      amounts: allocation.members.map((a) => a.netWei),
      total: allocation.totals.allocatedWei,
    };
  }

  private requireChain(chainId: number): SettlementChain {
    if (!this.chain)
      throw conflict("no chain is configured for settlements (set CHAIN_RPC_URL and CHAIN_SUBMITTER_KEY)");
    if (this.chain.chainId !== chainId)
      throw conflict(
        `the splitter is on chain ${chainId}, the configured RPC serves chain ${this.chain.chainId}`,
      );
    return this.chain;
  }

  // ------------------------------------------------------------------ approvals and disputes

  /** The stored settlement of a period, rebuilt from its allocations in share-index order. */
  private storedSettlement(p: {
    index: number;
    allocatedWei: { toFixed(): string };
    allocations: { recipient: string; amountWei: { toFixed(): string }; member: { shareIndex: number } }[];
  }): Settlement {
    const rows = [...p.allocations].sort((a, b) => a.member.shareIndex - b.member.shareIndex);
    return {
      periodId: BigInt(p.index),
      recipients: rows.map((a) => getAddress(a.recipient)),
      amounts: rows.map((a) => BigInt(a.amountWei.toFixed())),
      total: BigInt(p.allocatedWei.toFixed()),
    };
  }

  /** What members sign (eth_signTypedData_v4 JSON: uint256 values as decimal strings). */
  typedDataOf(p: {
    index: number;
    splitterAddress: string | null;
    chainId: number | null;
    allocatedWei: { toFixed(): string };
    allocations: { recipient: string; amountWei: { toFixed(): string }; member: { shareIndex: number } }[];
  }) {
    if (!p.splitterAddress || p.chainId === null) return null;
    const td = settlementTypedData({
      splitter: getAddress(p.splitterAddress),
      chainId: p.chainId,
      ...this.storedSettlement(p),
    });
    return jsonSafe({
      ...td,
      types: {
        EIP712Domain: [
          { name: "name", type: "string" },
          { name: "version", type: "string" },
          { name: "chainId", type: "uint256" },
          { name: "verifyingContract", type: "address" },
        ],
        ...td.types,
      },
    }) as Record<string, unknown>;
  }

  private async loadPeriod(id: string) {
    const p = await this.db.settlementPeriod.findUnique({ where: { id }, include: periodInclude });
    if (!p) throw notFound("settlement period", id);
    return p;
  }

  /** The caller's own membership (approvals and disputes are per member, by its operator). */
  private async callerMember(ctx: ServiceContext, clusterId: string) {
    const account = requireAccount(ctx);
    await this.authz.assert(ctx, "cluster.manage", clusterId);
    const member = await this.db.clusterMember.findFirst({
      where: { clusterId, status: "ACTIVE", operator: { address: account.address.toLowerCase() } },
    });
    if (!member) throw forbidden("only the cluster's active member operators approve or dispute settlements");
    return { account, member };
  }

  /**
   * A member approves a draft with its EIP-712 signature (`typedData`). The signature must recover
   * to the caller's own operator address. Approving withdraws the member's open dispute. At the
   * threshold the settlement is APPROVED and its submission is queued.
   */
  async approve(ctx: ServiceContext, input: unknown) {
    const i = parseInput(
      "input",
      z.object({ periodId: uuidSchema, signature: signatureSchema }),
      input as Record<string, unknown>,
    );
    const p = await this.loadPeriod(i.periodId);
    const { account, member } = await this.callerMember(ctx, p.clusterId);
    const existing = p.approvals.find((a) => a.memberId === member.id);
    if (existing) return p;
    if (p.status !== "DRAFT" && p.status !== "DISPUTED")
      throw conflict(`settlement ${p.index} is ${p.status}: approvals are closed`);
    if (!p.splitterAddress || p.chainId === null)
      throw conflict(`settlement ${p.index} is not bound to a splitter`);
    let signer: string;
    try {
      signer = await recoverTypedDataAddress({
        ...settlementTypedData({
          splitter: getAddress(p.splitterAddress),
          chainId: p.chainId,
          ...this.storedSettlement(p),
        }),
        signature: i.signature as Hex,
      });
    } catch {
      throw badInput("input.signature", "is not a valid EIP-712 signature");
    }
    if (signer.toLowerCase() !== account.address.toLowerCase())
      throw new CohortError(
        "SIGNATURE_INVALID",
        `input.signature: signed by ${signer}, not by you (${getAddress(account.address)}); sign this settlement's typedData with your operator key`,
        { field: "input.signature" },
      );
    const approvals = await this.db.$transaction(async (tx) => {
      await tx.settlementApproval.create({
        data: { periodId: p.id, memberId: member.id, signer: signer.toLowerCase(), signature: i.signature },
      });
      await tx.settlementDispute.updateMany({
        where: { periodId: p.id, memberId: member.id, resolvedAt: null },
        data: { resolvedAt: this.now() },
      });
      const count = await tx.settlementApproval.count({ where: { periodId: p.id } });
      const openDisputes = await tx.settlementDispute.count({ where: { periodId: p.id, resolvedAt: null } });
      const status = count >= p.cluster.threshold ? "APPROVED" : openDisputes > 0 ? "DISPUTED" : "DRAFT";
      await tx.settlementPeriod.update({ where: { id: p.id }, data: { status } });
      return { count, status };
    });
    if (approvals.status === "APPROVED") await this.jobs.submitSettlement(p.id, "approved");
    await this.publish(p.clusterId, p.id, p.index, approvals.status, "approved");
    return this.loadPeriod(p.id);
  }

  /** A member disputes a draft with a note, before approving it. */
  async dispute(ctx: ServiceContext, input: unknown) {
    const i = parseInput(
      "input",
      z.object({ periodId: uuidSchema, note: noteSchema }),
      input as Record<string, unknown>,
    );
    const p = await this.loadPeriod(i.periodId);
    const { member } = await this.callerMember(ctx, p.clusterId);
    if (p.approvals.some((a) => a.memberId === member.id))
      throw conflict("you approved this settlement already: a dispute must come before approval");
    if (p.status !== "DRAFT" && p.status !== "DISPUTED")
      throw conflict(`settlement ${p.index} is ${p.status}: it can no longer be disputed`);
    await this.db.$transaction([
      this.db.settlementDispute.create({ data: { periodId: p.id, memberId: member.id, note: i.note } }),
      this.db.settlementPeriod.update({ where: { id: p.id }, data: { status: "DISPUTED" } }),
    ]);
    await this.publish(p.clusterId, p.id, p.index, "DISPUTED", "disputed");
    return this.loadPeriod(p.id);
  }

  /** An operator re-queues the submission of an APPROVED or FAILED settlement. */
  async retrySubmission(ctx: ServiceContext, periodId: unknown) {
    const id = parseInput("periodId", uuidSchema, periodId);
    const p = await this.loadPeriod(id);
    await this.authz.assert(ctx, "cluster.manage", p.clusterId);
    if (p.status !== "APPROVED" && p.status !== "FAILED")
      throw conflict(
        `settlement ${p.index} is ${p.status}: only APPROVED or FAILED settlements are submitted`,
      );
    if (p.approvals.length < p.cluster.threshold)
      throw conflict(`settlement ${p.index} has ${p.approvals.length} of ${p.cluster.threshold} approvals`);
    await this.db.settlementPeriod.update({ where: { id }, data: { status: "APPROVED" } });
    await this.jobs.submitSettlement(id, `retry-${Date.now()}`);
    return this.loadPeriod(id);
  }

  // ------------------------------------------------------------------ submission (jobs)

  /**
   * Submits an APPROVED settlement, or adopts the transaction already on chain (a crash after
   * sending, or another member submitted it). A revert marks it FAILED with the decoded error and is
   * not retried; an RPC failure is thrown so the job retries.
   */
  async submit(periodId: string): Promise<{ status: string; txHash?: string; error?: string }> {
    const p = await this.loadPeriod(periodId);
    if (p.status === "CONFIRMED" || (p.status === "SUBMITTED" && p.txHash))
      return { status: p.status, txHash: p.txHash ?? undefined };
    if (p.status !== "APPROVED") return { status: p.status };
    if (!p.splitterAddress || p.chainId === null) throw conflict(`settlement ${p.index} has no splitter`);
    const chain = this.requireChain(p.chainId);
    const splitter = getAddress(p.splitterAddress);
    const settlement = this.storedSettlement(p);
    // Integrity: the stored rows must still be exactly what the members signed.
    const digest = settlementDigest({ splitter, chainId: p.chainId, ...settlement });
    if (digest !== p.digest)
      throw new Error(`settlement ${p.index}: stored allocations do not match its digest`);
    let tx = (await chain.isSettled(splitter, settlement.periodId))
      ? await chain.findSettled(splitter, settlement.periodId)
      : null;
    if (!tx) {
      const signatures = [...p.approvals]
        .sort((a, b) => a.member.shareIndex - b.member.shareIndex)
        .map((a) => a.signature as Hex);
      try {
        tx = await chain.submit(splitter, settlement, signatures);
      } catch (e) {
        if (e instanceof ChainError && (e.code === "REVERTED" || e.code === "INVALID_INPUT")) {
          const error = e.revert
            ? `${e.revert.errorName}(${e.revert.args.map(String).join(", ")})`
            : e.message.slice(0, 500);
          await this.db.settlementPeriod.update({ where: { id: p.id }, data: { status: "FAILED", error } });
          await this.publish(p.clusterId, p.id, p.index, "FAILED", "failed");
          return { status: "FAILED", error };
        }
        await this.db.settlementPeriod.update({
          where: { id: p.id },
          data: { error: (e as Error).message.slice(0, 500) },
        });
        throw e;
      }
    }
    await this.db.settlementPeriod.update({
      where: { id: p.id },
      data: {
        status: "SUBMITTED",
        txHash: tx.hash,
        blockNumber: tx.blockNumber,
        submittedAt: this.now(),
        error: null,
      },
    });
    await this.publish(p.clusterId, p.id, p.index, "SUBMITTED", "submitted");
    // A fresh tag per submission: a finished job with the same id would swallow the new one.
    await this.jobs.confirmSettlement(p.id, `b${tx.blockNumber}t${this.now().getTime()}-0`, 0);
    return { status: "SUBMITTED", txHash: tx.hash };
  }

  /**
   * Counts confirmations; CONFIRMED at the required depth, else checks again later. `key` is
   * `<tag>-<attempt>` (the job's key): the tag names the submission, the attempt counts checks.
   */
  async confirm(periodId: string, key = "check-0"): Promise<{ status: string; confirmations?: number }> {
    const cut = key.lastIndexOf("-");
    const tag = cut > 0 ? key.slice(0, cut) : key;
    const attempt = Number(key.slice(cut + 1)) || 0;
    const p = await this.loadPeriod(periodId);
    if (p.status !== "SUBMITTED" || !p.txHash || p.chainId === null || !p.splitterAddress)
      return { status: p.status };
    const chain = this.requireChain(p.chainId);
    const confirmations = await chain.confirmations(p.txHash as Hex);
    if (confirmations === null) {
      // Dropped or reorged out: adopt whatever applied the period, or submit again.
      const splitter = getAddress(p.splitterAddress);
      const tx = (await chain.isSettled(splitter, BigInt(p.index)))
        ? await chain.findSettled(splitter, BigInt(p.index))
        : null;
      await this.db.settlementPeriod.update({
        where: { id: p.id },
        data: tx
          ? { txHash: tx.hash, blockNumber: tx.blockNumber }
          : { status: "APPROVED", txHash: null, blockNumber: null, confirmations: 0 },
      });
      if (tx)
        await this.jobs.confirmSettlement(
          p.id,
          `b${tx.blockNumber}t${this.now().getTime()}-0`,
          this.confirmPollMs,
        );
      else await this.jobs.submitSettlement(p.id, `resubmit-${attempt + 1}`);
      return { status: tx ? "SUBMITTED" : "APPROVED" };
    }
    const final = confirmations >= this.confirmationsRequired;
    await this.db.settlementPeriod.update({
      where: { id: p.id },
      data: { confirmations, ...(final ? { status: "CONFIRMED", confirmedAt: this.now() } : {}) },
    });
    if (final) await this.publish(p.clusterId, p.id, p.index, "CONFIRMED", "confirmed");
    else await this.jobs.confirmSettlement(p.id, `${tag}-${attempt + 1}`, this.confirmPollMs);
    return { status: final ? "CONFIRMED" : "SUBMITTED", confirmations };
  }

  // ------------------------------------------------------------------ reads

  async list(ctx: ServiceContext, clusterId: string, first = 10) {
    await this.authz.assert(ctx, "cluster.read", clusterId);
    if (!Number.isInteger(first) || first < 1 || first > 100) throw badInput("first", "must be 1–100");
    return this.db.settlementPeriod.findMany({
      where: { clusterId },
      orderBy: { index: "desc" },
      take: first,
      include: periodInclude,
    });
  }

  async get(ctx: ServiceContext, clusterId: string, periodId: unknown) {
    const id = parseInput("id", uuidSchema, periodId);
    await this.authz.assert(ctx, "cluster.read", clusterId);
    const p = await this.loadPeriod(id);
    if (p.clusterId !== clusterId) throw notFound("settlement period", id);
    return p;
  }

  /** A member's allocations, newest period first. */
  async memberHistory(ctx: ServiceContext, memberId: string, first = 20) {
    const member = await this.db.clusterMember.findUnique({ where: { id: memberId } });
    if (!member) throw notFound("member", memberId);
    await this.authz.assert(ctx, "cluster.read", member.clusterId);
    if (!Number.isInteger(first) || first < 1 || first > 100) throw badInput("first", "must be 1–100");
    return this.db.allocation.findMany({
      where: { memberId },
      orderBy: { period: { index: "desc" } },
      take: first,
      include: { period: true },
    });
  }

  /** When the current period ends (its draft follows DRAFT_DELAY_SLOTS later), or null. */
  async nextSettlementAt(clusterId: string): Promise<Date | null> {
    const c = await this.db.cluster.findUnique({ where: { id: clusterId } });
    if (!c?.splitterAddress) return null;
    const clock = clusterChain(c);
    if (!clock) return null;
    const slot = Math.floor((this.now().getTime() / 1000 - clock.genesisTime) / clock.secondsPerSlot);
    const index = Math.floor(Math.max(0, slot) / clock.slotsPerEpoch / c.periodEpochs);
    return periodBounds(index, c.periodEpochs, clock).endsAt;
  }

  private async publish(clusterId: string, periodId: string, index: number, status: string, change: string) {
    await this.events
      .publish({
        type: "settlement.updated",
        clusterId,
        periodId,
        index,
        status,
        change,
        at: this.now().toISOString(),
      })
      .catch(() => {});
  }
}
