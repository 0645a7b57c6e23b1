import type { AddressInfo } from "node:net";
import type { NetworkConfig } from "@cohort/eth";
import { SimChain, type SimChainOptions, type SimValidator } from "./chain";
import type { SimRecorder } from "./recorder";
import { type BeaconApiOptions, createBeaconApi } from "./server";

export interface StartBeaconSimOptions extends Omit<BeaconApiOptions, "recorder">, SimChainOptions {
  network: NetworkConfig;
  /** The validator set, e.g. from {@link validatorSet}. */
  validators: readonly SimValidator[];
  /** 0 (default): any free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
}

export interface RunningBeaconSim {
  /** Base URL, e.g. `http://127.0.0.1:5052`. */
  url: string;
  chain: SimChain;
  recorder: SimRecorder;
  stop(): Promise<void>;
}

/**
 * Starts a simulated beacon node on `port`.
 *
 * @example
 * const bn = await startBeaconSim({ network, validators: validatorSet(lockPubkeys, { fillers: 60 }) });
 * // … point validator clients at bn.url …
 * const stats = await fetch(`${bn.url}/cohort/v1/stats`).then((r) => r.json());
 * await bn.stop();
 */
export async function startBeaconSim(options: StartBeaconSimOptions): Promise<RunningBeaconSim> {
  const {
    network,
    validators,
    port = 0,
    host = "127.0.0.1",
    epochsPerSyncCommitteePeriod,
    shardCommitteePeriod,
    ...apiOptions
  } = options;
  const chain = new SimChain(network, validators, {
    ...(epochsPerSyncCommitteePeriod === undefined ? {} : { epochsPerSyncCommitteePeriod }),
    ...(shardCommitteePeriod === undefined ? {} : { shardCommitteePeriod }),
  });
  const server = createBeaconApi(chain, apiOptions);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://${host.includes(":") ? `[${host}]` : host}:${address.port}`,
    chain,
    recorder: server.recorder,
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((e) => (e ? reject(e) : resolve()));
      }),
  };
}
