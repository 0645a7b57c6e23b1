/**
 * Tracker: follows each duty through the workflow and, at its deadline, records the outcome with a
 * reason code when it failed; counts per-peer participation (valid partials per duty and validator)
 * and invalid partials by sender.
 */
import type { DutyDefinitionSet } from "./interfaces";
import type { InvalidPartialReason } from "./parsigdb";
import { type Duty, dutyKey, type PubKey } from "./types";

export type FailureReason =
  | "fetch_failed"
  | "no_consensus"
  | "dutydb_conflict"
  | "slashing_refused"
  | "insufficient_peer_signatures"
  | "aggregation_failed"
  | "bcast_failed";

export interface DutyOutcome {
  duty: Duty;
  success: boolean;
  reason: FailureReason | null;
  /** Error messages collected along the way. */
  errors: string[];
  validators: { pubkey: PubKey; done: boolean; partials: number[] }[];
}

interface DutyState {
  duty: Duty;
  pubkeys: PubKey[];
  fetched: boolean;
  fetchFailed: boolean;
  decided: boolean;
  dutyDbConflict: boolean;
  slashingRefused: boolean;
  partials: Map<PubKey, Set<number>>;
  aggregated: Set<PubKey>;
  aggregationFailed: boolean;
  done: Set<PubKey>;
  bcastFailed: boolean;
  errors: string[];
}

const NEEDS_CONSENSUS = new Set(["attester", "proposer"]);
const NEEDS_BCAST = new Set(["attester", "proposer"]);

export class Tracker {
  private readonly duties = new Map<string, DutyState>();
  private readonly results: DutyOutcome[] = [];
  private readonly participationByShare = new Map<number, number>();
  private readonly invalidByShare = new Map<number, { count: number; reasons: Set<string> }>();
  private readonly listeners: ((o: DutyOutcome) => void)[] = [];

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
        decided: false,
        dutyDbConflict: false,
        slashingRefused: false,
        partials: new Map(),
        aggregated: new Set(),
        aggregationFailed: false,
        done: new Set(),
        bcastFailed: false,
        errors: [],
      };
      this.duties.set(key, s);
    }
    return s;
  }

  scheduled(duty: Duty, defs: DutyDefinitionSet): void {
    this.state(duty).pubkeys = [...defs.keys()];
  }
  fetched(duty: Duty): void {
    this.state(duty).fetched = true;
  }
  fetchFailed(duty: Duty, e: unknown): void {
    const s = this.state(duty);
    s.fetchFailed = true;
    s.errors.push(String((e as Error)?.message ?? e));
  }
  decided(duty: Duty): void {
    this.state(duty).decided = true;
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
  }
  invalidPartial(shareIndex: number, reason: InvalidPartialReason | string): void {
    const entry = this.invalidByShare.get(shareIndex) ?? { count: 0, reasons: new Set<string>() };
    entry.count++;
    entry.reasons.add(reason);
    this.invalidByShare.set(shareIndex, entry);
  }
  aggregated(duty: Duty, pubkey: PubKey): void {
    const s = this.state(duty);
    s.aggregated.add(pubkey);
    if (!NEEDS_BCAST.has(duty.type)) s.done.add(pubkey);
  }
  aggregationFailed(duty: Duty, e: unknown): void {
    const s = this.state(duty);
    s.aggregationFailed = true;
    s.errors.push(String((e as Error)?.message ?? e));
  }
  broadcast(duty: Duty, pubkey: PubKey): void {
    this.state(duty).done.add(pubkey);
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
    const success = s.pubkeys.length > 0 && s.pubkeys.every((p) => s.done.has(p));
    const reason: FailureReason | null = success
      ? null
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
        partials: [...(s.partials.get(p) ?? [])].sort(),
      })),
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
