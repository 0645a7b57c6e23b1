/**
 * What the evidence rules need from a cluster lock: each member's share index (operator position + 1),
 * its secp256k1 identity key (from its ENR) and operator address, and each validator's public shares.
 * The same derivation as `@cohort/core` `clusterFromLock`, without depending on the agent's core.
 */
import { type Lock, parseEnr } from "@cohort/cluster";
import { toHex } from "./message";

export interface EvidenceMember {
  shareIndex: number;
  /** Compressed secp256k1 identity public key (33 bytes) from the operator's ENR. */
  identityPublicKey: Uint8Array;
  /** Operator's Ethereum address as written in the lock ("" when absent). */
  address: string;
}

export interface EvidenceValidator {
  /** Group public key, lower-case 0x-hex. */
  pubkey: string;
  /** Share index → public share (48 bytes). */
  publicShares: ReadonlyMap<number, Uint8Array>;
}

export interface EvidenceCluster {
  /** Lower-case 0x-hex. */
  lockHash: string;
  threshold: number;
  members: EvidenceMember[];
  validators: EvidenceValidator[];
}

/** @throws Error naming the operator or validator when an ENR or the public shares do not fit. */
export function evidenceClusterFromLock(lock: Lock): EvidenceCluster {
  const members = lock.definition.operators.map((op, i): EvidenceMember => {
    const enr = parseEnr(op.enr, `operators[${i}].enr`);
    if (enr.publicKey.length !== 33)
      throw new Error(`operator ${i}: ENR public key is not a compressed secp256k1 key`);
    return { shareIndex: i + 1, identityPublicKey: enr.publicKey, address: op.address };
  });
  const validators = lock.distributedValidators.map((dv, v): EvidenceValidator => {
    if (dv.publicShares.length !== members.length)
      throw new Error(
        `distributed_validators[${v}] has ${dv.publicShares.length} public shares for ${members.length} operators`,
      );
    return {
      pubkey: toHex(dv.distributedPublicKey),
      publicShares: new Map(dv.publicShares.map((s, i) => [i + 1, s])),
    };
  });
  return { lockHash: toHex(lock.lockHash), threshold: lock.definition.threshold, members, validators };
}

/** The default receipt quorum: ⌈(n − 1) / 2⌉ other members (2 of the 3 others in a 4-member cluster). */
export const defaultReceiptQuorum = (n: number) => Math.ceil((n - 1) / 2);
