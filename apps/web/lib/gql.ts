"use client";

import { useCallback, useEffect, useRef, useState } from "react";
import { onClusterEvent } from "./live";
import { getSession, setSession } from "./session";

/** An error the API (or the network) returned, with the API's `extensions.code` when it had one. */
export class ApiError extends Error {
  readonly code: string | undefined;
  readonly field: string | undefined;
  constructor(message: string, code?: string, field?: string) {
    super(message);
    this.name = "ApiError";
    this.code = code;
    this.field = field;
  }
}

interface GraphQLBody<T> {
  data?: T | null;
  errors?: { message: string; extensions?: { code?: string; field?: string } }[];
}

/** POSTs one GraphQL operation to the same-origin `/graphql` (proxied to the API) with the session token. */
export async function gql<T>(
  query: string,
  variables: Record<string, unknown> = {},
  token?: string,
): Promise<T> {
  const bearer = token ?? getSession()?.token;
  let res: Response;
  try {
    res = await fetch("/graphql", {
      method: "POST",
      headers: {
        "content-type": "application/json",
        ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
      },
      body: JSON.stringify({ query, variables }),
    });
  } catch (e) {
    throw new ApiError(`The API is unreachable: ${(e as Error).message}`, "NETWORK");
  }
  let body: GraphQLBody<T>;
  try {
    body = (await res.json()) as GraphQLBody<T>;
  } catch {
    throw new ApiError(`The API answered ${res.status} ${res.statusText} without GraphQL`, "NETWORK");
  }
  const first = body.errors?.[0];
  if (first) {
    const code = first.extensions?.code;
    if (code === "UNAUTHENTICATED" && bearer && getSession()?.token === bearer) setSession(null);
    throw new ApiError(first.message, code, first.extensions?.field);
  }
  if (!body.data) throw new ApiError(`The API answered ${res.status} without data`, "NETWORK");
  return body.data;
}

export interface QueryState<T> {
  data: T | undefined;
  error: ApiError | undefined;
  loading: boolean;
  refetch: () => Promise<void>;
}

export interface QueryOptions {
  /** Skip the request (e.g. while a parameter is missing). */
  skip?: boolean;
  /** Refetch when this cluster's live events arrive (or on the polling fallback's tick). */
  liveCluster?: string;
  /** Only these event types trigger a refetch (prefix match, e.g. "incident."); default all. */
  liveTypes?: string[];
}

/** Runs a query and keeps its result; refetches when variables change and on live cluster events. */
export function useQuery<T>(
  query: string,
  variables: Record<string, unknown> = {},
  options: QueryOptions = {},
): QueryState<T> {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<ApiError>();
  const [loading, setLoading] = useState(!options.skip);
  const varsKey = JSON.stringify(variables);
  const seq = useRef(0);

  const run = useCallback(async () => {
    if (options.skip) return;
    const mine = ++seq.current;
    setLoading(true);
    try {
      const result = await gql<T>(query, JSON.parse(varsKey) as Record<string, unknown>);
      if (mine !== seq.current) return;
      setData(result);
      setError(undefined);
    } catch (e) {
      if (mine !== seq.current) return;
      setError(e instanceof ApiError ? e : new ApiError(String(e)));
    } finally {
      if (mine === seq.current) setLoading(false);
    }
  }, [query, varsKey, options.skip]);

  useEffect(() => {
    void run();
  }, [run]);

  const { liveCluster } = options;
  const liveTypes = options.liveTypes?.join(",");
  useEffect(() => {
    if (!liveCluster) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const off = onClusterEvent(liveCluster, (event) => {
      const types = liveTypes ? liveTypes.split(",") : null;
      if (types && event.type !== "poll" && !types.some((t) => event.type.startsWith(t))) return;
      // Coalesce bursts of events into one refetch.
      clearTimeout(timer);
      timer = setTimeout(() => void run(), 300);
    });
    return () => {
      clearTimeout(timer);
      off();
    };
  }, [liveCluster, liveTypes, run]);

  return { data, error, loading, refetch: run };
}

/** A mutation's state: run it, see it pending, see its error. */
export function useMutation<T>(query: string) {
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<ApiError>();
  const mutate = useCallback(
    async (variables: Record<string, unknown>): Promise<T | undefined> => {
      setPending(true);
      setError(undefined);
      try {
        return await gql<T>(query, variables);
      } catch (e) {
        setError(e instanceof ApiError ? e : new ApiError(String(e)));
        return undefined;
      } finally {
        setPending(false);
      }
    },
    [query],
  );
  return { mutate, pending, error, clearError: () => setError(undefined) };
}
