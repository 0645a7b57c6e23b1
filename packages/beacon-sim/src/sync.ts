import type { IncomingMessage } from "node:http";
import * as eth from "@cohort/eth";
import { aggregateSignatures } from "@cohort/tbls";
import { type altair, ssz } from "@lodestar/types";
import { isSyncCommitteeAggregator, SYNC_COMMITTEE_SUBNET_COUNT, SYNC_SUBCOMMITTEE_SIZE } from "./chain";
import {
  BeaconApiError,
  bitvectorHex,
  CLOCK_DISPARITY_MS,
  eachItem,
  hex,
  ItemError,
  LateItemError,
  parseEpoch,
  parseUint,
  type Route,
  type RouteContext,
  readArray,
  readJson,
  uintField,
} from "./http";
import { fastAggregateVerify, verify } from "./verifyCache";

const ROOT_RE = /^0x[0-9a-fA-F]{64}$/;

/**
 * Sync committee routes. The simulated sync committee of a period is
 * {@link SimChain.syncCommittee}; messages signed at slot `s` belong to the committee of the period
 * of `epoch(s + 1)`. Messages are accepted for the current slot and the one before it (gossip
 * accepts only the current slot; one slot of slack spares slow test rigs); they count as included
 * when they vote for the canonical block root of their slot and arrive during their slot.
 *
 * - `POST /eth/v1/validator/duties/sync/{epoch}`
 * - `GET /eth/v1/beacon/blocks/{block_id}/root` (`head`, `genesis`, `finalized`, `justified`, a slot)
 * - `POST /eth/v1/beacon/pool/sync_committees` (DOMAIN_SYNC_COMMITTEE over the block root)
 * - `POST /eth/v1/validator/sync_committee_selections` (DV endpoint; as for beacon committee
 *   selections, the simulator takes already-combined proofs, verifies and returns them)
 * - `GET /eth/v1/validator/sync_committee_contribution`
 * - `POST /eth/v1/validator/contribution_and_proofs`
 */
export function syncRoutes(ctx: RouteContext): Route[] {
  const { chain, recorder, network, now, headSlot, pubkeyOf } = ctx;

  const checkSlot = (slot: number) => {
    if (!eth.isForkActive(network, "altair", chain.epochOf(slot))) {
      throw new ItemError(`slot ${slot} is before altair: there is no sync committee`);
    }
    if (slot > chain.slotAt(now() + CLOCK_DISPARITY_MS)) throw new ItemError(`slot ${slot} is in the future`);
    if (slot + 1 < headSlot())
      throw new LateItemError(`slot ${slot} is too old (current slot ${headSlot()})`);
  };

  const knownValidator = (index: number) => {
    if (index >= chain.validators.length) throw new ItemError(`unknown validator ${index}`);
    return index;
  };

  /** Positions (within the subcommittee) validator `index` holds in `subcommittee` at `slot`. */
  const subcommitteePositions = (slot: number, index: number, subcommittee: number) =>
    chain
      .syncPositions(slot, index)
      .filter((p) => Math.floor(p / SYNC_SUBCOMMITTEE_SIZE) === subcommittee)
      .map((p) => p % SYNC_SUBCOMMITTEE_SIZE);

  /** Checks a sync selection proof and records it; returns whether it selects. */
  const checkSelection = (
    validatorIndex: number,
    slot: number,
    subcommitteeIndex: number,
    proof: Uint8Array,
  ) => {
    if (subcommitteeIndex >= SYNC_COMMITTEE_SUBNET_COUNT) {
      throw new ItemError(
        `subcommittee_index ${subcommitteeIndex} must be below ${SYNC_COMMITTEE_SUBNET_COUNT}`,
      );
    }
    if (subcommitteePositions(slot, validatorIndex, subcommitteeIndex).length === 0) {
      throw new ItemError(
        `validator ${validatorIndex} is not in sync subcommittee ${subcommitteeIndex} at slot ${slot}`,
      );
    }
    const root = eth.syncCommitteeSelectionProofSigningRoot(network, { slot, subcommitteeIndex });
    if (!verify(pubkeyOf(validatorIndex), root, proof)) throw new ItemError("invalid selection proof");
    const selected = isSyncCommitteeAggregator(proof);
    recorder.recordSelection({
      kind: "sync_committee",
      validatorIndex,
      slot,
      subcommitteeIndex,
      selectionProof: hex(proof),
      selected,
    });
    return selected;
  };

  const proofField = (item: unknown) => {
    try {
      return eth.hexToBytes(String((item as { selection_proof?: unknown }).selection_proof), 96);
    } catch {
      throw new ItemError("selection_proof must be a 96-byte hex signature");
    }
  };

  const blockRootOf = (blockId: string | undefined) => {
    const head = headSlot();
    const epoch = chain.epochOf(head);
    let slot: number;
    if (blockId === "head") slot = head;
    else if (blockId === "genesis") slot = 0;
    else if (blockId === "finalized") slot = chain.startSlot(Math.max(0, epoch - 2));
    else if (blockId === "justified") slot = chain.startSlot(Math.max(0, epoch - 1));
    else if (blockId && /^\d+$/.test(blockId)) {
      slot = Number(blockId);
      if (slot > head) throw new BeaconApiError(404, `Block not found: slot ${slot} is in the future`);
    } else throw new BeaconApiError(400, `Invalid block ID: ${blockId}`);
    return hex(chain.blockRoot(slot));
  };

  const submitSyncMessage = (item: unknown) => {
    let validator: number | undefined;
    let ok = false;
    let late = false;
    try {
      const slot = uintField(item, "slot");
      const index = uintField(item, "validator_index");
      validator = index < chain.validators.length ? index : undefined;
      knownValidator(index);
      const rootHex = String((item as { beacon_block_root?: unknown }).beacon_block_root);
      if (!ROOT_RE.test(rootHex)) throw new ItemError("beacon_block_root must be a 32-byte hex root");
      let signature: Uint8Array;
      try {
        signature = eth.hexToBytes(String((item as { signature?: unknown }).signature), 96);
      } catch {
        throw new ItemError("signature must be a 96-byte hex signature");
      }
      checkSlot(slot);
      if (chain.syncPositions(slot, index).length === 0) {
        throw new ItemError(`validator ${index} is not in the sync committee at slot ${slot}`);
      }
      const root = eth.hexToBytes(rootHex, 32);
      if (!verify(pubkeyOf(index), eth.syncCommitteeMessageSigningRoot(network, slot, root), signature)) {
        throw new ItemError("invalid signature");
      }
      const receivedSlot = headSlot();
      recorder.recordSyncMessage({
        validatorIndex: index,
        slot,
        beaconBlockRoot: hex(root),
        signature: hex(signature),
        receivedSlot,
        included: hex(root) === hex(chain.blockRoot(slot)) && receivedSlot <= slot,
      });
      ok = true;
    } catch (e) {
      late = e instanceof LateItemError;
      throw e;
    } finally {
      recorder.countSubmission(validator, "sync_message", ok, late);
    }
  };

  const contributionMemo = new Map<string, string>();
  const contribution = (url: URL) => {
    const slot = parseUint(url.searchParams.get("slot"), "slot");
    const subcommitteeIndex = parseUint(url.searchParams.get("subcommittee_index"), "subcommittee_index");
    if (subcommitteeIndex >= SYNC_COMMITTEE_SUBNET_COUNT) {
      throw new BeaconApiError(400, `Invalid subcommittee_index: ${subcommitteeIndex}`);
    }
    const rootParam = url.searchParams.get("beacon_block_root");
    if (!rootParam || !ROOT_RE.test(rootParam)) {
      throw new BeaconApiError(400, `Invalid beacon_block_root: ${rootParam ?? "missing"}`);
    }
    const root = rootParam.toLowerCase();
    const bits = new Array<boolean>(SYNC_SUBCOMMITTEE_SIZE).fill(false);
    const signatures: Uint8Array[] = [];
    for (const m of recorder.syncMessages({ slot })) {
      if (m.beaconBlockRoot !== root) continue;
      const signature = eth.hexToBytes(m.signature, 96);
      // A validator holding several positions contributes its signature once per position.
      for (const p of subcommitteePositions(slot, m.validatorIndex, subcommitteeIndex)) {
        if (bits[p]) continue;
        bits[p] = true;
        signatures.push(signature);
      }
    }
    if (signatures.length === 0) {
      throw new BeaconApiError(
        404,
        `No sync committee messages for root ${root} at slot ${slot} in subcommittee ${subcommitteeIndex}`,
      );
    }
    const bitsHex = bitvectorHex(bits);
    // Every member of a cluster asks for the same contribution: aggregate each distinct set once.
    const memoKey = `${slot}|${subcommitteeIndex}|${root}|${bitsHex}`;
    let signature = contributionMemo.get(memoKey);
    if (!signature) {
      signature = hex(aggregateSignatures(signatures));
      if (contributionMemo.size >= 4096) contributionMemo.clear();
      contributionMemo.set(memoKey, signature);
    }
    return {
      data: {
        slot: String(slot),
        beacon_block_root: root,
        subcommittee_index: String(subcommitteeIndex),
        aggregation_bits: bitsHex,
        signature,
      },
    };
  };

  const submitContribution = (item: unknown) => {
    let aggregator: number | undefined;
    let ok = false;
    let late = false;
    try {
      let signed: altair.SignedContributionAndProof;
      try {
        signed = ssz.altair.SignedContributionAndProof.fromJson(item);
      } catch (e) {
        throw new ItemError(`invalid SignedContributionAndProof: ${(e as Error).message}`);
      }
      const { message } = signed;
      const { contribution: c } = message;
      aggregator = message.aggregatorIndex < chain.validators.length ? message.aggregatorIndex : undefined;
      knownValidator(message.aggregatorIndex);
      const index = message.aggregatorIndex;
      checkSlot(c.slot);
      if (!checkSelection(index, c.slot, c.subcommitteeIndex, message.selectionProof)) {
        throw new ItemError(
          `validator ${index} is not selected as a sync aggregator at slot ${c.slot} subcommittee ${c.subcommitteeIndex}`,
        );
      }
      if (!verify(pubkeyOf(index), eth.contributionAndProofSigningRoot(network, message), signed.signature)) {
        throw new ItemError("invalid signature");
      }
      const positions = c.aggregationBits.getTrueBitIndexes();
      if (positions.length === 0) throw new ItemError("the contribution has no aggregation bits set");
      const committee = chain.syncCommitteeAtSlot(c.slot);
      const signers = positions.map((p) => committee[c.subcommitteeIndex * SYNC_SUBCOMMITTEE_SIZE + p]!);
      const messageRoot = eth.syncCommitteeMessageSigningRoot(network, c.slot, c.beaconBlockRoot);
      if (!fastAggregateVerify(signers.map(pubkeyOf), messageRoot, c.signature)) {
        throw new ItemError("invalid contribution signature");
      }
      const receivedSlot = headSlot();
      recorder.recordContribution({
        aggregatorIndex: index,
        slot: c.slot,
        subcommitteeIndex: c.subcommitteeIndex,
        beaconBlockRoot: hex(c.beaconBlockRoot),
        positions,
        selectionProof: hex(message.selectionProof),
        signature: hex(signed.signature),
        receivedSlot,
        included: hex(c.beaconBlockRoot) === hex(chain.blockRoot(c.slot)) && receivedSlot <= c.slot,
      });
      ok = true;
    } catch (e) {
      late = e instanceof LateItemError;
      throw e;
    } finally {
      recorder.countSubmission(aggregator, "sync_contribution", ok, late);
    }
  };

  const syncSelections = async (req: IncomingMessage) => {
    const body = await readArray(req, "sync committee selections");
    const data: unknown[] = [];
    eachItem(body, "selections", (item) => {
      const validatorIndex = knownValidator(uintField(item, "validator_index"));
      const slot = uintField(item, "slot");
      const subcommitteeIndex = uintField(item, "subcommittee_index");
      const proof = proofField(item);
      checkSelection(validatorIndex, slot, subcommitteeIndex, proof);
      data.push({
        validator_index: String(validatorIndex),
        slot: String(slot),
        subcommittee_index: String(subcommitteeIndex),
        selection_proof: hex(proof),
      });
    });
    return { data };
  };

  return [
    [
      "POST",
      /^\/eth\/v1\/validator\/duties\/sync\/([^/]+)$/,
      async ([, e], req) => {
        const epoch = parseEpoch(e);
        const currentPeriod = chain.syncPeriod(chain.epochOf(headSlot()));
        if (chain.syncPeriod(epoch) > currentPeriod + 1) {
          throw new BeaconApiError(
            400,
            `Epoch ${epoch} is beyond the next sync committee period (current period ${currentPeriod})`,
          );
        }
        const body = await readJson(req);
        if (!Array.isArray(body) || !body.every((x) => typeof x === "string" && /^\d+$/.test(x))) {
          throw new BeaconApiError(
            400,
            "Invalid request body: expected an array of validator indices as strings",
          );
        }
        return {
          execution_optimistic: false,
          data: chain.syncDuties(epoch, body.map(Number)).map((d) => ({
            pubkey: d.pubkey,
            validator_index: String(d.validatorIndex),
            validator_sync_committee_indices: d.positions.map(String),
          })),
        };
      },
    ],
    [
      "GET",
      /^\/eth\/v1\/beacon\/blocks\/([^/]+)\/root$/,
      ([, blockId]) => ({
        execution_optimistic: false,
        finalized: false,
        data: { root: blockRootOf(blockId) },
      }),
    ],
    [
      "POST",
      /^\/eth\/v1\/beacon\/pool\/sync_committees$/,
      async (_m, req) =>
        eachItem(
          await readArray(req, "sync committee messages"),
          "sync committee messages",
          submitSyncMessage,
        ),
    ],
    ["POST", /^\/eth\/v1\/validator\/sync_committee_selections$/, (_m, req) => syncSelections(req)],
    ["GET", /^\/eth\/v1\/validator\/sync_committee_contribution$/, (_m, _req, url) => contribution(url)],
    [
      "POST",
      /^\/eth\/v1\/validator\/contribution_and_proofs$/,
      async (_m, req) =>
        eachItem(await readArray(req, "signed contribution and proofs"), "contributions", submitContribution),
    ],
    [
      "GET",
      /^\/cohort\/v1\/sync_committee_messages$/,
      (_m, _req, url) => {
        const slot = url.searchParams.get("slot");
        return { data: recorder.syncMessages(slot === null ? {} : { slot: parseUint(slot, "slot") }) };
      },
    ],
    [
      "GET",
      /^\/cohort\/v1\/contributions$/,
      (_m, _req, url) => {
        const slot = url.searchParams.get("slot");
        return { data: recorder.contributions(slot === null ? {} : { slot: parseUint(slot, "slot") }) };
      },
    ],
  ];
}
