"use client";

import Link from "next/link";
import { useParams, usePathname } from "next/navigation";
import type { ReactNode } from "react";
import { ClusterContext, type ClusterInfo } from "@/components/ClusterContext";
import { LiveProvider, useLive } from "@/components/LiveProvider";
import { Badge, Dot, ErrorBox, Loading } from "@/components/ui";
import { fmtAgo } from "@/lib/format";
import { useQuery } from "@/lib/gql";

const CLUSTER = `query ClusterShell($id: ID!) {
  cluster(id: $id) {
    id name network threshold status myRole splitterAddress
    members { id shareIndex operator { id address nickname } }
  }
}`;

const TABS = [
  { href: "", label: "Overview" },
  { href: "/duties", label: "Duties" },
  { href: "/incidents", label: "Incidents" },
  { href: "/on-call", label: "On-call" },
  { href: "/rewards", label: "Rewards" },
  { href: "/audit", label: "Audit" },
];

function LiveIndicator() {
  const live = useLive();
  const tone = live.mode === "live" ? "ok" : live.mode === "polling" ? "warn" : "neutral";
  const label =
    live.mode === "live"
      ? `Live${live.lastEventAt ? ` · last event ${fmtAgo(live.lastEventAt)}` : ""}`
      : live.mode === "polling"
        ? "Polling every 10 s"
        : "Connecting…";
  return (
    <span className="live" role="status" title={live.detail ?? undefined}>
      <Dot tone={tone} label={label} />
    </span>
  );
}

export default function ClusterLayout({ children }: { children: ReactNode }) {
  const { clusterId } = useParams<{ clusterId: string }>();
  const pathname = usePathname();
  const q = useQuery<{ cluster: ClusterInfo }>(CLUSTER, { id: clusterId });
  const base = `/clusters/${clusterId}`;
  const active = TABS.slice()
    .reverse()
    .find((t) => (t.href === "" ? pathname === base : pathname.startsWith(base + t.href)));

  if (q.error && !q.data) return <ErrorBox error={q.error} title="Could not load the cluster" />;
  if (!q.data) return <Loading label="Loading cluster…" />;
  const c = q.data.cluster;
  return (
    <ClusterContext.Provider value={c}>
      <LiveProvider clusterId={c.id}>
        <div className="page-head">
          <div>
            <div className="crumbs">
              <Link href="/">Clusters</Link> /
            </div>
            <h1>{c.name}</h1>
            <p className="muted small">
              {c.network} · {c.threshold} of {c.members.length} signatures · you are{" "}
              {c.myRole ? c.myRole.toLowerCase() : "—"}
            </p>
          </div>
          <div className="spacer" />
          <Badge tone={c.status === "ACTIVE" ? "ok" : "neutral"}>{c.status.toLowerCase()}</Badge>
          <LiveIndicator />
        </div>
        <nav className="tabs" aria-label="Cluster sections">
          {TABS.map((t) => (
            <Link key={t.label} href={base + t.href} aria-current={active === t ? "page" : undefined}>
              {t.label}
            </Link>
          ))}
        </nav>
        {children}
      </LiveProvider>
    </ClusterContext.Provider>
  );
}
