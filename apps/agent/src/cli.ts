import { ClusterError } from "@cohort/cluster";
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { parsePeerOverrides, runAgentUntilSignal } from "./agentRun";
import { runBeaconSim } from "./beaconSim";
import { BYZANTINE_MODES, type ByzantineMode } from "./byzantine";
import { CliError, createCluster, DEVNET_EIP712_CHAIN_ID } from "./cluster/create";
import { parseSkip, SKIPPABLE, verifyClusterFile } from "./cluster/verify";
import { exportEvidence, verifyEvidenceFile } from "./evidence";
import { broadcastExit, signPartialExit } from "./exit";
import { parseInteropRange } from "./interop";
import {
  approveSettlement,
  disputeSettlement,
  type SettlementCliOptions,
  showSettlement,
} from "./settlement";
import { formatSimnetSummary, parseByzantine, parseKill, runSimnet } from "./simnet";
import { exportSlashing, importSlashing } from "./slashing";

export interface Io {
  out(line: string): void;
  err(line: string): void;
}

const int = (flag: string) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n)) throw new InvalidArgumentError(`${flag} must be an integer`);
  return n;
};

function buildProgram(io: Io, setCode: (code: number) => void): Command {
  const program = new Command("cohort")
    .description("Cohort: run a distributed validator together, and hold each other accountable")
    .version("0.1.0")
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) });

  const cluster = program.command("cluster").description("cluster files and keys");
  cluster
    .command("create")
    .description(
      "create a cluster with a trusted dealer (like `charon create cluster`): keys, shares and a signed lock per node",
    )
    .requiredOption("--name <name>", "cluster name")
    .requiredOption("--nodes <n>", "number of nodes (operators)", int("--nodes"))
    .option("--threshold <t>", "signatures needed (default ⌈2n/3⌉; at least ⌊n/2⌋+1)", int("--threshold"))
    .requiredOption("--validators <k>", "number of distributed validators", int("--validators"))
    .option("--network <name>", "mainnet | hoodi | holesky | sepolia")
    .option("--fork-version <0x…>", "genesis fork version of a custom devnet (instead of --network)")
    .option("--genesis-time <unix>", "devnet genesis time for builder registrations", int("--genesis-time"))
    .requiredOption("--fee-recipient <address>", "validators' fee recipient")
    .requiredOption("--withdrawal <address>", "validators' withdrawal address")
    .requiredOption("--out <dir>", "output directory (must be empty or absent)")
    .option(
      "--insecure-keys <spec>",
      "INSECURE: public interop validator keys, interop:<from>..<to> (local devnets only)",
    )
    .option("--kdf <kdf>", "keystore KDF: scrypt | pbkdf2", "scrypt")
    .action(async (o) => {
      const interopIndices = o.insecureKeys ? parseInteropRange(o.insecureKeys) : undefined;
      if (interopIndices) {
        io.err("WARNING: --insecure-keys uses PUBLIC interop validator keys that anyone can derive.");
        io.err("WARNING: use them on a local devnet only; never deposit real ETH to these validators.");
      }
      if (o.kdf !== "scrypt" && o.kdf !== "pbkdf2")
        throw new CliError(`--kdf must be scrypt or pbkdf2 (got ${o.kdf})`);
      const created = await createCluster({
        name: o.name,
        nodes: o.nodes,
        threshold: o.threshold,
        validators: o.validators,
        network: o.network,
        forkVersion: o.forkVersion,
        genesisTime: o.genesisTime,
        feeRecipient: o.feeRecipient,
        withdrawal: o.withdrawal,
        out: o.out,
        interopIndices,
        kdf: o.kdf,
        log: (line) => io.err(line),
      });
      io.out(
        `created ${created.threshold}-of-${created.nodeDirs.length} cluster "${o.name}" on ${created.network.name} with ` +
          `${created.validatorPubkeys.length} validator(s); lock_hash ${created.lockHash}`,
      );
      io.out(`verify with: cohort lock verify ${created.nodeDirs[0]}/cluster-lock.json`);
    });

  const lock = program.command("lock").description("cluster locks");
  lock
    .command("verify <file>")
    .description("verify every hash and signature of a cluster-lock.json or cluster-definition.json")
    .option("--skip <checks>", `comma-separated checks to skip: ${Object.keys(SKIPPABLE).join(", ")}`)
    .option(
      "--chain-id <id>",
      `EIP-712 chain id for a fork version no known network has (locks from \`cluster create --fork-version\` use ${DEVNET_EIP712_CHAIN_ID})`,
      int("--chain-id"),
    )
    .action(async (file: string, o: { skip?: string; chainId?: number }) => {
      const result = await verifyClusterFile(file, parseSkip(o.skip), { chainId: o.chainId });
      io.out(result.summary);
    });

  const slashing = program.command("slashing").description("slashing protection (EIP-3076 interchange)");
  slashing
    .command("import")
    .description(
      "merge an EIP-3076 interchange file into the node's slashing-protection database (all or nothing)",
    )
    .requiredOption("--data-dir <dir>", "the node's data directory")
    .requiredOption("--file <interchange.json>", "EIP-3076 v5 interchange file")
    .action(async (o: { dataDir: string; file: string }) => {
      const r = await importSlashing(o.dataDir, o.file);
      io.out(`imported ${r.validators} validator(s): ${r.blocks} block(s), ${r.attestations} attestation(s)`);
    });
  slashing
    .command("export")
    .description("write the node's complete slashing-protection history as an EIP-3076 v5 interchange file")
    .requiredOption("--data-dir <dir>", "the node's data directory")
    .requiredOption("--genesis-validators-root <0x…>", "the chain's genesis_validators_root")
    .requiredOption("--out <file>", "where to write (must not exist)")
    .action(async (o: { dataDir: string; genesisValidatorsRoot: string; out: string }) => {
      const r = await exportSlashing(o.dataDir, o.genesisValidatorsRoot, o.out);
      io.out(`exported ${r.validators} validator(s) to ${o.out}`);
    });

  const evidence = program.command("evidence").description("participation evidence (offline audit bundles)");
  evidence
    .command("export")
    .description(
      "download a cluster's evidence bundle for a slot range from the portal (operators and auditors)",
    )
    .requiredOption("--portal-url <url>", "the portal API, e.g. http://127.0.0.1:4000")
    .requiredOption(
      "--token <token>",
      "a session token (cohort_s_…) of an operator or auditor of the cluster",
    )
    .requiredOption("--cluster <id>", "the cluster id")
    .requiredOption("--from <slot>", "first slot", int("--from"))
    .requiredOption("--to <slot>", "last slot (inclusive)", int("--to"))
    .requiredOption("--out <file>", "where to write the bundle (must not exist)")
    .action(
      async (o: {
        portalUrl: string;
        token: string;
        cluster: string;
        from: number;
        to: number;
        out: string;
      }) => {
        const r = await exportEvidence(o);
        io.out(
          `wrote ${o.out}: slots ${o.from}–${o.to}, ${r.duties} duties, ${r.members} member-epochs (${r.bytes} bytes)`,
        );
      },
    );
  evidence
    .command("verify <bundle>")
    .description(
      "verify an evidence bundle against a cluster lock: every signature, Merkle proof, partial and claimed count; " +
        "prints the per-member participation it proves (exit 0), or names the first bad item (exit 1)",
    )
    .requiredOption("--lock <file>", "the cluster's cluster-lock.json (verified first)")
    .option(
      "--chain-id <id>",
      `EIP-712 chain id for a fork version no known network has (as \`lock verify\`; devnet locks use ${DEVNET_EIP712_CHAIN_ID})`,
      int("--chain-id"),
    )
    .option("--json", "print the result as JSON")
    .action(async (file: string, o: { lock: string; chainId?: number; json?: boolean }) => {
      const r = await verifyEvidenceFile(file, o.lock, {
        ...(o.chainId !== undefined ? { chainId: o.chainId } : {}),
        json: Boolean(o.json),
      });
      for (const line of r.out) io.out(line);
      for (const line of r.err) io.err(line);
      setCode(r.ok ? 0 : 1);
    });

  const settlement = program
    .command("settlement")
    .description("review, approve or dispute a reward settlement with your operator key (EIP-712)");
  const settlementOptions = (c: Command) =>
    c
      .requiredOption("--portal-url <url>", "the portal API, e.g. http://127.0.0.1:4000")
      .requiredOption(
        "--operator-key <file>",
        "file with your operator's Ethereum private key (operator-private-key from `cohort cluster create`)",
      )
      .requiredOption("--cluster <id>", "the cluster id")
      .option("--period <index>", "the settlement period (default: the newest)", int("--period"))
      .option(
        "--siwe-domain <host>",
        "the sign-in domain the portal expects (default: the portal URL's host)",
      );
  settlementOptions(
    settlement.command("show").description("print a settlement: allocations, approvals, disputes"),
  ).action(async (o: SettlementCliOptions) => {
    for (const line of await showSettlement(o)) io.out(line);
  });
  settlementOptions(
    settlement
      .command("approve")
      .description("sign the settlement's EIP-712 typed data with your operator key and record the approval"),
  ).action(async (o: SettlementCliOptions) => {
    for (const line of await approveSettlement(o)) io.out(line);
  });
  settlementOptions(settlement.command("dispute").description("object to a draft, before approving it"))
    .requiredOption("--note <text>", "what is wrong with the draft")
    .action(async (o: SettlementCliOptions & { note: string }) => {
      for (const line of await disputeSettlement(o)) io.out(line);
    });

  program
    .command("beacon-sim")
    .description("run the beacon-node simulator (Beacon API with real signing rules) for a local devnet")
    .option("--lock <file>", "cluster-lock.json whose validators the chain should know")
    .option("--fillers <n>", "extra public filler validators", int("--fillers"), 0)
    .option("--slot-time <seconds>", "seconds per slot", int("--slot-time"), 2)
    .option("--slots-per-epoch <n>", "slots per epoch", int("--slots-per-epoch"), 8)
    .option("--fork <name>", "fork in force from genesis (phase0 … fulu)", "electra")
    .option("--fork-version <0x…>", "genesis fork version when no lock is given")
    .option("--port <port>", "listen port (0 = any)", int("--port"), 5052)
    .option("--genesis-delay <seconds>", "genesis this many seconds from now", int("--genesis-delay"), 5)
    .action(async (o) => {
      const sim = await runBeaconSim(o);
      io.out(
        `beacon-sim listening on ${sim.url}: ${sim.validators.length} validator(s), ${o.slotTime} s slots, ` +
          `${o.slotsPerEpoch} slots/epoch, ${o.fork}, genesis ${new Date(sim.network.genesisTime * 1000).toISOString()}`,
      );
      io.out(`stats: ${sim.url}/cohort/v1/stats`);
      await new Promise<void>((resolve) => {
        const stop = () => void sim.stop().then(resolve, resolve);
        process.once("SIGINT", stop);
        process.once("SIGTERM", stop);
      });
    });

  const agent = program.command("agent").description("run a cluster member");
  agent
    .command("run")
    .description("run this node's share of the cluster's validators (p2p, consensus, signing, monitoring)")
    .requiredOption(
      "--data-dir <dir>",
      "the node's directory (cluster-lock.json, charon-enr-private-key, validator_keys/)",
    )
    .requiredOption("--beacon-url <url>", "beacon node API URL")
    .option("--p2p-listen <host:port>", "p2p listen address (default: this node's ENR ip:tcp)")
    .option(
      "--peer <index=host:port>",
      "override operator <index>'s p2p address (repeatable)",
      (v: string, prev: string[]) => [...prev, v],
      [] as string[],
    )
    .option("--monitoring-address <host:port>", "/livez, /readyz and /metrics", "127.0.0.1:3620")
    .option("--log-level <level>", "trace | debug | info | warn | error", "info")
    .option(
      "--fee-recipient <0x…>",
      "builder registrations' fee recipient (default: the lock's; another value is threshold-signed by the cluster)",
    )
    .option("--gas-limit <n>", "builder registrations' gas limit (default: the lock's)", int("--gas-limit"))
    .option("--portal-url <url>", "report the evidence journal to this portal (with --portal-key)")
    .option("--portal-key <cohort_ak_…>", "the portal's agent API key for this member")
    .addOption(
      // TEST FEATURE ONLY (hidden): misbehave on the wire for `cohort simnet`; see src/byzantine.ts.
      new Option("--byzantine <mode>", "TEST ONLY: tamper with outgoing p2p traffic")
        .choices(BYZANTINE_MODES)
        .hideHelp(),
    )
    .action(
      async (o: {
        byzantine?: ByzantineMode;
        dataDir: string;
        beaconUrl: string;
        p2pListen?: string;
        peer: string[];
        monitoringAddress: string;
        logLevel: string;
        feeRecipient?: string;
        gasLimit?: number;
        portalUrl?: string;
        portalKey?: string;
      }) => {
        if (o.feeRecipient !== undefined && !/^0x[0-9a-fA-F]{40}$/.test(o.feeRecipient))
          throw new CliError(`--fee-recipient must be a 20-byte 0x-hex address (got ${o.feeRecipient})`);
        if (o.gasLimit !== undefined && o.gasLimit <= 0)
          throw new CliError(`--gas-limit must be a positive integer (got ${o.gasLimit})`);
        await runAgentUntilSignal(
          {
            dataDir: o.dataDir,
            beaconUrl: o.beaconUrl,
            ...(o.p2pListen ? { p2pListen: o.p2pListen } : {}),
            peers: parsePeerOverrides(o.peer),
            monitoringAddress: o.monitoringAddress,
            logLevel: o.logLevel,
            ...(o.portalUrl === undefined ? {} : { portalUrl: o.portalUrl }),
            ...(o.portalKey === undefined ? {} : { portalKey: o.portalKey }),
            ...(o.byzantine ? { byzantine: o.byzantine } : {}),
            ...(o.feeRecipient !== undefined ? { feeRecipient: o.feeRecipient } : {}),
            ...(o.gasLimit !== undefined ? { gasLimit: o.gasLimit } : {}),
          },
          (a) => io.err(`agent ${a.selfIndex} of "${a.clusterName}" running; monitoring ${a.monitoringUrl}`),
        );
      },
    );

  const exit = program
    .command("exit")
    .description(
      "voluntary exits: each operator signs a partial exit offline, then anyone combines ≥ threshold",
    );
  exit
    .command("sign")
    .description(
      "sign this node's partial voluntary exit of a validator into a file (verified against its public share)",
    )
    .requiredOption(
      "--data-dir <dir>",
      "the node's directory (cluster-lock.json, charon-enr-private-key, validator_keys/)",
    )
    .requiredOption(
      "--beacon-url <url>",
      "beacon node API URL (validator index, current epoch, fork schedule)",
    )
    .requiredOption(
      "--validator <pubkey|index>",
      "the distributed validator's group pubkey or validator index",
    )
    .option("--epoch <n>", "exit epoch (default: the beacon node's current epoch)", int("--epoch"))
    .option(
      "--out <file>",
      "where to write (default <data-dir>/partial-exit-<index>-share<k>.json; must not exist)",
    )
    .action(
      async (o: { dataDir: string; beaconUrl: string; validator: string; epoch?: number; out?: string }) => {
        const { file, exit: e } = await signPartialExit({
          dataDir: o.dataDir,
          beaconUrl: o.beaconUrl,
          validator: o.validator,
          ...(o.epoch !== undefined ? { epoch: o.epoch } : {}),
          ...(o.out !== undefined ? { out: o.out } : {}),
        });
        io.out(
          `signed partial exit of validator ${e.message.validator_index} (${e.validator}) at epoch ${e.message.epoch} ` +
            `with share ${e.share_index}: ${file}`,
        );
      },
    );
  exit
    .command("broadcast <files...>")
    .description(
      "verify partial-exit files (operator identity, public shares), combine ≥ threshold and submit the exit",
    )
    .requiredOption("--lock <file>", "the cluster's cluster-lock.json")
    .requiredOption("--beacon-url <url>", "beacon node API URL")
    .action(async (files: string[], o: { lock: string; beaconUrl: string }) => {
      const r = await broadcastExit({
        lock: o.lock,
        beaconUrl: o.beaconUrl,
        files,
        warn: (line) => io.err(line),
      });
      io.out(
        `submitted voluntary exit of validator ${r.message.validator_index} (${r.validator}) at epoch ${r.message.epoch}, ` +
          `combined from shares ${r.shareIndices.join(", ")}: signature ${r.signature}`,
      );
    });

  program
    .command("simnet")
    .description(
      "a local devnet in one command: a cluster, the beacon-node simulator and one agent process per node; " +
        "optional kills/restarts and byzantine members; prints what was included (exit 0 only if everything was)",
    )
    .requiredOption("--nodes <n>", "number of nodes", int("--nodes"))
    .option("--threshold <t>", "signatures needed (default ⌈2n/3⌉)", int("--threshold"))
    .requiredOption("--validators <k>", "distributed validators (public interop keys)", int("--validators"))
    .requiredOption("--slots <s>", "slots to run (judged: the duties of slots [0, s))", int("--slots"))
    .option("--slot-time <seconds>", "seconds per slot", int("--slot-time"), 2)
    .option(
      "--kill <node>@<slot>[:<restart-slot>]",
      "SIGKILL a node's process at a slot, optionally restart it (repeatable)",
      (v: string, prev: string[]) => [...prev, v],
      [] as string[],
    )
    .option(
      "--byzantine <node>:<mode>",
      "make a node misbehave on the wire: silent | bad-partials | wrong-share | equivocate (repeatable)",
      (v: string, prev: string[]) => [...prev, v],
      [] as string[],
    )
    .option("--genesis-delay <seconds>", "seconds from now to genesis", int("--genesis-delay"), 15)
    .option("--keep", "keep the temp dir (cluster, agent logs)")
    .option("--json", "print the summary as JSON (see README)")
    .action(async (o) => {
      const summary = await runSimnet({
        nodes: o.nodes,
        threshold: o.threshold,
        validators: o.validators,
        slots: o.slots,
        slotTime: o.slotTime,
        kills: (o.kill as string[]).map(parseKill),
        byzantine: new Map((o.byzantine as string[]).map(parseByzantine)),
        genesisDelay: o.genesisDelay,
        keep: Boolean(o.keep),
        log: (line) => io.err(line),
      });
      if (o.json) io.out(JSON.stringify(summary));
      else for (const line of formatSimnetSummary(summary)) io.out(line);
      setCode(summary.ok ? 0 : 1);
    });

  program.hook("postAction", (_cmd, action) => {
    if (action.name() !== "simnet" && action.parent?.name() !== "evidence") setCode(0);
  });
  return program;
}

/** Runs the CLI; resolves to the exit code. Errors a user can fix are printed without a stack. */
export async function main(
  argv: string[],
  io: Io = { out: console.log, err: console.error },
): Promise<number> {
  let code = 0;
  const program = buildProgram(io, (c) => (code = c));
  try {
    await program.parseAsync(argv, { from: "user" });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode;
    if (e instanceof ClusterError) {
      io.err(`error: ${e.message}`);
      return 1;
    }
    if (e instanceof CliError) {
      io.err(`error: ${e.message}`);
      return 2;
    }
    if (e instanceof Error && "code" in e && typeof e.code === "string") {
      io.err(`error: ${e.message} (${e.code})`);
      return 1;
    }
    throw e;
  }
}
