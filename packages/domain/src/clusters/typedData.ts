import { hashStruct, keccak256, toBytes } from "viem";

/**
 * EIP-712 typed data an operator signs to accept a seat in a cluster. The signature binds the
 * operator to the exact cluster configuration it saw (name, network, threshold, every operator and
 * its share index), so a changed configuration needs fresh acceptances.
 */
export const membershipDomain = { name: "Cohort", version: "1" } as const;

export const membershipTypes = {
  ClusterConfig: [
    { name: "clusterId", type: "string" },
    { name: "name", type: "string" },
    { name: "network", type: "string" },
    { name: "threshold", type: "uint256" },
    { name: "operators", type: "address[]" },
  ],
  Membership: [
    { name: "cluster", type: "ClusterConfig" },
    { name: "operator", type: "address" },
    { name: "shareIndex", type: "uint256" },
  ],
} as const;

export interface ClusterConfig {
  clusterId: string;
  name: string;
  network: string;
  threshold: number;
  /** Operator addresses in share-index order (index 0 = share 1). */
  operators: readonly `0x${string}`[];
}

const configMessage = (c: ClusterConfig) => ({
  clusterId: c.clusterId,
  name: c.name,
  network: c.network,
  threshold: BigInt(c.threshold),
  operators: c.operators,
});

/** EIP-712 struct hash of the cluster configuration: what `Cluster.configHash` stores. */
export function clusterConfigHash(config: ClusterConfig): `0x${string}` {
  return hashStruct({ data: configMessage(config), primaryType: "ClusterConfig", types: membershipTypes });
}

/** The full typed-data payload to hand to a wallet (`eth_signTypedData_v4`) or viem's signTypedData. */
export function membershipTypedData(config: ClusterConfig, operator: `0x${string}`, shareIndex: number) {
  return {
    domain: membershipDomain,
    types: membershipTypes,
    primaryType: "Membership" as const,
    message: { cluster: configMessage(config), operator, shareIndex: BigInt(shareIndex) },
  };
}

/** Stable id for a roster (who is in, in which state): lets the roster job skip work already done. */
export const rosterHash = (entries: string[]) => keccak256(toBytes(entries.join("\n")));
