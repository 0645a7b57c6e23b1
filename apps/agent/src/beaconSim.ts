import { readFile } from "node:fs/promises";
import { startBeaconSim, validatorSet } from "@cohort/beacon-sim";
import { parseLock } from "@cohort/cluster";
import { devnetConfig, FORK_NAMES, type ForkName } from "@cohort/eth";
import { CliError } from "./cluster/create";

export interface BeaconSimOptions {
  lock?: string;
  fillers: number;
  slotTime: number;
  slotsPerEpoch: number;
  /** The fork in force from genesis (all earlier forks at epoch 0). */
  fork: string;
  forkVersion?: string;
  port: number;
  /** Seconds from now until genesis. */
  genesisDelay: number;
}

/**
 * Starts the beacon-node simulator for a local devnet: the cluster lock's validators (if given)
 * first, then `fillers` public filler validators; genesis a few seconds from now.
 */
export async function runBeaconSim(opts: BeaconSimOptions) {
  if (!(FORK_NAMES as readonly string[]).includes(opts.fork)) {
    throw new CliError(`--fork must be one of ${FORK_NAMES.join(", ")} (got ${opts.fork})`);
  }
  let pubkeys: string[] = [];
  let forkVersion = opts.forkVersion ?? "0x10000038";
  if (opts.lock) {
    const lock = parseLock(await readFile(opts.lock, "utf8"));
    pubkeys = lock.distributedValidators.map(
      (v) => `0x${Buffer.from(v.distributedPublicKey).toString("hex")}`,
    );
    forkVersion = `0x${Buffer.from(lock.definition.forkVersion).toString("hex")}`;
  }
  if (pubkeys.length + opts.fillers === 0) throw new CliError("no validators: give --lock and/or --fillers");
  const upTo = FORK_NAMES.indexOf(opts.fork as ForkName);
  const forkEpochs = Object.fromEntries(FORK_NAMES.slice(1, upTo + 1).map((f) => [f, 0]));
  const network = devnetConfig({
    name: "cohort-devnet",
    genesisForkVersion: forkVersion,
    genesisValidatorsRoot: `0x${"00".repeat(31)}01`,
    genesisTime: Math.floor(Date.now() / 1000) + opts.genesisDelay,
    secondsPerSlot: opts.slotTime,
    slotsPerEpoch: opts.slotsPerEpoch,
    forkEpochs,
  });
  const validators = validatorSet(pubkeys, { fillers: opts.fillers });
  return { ...(await startBeaconSim({ network, validators, port: opts.port })), network, validators };
}
