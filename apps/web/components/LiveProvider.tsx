"use client";

import { createClient } from "graphql-sse";
import { createContext, type ReactNode, useContext, useEffect, useState } from "react";
import { emitClusterEvent } from "@/lib/live";
import { useSession } from "@/lib/session";

export type LiveMode = "connecting" | "live" | "polling";
export interface LiveState {
  mode: LiveMode;
  lastEventAt: string | null;
  detail: string | null;
}

const LiveContext = createContext<LiveState>({ mode: "connecting", lastEventAt: null, detail: null });
export const useLive = () => useContext(LiveContext);

const SUBSCRIPTION = `subscription ClusterEvents($clusterId: ID!) {
  clusterEvents(clusterId: $clusterId) { type clusterId at payload }
}`;
const POLL_MS = 10_000;
const RESUBSCRIBE_MS = 30_000;

/**
 * Keeps one `clusterEvents` subscription (graphql-sse over `/graphql/stream`, bearer token in the
 * Authorization header) per cluster page and re-emits its events to `useQuery(…, {liveCluster})`.
 * When the subscription cannot be established (not in the schema, stream unreachable), it falls back
 * to a `poll` tick every 10 s and tries to subscribe again every 30 s.
 */
export function LiveProvider({ clusterId, children }: { clusterId: string; children: ReactNode }) {
  const session = useSession();
  const token = session?.token;
  const [state, setState] = useState<LiveState>({ mode: "connecting", lastEventAt: null, detail: null });

  useEffect(() => {
    if (!token) return;
    let disposed = false;
    let poll: ReturnType<typeof setInterval> | undefined;
    let retry: ReturnType<typeof setTimeout> | undefined;
    let unsubscribe: (() => void) | undefined;
    const client = createClient({
      url: new URL("/graphql/stream", window.location.href).toString(),
      headers: () => ({ authorization: `Bearer ${token}` }),
      retryAttempts: 3,
    });

    const startPolling = (detail: string) => {
      setState((s) => ({ ...s, mode: "polling", detail }));
      if (!poll)
        poll = setInterval(
          () => emitClusterEvent({ type: "poll", clusterId, at: new Date().toISOString() }),
          POLL_MS,
        );
      clearTimeout(retry);
      retry = setTimeout(subscribe, RESUBSCRIBE_MS);
    };
    const stopPolling = () => {
      clearInterval(poll);
      poll = undefined;
    };

    function subscribe() {
      if (disposed) return;
      unsubscribe?.();
      let first = true;
      unsubscribe = client.subscribe<{
        clusterEvents: { type: string; clusterId: string; at: string; payload: unknown };
      }>(
        { query: SUBSCRIPTION, variables: { clusterId } },
        {
          next: (result) => {
            if (disposed) return;
            if (result.errors?.length) {
              startPolling(result.errors[0]?.message ?? "subscription error");
              return;
            }
            const ev = result.data?.clusterEvents;
            if (first) {
              first = false;
              stopPolling();
            }
            setState({ mode: "live", lastEventAt: ev?.at ?? new Date().toISOString(), detail: null });
            if (ev) emitClusterEvent({ ...ev, clusterId: ev.clusterId ?? clusterId });
          },
          error: (err) => {
            if (disposed) return;
            const message =
              err instanceof Error
                ? err.message
                : Array.isArray(err)
                  ? String((err[0] as { message?: string })?.message ?? "subscription refused")
                  : "subscription failed";
            startPolling(message);
          },
          complete: () => {
            if (!disposed) startPolling("subscription ended");
          },
        },
      );
      // The stream only says something when an event happens: treat an open request as live once it
      // has not failed for a moment.
      setTimeout(() => {
        if (!disposed && !poll) setState((s) => (s.mode === "connecting" ? { ...s, mode: "live" } : s));
      }, 3000);
    }

    subscribe();
    return () => {
      disposed = true;
      clearInterval(poll);
      clearTimeout(retry);
      unsubscribe?.();
      client.dispose();
    };
  }, [clusterId, token]);

  return <LiveContext.Provider value={state}>{children}</LiveContext.Provider>;
}
