/**
 * The duty workflow's vocabulary (Charon's `core/types.go` in TypeScript). A duty is a (slot, type)
 * pair: all of a cluster's validators with the same duty share one consensus instance and one
 * partial-signature message per member.
 */

/**
 * Duty types. Append-only: the numeric codes travel between agents (consensus instance ids,
 * partial-signature messages) and into the portal, so existing codes never change meaning.
 */
export const DutyType = {
  attester: 1,
  proposer: 2,
  randao: 3,
  prepare_aggregator: 4,
  aggregator: 5,
  sync_message: 6,
  prepare_sync_contribution: 7,
  sync_contribution: 8,
  builder_registration: 9,
  exit: 10,
} as const;

export type DutyTypeName = keyof typeof DutyType;
export type DutyTypeCode = (typeof DutyType)[DutyTypeName];

const NAMES = new Map<number, DutyTypeName>(
  Object.entries(DutyType).map(([name, code]) => [code, name as DutyTypeName]),
);

export function dutyTypeName(code: number): DutyTypeName {
  const name = NAMES.get(code);
  if (!name) throw new RangeError(`unknown duty type code ${code}`);
  return name;
}

export function isDutyTypeName(value: string): value is DutyTypeName {
  return Object.hasOwn(DutyType, value);
}

/** One unit of work: what every member must sign at a slot. */
export interface Duty {
  readonly slot: number;
  readonly type: DutyTypeName;
}

export function duty(slot: number, type: DutyTypeName): Duty {
  if (!Number.isSafeInteger(slot) || slot < 0)
    throw new RangeError(`slot ${slot} must be a non-negative integer`);
  if (!isDutyTypeName(type)) throw new RangeError(`unknown duty type ${String(type)}`);
  return Object.freeze({ slot, type });
}

/** `slot/type`, the key logs, metrics and stores use (e.g. `1234/attester`). */
export const dutyKey = (d: Duty) => `${d.slot}/${d.type}`;

/** Parses {@link dutyKey}'s format. */
export function parseDutyKey(key: string): Duty {
  const m = /^(\d+)\/([a-z_]+)$/.exec(key);
  if (!m || !isDutyTypeName(m[2]!))
    throw new RangeError(`not a duty key: ${JSON.stringify(key)} (want slot/type)`);
  return duty(Number(m[1]), m[2] as DutyTypeName);
}

/** A distributed validator's group public key, 0x-prefixed lower-case hex (48 bytes). */
export type PubKey = `0x${string}`;

/** One member's partial signature for one validator, with the share index that produced it. */
export interface ParSignedData<T = unknown> {
  data: T;
  signingRoot: Uint8Array;
  signature: Uint8Array;
  shareIndex: number;
}

/** Partial signatures of one duty, by validator. */
export type ParSignedDataSet<T = unknown> = ReadonlyMap<PubKey, ParSignedData<T>>;

/** A threshold-aggregated signature, ready to broadcast. */
export interface SignedData<T = unknown> {
  data: T;
  signingRoot: Uint8Array;
  signature: Uint8Array;
}
