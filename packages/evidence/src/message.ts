/**
 * The partial-signature message one member sends for one duty (its partials for all of the duty's
 * validators), signed with its secp256k1 identity key from the cluster lock. The agent's exchange
 * (`@cohort/core` parsigex) produces these; receivers, the portal and the offline verifier check
 * them with the same digest.
 */
import { createHash } from "node:crypto";

export type Hex = `0x${string}`;

export interface ParSigMsgPartial<D = unknown> {
  /** Group public key of the validator (48 bytes, 0x-hex). */
  pubkey: string;
  /** The signing root the partial signs (32 bytes, 0x-hex). */
  signingRoot: string;
  /** The member's partial BLS signature (96 bytes, 0x-hex). */
  signature: string;
  /** The unsigned data (duty-specific JSON). Not part of the digest: the signing root commits to it. */
  data: D;
}

export interface ParSigMsg<D = unknown> {
  lockHash: string;
  slot: number;
  /** Duty type code (append-only, see `@cohort/core` `DutyType`). */
  dutyType: number;
  shareIndex: number;
  /** Sender's unix ms. */
  sentAt: number;
  partials: ParSigMsgPartial<D>[];
}

export interface SignedParSigMsg<D = unknown> {
  message: ParSigMsg<D>;
  /** 65-byte R‖S‖V secp256k1 signature over {@link parSigMsgDigest}, 0x-hex. */
  signature: string;
}

export const toHex = (b: Uint8Array): Hex => `0x${Buffer.from(b).toString("hex")}`;
export const fromHex = (h: string): Uint8Array => new Uint8Array(Buffer.from(h.replace(/^0x/, ""), "hex"));

export const u64be = (n: number): Buffer => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(n));
  return b;
};

/** sha256("cohort/parsigex/v1" ‖ lockHash ‖ slot ‖ dutyType ‖ shareIndex ‖ sentAt ‖ n ‖ (pubkey ‖ root ‖ sig)* sorted by pubkey). */
export function parSigMsgDigest(m: ParSigMsg): Uint8Array {
  const h = createHash("sha256").update("cohort/parsigex/v1");
  h.update(fromHex(m.lockHash))
    .update(u64be(m.slot))
    .update(u64be(m.dutyType))
    .update(u64be(m.shareIndex))
    .update(u64be(m.sentAt));
  const sorted = [...m.partials].sort((a, b) => (a.pubkey < b.pubkey ? -1 : a.pubkey > b.pubkey ? 1 : 0));
  h.update(u64be(sorted.length));
  for (const p of sorted)
    h.update(fromHex(p.pubkey)).update(fromHex(p.signingRoot)).update(fromHex(p.signature));
  return new Uint8Array(h.digest());
}
