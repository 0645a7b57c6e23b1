"use client";

/** One cluster event from the `clusterEvents` subscription, or the polling fallback's `poll` tick. */
export interface ClusterEvent {
  type: string;
  clusterId: string;
  at: string;
  payload?: unknown;
}

type Listener = (event: ClusterEvent) => void;
const listeners = new Map<string, Set<Listener>>();

/** Listen to a cluster's live events; returns the unsubscribe function. */
export function onClusterEvent(clusterId: string, listener: Listener): () => void {
  let set = listeners.get(clusterId);
  if (!set) {
    set = new Set();
    listeners.set(clusterId, set);
  }
  set.add(listener);
  return () => {
    set.delete(listener);
  };
}

export function emitClusterEvent(event: ClusterEvent) {
  for (const l of listeners.get(event.clusterId) ?? []) l(event);
}

/** Global (all clusters) listeners, for views that span clusters such as the overview. */
export function emitToAll(type: string) {
  const at = new Date().toISOString();
  for (const [clusterId, set] of listeners) for (const l of set) l({ type, clusterId, at });
}
