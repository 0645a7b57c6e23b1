"use client";

import Link from "next/link";
import { useMemo, useState } from "react";
import { memberName, useCluster } from "@/components/ClusterContext";
import { type HeatCell, Heatmap } from "@/components/Heatmap";
import { ParticipationChart } from "@/components/ParticipationChart";
import { Badge, Dot, ErrorBox, QueryView, Section, Stat, Time } from "@/components/ui";
import { fmtAgo, gweiToEth, ms, pct, shortHash } from "@/lib/format";
import { useQuery } from "@/lib/gql";
import { type Health, successTone } from "@/lib/types";

interface Live {
  connected: boolean;
  lastHeartbeatAt: string | null;
  clockOffsetMs: number | null;
  version: string | null;
  peersConnected: number | null;
  beaconStatus: string | null;
}

const HEALTH = `query ClusterHealth($id: ID!) {
  cluster(id: $id) {
    id nextSettlementAt
    health { membersConnected members threshold quorumConnected dutiesLastHour dutySuccessLastHour
      dutiesLastDay dutySuccessLastDay openIncidents lastDutyAt lastSuccessfulDutyAt }
  }
}`;
const LIVE = `query MembersLive($id: ID!) {
  cluster(id: $id) { id members { id live { connected lastHeartbeatAt clockOffsetMs version peersConnected beaconStatus } } }
}`;
const MEMBERS = `query Members($id: ID!) {
  cluster(id: $id) { id members { id shareIndex status role baseWeight acceptedAt operator { address nickname timezone } } }
}`;
const HEATMAP = `query Heatmap($id: ID!, $epochs: Int) {
  cluster(id: $id) { id dutyHeatmap(lastEpochs: $epochs) { memberId shareIndex epoch expected contributed } }
}`;
const VALIDATORS = `query Validators($id: ID!) {
  cluster(id: $id) { id validators { id index pubkey status balanceGwei } }
}`;
const EFFECTIVENESS = `query Effectiveness($id: ID!, $from: DateTime!, $to: DateTime!) {
  cluster(id: $id) { id validators { id effectiveness(from: $from, to: $to) { duties succeeded included failed rate } } }
}`;

const RANGES = [
  { key: "1h", label: "1 hour", ms: 3_600_000, buckets: 12 },
  { key: "6h", label: "6 hours", ms: 6 * 3_600_000, buckets: 12 },
  { key: "24h", label: "24 hours", ms: 86_400_000, buckets: 24 },
  { key: "7d", label: "7 days", ms: 7 * 86_400_000, buckets: 28 },
] as const;

export default function ClusterOverview() {
  const cluster = useCluster();
  const id = cluster.id;
  const health = useQuery<{ cluster: { nextSettlementAt: string | null; health: Health } }>(
    HEALTH,
    { id },
    { liveCluster: id },
  );
  return (
    <>
      <Section id="health" title="Health">
        <QueryView state={health} label="health">
          {(d) => <HealthStats h={d.cluster.health} next={d.cluster.nextSettlementAt} />}
        </QueryView>
      </Section>
      <MembersSection />
      <ParticipationSection />
      <HeatmapSection />
      <ValidatorsSection />
    </>
  );
}

function HealthStats({ h, next }: { h: Health; next: string | null }) {
  const hour = h.dutySuccessLastHour;
  const day = h.dutySuccessLastDay;
  return (
    <div className="stats">
      <Stat
        label="Quorum"
        tone={h.quorumConnected ? "ok" : "bad"}
        value={h.quorumConnected ? "connected" : "lost"}
        hint={`${h.membersConnected} of ${h.members} online, need ${h.threshold}`}
      />
      <Stat
        label="Duties, last hour"
        value={pct(hour)}
        tone={successTone(hour)}
        hint={`of ${h.dutiesLastHour} duties`}
      />
      <Stat
        label="Duties, last day"
        value={pct(day)}
        tone={successTone(day)}
        hint={`of ${h.dutiesLastDay} duties`}
      />
      <Stat label="Open incidents" value={h.openIncidents} tone={h.openIncidents ? "bad" : "ok"} />
      <Stat
        label="Last duty"
        value={h.lastDutyAt ? fmtAgo(h.lastDutyAt) : "—"}
        hint={h.lastSuccessfulDutyAt ? `last success ${fmtAgo(h.lastSuccessfulDutyAt)}` : undefined}
      />
      <Stat
        label="Next settlement"
        value={next ? fmtAgo(next) : "—"}
        hint={next ? <Time iso={next} /> : undefined}
      />
    </div>
  );
}

function MembersSection() {
  const cluster = useCluster();
  const members = useQuery<{
    cluster: {
      members: {
        id: string;
        shareIndex: number;
        status: string;
        role: string;
        baseWeight: number;
        operator: { address: string; nickname: string | null; timezone: string };
      }[];
    };
  }>(MEMBERS, { id: cluster.id });
  const live = useQuery<{ cluster: { members: { id: string; live: Live | null }[] } }>(
    LIVE,
    { id: cluster.id },
    { liveCluster: cluster.id, liveTypes: ["participation", "member", "poll"] },
  );
  const liveOf = (id: string) => live.data?.cluster.members.find((m) => m.id === id)?.live;
  return (
    <Section id="members" title="Members" description="Live status from the agents' heartbeats.">
      {live.error ? <ErrorBox error={live.error} title="Live status unavailable" /> : null}
      <QueryView state={members} label="members">
        {(d) => (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">#</th>
                  <th scope="col">Operator</th>
                  <th scope="col">Status</th>
                  <th scope="col">Last heartbeat</th>
                  <th scope="col" className="num">
                    Clock offset
                  </th>
                  <th scope="col">Version</th>
                  <th scope="col" className="num">
                    Peers
                  </th>
                  <th scope="col">Beacon node</th>
                  <th scope="col" className="num">
                    Weight
                  </th>
                </tr>
              </thead>
              <tbody>
                {d.cluster.members
                  .slice()
                  .sort((a, b) => a.shareIndex - b.shareIndex)
                  .map((m) => {
                    const l = liveOf(m.id);
                    const offsetTone =
                      l?.clockOffsetMs != null && Math.abs(l.clockOffsetMs) > 500 ? "warn" : undefined;
                    return (
                      <tr key={m.id} data-member={m.id}>
                        <td>{m.shareIndex}</td>
                        <td>
                          <div>{m.operator.nickname ?? "—"}</div>
                          <code className="muted" title={m.operator.address}>
                            {shortHash(m.operator.address, 6)}
                          </code>
                        </td>
                        <td>
                          {l ? (
                            <Dot
                              tone={l.connected ? "ok" : "bad"}
                              label={l.connected ? "connected" : "offline"}
                            />
                          ) : live.loading && !live.data ? (
                            <span className="muted">…</span>
                          ) : (
                            <Badge>{m.status.toLowerCase()}</Badge>
                          )}
                        </td>
                        <td>{l ? <Time iso={l.lastHeartbeatAt} relative /> : "—"}</td>
                        <td className="num">
                          <span className={offsetTone ? "badge warn" : undefined}>
                            {ms(l?.clockOffsetMs)}
                          </span>
                        </td>
                        <td>{l?.version ?? "—"}</td>
                        <td className="num">{l?.peersConnected ?? "—"}</td>
                        <td>{l?.beaconStatus ?? "—"}</td>
                        <td className="num">{m.baseWeight}</td>
                      </tr>
                    );
                  })}
              </tbody>
            </table>
          </div>
        )}
      </QueryView>
    </Section>
  );
}

interface PartRow {
  memberId: string;
  expectedDuties: number;
  contributedDuties: number;
  rate: number | null;
}

function ParticipationSection() {
  const cluster = useCluster();
  const [range, setRange] = useState<(typeof RANGES)[number]["key"]>("6h");
  // Rounded to the minute so re-renders do not change the variables (and refetch).
  const [now] = useState(() => Math.ceil(Date.now() / 60_000) * 60_000);
  const r = RANGES.find((x) => x.key === range)!;
  const { query, variables, buckets } = useMemo(() => {
    const size = r.ms / r.buckets;
    const start = now - r.ms;
    const buckets = Array.from({ length: r.buckets }, (_, i) => ({
      from: new Date(start + i * size).toISOString(),
      to: new Date(start + (i + 1) * size).toISOString(),
    }));
    const fields = buckets
      .map(
        (_, i) =>
          `b${i}: participation(from: $f${i}, to: $t${i}) { memberId expectedDuties contributedDuties rate }`,
      )
      .join("\n");
    const defs = buckets.map((_, i) => `$f${i}: DateTime!, $t${i}: DateTime!`).join(", ");
    const variables: Record<string, string> = {
      id: cluster.id,
      from: new Date(start).toISOString(),
      to: new Date(now).toISOString(),
    };
    buckets.forEach((b, i) => {
      variables[`f${i}`] = b.from;
      variables[`t${i}`] = b.to;
    });
    const query = `query ParticipationOverTime($id: ID!, $from: DateTime!, $to: DateTime!, ${defs}) {
      cluster(id: $id) { id total: participation(from: $from, to: $to) { memberId expectedDuties contributedDuties rate }
      ${fields} } }`;
    return { query, variables, buckets };
  }, [r, now, cluster.id]);
  const q = useQuery<{ cluster: Record<string, PartRow[]> & { total: PartRow[] } }>(query, variables);
  const members = cluster.members.slice().sort((a, b) => a.shareIndex - b.shareIndex);
  const fmt = (iso: string) => {
    const d = new Date(iso);
    return r.ms > 86_400_000
      ? d.toLocaleDateString("en-GB", { month: "short", day: "2-digit", hour: "2-digit" })
      : d.toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit" });
  };
  return (
    <Section
      id="participation"
      title="Participation"
      description="Share of expected duties each member provably contributed to (signed evidence, receipt quorum)."
      actions={
        <label className="row" style={{ flexDirection: "row", alignItems: "center" }}>
          Range
          <select value={range} onChange={(e) => setRange(e.target.value as typeof range)}>
            {RANGES.map((x) => (
              <option key={x.key} value={x.key}>
                last {x.label}
              </option>
            ))}
          </select>
        </label>
      }
    >
      <QueryView state={q} label="participation">
        {(d) => {
          const data = buckets.map((b, i) => {
            const row: Record<string, number | string | null> = { label: fmt(b.to) };
            for (const p of d.cluster[`b${i}`] ?? []) row[p.memberId] = p.rate === null ? null : p.rate * 100;
            return row;
          });
          const anyDuties = d.cluster.total.some((p) => p.expectedDuties > 0);
          return (
            <>
              {anyDuties ? (
                <ParticipationChart
                  data={data}
                  series={members.map((m) => ({ key: m.id, name: memberName(m) }))}
                />
              ) : (
                <p className="empty">No duties were expected in the last {r.label}.</p>
              )}
              <table>
                <caption>Totals over the last {r.label}</caption>
                <thead>
                  <tr>
                    <th scope="col">Member</th>
                    <th scope="col" className="num">
                      Expected
                    </th>
                    <th scope="col" className="num">
                      Contributed
                    </th>
                    <th scope="col" className="num">
                      Rate
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {members.map((m) => {
                    const p = d.cluster.total.find((x) => x.memberId === m.id);
                    return (
                      <tr key={m.id}>
                        <td>
                          {m.shareIndex}. {memberName(m)}
                        </td>
                        <td className="num">{p?.expectedDuties ?? 0}</td>
                        <td className="num">{p?.contributedDuties ?? 0}</td>
                        <td className="num">{pct(p?.rate)}</td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </>
          );
        }}
      </QueryView>
    </Section>
  );
}

function HeatmapSection() {
  const cluster = useCluster();
  const [epochs, setEpochs] = useState(32);
  const q = useQuery<{ cluster: { dutyHeatmap: HeatCell[] } }>(
    HEATMAP,
    { id: cluster.id, epochs },
    { liveCluster: cluster.id, liveTypes: ["participation", "poll"] },
  );
  return (
    <Section
      id="heatmap"
      title="Duty heatmap"
      description="Each cell is one member in one epoch; select a cell to see that epoch's duties."
      actions={
        <label className="row" style={{ flexDirection: "row", alignItems: "center" }}>
          Epochs
          <select value={epochs} onChange={(e) => setEpochs(Number(e.target.value))}>
            {[16, 32, 64, 128].map((n) => (
              <option key={n} value={n}>
                last {n}
              </option>
            ))}
          </select>
        </label>
      }
    >
      <QueryView
        state={q}
        label="the heatmap"
        isEmpty={(d) => d.cluster.dutyHeatmap.length === 0}
        empty="No duties recorded yet."
      >
        {(d) => <Heatmap cells={d.cluster.dutyHeatmap} />}
      </QueryView>
    </Section>
  );
}

interface Effectiveness {
  duties: number;
  succeeded: number;
  included: number;
  failed: number;
  rate: number | null;
}

function ValidatorsSection() {
  const cluster = useCluster();
  const [window] = useState(() => {
    const to = Math.ceil(Date.now() / 60_000) * 60_000;
    return { from: new Date(to - 86_400_000).toISOString(), to: new Date(to).toISOString() };
  });
  const v = useQuery<{
    cluster: {
      validators: {
        id: string;
        index: number | null;
        pubkey: string;
        status: string | null;
        balanceGwei: string | null;
      }[];
    };
  }>(VALIDATORS, { id: cluster.id });
  const eff = useQuery<{ cluster: { validators: { id: string; effectiveness: Effectiveness | null }[] } }>(
    EFFECTIVENESS,
    {
      id: cluster.id,
      ...window,
    },
  );
  return (
    <Section
      id="validators"
      title="Validators"
      description="Balances from the beacon node; effectiveness over the last 24 hours."
    >
      {eff.error ? <ErrorBox error={eff.error} title="Effectiveness unavailable" /> : null}
      <QueryView
        state={v}
        label="validators"
        isEmpty={(d) => d.cluster.validators.length === 0}
        empty="No validators yet."
      >
        {(d) => (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Index</th>
                  <th scope="col">Public key</th>
                  <th scope="col">Status</th>
                  <th scope="col" className="num">
                    Balance
                  </th>
                  <th scope="col" className="num">
                    Duties
                  </th>
                  <th scope="col" className="num">
                    Included
                  </th>
                  <th scope="col" className="num">
                    Failed
                  </th>
                  <th scope="col" className="num">
                    Effectiveness
                  </th>
                </tr>
              </thead>
              <tbody>
                {d.cluster.validators.map((val) => {
                  const e = eff.data?.cluster.validators.find((x) => x.id === val.id)?.effectiveness;
                  return (
                    <tr key={val.id}>
                      <td>{val.index ?? "—"}</td>
                      <td>
                        <code title={val.pubkey}>{shortHash(val.pubkey, 10)}</code>
                      </td>
                      <td>{val.status ?? "—"}</td>
                      <td className="num">{gweiToEth(val.balanceGwei, 4)}</td>
                      <td className="num">{e?.duties ?? "—"}</td>
                      <td className="num">{e?.included ?? "—"}</td>
                      <td className="num">
                        {e ? <span className={e.failed ? "badge bad" : undefined}>{e.failed}</span> : "—"}
                      </td>
                      <td className="num">{pct(e?.rate)}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
      </QueryView>
      <p className="small muted" style={{ marginTop: 8 }}>
        <Link href={`/clusters/${cluster.id}/duties`}>All duties →</Link>
      </p>
    </Section>
  );
}
