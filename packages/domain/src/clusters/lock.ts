/**
 * Attaching a cluster lock (the output of key generation) to a portal cluster: the lock is
 * verified in full (hashes, operator and aggregate signatures, public shares), its operators must be
 * exactly the cluster's members in share-index order, and its threshold the cluster's. Then the
 * portal learns what ingest verifies against: the lock hash, every member's identity key (from its
 * ENR) and every validator's group key and public shares.
 */
import { type Lock, parseLock, verifyLock } from "@cohort/cluster";
import type { Db } from "@cohort/db";
import { evidenceClusterFromLock, toHex } from "@cohort/evidence";
import { badInput, CohortError, notFound } from "../errors";

export interface AttachLockOptions {
  /** EIP-712 chain id for devnet locks (see `cohort lock verify --chain-id`). */
  chainId?: number;
}

export async function attachLock(
  db: Db,
  clusterId: string,
  lockJson: unknown,
  options: AttachLockOptions = {},
): Promise<{ lockHash: string; validators: number }> {
  let lock: Lock;
  try {
    lock = parseLock(lockJson);
  } catch (e) {
    throw badInput("lock", (e as Error).message);
  }
  try {
    await verifyLock(lock, options.chainId !== undefined ? { chainId: options.chainId } : {});
  } catch (e) {
    throw badInput("lock", `does not verify: ${(e as Error).message}`);
  }
  const cluster = await db.cluster.findUnique({
    where: { id: clusterId },
    include: { members: { include: { operator: { select: { address: true } } } } },
  });
  if (!cluster) throw notFound("cluster", clusterId);
  const ev = evidenceClusterFromLock(lock);
  if (ev.threshold !== cluster.threshold)
    throw badInput("lock", `threshold ${ev.threshold} differs from the cluster's ${cluster.threshold}`);
  if (ev.members.length !== cluster.members.length)
    throw badInput("lock", `has ${ev.members.length} operators, the cluster ${cluster.members.length}`);
  for (const m of ev.members) {
    const member = cluster.members.find((x) => x.shareIndex === m.shareIndex);
    if (!member || member.operator.address.toLowerCase() !== m.address.toLowerCase()) {
      throw badInput(
        `lock.operators.${m.shareIndex - 1}`,
        `operator ${m.address || "(no address)"} is not the cluster's member ${m.shareIndex}`,
      );
    }
  }
  const lockHash = ev.lockHash;
  if (cluster.lockHash && cluster.lockHash !== lockHash)
    throw new CohortError("CONFLICT", `the cluster already has lock ${cluster.lockHash}`);
  const taken = await db.validator.findMany({
    where: { pubkey: { in: ev.validators.map((v) => v.pubkey) }, clusterId: { not: clusterId } },
    select: { pubkey: true },
  });
  if (taken.length > 0) throw badInput("lock", `validator ${taken[0]!.pubkey} belongs to another cluster`);
  await db.$transaction(async (tx) => {
    await tx.cluster.update({
      where: { id: clusterId },
      data: {
        lockHash,
        definitionHash: toHex(lock.definition.definitionHash),
        lock: lockJson as object,
      },
    });
    for (const m of ev.members) {
      await tx.clusterMember.update({
        where: { clusterId_shareIndex: { clusterId, shareIndex: m.shareIndex } },
        data: {
          enr: lock.definition.operators[m.shareIndex - 1]!.enr,
          identityPubkey: toHex(m.identityPublicKey),
        },
      });
    }
    for (const v of ev.validators) {
      const publicShares = [...v.publicShares.entries()].sort(([a], [b]) => a - b).map(([, s]) => toHex(s));
      await tx.validator.upsert({
        where: { pubkey: v.pubkey },
        create: { clusterId, pubkey: v.pubkey, publicShares },
        update: { publicShares },
      });
    }
  });
  return { lockHash, validators: ev.validators.length };
}
