import type { Db } from "@cohort/db";
import DataLoader from "dataloader";

/** Groups rows by key, preserving the order of `keys` (DataLoader's contract). */
function groupBy<K, T>(keys: readonly K[], rows: T[], keyOf: (row: T) => K): T[][] {
  const map = new Map<K, T[]>(keys.map((k) => [k, []]));
  for (const row of rows) map.get(keyOf(row))?.push(row);
  return keys.map((k) => map.get(k)!);
}

/** Per-request DataLoaders, one per relation the schema walks, so a list of clusters costs O(1) queries. */
export function createLoaders(db: Db) {
  return {
    membersByCluster: new DataLoader(async (clusterIds: readonly string[]) =>
      groupBy(
        clusterIds,
        await db.clusterMember.findMany({
          where: { clusterId: { in: [...clusterIds] } },
          orderBy: { shareIndex: "asc" },
        }),
        (m) => m.clusterId,
      ),
    ),
    member: new DataLoader(async (ids: readonly string[]) => {
      const rows = await db.clusterMember.findMany({ where: { id: { in: [...ids] } } });
      const byId = new Map(rows.map((r) => [r.id, r]));
      return ids.map((id) => byId.get(id) ?? new Error(`member ${id} not found`));
    }),
    operator: new DataLoader(async (ids: readonly string[]) => {
      const rows = await db.operator.findMany({ where: { id: { in: [...ids] } } });
      const byId = new Map(rows.map((r) => [r.id, r]));
      return ids.map((id) => byId.get(id) ?? new Error(`operator ${id} not found`));
    }),
    cluster: new DataLoader(async (ids: readonly string[]) => {
      const rows = await db.cluster.findMany({ where: { id: { in: [...ids] } } });
      const byId = new Map(rows.map((r) => [r.id, r]));
      return ids.map((id) => byId.get(id) ?? new Error(`cluster ${id} not found`));
    }),
    validatorsByCluster: new DataLoader(async (clusterIds: readonly string[]) =>
      groupBy(
        clusterIds,
        await db.validator.findMany({
          where: { clusterId: { in: [...clusterIds] } },
          orderBy: [{ index: "asc" }, { pubkey: "asc" }],
        }),
        (v) => v.clusterId,
      ),
    ),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
