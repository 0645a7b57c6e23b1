import { ClassicLevel } from "classic-level";
import { type BytesInput, parseU64Key, toHex, toU64, type U64Input, u64Key } from "./codec.ts";
import { SlashingProtectionError, type SlashingProtectionErrorCode } from "./errors.ts";
import { type Interchange, parseInterchange } from "./interchange.ts";
import { KeyedMutex } from "./mutex.ts";

/**
 * `minimal`: only watermarks are consulted (EIP-3076 "minimal" expectations).
 * `complete`: the full stored history is consulted (double vote + surround checks), bounded below
 * by a low watermark (the oldest known record, raised by pruning).
 * Both strategies maintain the same on-disk data, so a directory can be reopened with either.
 */
export type Strategy = "minimal" | "complete";

export interface SlashingProtectionDbOptions {
  /** Directory of the LevelDB database (created if missing). */
  path: string;
  /** 32-byte genesis_validators_root of the chain this instance protects. */
  genesisValidatorsRoot: BytesInput;
  strategy: Strategy;
}

export interface BlockSigningRequest {
  slot: U64Input;
  /** compute_signing_root(block, domain); absent means the request can never count as a re-sign. */
  signingRoot?: BytesInput | null;
}

export interface AttestationSigningRequest {
  sourceEpoch: U64Input;
  targetEpoch: U64Input;
  signingRoot?: BytesInput | null;
}

/** `inserted`: new record persisted (fsynced). `repeat`: identical message already recorded. */
export type CheckResult = "inserted" | "repeat";

export interface ImportSummary {
  validators: number;
  blocks: number;
  attestations: number;
}

export interface ValidatorWatermarks {
  maxSlot?: bigint;
  maxSourceEpoch?: bigint;
  maxTargetEpoch?: bigint;
  lowSlot?: bigint;
  lowSourceEpoch?: bigint;
  lowTargetEpoch?: bigint;
}

interface StoredRecord {
  /** Signing root (0x-hex) or null when unknown — a null root matches nothing. */
  r: string | null;
}

/** Per-validator watermarks. Serialised with decimal strings. */
interface State {
  /** Highest block slot; root only kept when that block was signed locally. */
  maxBlock?: { slot: bigint; root: string | null };
  maxSource?: bigint;
  maxTarget?: bigint;
  /** The locally signed attestation at maxTarget, if any (allows idempotent re-sign in minimal mode). */
  maxAtt?: { source: bigint; target: bigint; root: string | null };
  /** Oldest known history (complete strategy lower bound). */
  lowSlot?: bigint;
  lowSource?: bigint;
  lowTarget?: bigint;
  /** Prune floors: never lowered, always enforced. */
  floorSlot?: bigint;
  floorSource?: bigint;
  floorTarget?: bigint;
}

type BatchOp = { type: "put"; key: string; value: unknown } | { type: "del"; key: string };

const STATE_FIELDS = [
  "maxSource",
  "maxTarget",
  "lowSlot",
  "lowSource",
  "lowTarget",
  "floorSlot",
  "floorSource",
  "floorTarget",
] as const;

/**
 * EIP-3076 slashing protection on LevelDB. Every accepted signing request is written with an
 * fsynced atomic batch before the returned promise resolves; checks and writes are serialised
 * per validator so concurrent callers cannot both pass.
 */
export class SlashingProtectionDb {
  private readonly mutex = new KeyedMutex();
  private closed = false;
  private readonly inflight = new Set<Promise<void>>();

  private constructor(
    private readonly db: ClassicLevel<string, unknown>,
    readonly genesisValidatorsRoot: string,
    readonly strategy: Strategy,
    private readonly prefix: string,
  ) {}

  static async open(options: SlashingProtectionDbOptions): Promise<SlashingProtectionDb> {
    if (options.strategy !== "minimal" && options.strategy !== "complete") {
      throw new SlashingProtectionError("INVALID_INPUT", `unknown strategy ${String(options.strategy)}`);
    }
    const gvr = toHex(options.genesisValidatorsRoot, 32, "genesisValidatorsRoot");
    const db = new ClassicLevel<string, unknown>(options.path, {
      keyEncoding: "utf8",
      valueEncoding: "json",
    });
    await db.open();
    return new SlashingProtectionDb(db, gvr, options.strategy, `${gvr.slice(2)}/`);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Let in-flight operations finish (queued ones fail with DB_CLOSED before touching the store).
    await Promise.all([...this.inflight]);
    await this.db.close();
  }

  async checkAndInsertBlock(pubkey: BytesInput, request: BlockSigningRequest): Promise<CheckResult> {
    const pk = toHex(pubkey, 48, "pubkey");
    const slot = toU64(request.slot, "slot");
    const root = optionalRoot(request.signingRoot);
    return this.locked([pk], async () => {
      this.assertOpen();
      const st = await this.loadState(pk);
      const key = this.blockKey(pk, slot);
      const existing = (await this.db.get(key)) as StoredRecord | undefined;
      if (this.strategy === "minimal") {
        // Minimal strategy: only the watermark (and the local block that set it) is trusted.
        if (st.maxBlock && slot <= st.maxBlock.slot) {
          if (slot === st.maxBlock.slot && sameRoot(st.maxBlock.root, root)) return "repeat";
          if (existing) refuse("DOUBLE_BLOCK_PROPOSAL", `slot ${slot} already signed with another root`);
          refuse("BELOW_HIGH_WATERMARK", `slot ${slot} is not above highest signed slot ${st.maxBlock.slot}`);
        }
      } else if (existing) {
        if (sameRoot(existing.r, root)) return "repeat";
        refuse("DOUBLE_BLOCK_PROPOSAL", `slot ${slot} already signed with another root`);
      }
      const low = maxOf(st.lowSlot, st.floorSlot);
      if (low !== undefined && slot < low)
        refuse("BELOW_LOW_WATERMARK", `slot ${slot} < low watermark ${low}`);

      if (!st.maxBlock || slot > st.maxBlock.slot) st.maxBlock = { slot, root };
      else if (slot === st.maxBlock.slot) st.maxBlock = { slot, root: null };
      st.lowSlot ??= slot;
      await this.write([
        { type: "put", key, value: { r: root } satisfies StoredRecord },
        this.stateOp(pk, st),
      ]);
      return "inserted";
    });
  }

  async checkAndInsertAttestation(
    pubkey: BytesInput,
    request: AttestationSigningRequest,
  ): Promise<CheckResult> {
    const pk = toHex(pubkey, 48, "pubkey");
    const source = toU64(request.sourceEpoch, "sourceEpoch");
    const target = toU64(request.targetEpoch, "targetEpoch");
    const root = optionalRoot(request.signingRoot);
    return this.locked([pk], async () => {
      this.assertOpen();
      if (source > target) refuse("SOURCE_EXCEEDS_TARGET", `source ${source} > target ${target}`);
      const st = await this.loadState(pk);
      const sameTarget = await this.attestationsAtTarget(pk, target);
      if (this.strategy === "minimal") {
        const m = st.maxAtt;
        if (m && m.source === source && m.target === target && sameRoot(m.root, root)) return "repeat";
        if (sameTarget.length > 0) refuse("DOUBLE_VOTE", `target ${target} already signed`);
        if (st.maxTarget !== undefined && target <= st.maxTarget) {
          refuse("BELOW_HIGH_WATERMARK", `target ${target} is not above highest target ${st.maxTarget}`);
        }
        if (st.maxSource !== undefined && source < st.maxSource) {
          refuse("BELOW_HIGH_WATERMARK", `source ${source} is below highest source ${st.maxSource}`);
        }
      } else {
        if (sameTarget.some((a) => a.source === source && sameRoot(a.r, root))) return "repeat";
        if (sameTarget.length > 0) refuse("DOUBLE_VOTE", `target ${target} already signed`);
        for await (const key of this.db.keys(this.range("a", pk))) {
          const [t, s] = this.parseAttKey(key);
          if (s < source && t > target) {
            refuse("SURROUNDED_VOTE", `(${source},${target}) is surrounded by signed (${s},${t})`);
          }
          if (source < s && target > t) {
            refuse("SURROUNDING_VOTE", `(${source},${target}) surrounds signed (${s},${t})`);
          }
        }
      }
      const lowSource = maxOf(st.lowSource, st.floorSource);
      const lowTarget = maxOf(st.lowTarget, st.floorTarget);
      if (lowSource !== undefined && source < lowSource) {
        refuse("BELOW_LOW_WATERMARK", `source ${source} < low watermark ${lowSource}`);
      }
      if (lowTarget !== undefined && target < lowTarget) {
        refuse("BELOW_LOW_WATERMARK", `target ${target} < low watermark ${lowTarget}`);
      }

      st.maxSource = maxOf(st.maxSource, source);
      if (st.maxTarget === undefined || target > st.maxTarget) {
        st.maxTarget = target;
        st.maxAtt = { source, target, root };
      }
      st.lowSource ??= source;
      st.lowTarget ??= target;
      await this.write([
        { type: "put", key: this.attKey(pk, target, source), value: { r: root } satisfies StoredRecord },
        this.stateOp(pk, st),
      ]);
      return "inserted";
    });
  }

  /**
   * Imports an EIP-3076 v5 interchange (string or parsed JSON). All-or-nothing: validation and
   * merging happen in memory and land in a single fsynced batch. Existing data is only ever made
   * more restrictive (high watermarks never lowered; conflicting roots become "unknown").
   */
  async importInterchange(input: unknown): Promise<ImportSummary> {
    const interchange = parseInterchange(input);
    const gvr = interchange.metadata.genesis_validators_root.toLowerCase();
    if (gvr !== this.genesisValidatorsRoot) {
      throw new SlashingProtectionError(
        "GENESIS_VALIDATORS_ROOT_MISMATCH",
        `interchange has ${gvr}, this database protects ${this.genesisValidatorsRoot}`,
      );
    }
    // Group by pubkey, merging duplicate entries within the file.
    const byPk = new Map<
      string,
      { blocks: Map<bigint, string | null>; atts: Map<string, { s: bigint; t: bigint; r: string | null }> }
    >();
    for (const entry of interchange.data) {
      const pk = entry.pubkey.toLowerCase();
      let g = byPk.get(pk);
      if (!g) {
        g = { blocks: new Map(), atts: new Map() };
        byPk.set(pk, g);
      }
      for (const b of entry.signed_blocks) {
        const slot = BigInt(b.slot);
        const r = b.signing_root?.toLowerCase() ?? null;
        g.blocks.set(slot, g.blocks.has(slot) ? mergeRoot(g.blocks.get(slot) ?? null, r) : r);
      }
      for (const a of entry.signed_attestations) {
        const s = BigInt(a.source_epoch);
        const t = BigInt(a.target_epoch);
        const r = a.signing_root?.toLowerCase() ?? null;
        const k = `${t}/${s}`;
        const prev = g.atts.get(k);
        g.atts.set(k, { s, t, r: prev ? mergeRoot(prev.r, r) : r });
      }
    }

    return this.locked(byPk.keys(), async () => {
      this.assertOpen();
      const ops: BatchOp[] = [];
      let blocks = 0;
      let attestations = 0;
      for (const [pk, g] of byPk) {
        const st = await this.loadState(pk);
        let minSlot: bigint | undefined;
        let maxSlot: bigint | undefined;
        for (const [slot, r] of g.blocks) {
          minSlot = minOf(minSlot, slot);
          maxSlot = maxOf(maxSlot, slot);
          if (st.floorSlot !== undefined && slot < st.floorSlot) continue; // covered by the prune floor
          const key = this.blockKey(pk, slot);
          const existing = (await this.db.get(key)) as StoredRecord | undefined;
          const merged = existing ? mergeRoot(existing.r, r) : r;
          if (!existing || existing.r !== merged) ops.push({ type: "put", key, value: { r: merged } });
          blocks++;
        }
        if (maxSlot !== undefined) {
          if (!st.maxBlock || maxSlot >= st.maxBlock.slot) st.maxBlock = { slot: maxSlot, root: null };
          st.lowSlot = maxOf(minOf(st.lowSlot, minSlot), st.floorSlot);
        }
        let minS: bigint | undefined;
        let minT: bigint | undefined;
        let maxS: bigint | undefined;
        let maxT: bigint | undefined;
        for (const { s, t, r } of g.atts.values()) {
          minS = minOf(minS, s);
          minT = minOf(minT, t);
          maxS = maxOf(maxS, s);
          maxT = maxOf(maxT, t);
          if (st.floorTarget !== undefined && t < st.floorTarget) continue;
          const key = this.attKey(pk, t, s);
          const existing = (await this.db.get(key)) as StoredRecord | undefined;
          const merged = existing ? mergeRoot(existing.r, r) : r;
          if (!existing || existing.r !== merged) ops.push({ type: "put", key, value: { r: merged } });
          attestations++;
        }
        if (maxT !== undefined && maxS !== undefined) {
          st.maxSource = maxOf(st.maxSource, maxS);
          if (st.maxTarget === undefined || maxT >= st.maxTarget) {
            st.maxTarget = maxT;
            st.maxAtt = undefined;
          }
          st.lowSource = maxOf(minOf(st.lowSource, minS), st.floorSource);
          st.lowTarget = maxOf(minOf(st.lowTarget, minT), st.floorTarget);
        }
        ops.push(this.stateOp(pk, st));
      }
      await this.write(ops);
      return { validators: byPk.size, blocks, attestations };
    });
  }

  /** Exports the complete stored history (all validators, or the given ones) as EIP-3076 v5. */
  async exportInterchange(pubkeys?: readonly BytesInput[]): Promise<Interchange> {
    this.assertOpen();
    const pks = pubkeys ? pubkeys.map((p) => toHex(p, 48, "pubkey")) : await this.listValidators();
    return this.locked(pks, async () => {
      this.assertOpen();
      const data: Interchange["data"] = [];
      for (const pk of pks) {
        const st = await this.loadState(pk);
        const signed_blocks: Interchange["data"][number]["signed_blocks"] = [];
        let haveMaxBlock = false;
        for await (const [key, value] of this.db.iterator(this.range("b", pk))) {
          const slot = parseU64Key(key.slice(key.lastIndexOf("/") + 1));
          if (slot === st.maxBlock?.slot) haveMaxBlock = true;
          const r = (value as StoredRecord).r;
          signed_blocks.push(r ? { slot: slot.toString(), signing_root: r } : { slot: slot.toString() });
        }
        // Watermarks whose records were pruned are still exported (as root-less records).
        if (st.maxBlock && !haveMaxBlock) signed_blocks.push({ slot: st.maxBlock.slot.toString() });
        const signed_attestations: Interchange["data"][number]["signed_attestations"] = [];
        let haveMaxSource = false;
        let haveMaxTarget = false;
        for await (const [key, value] of this.db.iterator(this.range("a", pk))) {
          const [t, s] = this.parseAttKey(key);
          if (s === st.maxSource) haveMaxSource = true;
          if (t === st.maxTarget) haveMaxTarget = true;
          const r = (value as StoredRecord).r;
          const rec = { source_epoch: s.toString(), target_epoch: t.toString() };
          signed_attestations.push(r ? { ...rec, signing_root: r } : rec);
        }
        if (st.maxSource !== undefined && st.maxTarget !== undefined && !(haveMaxSource && haveMaxTarget)) {
          signed_attestations.push({
            source_epoch: st.maxSource.toString(),
            target_epoch: st.maxTarget.toString(),
          });
        }
        data.push({ pubkey: pk, signed_blocks, signed_attestations });
      }
      return {
        metadata: { interchange_format_version: "5", genesis_validators_root: this.genesisValidatorsRoot },
        data,
      };
    });
  }

  /** Pubkeys (0x-hex) with any slashing-protection data for this genesis_validators_root. */
  async listValidators(): Promise<string[]> {
    this.assertOpen();
    const out: string[] = [];
    for await (const key of this.db.keys({ gte: `${this.prefix}v/`, lt: `${this.prefix}v0` })) {
      out.push(key.slice(key.lastIndexOf("/") + 1));
    }
    return out;
  }

  async getWatermarks(pubkey: BytesInput): Promise<ValidatorWatermarks> {
    this.assertOpen();
    const st = await this.loadState(toHex(pubkey, 48, "pubkey"));
    return {
      maxSlot: st.maxBlock?.slot,
      maxSourceEpoch: st.maxSource,
      maxTargetEpoch: st.maxTarget,
      lowSlot: maxOf(st.lowSlot, st.floorSlot),
      lowSourceEpoch: maxOf(st.lowSource, st.floorSource),
      lowTargetEpoch: maxOf(st.lowTarget, st.floorTarget),
    };
  }

  /**
   * Deletes blocks with slot < `slot` and attestations with target < `targetEpoch`, raising the low
   * watermarks so that nothing the deleted records protected against can be signed afterwards.
   */
  async prune(pubkey: BytesInput, below: { slot?: U64Input; targetEpoch?: U64Input }): Promise<void> {
    const pk = toHex(pubkey, 48, "pubkey");
    const slot = below.slot === undefined ? undefined : toU64(below.slot, "slot");
    const target = below.targetEpoch === undefined ? undefined : toU64(below.targetEpoch, "targetEpoch");
    await this.locked([pk], async () => {
      this.assertOpen();
      const st = await this.loadState(pk);
      const ops: BatchOp[] = [];
      if (slot !== undefined) {
        for await (const key of this.db.keys({
          gte: `${this.prefix}b/${pk}/`,
          lt: this.blockKey(pk, slot),
        })) {
          ops.push({ type: "del", key });
        }
        st.floorSlot = maxOf(st.floorSlot, slot);
        if (st.lowSlot !== undefined) st.lowSlot = maxOf(st.lowSlot, slot);
      }
      if (target !== undefined) {
        let maxDeletedSource: bigint | undefined;
        for await (const key of this.db.keys({
          gte: `${this.prefix}a/${pk}/`,
          lt: `${this.prefix}a/${pk}/${u64Key(target)}/`,
        })) {
          maxDeletedSource = maxOf(maxDeletedSource, this.parseAttKey(key)[1]);
          ops.push({ type: "del", key });
        }
        st.floorTarget = maxOf(st.floorTarget, target);
        st.floorSource = maxOf(st.floorSource, maxDeletedSource);
        if (st.lowTarget !== undefined) st.lowTarget = maxOf(st.lowTarget, st.floorTarget);
        if (st.lowSource !== undefined) st.lowSource = maxOf(st.lowSource, st.floorSource);
      }
      ops.push(this.stateOp(pk, st));
      await this.write(ops);
    });
  }

  // --- internals -------------------------------------------------------------------------------

  private locked<T>(keys: Iterable<string>, fn: () => Promise<T>): Promise<T> {
    const p = this.mutex.run(keys, fn);
    const settled = p.then(
      () => {},
      () => {},
    );
    this.inflight.add(settled);
    void settled.then(() => this.inflight.delete(settled));
    return p;
  }

  private assertOpen(): void {
    if (this.closed) throw new SlashingProtectionError("DB_CLOSED", "slashing protection database is closed");
  }

  private async write(ops: BatchOp[]): Promise<void> {
    if (ops.length === 0) return;
    // sync: fsync the write-ahead log before resolving — the signature may leave only after this.
    await this.db.batch(ops, { sync: true });
  }

  private blockKey(pk: string, slot: bigint): string {
    return `${this.prefix}b/${pk}/${u64Key(slot)}`;
  }

  private attKey(pk: string, target: bigint, source: bigint): string {
    return `${this.prefix}a/${pk}/${u64Key(target)}/${u64Key(source)}`;
  }

  private range(kind: "a" | "b", pk: string): { gte: string; lt: string } {
    return { gte: `${this.prefix}${kind}/${pk}/`, lt: `${this.prefix}${kind}/${pk}0` };
  }

  /** Returns [target, source]. */
  private parseAttKey(key: string): [bigint, bigint] {
    const parts = key.split("/");
    return [parseU64Key(parts[3] ?? ""), parseU64Key(parts[4] ?? "")];
  }

  private async attestationsAtTarget(
    pk: string,
    target: bigint,
  ): Promise<{ source: bigint; r: string | null }[]> {
    const prefix = `${this.prefix}a/${pk}/${u64Key(target)}/`;
    const out: { source: bigint; r: string | null }[] = [];
    for await (const [key, value] of this.db.iterator({ gte: prefix, lt: `${prefix}~` })) {
      out.push({ source: this.parseAttKey(key)[1], r: (value as StoredRecord).r });
    }
    return out;
  }

  private async loadState(pk: string): Promise<State> {
    const raw = (await this.db.get(`${this.prefix}v/${pk}`)) as Record<string, unknown> | undefined;
    const st: State = {};
    if (!raw) return st;
    for (const f of STATE_FIELDS) if (typeof raw[f] === "string") st[f] = BigInt(raw[f]);
    const mb = raw.maxBlock as { slot: string; root: string | null } | undefined;
    if (mb) st.maxBlock = { slot: BigInt(mb.slot), root: mb.root };
    const ma = raw.maxAtt as { source: string; target: string; root: string | null } | undefined;
    if (ma) st.maxAtt = { source: BigInt(ma.source), target: BigInt(ma.target), root: ma.root };
    return st;
  }

  private stateOp(pk: string, st: State): BatchOp {
    const value: Record<string, unknown> = {};
    for (const f of STATE_FIELDS) if (st[f] !== undefined) value[f] = st[f].toString();
    if (st.maxBlock) value.maxBlock = { slot: st.maxBlock.slot.toString(), root: st.maxBlock.root };
    if (st.maxAtt) {
      value.maxAtt = {
        source: st.maxAtt.source.toString(),
        target: st.maxAtt.target.toString(),
        root: st.maxAtt.root,
      };
    }
    return { type: "put", key: `${this.prefix}v/${pk}`, value };
  }
}

function refuse(code: SlashingProtectionErrorCode, message: string): never {
  throw new SlashingProtectionError(code, message);
}

function optionalRoot(root: BytesInput | null | undefined): string | null {
  return root === undefined || root === null ? null : toHex(root, 32, "signingRoot");
}

/** Identical only when both roots are known and equal. */
function sameRoot(a: string | null, b: string | null): boolean {
  return a !== null && b !== null && a === b;
}

/** Two records for the same slot/vote: keep the root only if they agree, else "unknown". */
function mergeRoot(a: string | null, b: string | null): string | null {
  return a !== null && a === b ? a : null;
}

function maxOf(a: bigint | undefined, b: bigint | undefined): bigint | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return a > b ? a : b;
}

function minOf(a: bigint | undefined, b: bigint | undefined): bigint | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return a < b ? a : b;
}
