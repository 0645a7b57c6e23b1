import {
  NETWORKS as BUILT_IN,
  EXTRA_NETWORKS,
  networkByForkVersion as ethNetworkByForkVersion,
  isEthError,
  type NetworkConfig,
} from "@cohort/eth";
import { toHex } from "viem";

/**
 * The networks a cluster file's `fork_version` can name: `@cohort/eth`'s built-in networks plus its
 * `EXTRA_NETWORKS` (Goerli, Gnosis, Chiado), which Charon also knows and older cluster files use.
 */
const EXTRA = Object.values(EXTRA_NETWORKS);

/** The network whose genesis fork version this is, or undefined (unknown, or not 4 bytes). */
export function clusterNetwork(forkVersion: Uint8Array): NetworkConfig | undefined {
  if (forkVersion.length !== 4) return undefined;
  try {
    return ethNetworkByForkVersion(toHex(forkVersion), EXTRA);
  } catch (e) {
    if (isEthError(e)) return undefined;
    throw e;
  }
}

/**
 * A network as this package used to describe it.
 * @deprecated Use `@cohort/eth`'s `NetworkConfig` (`depositChainId` is the chain id).
 */
export interface Network {
  name: string;
  chainId: number;
  genesisForkVersion: `0x${string}`;
}

const toNetwork = (n: NetworkConfig): Network[] =>
  n.depositChainId === undefined
    ? []
    : [{ name: n.name, chainId: n.depositChainId, genesisForkVersion: n.genesisForkVersion }];

/**
 * Every network a cluster's fork version can resolve to (a view of `@cohort/eth`'s tables).
 * @deprecated Use `@cohort/eth`'s `NETWORKS` and `EXTRA_NETWORKS`.
 */
export const NETWORKS: readonly Network[] = Object.freeze(
  [...Object.values(BUILT_IN), ...EXTRA].flatMap(toNetwork),
);

/**
 * The network with this genesis fork version, or undefined.
 * @deprecated Use `@cohort/eth`'s `networkByForkVersion(hex, Object.values(EXTRA_NETWORKS))`.
 */
export function networkByForkVersion(forkVersion: Uint8Array): Network | undefined {
  const network = clusterNetwork(forkVersion);
  return network && toNetwork(network)[0];
}
