/**
 * ParSigDB: own and peers' partial signatures per duty and validator. Every partial is checked
 * (share index = the sender's, signing root recomputed from its data, BLS-verified against the
 * sender's public share); once `threshold` partials agree on one signing root, they are emitted once.
 *
 * A peer's message carries its partials for all of a duty's validators, usually over one signing
 * root (Electra attestations, sync messages): they are BLS-checked together with a randomised batch
 * (`verifyMultipleSignatures`), and one by one only when the batch fails, to name the bad ones.
 * Own partials are not BLS-verified again: the signer made them with a share that was checked
 * against its public share when the lock was loaded.
 */
import type { NetworkConfig } from "@cohort/eth";
import { verify, verifyMultipleSignatures } from "@cohort/tbls";
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
    for (const [pubkey, sig] of set) {
      const reason = this.precheck(pubkey, sig, sig.shareIndex);
      if (reason) this.o.onInvalid?.(duty, pubkey, sig.shareIndex, reason);
      else this.add(duty, pubkey, sig, sig.shareIndex);
    }
  }

  storeExternal(duty: Duty, set: ParSigSet, fromShareIndex: number): void {
    const candidates: { pubkey: PubKey; sig: ParSig; share: Uint8Array }[] = [];
    for (const [pubkey, sig] of set) {
      const reason = this.precheck(pubkey, sig, fromShareIndex);
      if (reason) this.o.onInvalid?.(duty, pubkey, fromShareIndex, reason);
      else candidates.push({ pubkey, sig, share: this.o.publicShare(pubkey, fromShareIndex)! });
    }
    if (candidates.length === 0) return;
    const batchOk =
      candidates.length > 1 &&
      verifyMultipleSignatures(
        candidates.map((c) => ({
          publicKey: c.share,
          message: c.sig.signingRoot,
          signature: c.sig.signature,
        })),
      );
    for (const c of candidates) {
      if (!batchOk && !verify(c.share, c.sig.signingRoot, c.sig.signature)) {
        this.o.onInvalid?.(duty, c.pubkey, fromShareIndex, "invalid_signature");
        continue;
      }
      this.add(duty, c.pubkey, c.sig, fromShareIndex);
    }
  }

  expire(duty: Duty): void {
    const key = dutyKey(duty);
    this.store.delete(key);
    for (const k of this.emitted) if (k.startsWith(`${key}|`)) this.emitted.delete(k);
  }

  /** Everything but the BLS check: sender binding, known validator, signing root recomputed from the data. */
  private precheck(pubkey: PubKey, sig: ParSig, from: number): InvalidPartialReason | null {
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
    return null;
  }

  /** Stores a checked partial; emits the threshold set once enough agree on one signing root. */
  private add(duty: Duty, pubkey: PubKey, sig: ParSig, from: number): void {
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
