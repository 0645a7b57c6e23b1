import { createServer, type IncomingMessage, type Server } from "node:http";
import * as eth from "@cohort/eth";
import { type BeaconBlock, type BlindedBeaconBlock, type electra, type phase0, ssz } from "@lodestar/types";
import { aggregationRoutes } from "./aggregation";
import {
  type SimChain,
  SYNC_COMMITTEE_SIZE,
  SYNC_COMMITTEE_SUBNET_COUNT,
  TARGET_AGGREGATORS_PER_COMMITTEE,
  TARGET_AGGREGATORS_PER_SYNC_SUBCOMMITTEE,
} from "./chain";
import {
  BeaconApiError,
  bitlistHex,
  CLOCK_DISPARITY_MS,
  type Handler,
  hex,
  IndexedBeaconApiError,
  type IndexedFailure,
  ItemError,
  parseEpoch,
  parseUint,
  Reply,
  type RouteContext,
  readJson,
  STREAMING,
  send,
} from "./http";
import { operationRoutes } from "./operations";
import { type AttestationRecord, type ExitRecord, SimRecorder } from "./recorder";
import { rewardRoutes } from "./rewards";
import { syncRoutes } from "./sync";
import { verify } from "./verifyCache";

export { BeaconApiError, bitlistHex, bitvectorHex, IndexedBeaconApiError, type IndexedFailure } from "./http";

/** `/eth/v1/config/spec`: the values a validator client reads, as the Beacon API's strings. */
export function specResponse(chain: SimChain): Record<string, string> {
  const n = chain.network;
  const spec: Record<string, string> = {
    CONFIG_NAME: n.name,
    PRESET_BASE: "mainnet",
    SECONDS_PER_SLOT: String(n.secondsPerSlot),
    SLOTS_PER_EPOCH: String(n.slotsPerEpoch),
    GENESIS_FORK_VERSION: n.genesisForkVersion,
    MIN_GENESIS_TIME: String(n.genesisTime),
    DOMAIN_BEACON_PROPOSER: hex(eth.DOMAIN_BEACON_PROPOSER),
    DOMAIN_BEACON_ATTESTER: hex(eth.DOMAIN_BEACON_ATTESTER),
    DOMAIN_RANDAO: hex(eth.DOMAIN_RANDAO),
    DOMAIN_DEPOSIT: hex(eth.DOMAIN_DEPOSIT),
    DOMAIN_VOLUNTARY_EXIT: hex(eth.DOMAIN_VOLUNTARY_EXIT),
    DOMAIN_SELECTION_PROOF: hex(eth.DOMAIN_SELECTION_PROOF),
    DOMAIN_AGGREGATE_AND_PROOF: hex(eth.DOMAIN_AGGREGATE_AND_PROOF),
    DOMAIN_SYNC_COMMITTEE: hex(eth.DOMAIN_SYNC_COMMITTEE),
    DOMAIN_SYNC_COMMITTEE_SELECTION_PROOF: hex(eth.DOMAIN_SYNC_COMMITTEE_SELECTION_PROOF),
    DOMAIN_CONTRIBUTION_AND_PROOF: hex(eth.DOMAIN_CONTRIBUTION_AND_PROOF),
    DOMAIN_APPLICATION_BUILDER: hex(eth.DOMAIN_APPLICATION_BUILDER),
    EPOCHS_PER_SYNC_COMMITTEE_PERIOD: String(chain.epochsPerSyncCommitteePeriod),
    SYNC_COMMITTEE_SIZE: String(SYNC_COMMITTEE_SIZE),
    SYNC_COMMITTEE_SUBNET_COUNT: String(SYNC_COMMITTEE_SUBNET_COUNT),
    TARGET_AGGREGATORS_PER_COMMITTEE: String(TARGET_AGGREGATORS_PER_COMMITTEE),
    TARGET_AGGREGATORS_PER_SYNC_SUBCOMMITTEE: String(TARGET_AGGREGATORS_PER_SYNC_SUBCOMMITTEE),
    SHARD_COMMITTEE_PERIOD: String(chain.shardCommitteePeriod),
  };
  for (const fork of n.forks.slice(1)) {
    const name = fork.name.toUpperCase();
    spec[`${name}_FORK_VERSION`] = fork.version;
    spec[`${name}_FORK_EPOCH`] = String(fork.epoch);
  }
  return spec;
}

export interface BeaconApiOptions {
  /** Wall clock in unix ms (tests pass a fixed or stepped clock). */
  now?: () => number;
  /** Where received messages are recorded; a fresh one by default (exposed as `server.recorder`). */
  recorder?: SimRecorder;
  /** First slot of the stats window by default; the wall-clock slot at creation if omitted. */
  statsFromSlot?: number;
}

export type BeaconApiServer = Server & { recorder: SimRecorder };

/**
 * The simulator's Beacon API, with the response shapes of ethereum/beacon-APIs and its error
 * shapes: node status, genesis, spec, forks, validators, duties, attestation data and the
 * attestation pool (signatures verified), block production and publication (randao and block
 * signatures verified), an SSE event stream, and `/cohort/v1/*` for judging a run (stats,
 * slashable offences, recorded attestations and blocks). Further routes live in their modules:
 * aggregation (`aggregation.ts`), the sync committee (`sync.ts`), liveness, proposer preparation,
 * builder registration and voluntary exits (`operations.ts`) and rewards (`rewards.ts`).
 */
export function createBeaconApi(chain: SimChain, options: BeaconApiOptions = {}): BeaconApiServer {
  const now = options.now ?? (() => Date.now());
  const recorder = options.recorder ?? new SimRecorder(chain);
  const statsFromSlot = options.statsFromSlot ?? chain.slotAt(now());
  const headSlot = () => chain.slotAt(now());
  const network = chain.network;
  const pubkeyBytes = new Map<number, Uint8Array>();
  const pubkeyOf = (index: number) => {
    let pk = pubkeyBytes.get(index);
    if (!pk) {
      pk = eth.hexToBytes(chain.validators[index]!.pubkey, 48);
      pubkeyBytes.set(index, pk);
    }
    return pk;
  };
  const checkpointRecord = (c: { epoch: number; root: Uint8Array }) => ({
    epoch: c.epoch,
    root: hex(c.root),
  });
  const bytesEq = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

  /**
   * Validates one pool attestation (Electra `SingleAttestation` or phase0 `Attestation`), records
   * it when its signature is valid, and throws ItemError when it is refused.
   */
  const submitAttestation = (json: unknown, api: "v1" | "v2", headerFork: string | undefined) => {
    let attester: number | undefined;
    let ok = false;
    try {
      const rawSlot = (json as { data?: { slot?: unknown } } | null)?.data?.slot;
      if (typeof rawSlot !== "string" || !/^\d+$/.test(rawSlot) || !Number.isSafeInteger(Number(rawSlot))) {
        throw new ItemError("data.slot must be a uint64 string");
      }
      const slot = Number(rawSlot);
      const epoch = chain.epochOf(slot);
      const fork = chain.forkNameAt(epoch);
      const isElectra = eth.isForkActive(network, "electra", epoch);
      if (api === "v1" && isElectra) {
        throw new ItemError(
          `slot ${slot} is ${fork}: submit a SingleAttestation to POST /eth/v2/beacon/pool/attestations`,
        );
      }
      if (headerFork !== undefined && headerFork.toLowerCase() !== fork) {
        throw new ItemError(
          `Eth-Consensus-Version ${headerFork} does not match fork ${fork} at slot ${slot}`,
        );
      }
      let data: phase0.AttestationData;
      let committeeIndex: number;
      let signature: Uint8Array;
      let position: number | undefined;
      let bitLen = 0;
      try {
        if (isElectra) {
          const a: electra.SingleAttestation = ssz.electra.SingleAttestation.fromJson(json);
          ({ data, committeeIndex, signature } = a);
          attester = a.attesterIndex;
          if (data.index !== 0) throw new ItemError("data.index must be 0 from electra");
        } else {
          const a: phase0.Attestation = ssz.phase0.Attestation.fromJson(json);
          ({ data, signature } = a);
          committeeIndex = data.index;
          const bits = a.aggregationBits.getTrueBitIndexes();
          bitLen = a.aggregationBits.bitLen;
          if (bits.length !== 1) {
            throw new ItemError(
              `an unaggregated attestation has exactly one aggregation bit set, not ${bits.length}`,
            );
          }
          position = bits[0];
        }
      } catch (e) {
        if (e instanceof ItemError) throw e;
        throw new ItemError(
          `invalid ${isElectra ? "SingleAttestation" : "Attestation"}: ${(e as Error).message}`,
        );
      }
      if (data.target.epoch !== epoch) {
        throw new ItemError(`target epoch ${data.target.epoch} is not the epoch ${epoch} of slot ${slot}`);
      }
      if (slot > chain.slotAt(now() + CLOCK_DISPARITY_MS)) {
        throw new ItemError(`attestation slot ${slot} is in the future`);
      }
      const committee = chain.committee(slot);
      if (committeeIndex !== 0)
        throw new ItemError(`committee ${committeeIndex} does not exist at slot ${slot}`);
      if (position !== undefined) {
        if (bitLen !== committee.length) {
          throw new ItemError(
            `aggregation_bits length ${bitLen} is not the committee size ${committee.length}`,
          );
        }
        attester = committee[position]!.validatorIndex;
      }
      if (attester === undefined || attester >= chain.validators.length) {
        const unknown = attester;
        attester = undefined;
        throw new ItemError(`unknown validator ${unknown}`);
      }
      const sigValid = verify(pubkeyOf(attester), eth.attestationSigningRoot(network, data), signature);
      const scheduled = committee.some((d) => d.validatorIndex === attester);
      const currentSlot = headSlot();
      const includable =
        scheduled &&
        bytesEq(data.source.root, chain.justifiedCheckpoint(epoch).root) &&
        data.source.epoch === chain.justifiedCheckpoint(epoch).epoch &&
        bytesEq(data.target.root, chain.targetCheckpoint(epoch).root);
      if (sigValid) {
        const record: AttestationRecord = {
          validatorIndex: attester,
          slot,
          committeeIndex,
          dataRoot: hex(ssz.phase0.AttestationData.hashTreeRoot(data)),
          beaconBlockRoot: hex(data.beaconBlockRoot),
          source: checkpointRecord(data.source),
          target: checkpointRecord(data.target),
          signature: hex(signature),
          fork,
          receivedSlot: currentSlot,
          accepted: scheduled,
          inclusionSlot:
            includable && currentSlot <= slot + network.slotsPerEpoch
              ? Math.max(currentSlot, slot) + 1
              : null,
        };
        recorder.recordAttestation(record);
      }
      if (!scheduled)
        throw new ItemError(`validator ${attester} is not in committee ${committeeIndex} at slot ${slot}`);
      if (!sigValid) throw new ItemError("invalid signature");
      ok = true;
    } finally {
      recorder.countSubmission(attester, "attester", ok);
    }
  };

  const poolAttestations = async (req: IncomingMessage, api: "v1" | "v2") => {
    const header = req.headers["eth-consensus-version"];
    const headerFork = Array.isArray(header) ? header[0] : header;
    if (api === "v2" && !headerFork)
      throw new BeaconApiError(400, "Eth-Consensus-Version header is required");
    const body = await readJson(req);
    if (!Array.isArray(body))
      throw new BeaconApiError(400, "Invalid request body: expected an array of attestations");
    const failures: IndexedFailure[] = [];
    body.forEach((item, index) => {
      try {
        submitAttestation(item, api, headerFork);
      } catch (e) {
        if (!(e instanceof ItemError)) throw e;
        failures.push({ index, message: e.message });
      }
    });
    if (failures.length > 0) {
      throw new IndexedBeaconApiError("Some attestations failed validation and were not published", failures);
    }
    return new Reply(200, undefined);
  };

  const BLOCK_CONTENTS_FORKS = new Set(["deneb", "electra", "fulu"]);

  /** `GET /eth/v3/validator/blocks/{slot}`: an unsigned block of the fork in force, randao checked. */
  const produceBlock = (slotParam: string | undefined, url: URL) => {
    const slot = parseUint(slotParam, "slot");
    if (slot === 0) throw new BeaconApiError(400, "Cannot produce a block at the genesis slot");
    if (slot > chain.slotAt(now() + CLOCK_DISPARITY_MS) + 1) {
      throw new BeaconApiError(400, `Requested slot ${slot} is in the future`);
    }
    const epoch = chain.epochOf(slot);
    const fork = chain.forkNameAt(epoch);
    const revealHex = url.searchParams.get("randao_reveal");
    let reveal: Uint8Array;
    try {
      reveal = eth.hexToBytes(revealHex ?? "", 96, "randao_reveal");
    } catch {
      throw new BeaconApiError(400, `Invalid randao_reveal: ${revealHex ?? "missing"}`);
    }
    const proposer = chain.proposerIndex(slot);
    const skipRandao = url.searchParams.get("skip_randao_verification") !== null;
    if (!skipRandao && !verify(pubkeyOf(proposer), eth.randaoSigningRoot(network, epoch), reveal)) {
      throw new BeaconApiError(400, `Invalid randao_reveal for proposer ${proposer} at epoch ${epoch}`);
    }
    const graffitiParam = url.searchParams.get("graffiti");
    // bytes32 hex per the Beacon API; short UTF-8 text (as Lodestar allows) is zero-padded.
    const graffiti = new Uint8Array(32);
    if (graffitiParam) {
      const bytes = /^0x[0-9a-fA-F]{64}$/.test(graffitiParam)
        ? eth.hexToBytes(graffitiParam, 32)
        : new TextEncoder().encode(graffitiParam);
      if (bytes.length > 32) throw new BeaconApiError(400, `Invalid graffiti: ${graffitiParam}`);
      graffiti.set(bytes);
    }
    const type = eth.blockType(fork);
    const block = type.defaultValue() as BeaconBlock;
    block.slot = slot;
    block.proposerIndex = proposer;
    block.parentRoot = chain.blockRoot(slot - 1);
    block.body.randaoReveal = reveal;
    block.body.graffiti = graffiti;
    const blockJson = type.toJson(block);
    const data = BLOCK_CONTENTS_FORKS.has(fork) ? { block: blockJson, kzg_proofs: [], blobs: [] } : blockJson;
    return new Reply(
      200,
      {
        version: fork,
        execution_payload_blinded: false,
        execution_payload_value: "0",
        consensus_block_value: "0",
        data,
      },
      {
        "Eth-Consensus-Version": fork,
        "Eth-Execution-Payload-Blinded": "false",
        "Eth-Execution-Payload-Value": "0",
        "Eth-Consensus-Block-Value": "0",
      },
    );
  };

  /** `POST /eth/v2/beacon/blocks` and `/eth/v2/beacon/blinded_blocks`. */
  const publishBlock = async (req: IncomingMessage, url: URL, blindedRoute: boolean) => {
    const header = req.headers["eth-consensus-version"];
    const headerFork = Array.isArray(header) ? header[0] : header;
    if (!headerFork) throw new BeaconApiError(400, "Eth-Consensus-Version header is required");
    const body = (await readJson(req)) as Record<string, unknown> | null;
    if (typeof body !== "object" || body === null) throw new BeaconApiError(400, "Invalid request body");
    const signed = (
      !blindedRoute && BLOCK_CONTENTS_FORKS.has(headerFork.toLowerCase()) ? body.signed_block : body
    ) as { message?: unknown; signature?: unknown } | undefined;
    if (typeof signed !== "object" || signed === null) {
      throw new BeaconApiError(
        400,
        `Invalid request body: expected ${blindedRoute ? "a signed blinded block" : "signed block contents"}`,
      );
    }
    let block: BeaconBlock | BlindedBeaconBlock;
    let signature: Uint8Array;
    try {
      block = eth.beaconBlockFromJson(network, signed.message, { fork: headerFork });
      signature = eth.hexToBytes(String(signed.signature), 96, "signature");
    } catch (e) {
      throw new BeaconApiError(400, `Invalid block: ${(e as Error).message}`);
    }
    const blinded = "executionPayloadHeader" in block.body;
    if (blinded !== blindedRoute) {
      throw new BeaconApiError(
        400,
        blindedRoute ? "Expected a blinded block" : "Expected a full block, not a blinded one",
      );
    }
    const slot = block.slot;
    const claimed = block.proposerIndex;
    let ok = false;
    const attributed = claimed < chain.validators.length ? claimed : undefined;
    try {
      if (attributed === undefined) throw new BeaconApiError(400, `Unknown proposer ${claimed}`);
      if (slot > chain.slotAt(now() + CLOCK_DISPARITY_MS))
        throw new BeaconApiError(400, `Block slot ${slot} is in the future`);
      const sigValid = verify(pubkeyOf(claimed), eth.blockSigningRoot(network, block), signature);
      const scheduled = chain.proposerIndex(slot) === claimed && slot > 0;
      let outcome: "new" | "known" | "equivocation" | undefined;
      if (sigValid) {
        const fork = chain.forkNameAt(chain.epochOf(slot));
        outcome = recorder.recordBlock({
          slot,
          proposerIndex: claimed,
          blockRoot: hex(eth.blockType(fork, blinded).hashTreeRoot(block)),
          signature: hex(signature),
          fork,
          blinded,
          receivedSlot: headSlot(),
          imported: scheduled,
        });
      }
      if (!scheduled) {
        throw new BeaconApiError(
          400,
          `Proposer ${claimed} is not the scheduled proposer of slot ${slot} (${chain.proposerIndex(slot)})`,
        );
      }
      if (!sigValid) throw new BeaconApiError(400, "Invalid block signature");
      ok = true;
      if (outcome === "equivocation") {
        if (url.searchParams.get("broadcast_validation") === "consensus_and_equivocation") {
          ok = false;
          throw new BeaconApiError(
            400,
            `Slashable equivocation: another block of proposer ${claimed} at slot ${slot} is known`,
          );
        }
        return new Reply(202, undefined);
      }
      return new Reply(200, undefined);
    } finally {
      recorder.countSubmission(attributed, "proposer", ok);
    }
  };

  const validatorJson = (v: (typeof chain.validators)[number]) => ({
    index: String(v.index),
    balance: String(v.balanceGwei),
    status: "active_ongoing",
    validator: {
      pubkey: v.pubkey,
      withdrawal_credentials: v.withdrawalCredentials,
      effective_balance: String(v.balanceGwei > 32_000_000_000n ? 32_000_000_000n : v.balanceGwei),
      slashed: false,
      activation_eligibility_epoch: "0",
      activation_epoch: "0",
      exit_epoch: "18446744073709551615",
      withdrawable_epoch: "18446744073709551615",
    },
  });
  const dependentRoot = (epoch: number) => hex(Buffer.alloc(32, epoch % 256));

  const routes: [string, RegExp, Handler][] = [
    ["GET", /^\/eth\/v1\/node\/version$/, () => ({ data: { version: "cohort-beacon-sim/0.1.0" } })],
    [
      "GET",
      /^\/eth\/v1\/node\/syncing$/,
      () => ({
        data: {
          head_slot: String(headSlot()),
          sync_distance: "0",
          is_syncing: false,
          is_optimistic: false,
          el_offline: false,
        },
      }),
    ],
    [
      "GET",
      /^\/eth\/v1\/beacon\/genesis$/,
      () => ({
        data: {
          genesis_time: String(chain.network.genesisTime),
          genesis_validators_root: chain.network.genesisValidatorsRoot,
          genesis_fork_version: chain.network.genesisForkVersion,
        },
      }),
    ],
    ["GET", /^\/eth\/v1\/config\/spec$/, () => ({ data: specResponse(chain) })],
    [
      "GET",
      /^\/eth\/v1\/config\/fork_schedule$/,
      () => ({
        data: chain.network.forks.map((f, i) => ({
          previous_version: chain.network.forks[Math.max(0, i - 1)]!.version,
          current_version: f.version,
          epoch: String(f.epoch),
        })),
      }),
    ],
    [
      "GET",
      /^\/eth\/v1\/beacon\/states\/([^/]+)\/fork$/,
      ([, stateId]) => {
        const slot =
          stateId === "head" || stateId === "finalized" || stateId === "justified"
            ? headSlot()
            : Number(stateId);
        if (!Number.isInteger(slot)) throw new BeaconApiError(400, `Invalid state ID: ${stateId}`);
        const f = chain.forkAt(chain.epochOf(slot));
        return {
          execution_optimistic: false,
          finalized: false,
          data: {
            previous_version: f.previousVersion,
            current_version: f.currentVersion,
            epoch: String(f.epoch),
          },
        };
      },
    ],
    [
      "GET",
      /^\/eth\/v1\/beacon\/states\/[^/]+\/validators$/,
      (_m, _req, url) => {
        const ids = url.searchParams.getAll("id").flatMap((s) => s.split(","));
        const selected = ids.length
          ? ids
              .map((id) => (id.startsWith("0x") ? chain.validatorByPubkey(id) : chain.validators[Number(id)]))
              .filter((v) => v !== undefined)
          : chain.validators;
        return { execution_optimistic: false, finalized: false, data: selected.map(validatorJson) };
      },
    ],
    [
      "GET",
      /^\/eth\/v1\/validator\/duties\/proposer\/([^/]+)$/,
      ([, e]) => {
        const epoch = parseEpoch(e);
        return {
          dependent_root: dependentRoot(epoch),
          execution_optimistic: false,
          data: chain.proposerDuties(epoch).map((d) => ({
            pubkey: d.pubkey,
            validator_index: String(d.validatorIndex),
            slot: String(d.slot),
          })),
        };
      },
    ],
    [
      "POST",
      /^\/eth\/v1\/validator\/duties\/attester\/([^/]+)$/,
      async ([, e], req) => {
        const epoch = parseEpoch(e);
        const body = await readJson(req);
        if (!Array.isArray(body) || !body.every((x) => typeof x === "string" && /^\d+$/.test(x))) {
          throw new BeaconApiError(
            400,
            "Invalid request body: expected an array of validator indices as strings",
          );
        }
        const wanted = new Set(body.map(Number));
        return {
          dependent_root: dependentRoot(epoch),
          execution_optimistic: false,
          data: chain
            .attesterDuties(epoch)
            .filter((d) => wanted.has(d.validatorIndex))
            .map((d) => ({
              pubkey: d.pubkey,
              validator_index: String(d.validatorIndex),
              committee_index: String(d.committeeIndex),
              committee_length: String(d.committeeLength),
              committees_at_slot: String(d.committeesAtSlot),
              validator_committee_index: String(d.validatorCommitteeIndex),
              slot: String(d.slot),
            })),
        };
      },
    ],
    [
      "GET",
      /^\/eth\/v1\/validator\/attestation_data$/,
      (_m, _req, url) => {
        const slot = parseUint(url.searchParams.get("slot"), "slot");
        const committeeIndex = parseUint(url.searchParams.get("committee_index"), "committee_index");
        if (committeeIndex !== 0) {
          throw new BeaconApiError(400, `Invalid committee_index: ${committeeIndex} (1 committee per slot)`);
        }
        if (slot > chain.slotAt(now() + CLOCK_DISPARITY_MS)) {
          throw new BeaconApiError(400, `Requested slot ${slot} is in the future`);
        }
        return { data: ssz.phase0.AttestationData.toJson(chain.attestationData(slot, committeeIndex)) };
      },
    ],
    ["POST", /^\/eth\/v1\/beacon\/pool\/attestations$/, (_m, req) => poolAttestations(req, "v1")],
    ["POST", /^\/eth\/v2\/beacon\/pool\/attestations$/, (_m, req) => poolAttestations(req, "v2")],
    ["GET", /^\/eth\/v3\/validator\/blocks\/([^/]+)$/, ([, slot], _req, url) => produceBlock(slot, url)],
    ["POST", /^\/eth\/v2\/beacon\/blocks$/, (_m, req, url) => publishBlock(req, url, false)],
    ["POST", /^\/eth\/v2\/beacon\/blinded_blocks$/, (_m, req, url) => publishBlock(req, url, true)],
    [
      "GET",
      /^\/eth\/v1\/events$/,
      (_m, req, url, res) => {
        const topics = new Set(url.searchParams.getAll("topics").flatMap((t) => t.split(",")));
        const known = ["head", "block", "attestation", "single_attestation", "voluntary_exit"];
        const unknown = [...topics].filter((t) => !known.includes(t));
        if (topics.size === 0 || unknown.length > 0) {
          throw new BeaconApiError(400, `Invalid topics: ${unknown.join(",") || "none given"}`);
        }
        res.writeHead(200, {
          "content-type": "text/event-stream",
          "cache-control": "no-cache",
          connection: "keep-alive",
        });
        res.write(": cohort-beacon-sim\n\n");
        const write = (event: string, data: unknown) =>
          res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
        const unsubscribe = recorder.subscribe((event, data) => {
          if (event === "attestation") {
            const a = data as AttestationRecord;
            const attestationData = {
              slot: String(a.slot),
              index: String(a.fork === "electra" || a.fork === "fulu" ? 0 : a.committeeIndex),
              beacon_block_root: a.beaconBlockRoot,
              source: { epoch: String(a.source.epoch), root: a.source.root },
              target: { epoch: String(a.target.epoch), root: a.target.root },
            };
            if (topics.has("single_attestation")) {
              write("single_attestation", {
                committee_index: String(a.committeeIndex),
                attester_index: String(a.validatorIndex),
                data: attestationData,
                signature: a.signature,
              });
            }
            if (topics.has("attestation")) {
              // The Attestation of the fork: one aggregation bit in the slot's committee (and, from
              // Electra, committee_bits with committee 0).
              const committee = chain.committee(a.slot);
              const aggregationBits = bitlistHex(committee.map((d) => d.validatorIndex === a.validatorIndex));
              const electraOn = eth.isForkActive(network, "electra", chain.epochOf(a.slot));
              write("attestation", {
                aggregation_bits: aggregationBits,
                data: attestationData,
                signature: a.signature,
                ...(electraOn ? { committee_bits: `0x01${"00".repeat(7)}` } : {}),
              });
            }
          } else if (event === "voluntary_exit" && topics.has("voluntary_exit")) {
            const x = data as ExitRecord;
            write("voluntary_exit", {
              message: { epoch: String(x.epoch), validator_index: String(x.validatorIndex) },
              signature: x.signature,
            });
          } else if (event === "block" && topics.has("block")) {
            const b = data as { slot: number; blockRoot: string };
            write("block", { slot: String(b.slot), block: b.blockRoot, execution_optimistic: false });
          }
        });
        let lastHead = headSlot();
        const timer = setInterval(() => {
          const slot = headSlot();
          if (slot === lastHead || !topics.has("head")) return;
          lastHead = slot;
          const epoch = chain.epochOf(slot);
          write("head", {
            slot: String(slot),
            block: hex(chain.blockRoot(slot)),
            state: hex(chain.blockRoot(slot).map((x) => x ^ 0xff)),
            epoch_transition: chain.startSlot(epoch) === slot,
            previous_duty_dependent_root: dependentRoot(Math.max(0, epoch - 1)),
            current_duty_dependent_root: dependentRoot(epoch),
            execution_optimistic: false,
          });
        }, 100);
        req.on("close", () => {
          clearInterval(timer);
          unsubscribe();
        });
        return STREAMING;
      },
    ],
    [
      "GET",
      /^\/cohort\/v1\/stats$/,
      (_m, _req, url) => {
        const from = url.searchParams.get("from_slot");
        const to = url.searchParams.get("to_slot");
        return recorder.stats(
          from === null ? statsFromSlot : parseUint(from, "from_slot"),
          to === null ? headSlot() : parseUint(to, "to_slot"),
        );
      },
    ],
    ["GET", /^\/cohort\/v1\/slashings$/, () => ({ data: recorder.slashings })],
    [
      "GET",
      /^\/cohort\/v1\/attestations$/,
      (_m, _req, url) => {
        const v = url.searchParams.get("validator_index");
        const slot = url.searchParams.get("slot");
        return {
          data: recorder.attestations({
            ...(v === null ? {} : { validatorIndex: parseUint(v, "validator_index") }),
            ...(slot === null ? {} : { slot: parseUint(slot, "slot") }),
          }),
        };
      },
    ],
    [
      "GET",
      /^\/cohort\/v1\/blocks$/,
      (_m, _req, url) => {
        const slot = url.searchParams.get("slot");
        return { data: recorder.blocks(slot === null ? undefined : parseUint(slot, "slot")) };
      },
    ],
  ];

  const ctx: RouteContext = { chain, recorder, network, now, headSlot, pubkeyOf };
  routes.push(...aggregationRoutes(ctx), ...syncRoutes(ctx), ...operationRoutes(ctx), ...rewardRoutes(ctx));

  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    try {
      let pathMatched = false;
      for (const [method, pattern, handler] of routes) {
        const m = url.pathname.match(pattern);
        if (!m) continue;
        pathMatched = true;
        if (req.method !== method) continue;
        const result = await handler(m, req, url, res);
        if (result === STREAMING) return;
        if (result instanceof Reply) return send(res, result.status, result.body, result.headers);
        return send(res, 200, result);
      }
      if (pathMatched) throw new BeaconApiError(405, `Method ${req.method} not allowed`);
      throw new BeaconApiError(404, `Route ${req.method} ${url.pathname} not found`);
    } catch (e) {
      if (e instanceof IndexedBeaconApiError) {
        return send(res, 400, { code: 400, message: e.message, failures: e.failures });
      }
      if (e instanceof BeaconApiError) return send(res, e.status, { code: e.status, message: e.message });
      send(res, 500, { code: 500, message: `Internal server error: ${(e as Error).message}` });
    }
  }) as BeaconApiServer;
  server.recorder = recorder;
  return server;
}
