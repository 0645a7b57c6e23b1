import type { SimChain } from "./chain";

export const DUTY_TYPES = [
  "attester",
  "proposer",
  "aggregator",
  "sync_message",
  "sync_contribution",
] as const;
export type DutyType = (typeof DUTY_TYPES)[number];

/** A valid selection proof the simulator saw (from a selections endpoint or an aggregate). */
export interface SelectionRecord {
  kind: "beacon_committee" | "sync_committee";
  validatorIndex: number;
  slot: number;
  /** Sync subcommittee (sync_committee only). */
  subcommitteeIndex?: number;
  selectionProof: string;
  /** Whether the proof selects the validator as an aggregator. */
  selected: boolean;
}

/** A valid `SignedAggregateAndProof` received. */
export interface AggregateRecord {
  aggregatorIndex: number;
  slot: number;
  committeeIndex: number;
  dataRoot: string;
  /** Validator indices whose attestations the aggregate carries. */
  attesters: number[];
  selectionProof: string;
  /** The aggregate attestation's signature. */
  aggregateSignature: string;
  /** The SignedAggregateAndProof's signature. */
  signature: string;
  fork: string;
  receivedSlot: number;
  /** Received within SLOTS_PER_EPOCH slots of its slot (and so would be included). */
  included: boolean;
}

/** A valid `SyncCommitteeMessage` received. */
export interface SyncMessageRecord {
  validatorIndex: number;
  slot: number;
  beaconBlockRoot: string;
  signature: string;
  receivedSlot: number;
  /** For the canonical block root of its slot and received during its slot. */
  included: boolean;
}

/** A valid `SignedContributionAndProof` received. */
export interface ContributionRecord {
  aggregatorIndex: number;
  slot: number;
  subcommitteeIndex: number;
  beaconBlockRoot: string;
  /** Positions (0…127) within the subcommittee whose signatures it carries. */
  positions: number[];
  selectionProof: string;
  signature: string;
  receivedSlot: number;
  /** For the canonical block root of its slot and received during its slot. */
  included: boolean;
}

/** A valid `SignedVoluntaryExit` received. */
export interface ExitRecord {
  validatorIndex: number;
  epoch: number;
  signature: string;
  receivedSlot: number;
}

/** The latest valid builder registration of a validator. */
export interface RegistrationRecord {
  validatorIndex: number;
  pubkey: string;
  feeRecipient: string;
  gasLimit: number;
  timestamp: number;
  signature: string;
}

/** A checkpoint as recorded (epoch and `0x`-hex root). */
export interface CheckpointRecord {
  epoch: number;
  root: string;
}

/** One distinct attestation vote the simulator accepted (or saw with a valid signature). */
export interface AttestationRecord {
  validatorIndex: number;
  slot: number;
  committeeIndex: number;
  /** `hash_tree_root(AttestationData)`, `0x`-hex: two records with different roots are different votes. */
  dataRoot: string;
  beaconBlockRoot: string;
  source: CheckpointRecord;
  target: CheckpointRecord;
  signature: string;
  /** Fork of the attestation's slot. */
  fork: string;
  /** Wall-clock slot when it was first received. */
  receivedSlot: number;
  /** Whether it passed every check and was accepted into the pool (false: only seen, e.g. off-schedule). */
  accepted: boolean;
  /** The slot whose block would include it, or null (late, or its source/target are not the chain's). */
  inclusionSlot: number | null;
}

/** One distinct signed block the simulator saw with a valid proposer signature. */
export interface BlockRecord {
  slot: number;
  proposerIndex: number;
  /** `hash_tree_root(BeaconBlock)` (= the blinded block's and the header's), `0x`-hex. */
  blockRoot: string;
  signature: string;
  fork: string;
  blinded: boolean;
  receivedSlot: number;
  /** true for the first valid block of its slot from the scheduled proposer. */
  imported: boolean;
}

export type SlashableOffence =
  | {
      kind: "double_vote" | "surround_vote";
      validatorIndex: number;
      /** The earlier-received vote first. */
      attestations: [AttestationRecord, AttestationRecord];
    }
  | { kind: "double_proposal"; validatorIndex: number; slot: number; blocks: [BlockRecord, BlockRecord] };

/** Per validator and duty type counters; see {@link SimRecorder.stats}. */
export interface DutyStats {
  expected: number;
  submitted: number;
  valid: number;
  invalid: number;
  /** Refused for timing only (e.g. a sync contribution after its slot's propagation window). */
  late: number;
  included: number;
  slashable: number;
}

const emptyStats = (): DutyStats => ({
  expected: 0,
  submitted: 0,
  valid: 0,
  invalid: 0,
  late: 0,
  included: 0,
  slashable: 0,
});

const allEmpty = () =>
  Object.fromEntries(DUTY_TYPES.map((d) => [d, emptyStats()])) as Record<DutyType, DutyStats>;

/**
 * `GET /cohort/v1/stats` response body (numbers are JSON numbers, not Beacon-API strings):
 *
 * ```
 * {
 *   from_slot: number, to_slot: number,      // duty window (inclusive); query ?from_slot=&to_slot=
 *   validators: [{
 *     index: number, pubkey: "0x…",
 *     attester: DutyStats, proposer: DutyStats,
 *     aggregator: DutyStats, sync_message: DutyStats, sync_contribution: DutyStats
 *   }],                                       // only validators with something to report
 *   totals: { attester, proposer, aggregator, sync_message, sync_contribution: DutyStats },
 *   unattributed_invalid: number,             // invalid submissions naming no known validator
 *   slashings: number
 * }
 * DutyStats = {
 *   expected,   // duties scheduled in [from_slot, to_slot]
 *   submitted,  // submissions attributed to the validator (every POSTed item, duplicates included)
 *   valid,      // of those, accepted (scheduled, well-formed, signature valid)
 *   invalid,    // of those, refused (malformed, not scheduled, bad signature)
 *   late,       // of those, refused for timing only (outside the propagation window)
 *   included,   // distinct duties in the window whose attestation would be / block was included
 *   slashable   // slashable offences involving the validator (all time)
 * }
 * ```
 * Submission counters are all-time (not windowed); expected and included are windowed.
 *
 * Per duty type, `expected` counts: attester — attester duties; proposer — slots ≥ 1;
 * sync_message — (validator, slot) pairs with the validator in the slot's sync committee;
 * aggregator — (validator, slot) pairs for which the simulator has seen a valid selection proof that
 * selects the validator (from `beacon_committee_selections` or an aggregate), since only the key
 * holder can compute one; sync_contribution — likewise (validator, slot, subcommittee) triples from
 * `sync_committee_selections` or contributions. `included` counts distinct such duties whose
 * message would be included (see the record types' `included`).
 */
export interface StatsResponse {
  from_slot: number;
  to_slot: number;
  validators: ({ index: number; pubkey: string } & Record<DutyType, DutyStats>)[];
  totals: Record<DutyType, DutyStats>;
  unattributed_invalid: number;
  slashings: number;
}

/**
 * What the simulator received: accepted attestations and blocks, per-validator submission
 * counters, and slashable offences found across every validly signed message ever received.
 */
export class SimRecorder {
  /** Distinct votes by validator, keyed by data root. */
  private readonly votes = new Map<number, Map<string, AttestationRecord>>();
  /** Distinct blocks by slot, keyed by block root. */
  private readonly blocksBySlot = new Map<number, Map<string, BlockRecord>>();
  readonly slashings: SlashableOffence[] = [];
  private readonly counters = new Map<number, Record<DutyType, DutyStats>>();
  private readonly selectionsByKey = new Map<string, SelectionRecord>();
  private readonly aggregateList: AggregateRecord[] = [];
  private readonly syncMessagesByKey = new Map<string, SyncMessageRecord>();
  private readonly contributionList: ContributionRecord[] = [];
  private readonly exitsByValidator = new Map<number, ExitRecord>();
  private readonly registrationsByValidator = new Map<number, RegistrationRecord>();
  /** Fee recipients from `prepare_beacon_proposer`, by validator index. */
  readonly feeRecipients = new Map<number, string>();
  unattributedInvalid = 0;
  private readonly listeners = new Set<(event: string, data: unknown) => void>();

  constructor(readonly chain: SimChain) {}

  /**
   * Subscribes to `attestation`, `block`, `slashing`, `aggregate`, `sync_message`,
   * `contribution_and_proof` and `voluntary_exit` events; returns the unsubscribe function.
   */
  subscribe(fn: (event: string, data: unknown) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private emit(event: string, data: unknown) {
    for (const fn of this.listeners) fn(event, data);
  }

  private counter(index: number, duty: DutyType): DutyStats {
    let c = this.counters.get(index);
    if (!c) {
      c = allEmpty();
      this.counters.set(index, c);
    }
    return c[duty];
  }

  /** Counts one submitted item (validator undefined: it named no known validator). */
  countSubmission(validatorIndex: number | undefined, duty: DutyType, valid: boolean, late = false): void {
    if (validatorIndex === undefined) {
      if (!valid && !late) this.unattributedInvalid++;
      return;
    }
    const c = this.counter(validatorIndex, duty);
    c.submitted++;
    if (valid) c.valid++;
    else if (late) c.late++;
    else c.invalid++;
  }

  /** Every distinct vote received with a valid signature, in arrival order. */
  attestations(filter: { validatorIndex?: number; slot?: number } = {}): AttestationRecord[] {
    return [...this.votes.values()]
      .flatMap((m) => [...m.values()])
      .filter(
        (a) =>
          (filter.validatorIndex === undefined || a.validatorIndex === filter.validatorIndex) &&
          (filter.slot === undefined || a.slot === filter.slot),
      );
  }

  /** Every distinct validly signed block received, by slot. */
  blocks(slot?: number): BlockRecord[] {
    const all = [...this.blocksBySlot.values()].flatMap((m) => [...m.values()]);
    return slot === undefined ? all : all.filter((b) => b.slot === slot);
  }

  /**
   * Records a validly signed vote; returns `known` if the validator already sent this exact data.
   * A vote seen first unaccepted and later accepted is upgraded. Checks the new vote against the
   * validator's earlier ones for double and surround votes.
   */
  recordAttestation(record: AttestationRecord): "new" | "known" {
    let mine = this.votes.get(record.validatorIndex);
    if (!mine) {
      mine = new Map();
      this.votes.set(record.validatorIndex, mine);
    }
    const previous = mine.get(record.dataRoot);
    if (previous) {
      if (record.accepted && !previous.accepted) {
        previous.accepted = true;
        previous.inclusionSlot = record.inclusionSlot;
      }
      return "known";
    }
    for (const other of mine.values()) {
      const kind =
        other.target.epoch === record.target.epoch
          ? "double_vote"
          : (other.source.epoch < record.source.epoch && record.target.epoch < other.target.epoch) ||
              (record.source.epoch < other.source.epoch && other.target.epoch < record.target.epoch)
            ? "surround_vote"
            : undefined;
      if (kind) {
        const offence: SlashableOffence = {
          kind,
          validatorIndex: record.validatorIndex,
          attestations: [other, record],
        };
        this.slashings.push(offence);
        this.emit("slashing", offence);
      }
    }
    mine.set(record.dataRoot, record);
    if (record.accepted) this.emit("attestation", record);
    return "new";
  }

  /**
   * Records a validly signed block; `known` if this exact block was seen, `equivocation` if a
   * different block of the same proposer for the same slot was seen before (double proposal).
   */
  recordBlock(record: BlockRecord): "new" | "known" | "equivocation" {
    let atSlot = this.blocksBySlot.get(record.slot);
    if (!atSlot) {
      atSlot = new Map();
      this.blocksBySlot.set(record.slot, atSlot);
    }
    const previous = atSlot.get(record.blockRoot);
    if (previous) {
      if (record.imported && !previous.imported && ![...atSlot.values()].some((b) => b.imported)) {
        previous.imported = true;
      }
      return "known";
    }
    const sameProposer = [...atSlot.values()].filter((b) => b.proposerIndex === record.proposerIndex);
    if (record.imported && [...atSlot.values()].some((b) => b.imported)) record.imported = false;
    atSlot.set(record.blockRoot, record);
    for (const other of sameProposer.slice(0, 1)) {
      const offence: SlashableOffence = {
        kind: "double_proposal",
        validatorIndex: record.proposerIndex,
        slot: record.slot,
        blocks: [other, record],
      };
      this.slashings.push(offence);
      this.emit("slashing", offence);
    }
    if (record.imported) this.emit("block", record);
    return sameProposer.length > 0 ? "equivocation" : "new";
  }

  /** Records a valid selection proof (idempotent). */
  recordSelection(record: SelectionRecord): void {
    const key = `${record.kind}/${record.validatorIndex}/${record.slot}/${record.subcommitteeIndex ?? ""}`;
    if (!this.selectionsByKey.has(key)) this.selectionsByKey.set(key, record);
  }

  selections(): SelectionRecord[] {
    return [...this.selectionsByKey.values()];
  }

  /** Records a valid aggregate; `known` if the same aggregator already sent this exact message. */
  recordAggregate(record: AggregateRecord): "new" | "known" {
    const same = this.aggregateList.find(
      (a) => a.aggregatorIndex === record.aggregatorIndex && a.signature === record.signature,
    );
    if (same) return "known";
    this.aggregateList.push(record);
    this.emit("aggregate", record);
    return "new";
  }

  aggregates(filter: { slot?: number } = {}): AggregateRecord[] {
    return this.aggregateList.filter((a) => filter.slot === undefined || a.slot === filter.slot);
  }

  /** Records a valid sync committee message; `known` if already received (same slot and root). */
  recordSyncMessage(record: SyncMessageRecord): "new" | "known" {
    const key = `${record.validatorIndex}/${record.slot}/${record.beaconBlockRoot}`;
    if (this.syncMessagesByKey.has(key)) return "known";
    this.syncMessagesByKey.set(key, record);
    this.emit("sync_message", record);
    return "new";
  }

  syncMessages(filter: { slot?: number; validatorIndex?: number } = {}): SyncMessageRecord[] {
    return [...this.syncMessagesByKey.values()].filter(
      (m) =>
        (filter.slot === undefined || m.slot === filter.slot) &&
        (filter.validatorIndex === undefined || m.validatorIndex === filter.validatorIndex),
    );
  }

  /** Records a valid contribution; `known` if the same aggregator already sent this exact message. */
  recordContribution(record: ContributionRecord): "new" | "known" {
    const same = this.contributionList.find(
      (c) => c.aggregatorIndex === record.aggregatorIndex && c.signature === record.signature,
    );
    if (same) return "known";
    this.contributionList.push(record);
    this.emit("contribution_and_proof", record);
    return "new";
  }

  contributions(filter: { slot?: number } = {}): ContributionRecord[] {
    return this.contributionList.filter((c) => filter.slot === undefined || c.slot === filter.slot);
  }

  /** Records a valid voluntary exit (the first one per validator counts); `known` after that. */
  recordExit(record: ExitRecord): "new" | "known" {
    if (this.exitsByValidator.has(record.validatorIndex)) return "known";
    this.exitsByValidator.set(record.validatorIndex, record);
    this.emit("voluntary_exit", record);
    return "new";
  }

  exits(): ExitRecord[] {
    return [...this.exitsByValidator.values()];
  }

  /** Keeps a validator's builder registration with the highest timestamp. */
  recordRegistration(record: RegistrationRecord): void {
    const previous = this.registrationsByValidator.get(record.validatorIndex);
    if (!previous || record.timestamp >= previous.timestamp) {
      this.registrationsByValidator.set(record.validatorIndex, record);
    }
  }

  registrations(): RegistrationRecord[] {
    return [...this.registrationsByValidator.values()];
  }

  /**
   * Whether validator `index` was seen doing anything in `epoch` (by the epoch of the message's
   * slot): a validly signed attestation, block, aggregate, sync committee message or contribution.
   */
  isLive(index: number, epoch: number): boolean {
    const inEpoch = (slot: number) => this.chain.epochOf(slot) === epoch;
    return (
      [...(this.votes.get(index)?.values() ?? [])].some((a) => inEpoch(a.slot)) ||
      this.blocks().some((b) => b.proposerIndex === index && inEpoch(b.slot)) ||
      this.aggregateList.some((a) => a.aggregatorIndex === index && inEpoch(a.slot)) ||
      this.syncMessages({ validatorIndex: index }).some((m) => inEpoch(m.slot)) ||
      this.contributionList.some((c) => c.aggregatorIndex === index && inEpoch(c.slot))
    );
  }

  /** The response of `GET /cohort/v1/stats` for duties in `[fromSlot, toSlot]`. */
  stats(fromSlot: number, toSlot: number): StatsResponse {
    const chain = this.chain;
    const per = new Map<number, Record<DutyType, DutyStats>>();
    const entry = (i: number) => {
      let e = per.get(i);
      if (!e) {
        const c = this.counters.get(i);
        e = Object.fromEntries(
          DUTY_TYPES.map((d) => [d, { ...(c?.[d] ?? emptyStats()), expected: 0, included: 0, slashable: 0 }]),
        ) as Record<DutyType, DutyStats>;
        per.set(i, e);
      }
      return e;
    };
    for (const i of this.counters.keys()) entry(i);
    if (toSlot >= fromSlot) {
      for (let epoch = chain.epochOf(fromSlot); epoch <= chain.epochOf(toSlot); epoch++) {
        for (const d of chain.attesterDuties(epoch)) {
          if (d.slot >= fromSlot && d.slot <= toSlot) entry(d.validatorIndex).attester.expected++;
        }
      }
      for (let slot = Math.max(fromSlot, 1); slot <= toSlot; slot++) {
        entry(chain.proposerIndex(slot)).proposer.expected++;
      }
      let members: Set<number> | undefined;
      let membersOf: number[] | undefined;
      for (let slot = fromSlot; slot <= toSlot; slot++) {
        const committee = chain.syncCommitteeAtSlot(slot);
        if (committee !== membersOf) {
          membersOf = committee;
          members = new Set(committee);
        }
        for (const i of members!) entry(i).sync_message.expected++;
      }
    }
    const inWindow = (slot: number) => slot >= fromSlot && slot <= toSlot;
    for (const s of this.selectionsByKey.values()) {
      if (!s.selected || !inWindow(s.slot)) continue;
      entry(s.validatorIndex)[s.kind === "beacon_committee" ? "aggregator" : "sync_contribution"].expected++;
    }
    const countDistinct = (
      items: { index: number; slot: number; key: string; included: boolean }[],
      duty: DutyType,
    ) => {
      const seen = new Set<string>();
      for (const it of items) {
        if (!it.included || !inWindow(it.slot) || seen.has(it.key)) continue;
        seen.add(it.key);
        entry(it.index)[duty].included++;
      }
    };
    countDistinct(
      this.aggregateList.map((a) => ({
        ...a,
        index: a.aggregatorIndex,
        key: `${a.aggregatorIndex}/${a.slot}`,
      })),
      "aggregator",
    );
    countDistinct(
      this.syncMessages().map((m) => ({
        ...m,
        index: m.validatorIndex,
        key: `${m.validatorIndex}/${m.slot}`,
      })),
      "sync_message",
    );
    countDistinct(
      this.contributionList.map((c) => ({
        ...c,
        index: c.aggregatorIndex,
        key: `${c.aggregatorIndex}/${c.slot}/${c.subcommitteeIndex}`,
      })),
      "sync_contribution",
    );
    const includedDuties = new Set<string>();
    for (const a of this.attestations()) {
      if (!a.accepted || a.inclusionSlot === null || a.slot < fromSlot || a.slot > toSlot) continue;
      const key = `${a.validatorIndex}/${a.slot}`;
      if (includedDuties.has(key)) continue;
      includedDuties.add(key);
      entry(a.validatorIndex).attester.included++;
    }
    for (const b of this.blocks()) {
      if (b.imported && b.slot >= fromSlot && b.slot <= toSlot) entry(b.proposerIndex).proposer.included++;
    }
    for (const s of this.slashings) {
      entry(s.validatorIndex)[s.kind === "double_proposal" ? "proposer" : "attester"].slashable++;
    }
    const totals = allEmpty();
    const validators = [...per.entries()]
      .sort(([a], [b]) => a - b)
      .map(([index, s]) => {
        for (const duty of DUTY_TYPES) {
          for (const k of Object.keys(totals[duty]) as (keyof DutyStats)[]) totals[duty][k] += s[duty][k];
        }
        return { index, pubkey: chain.validators[index]?.pubkey ?? "", ...s };
      });
    return {
      from_slot: fromSlot,
      to_slot: toSlot,
      validators,
      totals,
      unattributed_invalid: this.unattributedInvalid,
      slashings: this.slashings.length,
    };
  }
}
