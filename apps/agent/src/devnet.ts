// Helpers for local devnets (simnet, the demo, scenario tests); no heavy imports, so scripts can
// use them without loading the agent.

/** One node of a local devnet: where its files are and the loopback ports of the cluster. */
export interface LocalAgentArgs {
  dataDir: string;
  beaconUrl: string;
  /** Every node's p2p port, by node index (`--peer i=127.0.0.1:port`). */
  p2pPorts: readonly number[];
  monitoringPort: number;
  logLevel: string;
  portal?: { url: string; key: string };
}

/** The `cohort agent run …` arguments (after the bin) for one node of a local devnet. */
export function localAgentRunArgs(o: LocalAgentArgs): string[] {
  return [
    "agent",
    "run",
    "--data-dir",
    o.dataDir,
    "--beacon-url",
    o.beaconUrl,
    ...o.p2pPorts.flatMap((p, i) => ["--peer", `${i}=127.0.0.1:${p}`]),
    "--monitoring-address",
    `127.0.0.1:${o.monitoringPort}`,
    "--log-level",
    o.logLevel,
    ...(o.portal ? ["--portal-url", o.portal.url, "--portal-key", o.portal.key] : []),
  ];
}
