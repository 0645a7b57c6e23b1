/**
 * Inclusion proofs for {@link merkleRoot} (report.ts): leaves sorted bytewise and deduplicated, an
 * odd node promoted unchanged, internal nodes sha256(0x01 ‖ left ‖ right). A proof is the leaf's
 * position among the sorted unique leaves plus the siblings on its path; the verifier derives which
 * levels have a sibling (and on which side) from the position and the leaf count, so the count —
 * which the member signs in its epoch root — pins the tree's shape.
 */
import { createHash } from "node:crypto";
import { fromHex, toHex } from "./message";
import { merkleRoot } from "./report";

export interface MerkleProof {
  /** Position of the leaf among the sorted, deduplicated leaves. */
  index: number;
  /** Sibling hashes from the leaf upwards (0x-hex, 32 bytes each). */
  siblings: string[];
}

const NODE = new Uint8Array([1]);
const node = (l: Uint8Array, r: Uint8Array) =>
  new Uint8Array(createHash("sha256").update(NODE).update(l).update(r).digest());

/** Sorted unique leaves, as {@link merkleRoot} orders them. */
export function sortedLeaves(leaves: readonly Uint8Array[]): Uint8Array[] {
  return [...new Map(leaves.map((l) => [toHex(l), l])).values()].sort((a, b) => Buffer.compare(a, b));
}

/** Proofs for every leaf of `leaves` (keyed by the leaf's 0x-hex), and the root they prove against. */
export function merkleProofs(leaves: readonly Uint8Array[]): {
  root: Uint8Array;
  proofs: Map<string, MerkleProof>;
} {
  const sorted = sortedLeaves(leaves);
  const proofs = new Map<string, MerkleProof>(sorted.map((l, i) => [toHex(l), { index: i, siblings: [] }]));
  // Track, for every current node, which original leaves sit beneath it.
  let level = sorted;
  let members: number[][] = sorted.map((_, i) => [i]);
  const byIndex = sorted.map((l) => proofs.get(toHex(l))!);
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    const nextMembers: number[][] = [];
    for (let i = 0; i < level.length; i += 2) {
      const left = level[i]!;
      const right = level[i + 1];
      if (!right) {
        next.push(left);
        nextMembers.push(members[i]!);
        continue;
      }
      for (const m of members[i]!) byIndex[m]!.siblings.push(toHex(right));
      for (const m of members[i + 1]!) byIndex[m]!.siblings.push(toHex(left));
      next.push(node(left, right));
      nextMembers.push([...members[i]!, ...members[i + 1]!]);
    }
    level = next;
    members = nextMembers;
  }
  return { root: merkleRoot(sorted), proofs };
}

/** True iff `leaf` is the `proof.index`-th of `count` sorted unique leaves under `root`. */
export function verifyMerkleProof(
  root: Uint8Array | string,
  count: number,
  leaf: Uint8Array,
  proof: MerkleProof,
): boolean {
  if (!Number.isSafeInteger(count) || !Number.isSafeInteger(proof.index)) return false;
  if (proof.index < 0 || proof.index >= count) return false;
  let h = leaf;
  let idx = proof.index;
  let size = count;
  let k = 0;
  try {
    while (size > 1) {
      if (idx % 2 === 1) {
        const s = proof.siblings[k++];
        if (s === undefined) return false;
        h = node(fromHex(s), h);
      } else if (idx + 1 < size) {
        const s = proof.siblings[k++];
        if (s === undefined) return false;
        h = node(h, fromHex(s));
      }
      idx = Math.floor(idx / 2);
      size = Math.ceil(size / 2);
    }
  } catch {
    return false;
  }
  const r = typeof root === "string" ? fromHex(root) : root;
  return k === proof.siblings.length && Buffer.compare(h, r) === 0;
}
