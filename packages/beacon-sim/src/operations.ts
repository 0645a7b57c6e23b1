import type { IncomingMessage } from "node:http";
import * as eth from "@cohort/eth";
import type { bellatrix, phase0 } from "@lodestar/types";
import {
  BeaconApiError,
  eachItem,
  hex,
  ItemError,
  parseEpoch,
  Reply,
  type Route,
  type RouteContext,
  readArray,
  readJson,
  uintField,
} from "./http";
import { verify } from "./verifyCache";

const ADDRESS_RE = /^0x[0-9a-fA-F]{40}$/;
/** builder-specs: registrations more than 10 s in the future are refused. */
const REGISTRATION_MAX_FUTURE_S = 10;

/**
 * Validator operations:
 *
 * - `POST /eth/v1/validator/liveness/{epoch}` — live iff the simulator received any validly signed
 *   message of the validator for a slot in that epoch (attestation, block, aggregate, sync message,
 *   contribution).
 * - `POST /eth/v1/validator/prepare_beacon_proposer` — fee recipients, kept (see
 *   `/cohort/v1/proposer_preparations`); produced blocks are not changed by them.
 * - `POST /eth/v1/validator/register_validator` — builder `SignedValidatorRegistrationV1`s verified
 *   under DOMAIN_APPLICATION_BUILDER (genesis fork version, zero genesis validators root); the
 *   latest (by timestamp) is kept per validator (`/cohort/v1/registrations`).
 * - `POST /eth/v1/beacon/pool/voluntary_exits` — verified with EIP-7044 domain rules (from Deneb the
 *   Capella fork version, before it the fork at the exit's epoch), refused before the exit's epoch or
 *   before SHARD_COMMITTEE_PERIOD epochs of activity (every simulated validator is active from
 *   epoch 0). Recorded (`/cohort/v1/exits`); the validator set's status is not changed.
 */
export function operationRoutes(ctx: RouteContext): Route[] {
  const { chain, recorder, network, now, headSlot, pubkeyOf } = ctx;

  const liveness = async (e: string | undefined, req: IncomingMessage) => {
    const epoch = parseEpoch(e);
    const current = chain.epochOf(headSlot());
    if (epoch > current + 1)
      throw new BeaconApiError(400, `Epoch ${epoch} is in the future (current ${current})`);
    const body = await readJson(req);
    if (!Array.isArray(body) || !body.every((x) => typeof x === "string" && /^\d+$/.test(x))) {
      throw new BeaconApiError(
        400,
        "Invalid request body: expected an array of validator indices as strings",
      );
    }
    return {
      data: body.map((i: string) => ({ index: i, is_live: recorder.isLive(Number(i), epoch) })),
    };
  };

  const prepare = async (req: IncomingMessage) => {
    const body = await readArray(req, "proposer preparations");
    const parsed = body.map((item, i) => {
      const feeRecipient = (item as { fee_recipient?: unknown } | null)?.fee_recipient;
      let index: number;
      try {
        index = uintField(item, "validator_index");
      } catch (e) {
        throw new BeaconApiError(400, `Invalid preparation ${i}: ${(e as Error).message}`);
      }
      if (typeof feeRecipient !== "string" || !ADDRESS_RE.test(feeRecipient)) {
        throw new BeaconApiError(
          400,
          `Invalid preparation ${i}: fee_recipient must be a 20-byte hex address`,
        );
      }
      return [index, feeRecipient.toLowerCase()] as const;
    });
    for (const [index, feeRecipient] of parsed) recorder.feeRecipients.set(index, feeRecipient);
    return new Reply(200, undefined);
  };

  const register = (item: unknown) => {
    let registration: bellatrix.ValidatorRegistrationV1;
    let signature: Uint8Array;
    try {
      registration = eth.validatorRegistrationFromJson((item as { message?: unknown } | null)?.message);
      signature = eth.hexToBytes(String((item as { signature?: unknown }).signature), 96, "signature");
    } catch (e) {
      throw new ItemError(`invalid SignedValidatorRegistrationV1: ${(e as Error).message}`);
    }
    const validator = chain.validatorByPubkey(hex(registration.pubkey));
    if (!validator) throw new ItemError(`unknown validator pubkey ${hex(registration.pubkey)}`);
    if (registration.timestamp > now() / 1000 + REGISTRATION_MAX_FUTURE_S) {
      throw new ItemError(`timestamp ${registration.timestamp} is in the future`);
    }
    if (
      !verify(
        pubkeyOf(validator.index),
        eth.validatorRegistrationSigningRoot(network, registration),
        signature,
      )
    ) {
      throw new ItemError("invalid signature");
    }
    recorder.recordRegistration({
      validatorIndex: validator.index,
      pubkey: validator.pubkey,
      feeRecipient: hex(registration.feeRecipient),
      gasLimit: registration.gasLimit,
      timestamp: registration.timestamp,
      signature: hex(signature),
    });
  };

  const exit = async (req: IncomingMessage) => {
    const body = (await readJson(req)) as { message?: unknown; signature?: unknown } | null;
    let message: phase0.VoluntaryExit;
    let signature: Uint8Array;
    try {
      message = eth.voluntaryExitFromJson(body?.message);
      signature = eth.hexToBytes(String(body?.signature), 96, "signature");
    } catch (e) {
      throw new BeaconApiError(400, `Invalid SignedVoluntaryExit: ${(e as Error).message}`);
    }
    const index = message.validatorIndex;
    if (index >= chain.validators.length) throw new BeaconApiError(400, `Unknown validator ${index}`);
    const current = chain.epochOf(headSlot());
    if (message.epoch > current) {
      throw new BeaconApiError(400, `Exit epoch ${message.epoch} is after the current epoch ${current}`);
    }
    if (current < chain.shardCommitteePeriod) {
      throw new BeaconApiError(
        400,
        `Validator ${index} has not been active for SHARD_COMMITTEE_PERIOD (${chain.shardCommitteePeriod} epochs)`,
      );
    }
    if (!verify(pubkeyOf(index), eth.voluntaryExitSigningRoot(network, message, current), signature)) {
      throw new BeaconApiError(400, "Invalid voluntary exit signature");
    }
    const previous = recorder.exits().find((x) => x.validatorIndex === index);
    if (previous && previous.signature !== hex(signature)) {
      throw new BeaconApiError(400, `Validator ${index} is already exiting`);
    }
    recorder.recordExit({
      validatorIndex: index,
      epoch: message.epoch,
      signature: hex(signature),
      receivedSlot: headSlot(),
    });
    return new Reply(200, undefined);
  };

  return [
    ["POST", /^\/eth\/v1\/validator\/liveness\/([^/]+)$/, ([, e], req) => liveness(e, req)],
    ["POST", /^\/eth\/v1\/validator\/prepare_beacon_proposer$/, (_m, req) => prepare(req)],
    [
      "POST",
      /^\/eth\/v1\/validator\/register_validator$/,
      async (_m, req) => eachItem(await readArray(req, "validator registrations"), "registrations", register),
    ],
    ["POST", /^\/eth\/v1\/beacon\/pool\/voluntary_exits$/, (_m, req) => exit(req)],
    ["GET", /^\/cohort\/v1\/exits$/, () => ({ data: recorder.exits() })],
    ["GET", /^\/cohort\/v1\/registrations$/, () => ({ data: recorder.registrations() })],
    [
      "GET",
      /^\/cohort\/v1\/proposer_preparations$/,
      () => ({
        data: [...recorder.feeRecipients.entries()]
          .sort(([a], [b]) => a - b)
          .map(([validatorIndex, feeRecipient]) => ({ validatorIndex, feeRecipient })),
      }),
    ],
  ];
}
