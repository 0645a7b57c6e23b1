"use client";

import Link from "next/link";
import { Badge, Dot, ErrorBox, Loading, QueryView, Stat, Time } from "@/components/ui";
import { pct } from "@/lib/format";
import { useQuery } from "@/lib/gql";
import { type Health, successTone } from "@/lib/types";

interface ClusterRow {
  id: string;
  name: string;
  network: string;
  status: string;
  threshold: number;
  myRole: string | null;
  members: { id: string }[];
  validators: { id: string }[];
}

const CLUSTERS = `query Clusters {
  clusters { id name network status threshold myRole members { id } validators { id } }
}`;
// Separate from the list so a cluster list still shows if the health fields fail.
const HEALTH = `query ClustersHealth {
  clusters {
    id nextSettlementAt
    health { membersConnected members threshold quorumConnected dutiesLastHour dutySuccessLastHour
      dutiesLastDay dutySuccessLastDay openIncidents lastDutyAt lastSuccessfulDutyAt }
  }
}`;

export default function ClustersPage() {
  const list = useQuery<{ clusters: ClusterRow[] }>(CLUSTERS);
  const health = useQuery<{
    clusters: { id: string; nextSettlementAt: string | null; health: Health | null }[];
  }>(HEALTH);

  return (
    <>
      <div className="page-head">
        <div>
          <h1>Clusters</h1>
          <p className="muted">Distributed validators you operate, audit or view.</p>
        </div>
      </div>
      {health.error ? <ErrorBox error={health.error} title="Cluster health is unavailable" /> : null}
      <QueryView
        state={list}
        label="clusters"
        isEmpty={(d) => d.clusters.length === 0}
        empty="You are not a member, auditor or viewer of any cluster yet."
      >
        {(d) => (
          <div className="grid cards">
            {d.clusters.map((c) => {
              const h = health.data?.clusters.find((x) => x.id === c.id);
              return (
                <ClusterCard
                  key={c.id}
                  cluster={c}
                  health={h?.health ?? null}
                  next={h?.nextSettlementAt ?? null}
                  loading={health.loading && !health.data}
                />
              );
            })}
          </div>
        )}
      </QueryView>
    </>
  );
}

function ClusterCard({
  cluster: c,
  health: h,
  next,
  loading,
}: {
  cluster: ClusterRow;
  health: Health | null;
  next: string | null;
  loading: boolean;
}) {
  const hourRate = h ? h.dutySuccessLastHour : null;
  const dayRate = h ? h.dutySuccessLastDay : null;
  return (
    <article className="card cluster-card" aria-labelledby={`cl-${c.id}`}>
      <header className="card-head">
        <div>
          <h2 id={`cl-${c.id}`}>
            <Link href={`/clusters/${c.id}`}>{c.name}</Link>
          </h2>
          <p className="muted small">
            {c.network} · {c.threshold} of {c.members.length} · {c.validators.length} validator
            {c.validators.length === 1 ? "" : "s"}
          </p>
        </div>
        <div className="row">
          {c.myRole ? <Badge>{c.myRole.toLowerCase()}</Badge> : null}
          <Badge tone={c.status === "ACTIVE" ? "ok" : "neutral"}>{c.status.toLowerCase()}</Badge>
        </div>
      </header>
      <div className="card-body">
        {loading ? (
          <Loading label="Loading health…" />
        ) : h ? (
          <div className="stats">
            <Stat
              label="Quorum"
              tone={h.quorumConnected ? "ok" : "bad"}
              value={
                <Dot
                  tone={h.quorumConnected ? "ok" : "bad"}
                  label={h.quorumConnected ? "connected" : "lost"}
                />
              }
              hint={`${h.membersConnected} of ${h.members} online, need ${h.threshold}`}
            />
            <Stat
              label="Duties, last hour"
              value={pct(hourRate)}
              tone={successTone(hourRate)}
              hint={`${h.dutiesLastHour} duties`}
            />
            <Stat
              label="Duties, last day"
              value={pct(dayRate)}
              tone={successTone(dayRate)}
              hint={`${h.dutiesLastDay} duties`}
            />
            <Stat
              label="Open incidents"
              value={<Link href={`/clusters/${c.id}/incidents`}>{h.openIncidents}</Link>}
              tone={h.openIncidents > 0 ? "bad" : "ok"}
            />
            <Stat
              label="Next settlement"
              value={next ? <Time iso={next} relative /> : "—"}
              hint={next ? <Time iso={next} /> : "not scheduled"}
            />
          </div>
        ) : (
          <p className="muted small">No health data.</p>
        )}
      </div>
    </article>
  );
}
