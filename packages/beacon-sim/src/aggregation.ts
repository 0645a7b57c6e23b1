import type { IncomingMessage } from "node:http";
import * as eth from "@cohort/eth";
import { aggregateSignatures } from "@cohort/tbls";
import { type electra, type phase0, ssz } from "@lodestar/types";
import { isAggregator } from "./chain";
import {
  BeaconApiError,
  bitlistHex,
  CLOCK_DISPARITY_MS,
  consensusVersion,
  eachItem,
  hex,
  ItemError,
  parseUint,
  Reply,
  type Route,
  type RouteContext,
  readArray,
  uintField,
} from "./http";
import { fastAggregateVerify, verify } from "./verifyCache";

/**
 * Attestation aggregation routes:
 *
 * - `POST /eth/v1/validator/beacon_committee_selections` — the distributed-validator endpoint
 *   (ethereum/beacon-APIs, for DV middleware such as Charon): a validator client sends its PARTIAL
 *   selection proofs and the middleware answers with the COMBINED (threshold-aggregated) proofs.
 *   The simulator is a beacon node, not DV middleware: it accepts already-combined proofs, verifies
 *   each against the validator's public key under DOMAIN_SELECTION_PROOF, records it (for the
 *   `aggregator` stats) and returns it. A DV cluster may equally combine its partial proofs itself
 *   and skip this endpoint; aggregate submissions carry the proof anyway.
 * - `GET /eth/v2/validator/aggregate_attestation` (and v1, pre-Electra slots only) — the
 *   aggregate of the valid attestations received for an `AttestationData` root.
 * - `POST /eth/v2/validator/aggregate_and_proofs` (and v1, pre-Electra only) — verifies the
 *   selection proof, the aggregator selection rule, the SignedAggregateAndProof signature (DOMAIN_AGGREGATE_AND_PROOF) and the
 *   aggregate's own signature over its aggregation bits, and records it.
 */
export function aggregationRoutes(ctx: RouteContext): Route[] {
  const { chain, recorder, network, now, headSlot, pubkeyOf } = ctx;

  const knownValidator = (index: number) => {
    if (index >= chain.validators.length) throw new ItemError(`unknown validator ${index}`);
    return index;
  };

  /** Checks a beacon committee selection proof and records it; returns whether it selects. */
  const checkSelection = (validatorIndex: number, slot: number, proof: Uint8Array): boolean => {
    const committee = chain.committee(slot);
    if (!committee.some((d) => d.validatorIndex === validatorIndex)) {
      throw new ItemError(`validator ${validatorIndex} is not in committee 0 at slot ${slot}`);
    }
    if (!verify(pubkeyOf(validatorIndex), eth.selectionProofSigningRoot(network, slot), proof)) {
      throw new ItemError("invalid selection proof");
    }
    const selected = isAggregator(committee.length, proof);
    recorder.recordSelection({
      kind: "beacon_committee",
      validatorIndex,
      slot,
      selectionProof: hex(proof),
      selected,
    });
    return selected;
  };

  const selections = async (req: IncomingMessage) => {
    const body = await readArray(req, "beacon committee selections");
    const data: unknown[] = [];
    eachItem(body, "selections", (item) => {
      const validatorIndex = knownValidator(uintField(item, "validator_index"));
      const slot = uintField(item, "slot");
      let proof: Uint8Array;
      try {
        proof = eth.hexToBytes(String((item as { selection_proof?: unknown }).selection_proof), 96);
      } catch {
        throw new ItemError("selection_proof must be a 96-byte hex signature");
      }
      checkSelection(validatorIndex, slot, proof);
      data.push({ validator_index: String(validatorIndex), slot: String(slot), selection_proof: hex(proof) });
    });
    return { data };
  };

  const aggregateMemo = new Map<string, string>();
  const aggregateAttestation = (url: URL, api: "v1" | "v2") => {
    const rootParam = url.searchParams.get("attestation_data_root");
    if (!rootParam || !/^0x[0-9a-fA-F]{64}$/.test(rootParam)) {
      throw new BeaconApiError(400, `Invalid attestation_data_root: ${rootParam ?? "missing"}`);
    }
    const root = rootParam.toLowerCase();
    const slot = parseUint(url.searchParams.get("slot"), "slot");
    const committeeParam = url.searchParams.get("committee_index");
    const committeeIndex =
      api === "v1" && committeeParam === null ? 0 : parseUint(committeeParam, "committee_index");
    if (api === "v1" && eth.isForkActive(network, "electra", chain.epochOf(slot))) {
      throw new BeaconApiError(
        400,
        `Slot ${slot} is electra: use GET /eth/v2/validator/aggregate_attestation`,
      );
    }
    if (committeeIndex !== 0) {
      throw new BeaconApiError(400, `Invalid committee_index: ${committeeIndex} (1 committee per slot)`);
    }
    const votes = recorder
      .attestations({ slot })
      .filter((a) => a.accepted && a.dataRoot === root && a.committeeIndex === committeeIndex);
    if (votes.length === 0) {
      throw new BeaconApiError(404, `No attestations for data root ${root} at slot ${slot}`);
    }
    const committee = chain.committee(slot);
    const voters = new Set(votes.map((v) => v.validatorIndex));
    // Every member of a cluster asks for the same aggregate: aggregate each distinct vote set once.
    // BLS signatures are deterministic: (slot, data root, voters) fixes the aggregate.
    const memoKey = `${slot}|${root}|${votes.map((v) => v.validatorIndex).join(",")}`;
    let signature = aggregateMemo.get(memoKey);
    if (!signature) {
      signature = hex(aggregateSignatures(votes.map((v) => eth.hexToBytes(v.signature, 96))));
      if (aggregateMemo.size >= 4096) aggregateMemo.clear();
      aggregateMemo.set(memoKey, signature);
    }
    const first = votes[0]!;
    const fork = chain.forkNameAt(chain.epochOf(slot));
    const electraOn = eth.isForkActive(network, "electra", chain.epochOf(slot));
    const data = {
      aggregation_bits: bitlistHex(committee.map((d) => voters.has(d.validatorIndex))),
      data: {
        slot: String(slot),
        index: String(electraOn ? 0 : committeeIndex),
        beacon_block_root: first.beaconBlockRoot,
        source: { epoch: String(first.source.epoch), root: first.source.root },
        target: { epoch: String(first.target.epoch), root: first.target.root },
      },
      signature,
      ...(electraOn ? { committee_bits: `0x01${"00".repeat(7)}` } : {}),
    };
    if (api === "v1") return { data };
    return new Reply(200, { version: fork, data }, { "Eth-Consensus-Version": fork });
  };

  /** `headerFork` undefined: the v1 route, pre-Electra aggregates only. */
  const submitAggregate = (json: unknown, headerFork: string | undefined) => {
    let aggregator: number | undefined;
    let ok = false;
    try {
      const message = (json as { message?: unknown } | null)?.message;
      const claimed = (message as { aggregator_index?: unknown } | null)?.aggregator_index;
      if (typeof claimed === "string" && /^\d+$/.test(claimed) && Number(claimed) < chain.validators.length) {
        aggregator = Number(claimed);
      }
      const slot = uintField((message as { aggregate?: { data?: unknown } } | null)?.aggregate?.data, "slot");
      const epoch = chain.epochOf(slot);
      const fork = chain.forkNameAt(epoch);
      if (headerFork === undefined && eth.isForkActive(network, "electra", epoch)) {
        throw new ItemError(`slot ${slot} is electra: submit to POST /eth/v2/validator/aggregate_and_proofs`);
      }
      if (headerFork !== undefined && headerFork.toLowerCase() !== fork) {
        throw new ItemError(
          `Eth-Consensus-Version ${headerFork} does not match fork ${fork} at slot ${slot}`,
        );
      }
      let aap: phase0.AggregateAndProof | electra.AggregateAndProof;
      let signature: Uint8Array;
      try {
        aap = eth.aggregateAndProofFromJson(network, message);
        signature = eth.hexToBytes(String((json as { signature?: unknown }).signature), 96, "signature");
      } catch (e) {
        throw new ItemError(`invalid SignedAggregateAndProof: ${(e as Error).message}`);
      }
      aggregator = aap.aggregatorIndex < chain.validators.length ? aap.aggregatorIndex : undefined;
      if (aggregator === undefined) throw new ItemError(`unknown validator ${aap.aggregatorIndex}`);
      const { data } = aap.aggregate;
      let committeeIndex = data.index;
      if ("committeeBits" in aap.aggregate) {
        const committees = aap.aggregate.committeeBits.getTrueBitIndexes();
        if (committees.length !== 1) throw new ItemError("committee_bits must have exactly one bit set");
        committeeIndex = committees[0]!;
        if (data.index !== 0) throw new ItemError("data.index must be 0 from electra");
      }
      if (committeeIndex !== 0)
        throw new ItemError(`committee ${committeeIndex} does not exist at slot ${slot}`);
      if (data.target.epoch !== epoch) {
        throw new ItemError(`target epoch ${data.target.epoch} is not the epoch ${epoch} of slot ${slot}`);
      }
      if (slot > chain.slotAt(now() + CLOCK_DISPARITY_MS)) {
        throw new ItemError(`aggregate slot ${slot} is in the future`);
      }
      if (!checkSelection(aggregator, slot, aap.selectionProof)) {
        throw new ItemError(`validator ${aggregator} is not selected as an aggregator at slot ${slot}`);
      }
      if (!verify(pubkeyOf(aggregator), eth.aggregateAndProofSigningRoot(network, aap), signature)) {
        throw new ItemError("invalid signature");
      }
      const committee = chain.committee(slot);
      const bits = aap.aggregate.aggregationBits;
      if (bits.bitLen !== committee.length) {
        throw new ItemError(
          `aggregation_bits length ${bits.bitLen} is not the committee size ${committee.length}`,
        );
      }
      const attesters = bits.getTrueBitIndexes().map((i) => committee[i]!.validatorIndex);
      if (attesters.length === 0) throw new ItemError("the aggregate has no aggregation bits set");
      if (
        !fastAggregateVerify(
          attesters.map(pubkeyOf),
          eth.attestationSigningRoot(network, data),
          aap.aggregate.signature,
        )
      ) {
        throw new ItemError("invalid aggregate signature");
      }
      const receivedSlot = headSlot();
      recorder.recordAggregate({
        aggregatorIndex: aggregator,
        slot,
        committeeIndex,
        dataRoot: hex(ssz.phase0.AttestationData.hashTreeRoot(data)),
        attesters,
        selectionProof: hex(aap.selectionProof),
        aggregateSignature: hex(aap.aggregate.signature),
        signature: hex(signature),
        fork,
        receivedSlot,
        included: receivedSlot <= slot + network.slotsPerEpoch,
      });
      ok = true;
    } finally {
      recorder.countSubmission(aggregator, "aggregator", ok);
    }
  };

  return [
    ["POST", /^\/eth\/v1\/validator\/beacon_committee_selections$/, (_m, req) => selections(req)],
    [
      "GET",
      /^\/eth\/v1\/validator\/aggregate_attestation$/,
      (_m, _req, url) => aggregateAttestation(url, "v1"),
    ],
    [
      "GET",
      /^\/eth\/v2\/validator\/aggregate_attestation$/,
      (_m, _req, url) => aggregateAttestation(url, "v2"),
    ],
    [
      "POST",
      /^\/eth\/v1\/validator\/aggregate_and_proofs$/,
      async (_m, req) =>
        eachItem(await readArray(req, "signed aggregate and proofs"), "aggregates", (item) =>
          submitAggregate(item, undefined),
        ),
    ],
    [
      "POST",
      /^\/eth\/v2\/validator\/aggregate_and_proofs$/,
      async (_m, req) => {
        const headerFork = consensusVersion(req);
        if (!headerFork) throw new BeaconApiError(400, "Eth-Consensus-Version header is required");
        const body = await readArray(req, "signed aggregate and proofs");
        return eachItem(body, "aggregates", (item) => submitAggregate(item, headerFork));
      },
    ],
    [
      "GET",
      /^\/cohort\/v1\/aggregates$/,
      (_m, _req, url) => {
        const slot = url.searchParams.get("slot");
        return { data: recorder.aggregates(slot === null ? {} : { slot: parseUint(slot, "slot") }) };
      },
    ],
  ];
}
