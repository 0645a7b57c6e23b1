/**
 * ParSigDB: own and peers' partial signatures per duty and validator. Every partial is checked
 * (share index = the sender's, signing root recomputed from its data, BLS-verified against the
 * sender's public share); once `threshold` partials agree on one signing root, they are emitted once.
 */
import type { NetworkConfig } from "@cohort/eth";
import { verify } from "@cohort/tbls";
import type { ParSig, ParSigDB, ParSigSet } from "./interfaces";
import { signingRootOf, toHex } from "./signing";
import { type Duty, dutyKey, type PubKey } from "./types";

export type InvalidPartialReason =
  | "share_idx_mismatch"
  | "unknown_validator"
  | "signing_root_mismatch"
  | "invalid_signature"
  | "equivocation";

export interface MemParSigDBOptions {
  network: NetworkConfig;
  threshold: number;
  /** The public share of `shareIndex` for a validator, or undefined. */
  publicShare: (pubkey: PubKey, shareIndex: number) => Uint8Array | undefined;
  onInvalid?: (duty: Duty, pubkey: PubKey, fromShareIndex: number, reason: InvalidPartialReason) => void;
  onValid?: (duty: Duty, pubkey: PubKey, fromShareIndex: number) => void;
}

export class MemParSigDB implements ParSigDB {
  private readonly internal: ((duty: Duty, set: ParSigSet) => void)[] = [];
  private readonly threshold: ((duty: Duty, pubkey: PubKey, partials: readonly ParSig[]) => void)[] = [];
  /** duty key → pubkey → share index → partial. */
  private readonly store = new Map<string, Map<PubKey, Map<number, ParSig>>>();
  private readonly emitted = new Set<string>();

  constructor(private readonly o: MemParSigDBOptions) {}

  subscribeInternal(fn: (duty: Duty, set: ParSigSet) => void): void {
    this.internal.push(fn);
  }
  subscribeThreshold(fn: (duty: Duty, pubkey: PubKey, partials: readonly ParSig[]) => void): void {
    this.threshold.push(fn);
  }

  storeInternal(duty: Duty, set: ParSigSet): void {
    for (const fn of this.internal) fn(duty, set);
    for (const [pubkey, sig] of set) this.add(duty, pubkey, sig, sig.shareIndex);
  }

  storeExternal(duty: Duty, set: ParSigSet, fromShareIndex: number): void {
    for (const [pubkey, sig] of set) this.add(duty, pubkey, sig, fromShareIndex);
  }

  expire(duty: Duty): void {
    const key = dutyKey(duty);
    this.store.delete(key);
    for (const k of this.emitted) if (k.startsWith(`${key}|`)) this.emitted.delete(k);
  }

  private check(pubkey: PubKey, sig: ParSig, from: number): InvalidPartialReason | null {
    if (sig.shareIndex !== from) return "share_idx_mismatch";
    const share = this.o.publicShare(pubkey, from);
    if (!share) return "unknown_validator";
    let root: Uint8Array;
    try {
      root = signingRootOf(this.o.network, sig.data);
    } catch {
      return "signing_root_mismatch";
    }
    if (toHex(root) !== toHex(sig.signingRoot)) return "signing_root_mismatch";
    if (!verify(share, root, sig.signature)) return "invalid_signature";
    return null;
  }

  private add(duty: Duty, pubkey: PubKey, sig: ParSig, from: number): void {
    const reason = this.check(pubkey, sig, from);
    if (reason) {
      this.o.onInvalid?.(duty, pubkey, from, reason);
      return;
    }
    const key = dutyKey(duty);
    const byPk = this.store.get(key) ?? new Map<PubKey, Map<number, ParSig>>();
    this.store.set(key, byPk);
    const byIdx = byPk.get(pubkey) ?? new Map<number, ParSig>();
    byPk.set(pubkey, byIdx);
    const prev = byIdx.get(from);
    if (prev) {
      if (toHex(prev.signingRoot) !== toHex(sig.signingRoot))
        this.o.onInvalid?.(duty, pubkey, from, "equivocation");
      return;
    }
    byIdx.set(from, sig);
    this.o.onValid?.(duty, pubkey, from);
    const root = toHex(sig.signingRoot);
    const matching = [...byIdx.values()].filter((p) => toHex(p.signingRoot) === root);
    const emitKey = `${key}|${pubkey}`;
    if (matching.length >= this.o.threshold && !this.emitted.has(emitKey)) {
      this.emitted.add(emitKey);
      const partials = matching.slice(0, this.o.threshold);
      for (const fn of this.threshold) fn(duty, pubkey, partials);
    }
  }
}
