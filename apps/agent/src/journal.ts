/**
 * The agent's evidence journal: a LevelDB at `<data-dir>/evidence` holding everything this member
 * can later prove or report — the partial-signature messages it SENT (fsynced before they leave the
 * process), the messages it ACCEPTED from the others (in full, with its receipt time), its duty
 * outcomes, heartbeats and per-epoch signed commitments (EpochRoot, `@cohort/evidence`).
 *
 * Durability:
 * - a sent message is written with `sync: true` (fsync) before `recordSent` resolves, and the
 *   exchange awaits it before sending (SignedParSigEx `beforeSend`): the slashing DB guarantees we
 *   never sign conflicting data, the journal guarantees we can always prove what we sent;
 * - receipts, outcomes and heartbeats are group-committed: buffered and written (fsynced) in one
 *   batch at least every `flushIntervalMs` (100 ms), or earlier with the next sent message. A
 *   SIGKILL can lose at most the receipts/outcomes/heartbeats of that last window (never a sent
 *   message);
 * - epoch roots and the reporter's cursor, sequence number and pending batch are written fsynced.
 *
 * Key layout (utf8 keys, JSON values; fixed-width lowercase hex numbers so keys sort numerically):
 *   e/<id:16 hex>                        one entry (JournalEntry), id = 1, 2, 3… in write order:
 *                                        the reporter reads "everything after its cursor"
 *   i/<epoch:12 hex>/s/<id:16 hex>       index of the epoch's sent messages: { digest }
 *   i/<epoch:12 hex>/r/<id:16 hex>       index of the epoch's receipts: { digest, from, receivedAt }
 *   m/first                              epoch the journal was created in (first epoch to seal)
 *   m/sealed                             { epoch, id }: last epoch whose EpochRoot was written
 *   m/cursor                             id of the last entry the portal acknowledged (0 = none)
 *   m/seq                                seq of the last batch the portal acknowledged (0 = none)
 *   m/pending                            { seq, lastId, body }: the batch being sent (exact bytes)
 * Writes are serialised (one LevelDB batch at a time, in id order), so an entry becomes visible only
 * after every entry with a lower id: a reader never skips a later-flushed lower id.
 *
 * Retention: entries (and the epoch index) older than `retentionEpochs` (default 2048 ≈ 9 days of
 * 12 s slots) are pruned — and only once the portal acknowledged them (id ≤ cursor). Without a
 * portal nothing is pruned (the data waits for `cohort evidence` export).
 */

import {
  type DutyOutcomeReport,
  type EpochRoot,
  type Heartbeat,
  parSigMsgDigest,
  type Receipt,
  type SignedParSigMsg,
  signEpochRoot,
  toHex,
} from "@cohort/evidence";
import { ClassicLevel } from "classic-level";

export type JournalEntry =
  | { kind: "sent"; at: number; epoch: number; digest: string; message: SignedParSigMsg }
  | {
      kind: "receipt";
      at: number;
      epoch: number;
      digest: string;
      /** Sender's share index and (authenticated) peer id. */
      from: number;
      fromPeer: string;
      receivedAt: number;
      message: SignedParSigMsg;
    }
  | { kind: "outcome"; at: number; epoch: number; outcome: DutyOutcomeReport }
  | { kind: "heartbeat"; at: number; heartbeat: Heartbeat }
  | { kind: "epochRoot"; at: number; epochRoot: EpochRoot };

export interface PendingBatch {
  seq: number;
  /** Id of the last journal entry the batch carries: the cursor once acknowledged. */
  lastId: number;
  /** The exact JSON body (a SignedReportBatch) sent, resent as is until acknowledged. */
  body: string;
}

export interface JournalOptions {
  /** Directory of the LevelDB database (`<data-dir>/evidence`). */
  path: string;
  lockHash: string;
  shareIndex: number;
  identityKey: Uint8Array;
  slotsPerEpoch: number;
  /** Unix ms of a slot's start. */
  slotStartMs: (slot: number) => number;
  /** A duty expires this many slots after its slot starts (the core's deadline, default 3). */
  deadlineSlots?: number;
  retentionEpochs?: number;
  flushIntervalMs?: number;
  now?: () => number;
  /** A background write (group commit) failed. */
  onError?: (err: unknown) => void;
}

type Op = { type: "put"; key: string; value: unknown } | { type: "del"; key: string };

const hex16 = (n: number) => n.toString(16).padStart(16, "0");
const hex12 = (n: number) => n.toString(16).padStart(12, "0");
export const entryKey = (id: number) => `e/${hex16(id)}`;
const idOfKey = (k: string) => Number.parseInt(k.slice(2), 16);
const EPOCH_SEAL_CATCH_UP = 64;

export class EvidenceJournal {
  private buffer: Op[] = [];
  private nextId: number;
  private chain: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private sealing: Promise<EpochRoot[]> | undefined;
  private readonly now: () => number;

  private constructor(
    private readonly db: ClassicLevel<string, unknown>,
    private readonly o: JournalOptions,
    lastId: number,
    private first: number,
    private sealed: { epoch: number; id: number } | null,
  ) {
    this.nextId = lastId + 1;
    this.now = o.now ?? Date.now;
    this.timer = setInterval(() => {
      if (this.buffer.length) this.flush().catch((e) => o.onError?.(e));
    }, o.flushIntervalMs ?? 100);
    this.timer.unref();
  }

  static async open(o: JournalOptions): Promise<EvidenceJournal> {
    const db = new ClassicLevel<string, unknown>(o.path, { keyEncoding: "utf8", valueEncoding: "json" });
    await db.open();
    let lastId = 0;
    for await (const k of db.keys({ gte: "e/", lt: "e/~", reverse: true, limit: 1 })) lastId = idOfKey(k);
    let first = (await db.get("m/first")) as number | undefined;
    if (first === undefined) {
      first = Math.max(0, Math.floor(slotAt(o, (o.now ?? Date.now)()) / o.slotsPerEpoch));
      await db.put("m/first", first, { sync: true });
    }
    const sealed = ((await db.get("m/sealed")) as { epoch: number; id: number } | undefined) ?? null;
    return new EvidenceJournal(db, o, lastId, first, sealed);
  }

  /** Id of the last entry recorded (flushed or not). */
  get lastId(): number {
    return this.nextId - 1;
  }

  private epochOf(slot: number): number {
    return Math.floor(slot / this.o.slotsPerEpoch);
  }

  private assertOpen() {
    if (this.closed) throw new Error("evidence journal is closed");
  }

  private entryOps(entry: JournalEntry): { id: number; ops: Op[] } {
    const id = this.nextId++;
    const ops: Op[] = [{ type: "put", key: entryKey(id), value: entry }];
    if (entry.kind === "sent")
      ops.push({
        type: "put",
        key: `i/${hex12(entry.epoch)}/s/${hex16(id)}`,
        value: { digest: entry.digest },
      });
    if (entry.kind === "receipt")
      ops.push({
        type: "put",
        key: `i/${hex12(entry.epoch)}/r/${hex16(id)}`,
        value: { digest: entry.digest, from: entry.from, receivedAt: entry.receivedAt },
      });
    return { id, ops };
  }

  /** One serialised LevelDB batch (in id order, after every earlier one). */
  private write(ops: Op[], sync: boolean): Promise<void> {
    const run = this.chain.then(() => (ops.length ? this.db.batch(ops, { sync }) : undefined));
    this.chain = run.catch(() => {});
    return run;
  }

  /** Writes (fsynced) a message this member is about to send, with everything buffered before it. */
  async recordSent(message: SignedParSigMsg): Promise<void> {
    this.assertOpen();
    const { ops } = this.entryOps({
      kind: "sent",
      at: this.now(),
      epoch: this.epochOf(message.message.slot),
      digest: toHex(parSigMsgDigest(message.message)),
      message,
    });
    const all = this.buffer.concat(ops);
    this.buffer = [];
    await this.write(all, true);
  }

  /** Buffers an accepted message of another member (group commit, ≤ flushIntervalMs). */
  recordReceived(message: SignedParSigMsg, from: number, fromPeer: string, receivedAt: number): void {
    if (this.closed) return;
    this.buffer.push(
      ...this.entryOps({
        kind: "receipt",
        at: this.now(),
        epoch: this.epochOf(message.message.slot),
        digest: toHex(parSigMsgDigest(message.message)),
        from,
        fromPeer,
        receivedAt,
        message,
      }).ops,
    );
  }

  recordOutcome(outcome: DutyOutcomeReport): void {
    if (this.closed) return;
    this.buffer.push(
      ...this.entryOps({ kind: "outcome", at: this.now(), epoch: this.epochOf(outcome.slot), outcome }).ops,
    );
  }

  recordHeartbeat(heartbeat: Heartbeat): void {
    if (this.closed) return;
    this.buffer.push(...this.entryOps({ kind: "heartbeat", at: this.now(), heartbeat }).ops);
  }

  /** Writes (fsynced) whatever is buffered. */
  flush(): Promise<void> {
    const ops = this.buffer;
    this.buffer = [];
    return this.write(ops, true);
  }

  /** The latest epoch whose every duty is past its deadline at `now`. */
  private lastSealable(now: number): number {
    // Duties of epoch e end at the deadline of its last slot: slotStart((e+1)·spe − 1 + deadline).
    const deadline = this.o.deadlineSlots ?? 3;
    return Math.floor((slotAt(this.o, now) - deadline + 1) / this.o.slotsPerEpoch) - 1;
  }

  /**
   * Signs and journals the EpochRoot of every epoch (since the journal was created) whose duties
   * are all past their deadline and that has none yet. Returns the roots written.
   */
  sealDue(): Promise<EpochRoot[]> {
    this.sealing ??= this.sealDueNow().finally(() => {
      this.sealing = undefined;
    });
    return this.sealing;
  }

  private async sealDueNow(): Promise<EpochRoot[]> {
    this.assertOpen();
    const last = this.lastSealable(this.now());
    let from = Math.max(this.first, (this.sealed?.epoch ?? -1) + 1);
    if (last < from) return [];
    // After a long downtime, seal at most the recent epochs (older ones would be empty anyway).
    from = Math.max(from, last - EPOCH_SEAL_CATCH_UP + 1);
    await this.flush();
    const roots: EpochRoot[] = [];
    for (let epoch = from; epoch <= last; epoch++) {
      const { sent, receipts } = await this.epochIndex(epoch);
      const root = signEpochRoot(
        this.o.lockHash,
        this.o.shareIndex,
        epoch,
        sent.map((d) => Buffer.from(d.slice(2), "hex")),
        receipts,
        this.o.identityKey,
      );
      const { id, ops } = this.entryOps({ kind: "epochRoot", at: this.now(), epochRoot: root });
      this.sealed = { epoch, id };
      ops.push({ type: "put", key: "m/sealed", value: this.sealed });
      await this.write(this.buffer.splice(0).concat(ops), true);
      roots.push(root);
    }
    return roots;
  }

  /** The sent digests and receipts recorded for the duties of one epoch. */
  async epochIndex(
    epoch: number,
  ): Promise<{ sent: string[]; receipts: Omit<Receipt, "slot" | "dutyType">[] }> {
    const p = `i/${hex12(epoch)}/`;
    const sent: string[] = [];
    const receipts: Omit<Receipt, "slot" | "dutyType">[] = [];
    for await (const v of this.db.values({ gte: `${p}s/`, lt: `${p}s/~` }))
      sent.push((v as { digest: string }).digest);
    for await (const v of this.db.values({ gte: `${p}r/`, lt: `${p}r/~` }))
      receipts.push(v as Omit<Receipt, "slot" | "dutyType">);
    return { sent, receipts };
  }

  /** Flushed entries with id > `after`, in id order. */
  async *entriesAfter(after: number): AsyncGenerator<{ id: number; entry: JournalEntry }> {
    for await (const [k, v] of this.db.iterator({ gt: entryKey(after), lt: "e/~" }))
      yield { id: idOfKey(k), entry: v as JournalEntry };
  }

  async getMeta(): Promise<{ cursor: number; seq: number; pending: PendingBatch | null }> {
    const [cursor, seq, pending] = await this.db.getMany(["m/cursor", "m/seq", "m/pending"]);
    return {
      cursor: (cursor as number | undefined) ?? 0,
      seq: (seq as number | undefined) ?? 0,
      pending: (pending as PendingBatch | undefined) ?? null,
    };
  }

  /** Persists (fsynced) the batch about to be sent: a restart resends exactly these bytes. */
  setPending(p: PendingBatch | null): Promise<void> {
    return this.write(
      [p ? { type: "put", key: "m/pending", value: p } : { type: "del", key: "m/pending" }],
      true,
    );
  }

  /** The portal acknowledged the pending batch: advance the cursor and seq, drop the pending batch. */
  acknowledge(p: PendingBatch): Promise<void> {
    return this.write(
      [
        { type: "put", key: "m/cursor", value: p.lastId },
        { type: "put", key: "m/seq", value: p.seq },
        { type: "del", key: "m/pending" },
      ],
      true,
    );
  }

  /**
   * Deletes entries older than the retention window that the portal acknowledged (id ≤ `cursor`),
   * and the epoch index of epochs older than the window whose root was acknowledged.
   */
  async prune(cursor: number): Promise<number> {
    const now = this.now();
    const retention = this.o.retentionEpochs ?? 2048;
    const cutoffEpoch = Math.floor(slotAt(this.o, now) / this.o.slotsPerEpoch) - retention;
    if (cutoffEpoch <= 0) return 0;
    const cutoffMs = this.o.slotStartMs(cutoffEpoch * this.o.slotsPerEpoch);
    const ops: Op[] = [];
    for await (const [k, v] of this.db.iterator({ gte: "e/", lte: entryKey(cursor) })) {
      if ((v as JournalEntry).at >= cutoffMs) break;
      ops.push({ type: "del", key: k });
      if (ops.length >= 10_000) break;
    }
    const indexUpTo =
      this.sealed && this.sealed.id <= cursor ? Math.min(cutoffEpoch, this.sealed.epoch + 1) : 0;
    if (indexUpTo > 0)
      for await (const k of this.db.keys({ gte: "i/", lt: `i/${hex12(indexUpTo)}/` })) {
        ops.push({ type: "del", key: k });
        if (ops.length >= 20_000) break;
      }
    await this.write(ops, false);
    return ops.length;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    clearInterval(this.timer);
    await this.sealing?.catch(() => {});
    await this.flush().catch((e) => this.o.onError?.(e));
    this.closed = true;
    await this.chain;
    await this.db.close();
  }
}

function slotAt(o: Pick<JournalOptions, "slotStartMs">, now: number): number {
  const t0 = o.slotStartMs(0);
  const slotMs = o.slotStartMs(1) - t0;
  return Math.floor((now - t0) / slotMs);
}

/** Reads a journal directory (an agent's `<data-dir>/evidence`, agent stopped) in id order. */
export async function readJournal(path: string): Promise<JournalEntry[]> {
  const db = new ClassicLevel<string, unknown>(path, { keyEncoding: "utf8", valueEncoding: "json" });
  await db.open();
  try {
    const out: JournalEntry[] = [];
    for await (const v of db.values({ gte: "e/", lt: "e/~" })) out.push(v as JournalEntry);
    return out;
  } finally {
    await db.close();
  }
}
