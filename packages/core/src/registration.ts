/**
 * Builder registrations (`builder_registration` duty): every epoch the cluster submits one
 * `SignedValidatorRegistrationV1` per validator to the beacon node (POST
 * /eth/v1/validator/register_validator).
 *
 * - A member whose fee recipient and gas limit equal the lock's pre-signed registration proposes
 *   that registration as is (message and group signature from the lock; nothing is signed).
 * - Otherwise it proposes a fresh message whose timestamp is the START TIME OF THE EPOCH the duty
 *   runs in (genesis_time + first slot of the epoch × seconds per slot): every member computes the
 *   same value, the beacon node never sees it in the future, and it grows every epoch.
 * - The duty runs WITH consensus: members with different configurations agree on one value (the
 *   leader's), so partials over different messages are never mixed. A decided lock registration is
 *   submitted without signing; a decided fresh one is threshold-signed (builder domain: genesis fork
 *   version, zero genesis validators root). The signer refuses anything else (a registration for a
 *   pubkey other than the validator's, a timestamp other than the epoch start, or a "pre-signed"
 *   value that is not the lock's).
 */
import type { Lock } from "@cohort/cluster";
import { epochAtSlot, type NetworkConfig, startSlotOfEpoch } from "@cohort/eth";
import type { AggSig, UnsignedData, UnsignedDataSet } from "./interfaces";
import { fromHex, toHex } from "./signing";
import type { Duty, PubKey } from "./types";

/** `ValidatorRegistrationV1` JSON (Beacon / builder API shape). */
export interface RegistrationJson {
  fee_recipient: `0x${string}`;
  gas_limit: string;
  timestamp: string;
  pubkey: `0x${string}`;
}

export interface SignedRegistrationJson {
  message: RegistrationJson;
  signature: `0x${string}`;
}

export interface BuilderRegistrationConfig {
  /** The lock's pre-signed registration of each validator (validators without one are re-signed). */
  lock: ReadonlyMap<PubKey, SignedRegistrationJson>;
  /** This member's fee recipient (default: the lock registration's). */
  feeRecipient?: string;
  /** This member's gas limit (default: the lock registration's). */
  gasLimit?: number;
}

/** The timestamp of a fresh registration for a duty: the start time (unix s) of the duty's epoch. */
export const registrationTimestamp = (network: NetworkConfig, slot: number): number =>
  network.genesisTime + startSlotOfEpoch(network, epochAtSlot(network, slot)) * network.secondsPerSlot;

const sameJson = (a: RegistrationJson, b: RegistrationJson) =>
  a.fee_recipient.toLowerCase() === b.fee_recipient.toLowerCase() &&
  a.gas_limit === b.gas_limit &&
  a.timestamp === b.timestamp &&
  a.pubkey.toLowerCase() === b.pubkey.toLowerCase();

export class BuilderRegistrations {
  constructor(
    private readonly network: NetworkConfig,
    private readonly config: BuilderRegistrationConfig,
  ) {
    if (config.feeRecipient !== undefined && !/^0x[0-9a-fA-F]{40}$/.test(config.feeRecipient))
      throw new RangeError(`fee recipient must be a 20-byte 0x-hex address (got ${config.feeRecipient})`);
    if (config.gasLimit !== undefined && (!Number.isSafeInteger(config.gasLimit) || config.gasLimit <= 0))
      throw new RangeError(`gas limit must be a positive integer (got ${config.gasLimit})`);
  }

  /**
   * What this member proposes for `pubkey` at `duty` (fetcher), or undefined when it has nothing
   * to register (no lock registration and no configured fee recipient).
   */
  proposal(duty: Duty, pubkey: PubKey): UnsignedData | undefined {
    const lock = this.config.lock.get(pubkey);
    const feeRecipient = (this.config.feeRecipient ?? lock?.message.fee_recipient)?.toLowerCase();
    const gasLimit = this.config.gasLimit ?? (lock ? Number(lock.message.gas_limit) : undefined);
    if (!feeRecipient || gasLimit === undefined) return undefined;
    if (
      lock &&
      feeRecipient === lock.message.fee_recipient.toLowerCase() &&
      String(gasLimit) === lock.message.gas_limit
    )
      return { kind: "builder_registration", message: lock.message, signature: lock.signature };
    return {
      kind: "builder_registration",
      message: {
        fee_recipient: feeRecipient as `0x${string}`,
        gas_limit: String(gasLimit),
        timestamp: String(registrationTimestamp(this.network, duty.slot)),
        pubkey,
      },
    };
  }

  /** The lock's own signed registration when `data` is exactly it (submitted without signing). */
  presigned(pubkey: PubKey, data: UnsignedData): AggSig | undefined {
    if (data.kind !== "builder_registration" || data.signature === undefined) return undefined;
    const lock = this.config.lock.get(pubkey);
    if (!lock || lock.signature.toLowerCase() !== data.signature.toLowerCase()) return undefined;
    if (!sameJson(lock.message, data.message)) return undefined;
    return { data, signingRoot: new Uint8Array(32), signature: fromHex(lock.signature) };
  }

  /** Splits a decided set into the lock's pre-signed registrations and what must be signed. */
  take(set: UnsignedDataSet): { signed: Map<PubKey, AggSig>; rest: Map<PubKey, UnsignedData> } {
    const signed = new Map<PubKey, AggSig>();
    const rest = new Map<PubKey, UnsignedData>();
    for (const [pubkey, data] of set) {
      const s = this.presigned(pubkey, data);
      if (s) signed.set(pubkey, s);
      else rest.set(pubkey, data);
    }
    return { signed, rest };
  }
}

/**
 * Why the signer must not sign `data` as `pubkey`'s registration at `duty` (undefined: fine):
 * it must be a fresh registration (no pre-signed signature) for that very pubkey, timestamped at
 * the start of the duty's epoch.
 */
export function registrationRefusal(
  network: NetworkConfig,
  duty: Duty,
  pubkey: PubKey,
  data: Extract<UnsignedData, { kind: "builder_registration" }>,
): string | undefined {
  if (data.signature !== undefined) return "pre-signed registration is not the lock's";
  if (data.message.pubkey.toLowerCase() !== pubkey.toLowerCase())
    return `registration names pubkey ${data.message.pubkey}`;
  const ts = registrationTimestamp(network, duty.slot);
  if (data.message.timestamp !== String(ts))
    return `registration timestamp ${data.message.timestamp} is not the epoch start ${ts}`;
  return undefined;
}

/** The lock's pre-signed registrations by group pubkey (validators whose lock has none are left out). */
export function registrationsFromLock(lock: Lock): Map<PubKey, SignedRegistrationJson> {
  const out = new Map<PubKey, SignedRegistrationJson>();
  for (const dv of lock.distributedValidators) {
    const r = dv.builderRegistration;
    if (r.signature.length !== 96 || r.message.feeRecipient.length !== 20) continue;
    const pubkey = toHex(dv.distributedPublicKey) as PubKey;
    out.set(pubkey, {
      message: {
        fee_recipient: toHex(r.message.feeRecipient),
        gas_limit: String(r.message.gasLimit),
        timestamp: String(r.message.timestamp),
        pubkey: toHex(r.message.pubkey),
      },
      signature: toHex(r.signature),
    });
  }
  return out;
}
