"use client";

import { type ReactNode, useState } from "react";
import { fmtAgo, fmtDateTime, shortAddress } from "@/lib/format";
import type { ApiError } from "@/lib/gql";

export function Loading({ label = "Loading…" }: { label?: string }) {
  return (
    <p className="muted loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" /> {label}
    </p>
  );
}

export function ErrorBox({ error, title }: { error: ApiError | Error | undefined; title?: string }) {
  if (!error) return null;
  const code = (error as ApiError).code;
  return (
    <div className="error" role="alert">
      <strong>{title ?? "Error"}</strong>
      {code ? <span className="code">{code}</span> : null}
      <span className="error-message">{error.message}</span>
    </div>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="empty">{children}</p>;
}

/** Renders loading / error / empty for a query; children only once data is there. */
export function QueryView<T>({
  state,
  children,
  label,
  isEmpty,
  empty,
}: {
  state: { data: T | undefined; error: ApiError | undefined; loading: boolean };
  children: (data: T) => ReactNode;
  label?: string;
  isEmpty?: (data: T) => boolean;
  empty?: ReactNode;
}) {
  if (state.error && state.data === undefined)
    return <ErrorBox error={state.error} title={label ? `Could not load ${label}` : undefined} />;
  if (state.data === undefined) return <Loading label={label ? `Loading ${label}…` : undefined} />;
  return (
    <>
      {state.error ? <ErrorBox error={state.error} title="Refresh failed" /> : null}
      {isEmpty?.(state.data) ? <Empty>{empty ?? "Nothing here yet."}</Empty> : children(state.data)}
    </>
  );
}

export function Section({
  title,
  actions,
  children,
  id,
  description,
}: {
  title: ReactNode;
  actions?: ReactNode;
  children: ReactNode;
  id?: string;
  description?: ReactNode;
}) {
  const headingId = id ? `${id}-title` : undefined;
  return (
    <section className="card" aria-labelledby={headingId} id={id}>
      <header className="card-head">
        <div>
          <h2 id={headingId}>{title}</h2>
          {description ? <p className="muted small">{description}</p> : null}
        </div>
        {actions ? <div className="card-actions">{actions}</div> : null}
      </header>
      <div className="card-body">{children}</div>
    </section>
  );
}

export type Tone = "ok" | "warn" | "bad" | "info" | "neutral";

export function Badge({
  tone = "neutral",
  children,
  title,
}: {
  tone?: Tone;
  children: ReactNode;
  title?: string;
}) {
  return (
    <span className={`badge ${tone}`} title={title}>
      {children}
    </span>
  );
}

export function Dot({ tone, label }: { tone: Tone; label: string }) {
  return (
    <span className="dot-wrap">
      <span className={`dot ${tone}`} aria-hidden="true" />
      {label}
    </span>
  );
}

export function Address({ address, name }: { address: string | null | undefined; name?: string | null }) {
  if (!address) return <span className="muted">—</span>;
  return (
    <span className="address" title={address}>
      {name ? <span>{name} </span> : null}
      <code>{shortAddress(address)}</code>
    </span>
  );
}

export function Time({ iso, relative = false }: { iso: string | null | undefined; relative?: boolean }) {
  if (!iso) return <span className="muted">—</span>;
  return (
    <time dateTime={iso} title={fmtDateTime(iso)}>
      {relative ? fmtAgo(iso) : fmtDateTime(iso)}
    </time>
  );
}

export function CopyButton({ text, label = "Copy" }: { text: string; label?: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <button
      type="button"
      className="btn small"
      onClick={async () => {
        try {
          await navigator.clipboard.writeText(text);
        } catch {
          // Clipboard access can be refused (insecure origin); select-and-copy still works.
        }
        setCopied(true);
        setTimeout(() => setCopied(false), 1500);
      }}
    >
      {copied ? "Copied" : label}
    </button>
  );
}

export function Stat({
  label,
  value,
  hint,
  tone,
}: {
  label: string;
  value: ReactNode;
  hint?: ReactNode;
  tone?: Tone;
}) {
  return (
    <div className={`stat ${tone ?? ""}`}>
      <div className="stat-label">{label}</div>
      <div className="stat-value">{value}</div>
      {hint ? <div className="stat-hint">{hint}</div> : null}
    </div>
  );
}

export function severityTone(s: string): Tone {
  return s === "CRITICAL" ? "bad" : s === "MAJOR" ? "warn" : s === "MINOR" ? "info" : "neutral";
}

export function statusTone(s: string): Tone {
  switch (s) {
    case "OPEN":
    case "FAILED":
    case "DISPUTED":
      return "bad";
    case "ACKNOWLEDGED":
    case "DRAFT":
    case "SUBMITTED":
      return "warn";
    case "RESOLVED":
    case "CONFIRMED":
    case "APPROVED":
    case "ACCEPTED":
      return "ok";
    default:
      return "neutral";
  }
}

/**
 * Newer / Older buttons over a cursor connection. `after` is the stack of cursors of the pages
 * before this one (empty on the first page).
 */
export function Pager({
  after,
  setAfter,
  pageInfo,
}: {
  after: string[];
  setAfter: (after: string[]) => void;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}) {
  return (
    <div className="spread" style={{ marginTop: 12 }}>
      <button
        type="button"
        className="btn small"
        disabled={after.length === 0}
        onClick={() => setAfter(after.slice(0, -1))}
      >
        ← Newer
      </button>
      <span className="muted small">Page {after.length + 1}</span>
      <button
        type="button"
        className="btn small"
        disabled={!pageInfo.hasNextPage}
        onClick={() => {
          if (pageInfo.endCursor) setAfter([...after, pageInfo.endCursor]);
        }}
      >
        Older →
      </button>
    </div>
  );
}
