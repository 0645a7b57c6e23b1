import { type Address, getAddress, type Hex, hashTypedData } from "viem";

/**
 * EIP-712 typed data the splitter verifies. Field names, order and types must match the
 * typehashes in contracts/src/CohortSplitter.sol exactly (checked against the contract's own
 * `*Digest` views in test/typedData.test.ts).
 */
export const splitterDomainName = "CohortSplitter";
export const splitterDomainVersion = "1";

export const settlementTypes = {
  Settlement: [
    { name: "periodId", type: "uint256" },
    { name: "recipients", type: "address[]" },
    { name: "amounts", type: "uint256[]" },
    { name: "total", type: "uint256" },
  ],
} as const;

export const changeOperatorsTypes = {
  ChangeOperators: [
    { name: "operators", type: "Operator[]" },
    { name: "threshold", type: "uint256" },
    { name: "nonce", type: "uint256" },
  ],
  Operator: [
    { name: "signer", type: "address" },
    { name: "payout", type: "address" },
  ],
} as const;

export const reservePrincipalTypes = {
  ReservePrincipal: [
    { name: "exitId", type: "bytes32" },
    { name: "amount", type: "uint256" },
  ],
} as const;

export const addPrincipalTypes = {
  AddPrincipal: [
    { name: "depositId", type: "bytes32" },
    { name: "amount", type: "uint256" },
  ],
} as const;

/** Identifies one splitter deployment: signatures are bound to both (EIP-712 domain). */
export interface SplitterDomainParameters {
  splitter: Address;
  chainId: number | bigint;
}

export function splitterDomain({ splitter, chainId }: SplitterDomainParameters) {
  return {
    name: splitterDomainName,
    version: splitterDomainVersion,
    chainId: BigInt(chainId),
    verifyingContract: getAddress(splitter),
  } as const;
}

/** One period's allocation: `amounts[i]` wei to `recipients[i]`, Σ amounts = total. */
export interface Settlement {
  periodId: bigint;
  recipients: readonly Address[];
  amounts: readonly bigint[];
  total: bigint;
}

export type SettlementTypedDataParameters = SplitterDomainParameters & Settlement;

/**
 * What each operator signs to approve a settlement (pass to viem's `signTypedData`).
 *
 * @example
 * const typedData = settlementTypedData({ splitter, chainId: 1, periodId: 42n, recipients, amounts, total });
 * const signature = await account.signTypedData(typedData);
 */
export function settlementTypedData(p: SettlementTypedDataParameters) {
  return {
    domain: splitterDomain(p),
    types: settlementTypes,
    primaryType: "Settlement",
    message: {
      periodId: p.periodId,
      recipients: p.recipients.map((r) => getAddress(r)),
      amounts: [...p.amounts],
      total: p.total,
    },
  } as const;
}

/** The digest the contract recovers signers from (`settlementDigest`). */
export function settlementDigest(p: SettlementTypedDataParameters): Hex {
  return hashTypedData(settlementTypedData(p));
}

export interface OperatorEntry {
  signer: Address;
  payout: Address;
}

export function changeOperatorsTypedData(
  p: SplitterDomainParameters & { operators: readonly OperatorEntry[]; threshold: bigint; nonce: bigint },
) {
  return {
    domain: splitterDomain(p),
    types: changeOperatorsTypes,
    primaryType: "ChangeOperators",
    message: {
      operators: p.operators.map((o) => ({ signer: getAddress(o.signer), payout: getAddress(o.payout) })),
      threshold: p.threshold,
      nonce: p.nonce,
    },
  } as const;
}

export function reservePrincipalTypedData(p: SplitterDomainParameters & { exitId: Hex; amount: bigint }) {
  return {
    domain: splitterDomain(p),
    types: reservePrincipalTypes,
    primaryType: "ReservePrincipal",
    message: { exitId: p.exitId, amount: p.amount },
  } as const;
}

export function addPrincipalTypedData(p: SplitterDomainParameters & { depositId: Hex; amount: bigint }) {
  return {
    domain: splitterDomain(p),
    types: addPrincipalTypes,
    primaryType: "AddPrincipal",
    message: { depositId: p.depositId, amount: p.amount },
  } as const;
}

/** Checks a settlement's shape before anything is signed or sent; returns a reason or null. */
export function validateSettlement(s: Settlement): string | null {
  if (s.recipients.length === 0) return "no recipients";
  if (s.recipients.length > 256) return `too many recipients (${s.recipients.length} > 256)`;
  if (s.recipients.length !== s.amounts.length)
    return `recipients (${s.recipients.length}) and amounts (${s.amounts.length}) differ in length`;
  if (s.amounts.some((a) => a < 0n)) return "negative amount";
  const sum = s.amounts.reduce((a, b) => a + b, 0n);
  if (sum !== s.total) return `amounts sum to ${sum}, total is ${s.total}`;
  return null;
}
