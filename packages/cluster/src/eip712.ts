import { hashTypedData, hexToBytes } from "viem";
import { fail } from "./errors";
import { to0xHex } from "./hex";
import { k1Sign } from "./k1";
import { clusterNetwork } from "./networks";
import { computeConfigHash, setDefinitionHashes } from "./ssz";
import type { Definition } from "./types";

/**
 * The EIP-712 messages operators and the creator sign (Charon's `cluster/eip712sigs.go`): domain
 * `{name: "Obol", version: "1", chainId}` with the chain id of the definition's fork version, and a
 * single string field holding the 0x-hex config hash or the operator's ENR.
 */

export type Eip712Kind = "OperatorConfigHash" | "CreatorConfigHash" | "ENR";

const FIELD: Record<Eip712Kind, string> = {
  OperatorConfigHash: "operator_config_hash",
  CreatorConfigHash: "creator_config_hash",
  ENR: "enr",
};

/** The EIP-712 chain id for a definition's fork version, or `override` when given. */
export function eip712ChainId(forkVersion: Uint8Array, override?: number): number {
  if (override !== undefined) return override;
  const chainId = clusterNetwork(forkVersion)?.depositChainId;
  if (chainId === undefined) {
    return fail(
      "unsupported_network",
      "fork_version",
      `unknown fork version ${to0xHex(forkVersion) || '""'}; pass chainId to verify its EIP-712 signatures`,
    );
  }
  return chainId;
}

/** EIP-712 digest of a string message of the given kind. */
export function eip712Digest(kind: Eip712Kind, value: string, chainId: number): Uint8Array {
  const digest = hashTypedData({
    domain: { name: "Obol", version: "1", chainId },
    types: { [kind]: [{ name: FIELD[kind], type: "string" }] },
    primaryType: kind,
    message: { [FIELD[kind]]: value },
  });
  return hexToBytes(digest);
}

export interface ChainIdOption {
  /** EIP-712 chain id to use instead of the one implied by the fork version. */
  chainId?: number;
}

/** Digest an operator signs to approve the definition's config hash. */
export const operatorConfigHashDigest = (def: Definition, opts: ChainIdOption = {}) =>
  eip712Digest("OperatorConfigHash", to0xHex(def.configHash), eip712ChainId(def.forkVersion, opts.chainId));

/** Digest the creator signs to approve the definition's config hash. */
export const creatorConfigHashDigest = (def: Definition, opts: ChainIdOption = {}) =>
  eip712Digest("CreatorConfigHash", to0xHex(def.configHash), eip712ChainId(def.forkVersion, opts.chainId));

/** Digest an operator signs to authorise its charon node's ENR. */
export const enrDigest = (def: Definition, enr: string, opts: ChainIdOption = {}) =>
  eip712Digest("ENR", enr, eip712ChainId(def.forkVersion, opts.chainId));

/**
 * Signs operator `index`'s config hash and ENR with its Ethereum private key (the config hash is
 * computed first) and returns the definition with both hashes recomputed.
 */
export function signOperator(
  def: Definition,
  index: number,
  privateKey: Uint8Array,
  opts: ChainIdOption = {},
): Definition {
  const operator = def.operators[index];
  if (!operator) throw new RangeError(`no operator at index ${index}`);
  const withConfig = { ...def, configHash: computeConfigHash(def) };
  const operators = def.operators.slice();
  operators[index] = {
    ...operator,
    configSignature: k1Sign(privateKey, operatorConfigHashDigest(withConfig, opts)),
    enrSignature: k1Sign(privateKey, enrDigest(withConfig, operator.enr, opts)),
  };
  return setDefinitionHashes({ ...withConfig, operators });
}

/** Signs the creator's config hash and returns the definition with both hashes recomputed. */
export function signCreator(def: Definition, privateKey: Uint8Array, opts: ChainIdOption = {}): Definition {
  const withConfig = { ...def, configHash: computeConfigHash(def) };
  const creator = {
    ...def.creator,
    configSignature: k1Sign(privateKey, creatorConfigHashDigest(withConfig, opts)),
  };
  return setDefinitionHashes({ ...withConfig, creator });
}
