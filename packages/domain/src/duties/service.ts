/**
 * Expected duties from the beacon node (see docs/accountability.md, "Expected duties").
 *
 * Agents report the duties they worked on; a duty that NO member reported (all down, or the
 * cluster failed silently) would otherwise never exist in the portal and never count as missed.
 * So the portal reads the schedule itself from the cluster's beacon node (`Cluster.beaconNodeUrl`,
 * set by an operator):
 *
 * `sync(clusterId)`: checks the node is on the cluster's chain (genesis and slot timing; a devnet
 * cluster learns its clock here if no report told it yet), resolves the validators' indices and
 * statuses (`GET /eth/v1/beacon/states/head/validators?id=…`), then for the current and next epoch
 * fetches attester duties (`POST …/duties/attester/{epoch}`), proposer duties (`GET
 * …/duties/proposer/{epoch}`) and sync-committee duties (`POST …/duties/sync/{epoch}`: one
 * SYNC_MESSAGE duty per slot of the epoch per committee member; the message at slot s belongs to
 * the committee of epoch(s + 1), as the agent's scheduler does) and inserts them as PENDING Duty
 * rows with `ON CONFLICT DO NOTHING` — the same rows agents' reports create (same key, same
 * startsAt/deadlineAt = start of slot + DEADLINE_SLOTS). Aggregator and sync-contribution duties
 * depend on selection proofs only the key holders can compute: they are not scheduled here.
 *
 * `settle(clusterId, now)`: for duties whose deadline passed SETTLE_GRACE_SLOTS ago, completes
 * participation with the ingest's own rule (`reconcileSlots`: every member gets a row, NO_MESSAGE
 * when absent; roll-ups recomputed) and fails (`not_reported`) the PENDING ones nobody reported
 * anything for. Both are idempotent: a second run changes nothing.
 */
import type { Db, Sql } from "@cohort/db";
import { defaultReceiptQuorum } from "@cohort/evidence";
import { z } from "zod";
import type { Authz, ServiceContext } from "../actor";
import { CohortError, notFound } from "../errors";
import { clusterChain, DEADLINE_SLOTS, NOT_REPORTED, reconcileSlots } from "../ingest/service";
import type { JobsPort } from "../jobs";
import { parseInput, uuidSchema } from "../validation";

/** Slots after a duty's deadline before it is settled (late reports still in flight). */
export const SETTLE_GRACE_SLOTS = 2;
/** How far behind the settle cursor settle looks again (duties synced late, e.g. a catch-up epoch). */
const SETTLE_LOOKBACK_EPOCHS = 2;
const REQUEST_TIMEOUT_MS = 10_000;
/** FAR_FUTURE_EPOCH and other epochs beyond int4 are stored as null. */
const INT4_MAX = 2_147_483_647;

export interface Chain {
  genesisTime: number;
  secondsPerSlot: number;
  slotsPerEpoch: number;
}

export interface DutySyncResult {
  skipped?: "no_beacon_node";
  epochs: number[];
  /** Validators with a beacon chain index. */
  indexed: number;
  /** Duties the node lists for the cluster's validators, and how many of them were new rows. */
  scheduled: number;
  inserted: number;
}

export interface DutySettleResult {
  skipped?: "no_chain";
  /** Settled slot range (inclusive), or null when nothing was due. */
  slots: { from: number; to: number } | null;
  /** Participation rows added for (duty, member) pairs that had none. */
  participationAdded: number;
  /** Duties newly failed as `not_reported`. */
  failed: number;
  changed: boolean;
}

const beaconUrlSchema = z
  .string()
  .trim()
  .max(2048, "is longer than 2048 characters")
  .refine((s) => {
    try {
      const u = new URL(s);
      return (u.protocol === "http:" || u.protocol === "https:") && u.hostname !== "";
    } catch {
      return false;
    }
  }, "must be an http(s) URL of a beacon node's REST API, e.g. http://127.0.0.1:5052")
  .transform((s) => s.replace(/\/+$/, ""));

type ValidatorJson = {
  index: string;
  status: string;
  balance?: string;
  validator: { pubkey: string; effective_balance?: string; activation_epoch?: string; exit_epoch?: string };
};
type AttesterJson = { validator_index: string; slot: string };
type ProposerJson = { validator_index: string; slot: string };
type SyncJson = { validator_index: string; validator_sync_committee_indices: string[] };

/** The few Beacon API reads the schedule needs. Errors name the path, never the URL (it may hold a key). */
class BeaconReader {
  constructor(
    private readonly base: string,
    private readonly fetchImpl: typeof fetch,
  ) {}

  async request<T>(method: "GET" | "POST", path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await this.fetchImpl(`${this.base}${path}`, {
        method,
        headers: {
          accept: "application/json",
          ...(body !== undefined ? { "content-type": "application/json" } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (e) {
      throw new Error(`beacon node ${method} ${path.split("?")[0]}: ${(e as Error).message}`);
    }
    if (!res.ok) {
      const text = (await res.text().catch(() => "")).slice(0, 200);
      throw new Error(`beacon node ${method} ${path.split("?")[0]}: HTTP ${res.status} ${text}`);
    }
    return (await res.json()) as T;
  }
}

const int4OrNull = (s: string | undefined) => {
  if (s === undefined || !/^\d+$/.test(s)) return null;
  const n = Number(s);
  return n <= INT4_MAX ? n : null;
};

export class DutyScheduleService {
  constructor(
    private readonly db: Db,
    private readonly authz: Authz,
    private readonly sql: Sql | undefined,
    private readonly now: () => Date = () => new Date(),
    private readonly fetchImpl: typeof fetch = (...a) => fetch(...a),
  ) {}

  /** Sets (or clears, with null) the beacon node the portal reads the cluster's duties from. Operators only. */
  async setBeaconNode(ctx: ServiceContext, clusterId: string, url: string | null) {
    const id = parseInput("clusterId", uuidSchema, clusterId);
    await this.authz.assert(ctx, "cluster.manage", id);
    const value = url === null ? null : parseInput("url", beaconUrlSchema, url);
    return this.db.cluster.update({ where: { id }, data: { beaconNodeUrl: value } });
  }

  /** Clusters whose schedule the worker keeps in sync (a beacon node set, not archived). */
  async clustersToSync(): Promise<string[]> {
    const rows = await this.db.cluster.findMany({
      where: { beaconNodeUrl: { not: null }, status: { not: "ARCHIVED" } },
      select: { id: true },
    });
    return rows.map((r) => r.id);
  }

  /** Fetches the current and next epoch's duties of the cluster's validators (see the file comment). */
  async sync(clusterId: string, now: Date = this.now()): Promise<DutySyncResult> {
    const c = await this.db.cluster.findUnique({
      where: { id: clusterId },
      include: { validators: { select: { id: true, pubkey: true, index: true, status: true } } },
    });
    if (!c) throw notFound("cluster", clusterId);
    if (!c.beaconNodeUrl)
      return { skipped: "no_beacon_node", epochs: [], indexed: 0, scheduled: 0, inserted: 0 };
    const bn = new BeaconReader(c.beaconNodeUrl, this.fetchImpl);

    // The node must be on the cluster's chain; a devnet cluster without a clock learns it here.
    const [genesis, spec] = await Promise.all([
      bn.request<{ data: { genesis_time: string } }>("GET", "/eth/v1/beacon/genesis"),
      bn.request<{ data: Record<string, string> }>("GET", "/eth/v1/config/spec"),
    ]);
    const nodeChain: Chain = {
      genesisTime: Number(genesis.data.genesis_time),
      secondsPerSlot: Number(spec.data.SECONDS_PER_SLOT),
      slotsPerEpoch: Number(spec.data.SLOTS_PER_EPOCH),
    };
    if (!Object.values(nodeChain).every((n) => Number.isSafeInteger(n) && n > 0)) {
      throw new CohortError("CONFLICT", "beaconNodeUrl: the beacon node's genesis or spec is unreadable", {
        field: "beaconNodeUrl",
      });
    }
    const known: Chain | null = clusterChain(c);
    if (
      known &&
      (known.genesisTime !== nodeChain.genesisTime ||
        known.secondsPerSlot !== nodeChain.secondsPerSlot ||
        known.slotsPerEpoch !== nodeChain.slotsPerEpoch)
    ) {
      throw new CohortError(
        "CONFLICT",
        "beaconNodeUrl: the beacon node is on another chain than the cluster",
        {
          field: "beaconNodeUrl",
          details: { cluster: known, beaconNode: nodeChain },
        },
      );
    }
    if (!known) await this.db.cluster.updateMany({ where: { id: c.id, genesisTime: null }, data: nodeChain });
    const chain = nodeChain;

    // Indices and statuses.
    const byPubkey = new Map(c.validators.map((v) => [v.pubkey.toLowerCase(), v]));
    const pubkeys = [...byPubkey.keys()];
    const idOfIndex = new Map<number, string>();
    for (let i = 0; i < pubkeys.length; i += 64) {
      const ids = pubkeys.slice(i, i + 64).join(",");
      const res = await bn.request<{ data: ValidatorJson[] }>(
        "GET",
        `/eth/v1/beacon/states/head/validators?id=${ids}`,
      );
      for (const v of res.data) {
        const row = byPubkey.get(v.validator.pubkey.toLowerCase());
        if (!row) continue;
        const index = int4OrNull(v.index);
        if (index === null) continue;
        idOfIndex.set(index, row.id);
        await this.db.validator.update({
          where: { id: row.id },
          data: {
            index,
            status: v.status,
            ...(v.balance && /^\d+$/.test(v.balance) ? { balanceGwei: BigInt(v.balance) } : {}),
            ...(v.validator.effective_balance && /^\d+$/.test(v.validator.effective_balance)
              ? { effectiveBalanceGwei: BigInt(v.validator.effective_balance) }
              : {}),
            activationEpoch: int4OrNull(v.validator.activation_epoch),
            exitEpoch: int4OrNull(v.validator.exit_epoch),
          },
        });
      }
    }

    const current = Math.floor(
      Math.max(0, now.getTime() / 1000 - chain.genesisTime) / chain.secondsPerSlot / chain.slotsPerEpoch,
    );
    const epochs = [current, current + 1];
    const result: DutySyncResult = { epochs, indexed: idOfIndex.size, scheduled: 0, inserted: 0 };
    if (idOfIndex.size === 0) return result;
    const indices = [...idOfIndex.keys()].map(String);

    const rows: { validatorId: string; slot: number; type: "ATTESTER" | "PROPOSER" | "SYNC_MESSAGE" }[] = [];
    const syncCache = new Map<number, Promise<SyncJson[] | null>>();
    const syncDuties = (epoch: number, optional: boolean) => {
      let p = syncCache.get(epoch);
      if (!p) {
        p = bn
          .request<{ data: SyncJson[] }>("POST", `/eth/v1/validator/duties/sync/${epoch}`, indices)
          .then((r) => r.data)
          // The epoch after next may be in a period the node does not serve yet: its one slot is skipped.
          .catch((e) => {
            if (optional) return null;
            throw e;
          });
        syncCache.set(epoch, p);
      }
      return p;
    };
    for (const epoch of epochs) {
      const first = epoch * chain.slotsPerEpoch;
      const attesters = await bn.request<{ data: AttesterJson[] }>(
        "POST",
        `/eth/v1/validator/duties/attester/${epoch}`,
        indices,
      );
      for (const d of attesters.data) {
        const validatorId = idOfIndex.get(Number(d.validator_index));
        if (validatorId) rows.push({ validatorId, slot: Number(d.slot), type: "ATTESTER" });
      }
      const proposers = await bn.request<{ data: ProposerJson[] }>(
        "GET",
        `/eth/v1/validator/duties/proposer/${epoch}`,
      );
      for (const d of proposers.data) {
        const validatorId = idOfIndex.get(Number(d.validator_index));
        if (validatorId) rows.push({ validatorId, slot: Number(d.slot), type: "PROPOSER" });
      }
      const same = await syncDuties(epoch, false);
      const next = await syncDuties(epoch + 1, true);
      for (let slot = first; slot < first + chain.slotsPerEpoch; slot++) {
        // The message at slot s is for the committee of epoch(s + 1).
        const committee = Math.floor((slot + 1) / chain.slotsPerEpoch) === epoch ? same : next;
        for (const d of committee ?? []) {
          const validatorId = idOfIndex.get(Number(d.validator_index));
          if (validatorId && d.validator_sync_committee_indices.length > 0)
            rows.push({ validatorId, slot, type: "SYNC_MESSAGE" });
        }
      }
    }
    // Only slots of the fetched epochs (a node answering with other slots is not trusted for them).
    const valid = rows.filter(
      (r) =>
        Number.isSafeInteger(r.slot) &&
        r.slot >= epochs[0]! * chain.slotsPerEpoch &&
        r.slot < (epochs.at(-1)! + 1) * chain.slotsPerEpoch,
    );
    result.scheduled = valid.length;
    if (valid.length > 0) {
      const inserted = await this.requireSql()`
        INSERT INTO "Duty" ("clusterId", "validatorId", slot, epoch, type, "startsAt", "deadlineAt")
        SELECT ${c.id}, d.v, d.slot, d.slot / ${chain.slotsPerEpoch}, d.type::"DutyType",
               to_timestamp(${chain.genesisTime} + d.slot * ${chain.secondsPerSlot}),
               to_timestamp(${chain.genesisTime} + (d.slot + ${DEADLINE_SLOTS}) * ${chain.secondsPerSlot})
        FROM unnest(${valid.map((r) => r.validatorId)}::uuid[], ${valid.map((r) => r.slot)}::int[],
                    ${valid.map((r) => r.type)}::text[]) AS d(v, slot, type)
        ON CONFLICT ("validatorId", slot, type) DO NOTHING
        RETURNING id`;
      result.inserted = inserted.length;
    }
    await this.db.cluster.updateMany({
      where: { id: c.id, OR: [{ dutiesSyncedEpoch: null }, { dutiesSyncedEpoch: { lt: epochs.at(-1)! } }] },
      data: { dutiesSyncedEpoch: epochs.at(-1)! },
    });
    return result;
  }

  /**
   * Settles the cluster's duties whose deadline passed SETTLE_GRACE_SLOTS before `now` (see the
   * file comment). Returns what changed; `changed` is false on a re-run.
   */
  async settle(clusterId: string, now: Date = this.now()): Promise<DutySettleResult> {
    const c = await this.db.cluster.findUnique({
      where: { id: clusterId },
      include: { members: { select: { id: true } } },
    });
    if (!c) throw notFound("cluster", clusterId);
    const chain: Chain | null = clusterChain(c);
    const none = { slots: null, participationAdded: 0, failed: 0, changed: false };
    if (!chain) return { skipped: "no_chain", ...none };
    // Last slot s with deadline(s) + grace ≤ now.
    const cutoff =
      Math.floor((now.getTime() / 1000 - chain.genesisTime) / chain.secondsPerSlot) -
      DEADLINE_SLOTS -
      SETTLE_GRACE_SLOTS;
    if (cutoff < 0) return none;
    const lookbackFrom =
      c.dutiesSettledSlot === null
        ? 0
        : c.dutiesSettledSlot + 1 - SETTLE_LOOKBACK_EPOCHS * chain.slotsPerEpoch;
    const members = c.members.map((m) => m.id);
    const cluster = {
      id: c.id,
      q: c.receiptQuorum ?? defaultReceiptQuorum(members.length),
      threshold: c.threshold,
      members: c.members,
    };
    const sql = this.requireSql();
    const out = await sql.begin(async (tx) => {
      // Duties due that are incomplete: a member without a row, or PENDING with nothing reported.
      const [due] = await tx`
        SELECT min(d.slot) AS "from", max(d.slot) AS "to",
               coalesce(sum(${members.length} - (SELECT count(*) FROM "Participation" p WHERE p."dutyId" = d.id)), 0)::int AS missing
        FROM "Duty" d
        WHERE d."clusterId" = ${c.id} AND d.slot BETWEEN ${Math.max(0, lookbackFrom)} AND ${cutoff}
          AND (
            (SELECT count(*) FROM "Participation" p WHERE p."dutyId" = d.id) < ${members.length}
            OR (d.outcome = 'PENDING' AND NOT EXISTS (
                  SELECT 1 FROM "Participation" p WHERE p."dutyId" = d.id AND p."messageId" IS NOT NULL))
          )`;
      const from = due?.from as number | null;
      const to = due?.to as number | null;
      let failed = 0;
      if (from !== null && to !== null && members.length > 0) {
        // The participation rule, exactly as ingest applies it (NO_MESSAGE rows; roll-ups).
        await reconcileSlots(tx, cluster, from, to, chain);
        // Nothing from any member — no partial, no receipt of one, no outcome — for a due duty.
        const rows = await tx`
          UPDATE "Duty" d SET outcome = 'FAILED', "failureReason" = ${NOT_REPORTED}
          WHERE d."clusterId" = ${c.id} AND d.slot BETWEEN ${from} AND ${to} AND d.outcome = 'PENDING'
            AND NOT EXISTS (SELECT 1 FROM "Participation" p WHERE p."dutyId" = d.id AND p."messageId" IS NOT NULL)
            AND NOT EXISTS (SELECT 1 FROM "MessageReceipt" r
                            WHERE r."clusterId" = d."clusterId" AND r.slot = d.slot AND r."dutyType" = d.type)
          RETURNING d.id`;
        failed = rows.length;
      }
      await tx`
        UPDATE "Cluster" SET "dutiesSettledSlot" = ${cutoff}
        WHERE id = ${c.id} AND ("dutiesSettledSlot" IS NULL OR "dutiesSettledSlot" < ${cutoff})`;
      return {
        slots: from !== null && to !== null ? { from, to } : null,
        participationAdded: Number(due?.missing ?? 0),
        failed,
      };
    });
    return { ...out, changed: out.participationAdded > 0 || out.failed > 0 };
  }

  /** `duties.sync` job: sync, then settle; evaluate incidents when settling changed anything. */
  async syncAndSettle(
    clusterId: string,
    jobs: Pick<JobsPort, "evaluateIncidents">,
    key: string,
    now: Date = this.now(),
  ): Promise<{ sync: DutySyncResult | { error: string }; settle: DutySettleResult }> {
    // A beacon node that is down must not stop settlement of what is already scheduled.
    const sync = await this.sync(clusterId, now).catch((e: unknown) => ({ error: (e as Error).message }));
    const settle = await this.settle(clusterId, now);
    if (settle.changed) await jobs.evaluateIncidents(clusterId, key);
    return { sync, settle };
  }

  private requireSql(): Sql {
    if (!this.sql)
      throw new Error("DutyScheduleService needs a postgres.js client (createServices({ sql }))");
    return this.sql;
  }
}
