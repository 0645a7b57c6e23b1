/** Connects every component's subscriptions (Charon's `core.Wire`): the whole workflow in one block. */
import type { Deadliner } from "./deadline";
import type {
  AggSig,
  AggSigDB,
  Broadcaster,
  Consensus,
  DutyDB,
  Fetcher,
  ParSigDB,
  ParSigEx,
  Scheduler,
  SigAgg,
  Signer,
} from "./interfaces";
import type { BuilderRegistrations } from "./registration";
import type { Tracker } from "./tracker";
import type { Duty, PubKey } from "./types";

export interface Components {
  scheduler: Scheduler;
  fetcher: Fetcher;
  consensus: Consensus & { expire(duty: Duty): void };
  dutyDB: DutyDB & { expire(duty: Duty): void };
  signer: Signer;
  parSigDB: ParSigDB & { expire(duty: Duty): void };
  parSigEx: ParSigEx;
  sigAgg: SigAgg;
  aggSigDB: AggSigDB & { expire(duty: Duty): void };
  bcast: Broadcaster;
  tracker: Tracker;
  deadliner: Deadliner;
  /** builder_registration: a decided lock registration is broadcast as is, without signing. */
  registrations?: BuilderRegistrations;
}

/**
 * Duties signed without consensus: their data is deterministic (RANDAO epoch, selection data) or,
 * for sync messages, taken from the member's own beacon node (Charon's choice, see README).
 */
export const WITHOUT_CONSENSUS: ReadonlySet<Duty["type"]> = new Set([
  "randao",
  "prepare_aggregator",
  "prepare_sync_contribution",
  "sync_message",
]);
/** Duties whose group signature is consumed by a later duty (AggSigDB) instead of broadcast. */
export const NOT_BROADCAST: ReadonlySet<Duty["type"]> = new Set([
  "randao",
  "prepare_aggregator",
  "prepare_sync_contribution",
]);

/** Runs an async step; a failure is reported, never thrown into the emitter. */
const run = (p: Promise<unknown>, onError: (e: unknown) => void) => {
  p.catch(onError);
};

export function wire(c: Components): void {
  const {
    scheduler,
    fetcher,
    consensus,
    dutyDB,
    signer,
    parSigDB,
    parSigEx,
    sigAgg,
    aggSigDB,
    bcast,
    tracker,
  } = c;

  scheduler.subscribeDuties((duty, defs) => {
    if (!c.deadliner.add(duty)) return;
    tracker.scheduled(duty, defs);
    run(fetcher.fetch(duty, defs), (e) => tracker.fetchFailed(duty, e));
  });
  fetcher.registerAwaitAggSig((duty, pubkey) => aggSigDB.await(duty, pubkey));
  fetcher.subscribe((duty, set) => {
    tracker.fetched(duty, set);
    if (set.size === 0) return; // e.g. no validator selected as an aggregator
    if (WITHOUT_CONSENSUS.has(duty.type)) run(signer.sign(duty, set), (e) => tracker.signFailed(duty, e));
    else consensus.propose(duty, set);
  });
  consensus.subscribe((duty, set) => {
    tracker.decided(duty);
    try {
      dutyDB.store(duty, set);
    } catch (e) {
      return tracker.signFailed(duty, e);
    }
    if (duty.type === "builder_registration" && c.registrations) {
      const { signed, rest } = c.registrations.take(set);
      for (const [pubkey, s] of signed) aggregated(duty, pubkey, s);
      if (rest.size > 0) run(signer.sign(duty, rest), (e) => tracker.signFailed(duty, e));
      return;
    }
    run(signer.sign(duty, set), (e) => tracker.signFailed(duty, e));
  });
  signer.subscribe((duty, set) => {
    tracker.signed(duty);
    parSigDB.storeInternal(duty, set);
  });
  parSigDB.subscribeInternal((duty, set) => parSigEx.broadcast(duty, set));
  parSigEx.subscribe((duty, set, fromShareIndex) => parSigDB.storeExternal(duty, set, fromShareIndex));
  parSigDB.subscribeThreshold((duty, pubkey, partials) =>
    run(sigAgg.aggregate(duty, pubkey, partials), (e) => tracker.aggregationFailed(duty, e)),
  );
  function aggregated(duty: Duty, pubkey: PubKey, signed: AggSig): void {
    tracker.aggregated(duty, pubkey);
    aggSigDB.store(duty, pubkey, signed);
    if (NOT_BROADCAST.has(duty.type)) return;
    run(
      bcast.broadcast(duty, pubkey, signed).then(() => tracker.broadcast(duty, pubkey)),
      (e) => tracker.bcastFailed(duty, e),
    );
  }
  sigAgg.subscribe(aggregated);
  c.deadliner.subscribe((duty) => {
    tracker.expire(duty);
    consensus.expire(duty);
    dutyDB.expire(duty);
    parSigDB.expire(duty);
    aggSigDB.expire(duty);
  });
}
