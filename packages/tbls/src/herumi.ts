import type { PublicKey as BlstPublicKey, Signature as BlstSignature } from "@chainsafe/blst";
import herumiModule from "bls-eth-wasm";
import { TblsError } from "./errors";
import { FR_ORDER } from "./shamir";

// herumi's bls-eth-wasm is used for exactly one thing: Lagrange interpolation in the exponent
// (G1 for public keys, G2 for signatures), which blst's JS binding does not expose. Everything else —
// parsing, validation, signing, verification — is blst.
//
// Initialisation: the wasm module must be instantiated asynchronously once per process. The facade
// does it lazily (every herumi-backed function is async and awaits the same promise), and
// `initTbls()` lets a process pay the ~70 ms up front at start-up instead of on its first duty. No
// top-level await: importing @cohort/tbls stays cheap for code that only needs blst or Shamir.

/** The parts of bls-eth-wasm 1.7.0 that its bundled typings omit. */
type Herumi = typeof herumiModule & {
  setETHmode(mode: number): void;
  readonly ETH_MODE_DRAFT_07: number;
  /** Set once `init` has run (the emscripten-style module instance). */
  readonly mod?: unknown;
  readonly curveType?: number;
};

/** A herumi G1 point (public key). @internal */
export type HerumiPublicKey = InstanceType<typeof herumiModule.PublicKey>;
/** A herumi G2 point (signature). @internal */
export type HerumiSignature = InstanceType<typeof herumiModule.Signature>;
/** A herumi x coordinate (an Fr element). @internal */
export type HerumiId = InstanceType<typeof herumiModule.Id>;

const bls = herumiModule as Herumi;
let ready: Promise<Herumi> | undefined;

/**
 * Instantiates the herumi WebAssembly module (BLS12-381, Ethereum mode `ETH_MODE_DRAFT_07`, i.e.
 * RFC 9380 hash-to-curve — the mode Charon runs). Idempotent and safe to call concurrently; the
 * threshold functions call it themselves, so calling it is only a way to move the one-off cost
 * (~70 ms) to start-up.
 *
 * @example await initTbls(); // at process start
 * @throws {TblsError} `INIT_FAILED`
 */
export async function initTbls(): Promise<void> {
  await loadHerumi();
}

/** The initialised herumi module. @internal */
export function loadHerumi(): Promise<Herumi> {
  ready ??= (async () => {
    try {
      // bls-eth-wasm is a process-wide singleton: if other code initialised it for BLS12-381
      // already, re-running init would swap the module under that code's feet.
      if (bls.mod === undefined || bls.curveType !== bls.BLS12_381) await bls.init(bls.BLS12_381);
      bls.setETHmode(bls.ETH_MODE_DRAFT_07);
      // Safe defaults for anyone else deserialising through this singleton.
      bls.verifySignatureOrder(true);
      bls.verifyPublicKeyOrder(true);
      return bls;
    } catch (cause) {
      ready = undefined; // let a later call retry
      throw new TblsError("INIT_FAILED", "cannot initialise the herumi bls-eth-wasm module", { cause });
    }
  })();
  return ready;
}

/**
 * Runs `fn` with herumi's deserialisation-time subgroup checks off, restoring them (on) afterwards.
 * Only for points that blst has already subgroup-checked: herumi's own check would cost ~0.25 ms per
 * point in wasm and is the bulk of a naive `Signature.recover`. `fn` must be synchronous (it is: the
 * wasm calls are), so no other code can observe the switch.
 *
 * @internal
 */
export function withBlstValidatedPoints<T>(herumi: Herumi, fn: () => T): T {
  herumi.verifySignatureOrder(false);
  herumi.verifyPublicKeyOrder(false);
  try {
    return fn();
  } finally {
    herumi.verifySignatureOrder(true);
    herumi.verifyPublicKeyOrder(true);
  }
}

/**
 * A blst-validated signature as a herumi point. Goes through the *uncompressed* encoding, so herumi
 * skips the Fp2 square root of decompression. Call inside {@link withBlstValidatedPoints}. @internal
 */
export function toHerumiSignature(herumi: Herumi, signature: BlstSignature): HerumiSignature {
  const out = new herumi.Signature();
  out.deserializeUncompressed(signature.toBytes(false));
  return out;
}

/** A blst-validated public key as a herumi point (see {@link toHerumiSignature}). @internal */
export function toHerumiPublicKey(herumi: Herumi, publicKey: BlstPublicKey): HerumiPublicKey {
  const out = new herumi.PublicKey();
  out.deserializeUncompressed(publicKey.toBytes(false));
  return out;
}

/** The Fr element x (reduced mod r; negative values allowed) as a herumi id. @internal */
export function toHerumiId(herumi: Herumi, x: bigint): HerumiId {
  const id = new herumi.Id();
  id.setStr((((x % FR_ORDER) + FR_ORDER) % FR_ORDER).toString(10)); // base 10
  return id;
}
