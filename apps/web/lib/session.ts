"use client";

import { useSyncExternalStore } from "react";

/** A signed-in session: the portal's bearer token and who it belongs to. */
export interface Session {
  token: string;
  address: string;
  expiresAt: string;
  /** How the session was signed: a browser wallet or the dev signer. */
  via: "wallet" | "dev";
  /** The dev identity's label/role, when signed with the dev signer. */
  label?: string;
  role?: string;
}

const KEY = "cohort.session";
const listeners = new Set<() => void>();
let cached: { raw: string | null; session: Session | null } = { raw: null, session: null };

function read(): Session | null {
  if (typeof window === "undefined") return null;
  const raw = window.localStorage.getItem(KEY);
  if (raw === cached.raw) return cached.session;
  let session: Session | null = null;
  try {
    session = raw ? (JSON.parse(raw) as Session) : null;
    if (session && Date.parse(session.expiresAt) < Date.now()) session = null;
  } catch {
    session = null;
  }
  cached = { raw, session };
  return session;
}

export function getSession(): Session | null {
  return read();
}

export function setSession(session: Session | null) {
  if (session) window.localStorage.setItem(KEY, JSON.stringify(session));
  else window.localStorage.removeItem(KEY);
  for (const l of listeners) l();
}

function subscribe(listener: () => void) {
  listeners.add(listener);
  const onStorage = (e: StorageEvent) => {
    if (e.key === KEY) listener();
  };
  window.addEventListener("storage", onStorage);
  return () => {
    listeners.delete(listener);
    window.removeEventListener("storage", onStorage);
  };
}

/** The current session (null when signed out; `undefined` during server rendering and hydration). */
export function useSession(): Session | null | undefined {
  return useSyncExternalStore(subscribe, read, () => undefined);
}
