/**
 * Pure run detection over ordered evidence: a "run" is a maximal sequence of bad rows not broken
 * by a good row. Rows that say nothing either way (`bad: null`) are skipped.
 */
export interface EvidenceRow {
  /** Slot of the evidence (null for heartbeats). */
  slot: number | null;
  /** When the evidence happened (duty start, heartbeat time). */
  at: Date;
  dutyId: bigint | null;
  /** Every duty the row stands for, when it aggregates several (e.g. one slot's missed duties). */
  dutyIds?: bigint[];
  bad: boolean | null;
}

export interface Run {
  rows: EvidenceRow[];
  /** The first good row after the run, if any: the run has recovered. */
  recovery: EvidenceRow | null;
  /** True for the run that continues the incident already ongoing for this key. */
  continuesOngoing: boolean;
}

/**
 * Splits `rows` (in evidence order) into runs of at least `minRun` bad rows. With `ongoing`, the
 * first run continues that incident whatever its length (the incident opened on evidence earlier
 * in `rows`), and the first good row resolves it even when no new bad row came.
 */
export function findRuns(rows: readonly EvidenceRow[], minRun: number, ongoing: boolean): Run[] {
  const runs: Run[] = [];
  let current: EvidenceRow[] = [];
  let first = ongoing;
  for (const row of rows) {
    if (row.bad === null) continue;
    if (row.bad) {
      current.push(row);
      continue;
    }
    if (first || current.length >= minRun)
      runs.push({ rows: current, recovery: row, continuesOngoing: first });
    first = false;
    current = [];
  }
  if (first || current.length >= minRun)
    runs.push({ rows: current, recovery: null, continuesOngoing: first });
  return runs;
}
