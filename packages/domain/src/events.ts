/**
 * Live updates the domain announces (e.g. to the API's SSE endpoint). The domain never talks to
 * Redis or HTTP itself: the composition roots implement this port (see `@cohort/queue` events).
 */
export type IncidentEventType = "incident.opened" | "incident.updated" | "incident.resolved";

export type ClusterEvent = IncidentEvent | ParticipationEvent | SettlementEvent;

/** A settlement period was drafted, approved, disputed, submitted, confirmed or failed. */
export type SettlementEvent = {
  type: "settlement.updated";
  clusterId: string;
  periodId: string;
  index: number;
  status: string;
  /** drafted | approved | disputed | submitted | confirmed | failed */
  change: string;
  at: string;
};

/** New evidence was applied: participation for these slots may have changed (refetch it). */
export type ParticipationEvent = {
  type: "participation.updated";
  clusterId: string;
  fromSlot: number;
  toSlot: number;
  reportId: string;
  at: string;
};

export type IncidentEvent = {
  type: IncidentEventType;
  clusterId: string;
  incidentId: string;
  number: number;
  status: string;
  severity: string;
  kind: string;
  /** What changed, e.g. "acknowledged", "note", "merged", "escalated". */
  change?: string;
  at: string;
};

export interface EventsPort {
  publish(event: ClusterEvent): Promise<void>;
}

/** Drops every event: for scripts and tests that do not watch live updates. */
export const noEvents: EventsPort = { publish: async () => {} };
