import { to0xHex } from "./hex";
import type { GoJson } from "./json";
import { marshalIndent } from "./json";
import type { BuilderRegistration, Definition, DepositData, DistributedValidator, Lock } from "./types";
import {
  type ClusterVersion,
  hasBuilderRegistration,
  hasConsensusProtocol,
  hasGasLimitAndCompounding,
  hasNodeSignatures,
  hasPartialDeposits,
  hasSingleDepositData,
} from "./versions";

/**
 * Serialisation in Charon's JSON shape for each version: the same keys in the same order, 0x-hex
 * byte fields ("" when empty), Gwei amounts as decimal strings, `null` for empty operator/validator
 * lists. Hashes are written as stored; use `setDefinitionHashes`/`setLockHash` (or the create helpers)
 * to compute them first. The text form matches Charon's `json.MarshalIndent(x, "", " ")` output.
 */

type Obj = { [key: string]: GoJson };

/** The definition as a JSON value in Charon's field order for its version. */
export function definitionToJson(def: Definition): Obj {
  const v = def.version;
  const o: Obj = {};
  if (def.name !== "") o.name = def.name;
  o.creator = { address: def.creator.address, config_signature: to0xHex(def.creator.configSignature) };
  o.operators =
    def.operators.length === 0
      ? null
      : def.operators.map((op) => ({
          address: op.address,
          enr: op.enr,
          config_signature: to0xHex(op.configSignature),
          enr_signature: to0xHex(op.enrSignature),
        }));
  o.uuid = def.uuid;
  o.version = v;
  if (def.timestamp !== "") o.timestamp = def.timestamp;
  o.num_validators = def.numValidators;
  o.threshold = def.threshold;
  o.validators =
    def.validators.length === 0
      ? null
      : def.validators.map((va) => ({
          fee_recipient_address: va.feeRecipientAddress,
          withdrawal_address: va.withdrawalAddress,
        }));
  o.dkg_algorithm = def.dkgAlgorithm;
  o.fork_version = to0xHex(def.forkVersion);
  if (hasPartialDeposits(v)) {
    o.deposit_amounts = def.depositAmounts === null ? null : def.depositAmounts.map((a) => a.toString());
  }
  if (hasConsensusProtocol(v)) o.consensus_protocol = def.consensusProtocol;
  if (hasGasLimitAndCompounding(v)) {
    o.target_gas_limit = def.targetGasLimit;
    o.compounding = def.compounding;
  }
  o.config_hash = to0xHex(def.configHash);
  o.definition_hash = to0xHex(def.definitionHash);
  return o;
}

const depositToJson = (d: DepositData): Obj => ({
  pubkey: to0xHex(d.pubkey),
  withdrawal_credentials: to0xHex(d.withdrawalCredentials),
  amount: d.amount.toString(),
  signature: to0xHex(d.signature),
});

const registrationToJson = (r: BuilderRegistration): Obj => ({
  message: {
    fee_recipient: to0xHex(r.message.feeRecipient),
    gas_limit: r.message.gasLimit,
    timestamp: r.message.timestamp,
    pubkey: to0xHex(r.message.pubkey),
  },
  signature: to0xHex(r.signature),
});

function validatorToJson(dv: DistributedValidator, version: ClusterVersion): Obj {
  const o: Obj = { distributed_public_key: to0xHex(dv.distributedPublicKey) };
  if (dv.publicShares.length > 0) o.public_shares = dv.publicShares.map(to0xHex);
  if (hasSingleDepositData(version)) {
    const first = dv.partialDepositData[0];
    o.deposit_data = first
      ? depositToJson(first)
      : { pubkey: "", withdrawal_credentials: "", amount: "0", signature: "" };
    if (hasBuilderRegistration(version)) o.builder_registration = registrationToJson(dv.builderRegistration);
  } else if (hasPartialDeposits(version)) {
    o.builder_registration = registrationToJson(dv.builderRegistration);
    if (dv.partialDepositData.length > 0) o.partial_deposit_data = dv.partialDepositData.map(depositToJson);
  }
  return o;
}

/** The lock as a JSON value in Charon's field order for its version. */
export function lockToJson(lock: Lock): Obj {
  const v = lock.definition.version;
  const o: Obj = {
    cluster_definition: definitionToJson(lock.definition),
    distributed_validators:
      lock.distributedValidators.length === 0
        ? null
        : lock.distributedValidators.map((dv) => validatorToJson(dv, v)),
    signature_aggregate: to0xHex(lock.signatureAggregate),
    lock_hash: to0xHex(lock.lockHash),
  };
  if (hasNodeSignatures(v)) o.node_signatures = lock.nodeSignatures.map(to0xHex);
  return o;
}

/** `cluster-definition.json` text exactly as Charon writes it (one-space indent, no trailing newline). */
export function writeDefinition(def: Definition): string {
  return marshalIndent(definitionToJson(def));
}

/** `cluster-lock.json` text exactly as Charon writes it (one-space indent, no trailing newline). */
export function writeLock(lock: Lock): string {
  return marshalIndent(lockToJson(lock));
}
