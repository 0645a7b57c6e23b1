/**
 * Tracker: follows each duty through the workflow and, at its deadline, records the outcome with a
 * reason code when it failed; counts per-peer participation (valid partials per duty and validator)
 * and invalid partials by sender.
 */
import type { DutyDefinitionSet, UnsignedDataSet } from "./interfaces";
import type { InvalidPartialReason } from "./parsigdb";
import { type Duty, dutyKey, type PubKey } from "./types";

export type FailureReason =
  | "fetch_failed"
  | "no_consensus"
  | "dutydb_conflict"
  | "slashing_refused"
  | "insufficient_peer_signatures"
  | "aggregation_failed"
  | "bcast_failed"
  /** aggregator / sync_contribution: the prepare duty's combined selection proof never came. */
  | "no_selection_proof"
  /** aggregator: the cluster's own attestation for the slot never came (nothing to aggregate for). */
  | "no_attestation"
  /** sync_contribution: the cluster's own sync message (its block root) never came. */
  | "no_sync_message"
  /** aggregator / sync_contribution: the beacon node had no aggregate / contribution to offer. */
  | "no_aggregate";

const FETCH_REASONS: Readonly<Record<string, FailureReason>> = {
  NO_SELECTION_PROOF: "no_selection_proof",
  NO_ATTESTATION: "no_attestation",
  NO_SYNC_MESSAGE: "no_sync_message",
  NO_AGGREGATE: "no_aggregate",
};

export interface DutyOutcome {
  duty: Duty;
  success: boolean;
  reason: FailureReason | null;
  /** Error messages collected along the way. */
  errors: string[];
  validators: { pubkey: PubKey; done: boolean; aggregated: boolean; partials: number[] }[];
  /** Share indices whose partials for this duty were invalid. */
  invalidFrom: number[];
  /** Slashing protection refused to sign (some validator of) this duty. */
  slashingRefused: boolean;
  /**
   * Milliseconds from the duty being scheduled to each stage (first time it happened), so a slow
   * or failed duty shows where its time went. Absent stages did not happen.
   */
  timing: Partial<Record<DutyStage, number>>;
}

export type DutyStage = "fetched" | "decided" | "signed" | "threshold" | "aggregated" | "broadcast";

interface DutyState {
  duty: Duty;
  pubkeys: PubKey[];
  fetched: boolean;
  fetchFailed: boolean;
  fetchReason: FailureReason | null;
  /** Selective duties (aggregator, sync_contribution): the fetch found no selected validator. */
  nothingToDo: boolean;
  decided: boolean;
  dutyDbConflict: boolean;
  slashingRefused: boolean;
  partials: Map<PubKey, Set<number>>;
  aggregated: Set<PubKey>;
  aggregationFailed: boolean;
  done: Set<PubKey>;
  bcastFailed: boolean;
  errors: string[];
  invalidFrom: Set<number>;
  startedAt: number;
  timing: Partial<Record<DutyStage, number>>;
}

const NEEDS_CONSENSUS = new Set([
  "attester",
  "proposer",
  "aggregator",
  "sync_contribution",
  "builder_registration",
]);
const NEEDS_BCAST = new Set([
  "attester",
  "proposer",
  "aggregator",
  "sync_message",
  "sync_contribution",
  "builder_registration",
]);
/** Duties the fetcher narrows to the validators a selection proof selects. */
const SELECTIVE = new Set(["aggregator", "sync_contribution"]);

export class Tracker {
  private readonly duties = new Map<string, DutyState>();
  private readonly results: DutyOutcome[] = [];
  private readonly participationByShare = new Map<number, number>();
  private readonly invalidByShare = new Map<number, { count: number; reasons: Set<string> }>();
  private readonly listeners: ((o: DutyOutcome) => void)[] = [];

  constructor(private readonly now: () => number = Date.now) {}

  /** Set by the node: partials needed per validator (for the `threshold` stage time). */
  threshold: number | undefined;

  private mark(s: DutyState, stage: DutyStage): void {
    s.timing[stage] ??= Math.max(0, this.now() - s.startedAt);
  }

  /** The member's own partial signatures for the duty exist (signer done). */
  signed(duty: Duty): void {
    this.mark(this.state(duty), "signed");
  }

  subscribe(fn: (o: DutyOutcome) => void): void {
    this.listeners.push(fn);
  }

  private state(duty: Duty): DutyState {
    const key = dutyKey(duty);
    let s = this.duties.get(key);
    if (!s) {
      s = {
        duty,
        pubkeys: [],
        fetched: false,
        fetchFailed: false,
        fetchReason: null,
        nothingToDo: false,
        decided: false,
        dutyDbConflict: false,
        slashingRefused: false,
        partials: new Map(),
        aggregated: new Set(),
        aggregationFailed: false,
        done: new Set(),
        bcastFailed: false,
        errors: [],
        invalidFrom: new Set(),
        startedAt: this.now(),
        timing: {},
      };
      this.duties.set(key, s);
    }
    return s;
  }

  scheduled(duty: Duty, defs: DutyDefinitionSet): void {
    this.state(duty).pubkeys = [...defs.keys()];
  }
  /**
   * `set`: what was fetched. For aggregator and sync_contribution it holds only the selected
   * validators: the others are dropped from the duty, and a duty with none is not reported.
   */
  fetched(duty: Duty, set?: UnsignedDataSet): void {
    const s = this.state(duty);
    s.fetched = true;
    this.mark(s, "fetched");
    if (set && SELECTIVE.has(duty.type)) {
      s.pubkeys = s.pubkeys.filter((p) => set.has(p));
      if (set.size === 0) s.nothingToDo = true;
    }
  }
  fetchFailed(duty: Duty, e: unknown): void {
    const s = this.state(duty);
    s.fetchFailed = true;
    s.nothingToDo = false;
    s.fetchReason ??= FETCH_REASONS[(e as { code?: string })?.code ?? ""] ?? null;
    s.errors.push(String((e as Error)?.message ?? e));
  }
  decided(duty: Duty): void {
    const s = this.state(duty);
    s.decided = true;
    this.mark(s, "decided");
  }
  signFailed(duty: Duty, e: unknown): void {
    const s = this.state(duty);
    const code = (e as { code?: string }).code;
    if (code === "DUTYDB_CONFLICT") s.dutyDbConflict = true;
    else s.slashingRefused = true;
    s.errors.push(String((e as Error)?.message ?? e));
  }
  partial(duty: Duty, pubkey: PubKey, shareIndex: number): void {
    const s = this.state(duty);
    const set = s.partials.get(pubkey) ?? new Set();
    if (!set.has(shareIndex))
      this.participationByShare.set(shareIndex, (this.participationByShare.get(shareIndex) ?? 0) + 1);
    set.add(shareIndex);
    s.partials.set(pubkey, set);
    if (this.threshold !== undefined && set.size >= this.threshold) this.mark(s, "threshold");
  }
  /** `duty` when known (a partial of that duty was invalid): listed in the duty's outcome. */
  invalidPartial(shareIndex: number, reason: InvalidPartialReason | string, duty?: Duty): void {
    if (duty && this.duties.has(dutyKey(duty))) this.state(duty).invalidFrom.add(shareIndex);
    const entry = this.invalidByShare.get(shareIndex) ?? { count: 0, reasons: new Set<string>() };
    entry.count++;
    entry.reasons.add(reason);
    this.invalidByShare.set(shareIndex, entry);
  }
  aggregated(duty: Duty, pubkey: PubKey): void {
    const s = this.state(duty);
    s.aggregated.add(pubkey);
    this.mark(s, "aggregated");
    if (!NEEDS_BCAST.has(duty.type)) s.done.add(pubkey);
  }
  aggregationFailed(duty: Duty, e: unknown): void {
    const s = this.state(duty);
    s.aggregationFailed = true;
    s.errors.push(String((e as Error)?.message ?? e));
  }
  broadcast(duty: Duty, pubkey: PubKey): void {
    const s = this.state(duty);
    s.done.add(pubkey);
    this.mark(s, "broadcast");
  }
  bcastFailed(duty: Duty, e: unknown): void {
    const s = this.state(duty);
    s.bcastFailed = true;
    s.errors.push(String((e as Error)?.message ?? e));
  }

  /** Called at the duty's deadline: settles its outcome. */
  expire(duty: Duty): void {
    const key = dutyKey(duty);
    const s = this.duties.get(key);
    if (!s) return;
    this.duties.delete(key);
    if (s.nothingToDo && !s.fetchFailed) return; // no validator selected: nothing was due
    const success = !s.fetchFailed && s.pubkeys.length > 0 && s.pubkeys.every((p) => s.done.has(p));
    const reason: FailureReason | null = success
      ? null
      : s.fetchReason
        ? s.fetchReason
        : s.fetchFailed || !s.fetched
          ? "fetch_failed"
          : NEEDS_CONSENSUS.has(duty.type) && !s.decided
            ? "no_consensus"
            : s.dutyDbConflict
              ? "dutydb_conflict"
              : s.slashingRefused
                ? "slashing_refused"
                : s.pubkeys.some((p) => !s.aggregated.has(p)) && !s.aggregationFailed
                  ? "insufficient_peer_signatures"
                  : s.aggregationFailed
                    ? "aggregation_failed"
                    : "bcast_failed";
    const outcome: DutyOutcome = {
      duty,
      success,
      reason,
      errors: s.errors,
      validators: s.pubkeys.map((p) => ({
        pubkey: p,
        done: s.done.has(p),
        aggregated: s.aggregated.has(p),
        partials: [...(s.partials.get(p) ?? [])].sort(),
      })),
      invalidFrom: [...s.invalidFrom].sort((a, b) => a - b),
      slashingRefused: s.slashingRefused,
      timing: s.timing,
    };
    this.results.push(outcome);
    for (const fn of this.listeners) fn(outcome);
  }

  outcomes(): readonly DutyOutcome[] {
    return this.results;
  }
  /** Valid partials received (own included) per share index, one per duty and validator. */
  participation(): ReadonlyMap<number, number> {
    return this.participationByShare;
  }
  /** Share indices that sent invalid partials, with counts and reasons. */
  invalidPeers(): ReadonlyMap<number, { count: number; reasons: ReadonlySet<string> }> {
    return this.invalidByShare;
  }
}
