"use client";

import { useState } from "react";
import { memberName, useCluster } from "@/components/ClusterContext";
import { DownloadButton } from "@/components/DownloadButton";
import { CopyButton, QueryView, Section, Stat } from "@/components/ui";
import { pct } from "@/lib/format";
import { useQuery } from "@/lib/gql";

const REPORT = `query AuditReport($id: ID!, $from: DateTime!, $to: DateTime!) {
  cluster(id: $id) {
    id
    auditReport(from: $from, to: $to) {
      from to fromEpoch toEpoch fromSlot toSlot
      members { member { id } shareIndex address expectedDuties contributedDuties missedDuties missedByReason rate uptimeRatio incidentsAttributed failedDutiesMissed }
      totals { expectedDuties contributedDuties missedDuties missedByReason rate duties failedDuties incidents }
      evidenceBundleUrl evidenceBundleUrls exportCommand verifyCommand csvUrl
    }
  }
}`;

interface Report {
  from: string;
  to: string;
  fromEpoch: number | null;
  toEpoch: number | null;
  fromSlot: number | null;
  toSlot: number | null;
  members: {
    member: { id: string };
    shareIndex: number;
    address: string;
    expectedDuties: number;
    contributedDuties: number;
    missedDuties: number;
    missedByReason: Record<string, number> | null;
    rate: number | null;
    uptimeRatio: number | null;
    incidentsAttributed: number;
    failedDutiesMissed: number;
  }[];
  totals: {
    expectedDuties: number;
    contributedDuties: number;
    missedDuties: number;
    missedByReason: Record<string, number> | null;
    rate: number | null;
    duties: number;
    failedDuties: number;
    incidents: number;
  };
  evidenceBundleUrl: string | null;
  evidenceBundleUrls: string[];
  exportCommand: string | null;
  verifyCommand: string;
  csvUrl: string;
}

const REASONS = ["NO_MESSAGE", "LATE", "INVALID_PARTIAL", "CONFLICTING"];
const day = (t: number) => new Date(t).toISOString().slice(0, 10);

export default function AuditPage() {
  const cluster = useCluster();
  const [from, setFrom] = useState(() => day(Date.now() - 6 * 86_400_000));
  const [to, setTo] = useState(() => day(Date.now()));
  const [range, setRange] = useState({ from, to });
  // Whole UTC days: [from 00:00, to + 1 day 00:00).
  const vars = {
    id: cluster.id,
    from: `${range.from}T00:00:00.000Z`,
    to: new Date(Date.parse(`${range.to}T00:00:00.000Z`) + 86_400_000).toISOString(),
  };
  const q = useQuery<{ cluster: { auditReport: Report } }>(REPORT, vars);
  return (
    <>
      <Section
        id="audit"
        title="Audit report"
        description="Per-member accountability from signed evidence, with the bundle to verify it offline. Operators and auditors."
      >
        <form
          className="form-row"
          aria-label="Report range"
          onSubmit={(e) => {
            e.preventDefault();
            setRange({ from, to });
          }}
        >
          <label>
            From (UTC day)
            <input type="date" required value={from} max={to} onChange={(e) => setFrom(e.target.value)} />
          </label>
          <label>
            To (UTC day, inclusive)
            <input type="date" required value={to} min={from} onChange={(e) => setTo(e.target.value)} />
          </label>
          <button type="submit" className="btn primary">
            Show report
          </button>
        </form>
      </Section>
      <QueryView state={q} label="the audit report">
        {({ cluster: { auditReport: r } }) => <ReportView report={r} />}
      </QueryView>
    </>
  );
}

function ReportView({ report: r }: { report: Report }) {
  const cluster = useCluster();
  const lookup = (id: string) => cluster.members.find((m) => m.id === id);
  const bundles = r.evidenceBundleUrls.length
    ? r.evidenceBundleUrls
    : r.evidenceBundleUrl
      ? [r.evidenceBundleUrl]
      : [];
  return (
    <>
      <Section
        id="report"
        title="Per member"
        description={
          r.fromEpoch !== null
            ? `Epochs ${r.fromEpoch}–${(r.toEpoch ?? r.fromEpoch) - 1}, slots ${r.fromSlot}–${r.toSlot}`
            : "No epochs in this range."
        }
      >
        <div className="stats" style={{ marginBottom: 12 }}>
          <Stat label="Validator duties" value={r.totals.duties} />
          <Stat
            label="Failed duties"
            value={r.totals.failedDuties}
            tone={r.totals.failedDuties ? "bad" : "ok"}
          />
          <Stat
            label="Member participation"
            value={pct(r.totals.rate, 2)}
            hint={`${r.totals.contributedDuties} / ${r.totals.expectedDuties}`}
          />
          <Stat label="Missed" value={r.totals.missedDuties} />
          <Stat label="Incidents" value={r.totals.incidents} />
        </div>
        <div className="table-wrap">
          <table>
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
                {REASONS.map((x) => (
                  <th scope="col" className="num" key={x}>
                    {x.toLowerCase().replace("_", " ")}
                  </th>
                ))}
                <th scope="col" className="num">
                  Uptime
                </th>
                <th scope="col" className="num">
                  Incidents
                </th>
                <th scope="col" className="num">
                  Failed duties missed
                </th>
              </tr>
            </thead>
            <tbody>
              {r.members.map((m) => (
                <tr key={m.member.id}>
                  <td>
                    {m.shareIndex}. {memberName(lookup(m.member.id))}
                    <div>
                      <code className="muted small">{m.address}</code>
                    </div>
                  </td>
                  <td className="num">{m.expectedDuties}</td>
                  <td className="num">{m.contributedDuties}</td>
                  <td className="num">{pct(m.rate, 2)}</td>
                  {REASONS.map((x) => (
                    <td className="num" key={x}>
                      {m.missedByReason?.[x] ?? 0}
                    </td>
                  ))}
                  <td className="num">{pct(m.uptimeRatio)}</td>
                  <td className="num">{m.incidentsAttributed}</td>
                  <td className="num">{m.failedDutiesMissed}</td>
                </tr>
              ))}
            </tbody>
            <tfoot>
              <tr>
                <th scope="row">Total</th>
                <td className="num">{r.totals.expectedDuties}</td>
                <td className="num">{r.totals.contributedDuties}</td>
                <td className="num">{pct(r.totals.rate, 2)}</td>
                {REASONS.map((x) => (
                  <td className="num" key={x}>
                    {r.totals.missedByReason?.[x] ?? 0}
                  </td>
                ))}
                <td />
                <td className="num">{r.totals.incidents}</td>
                <td />
              </tr>
            </tfoot>
          </table>
        </div>
      </Section>
      <Section
        id="evidence"
        title="Evidence"
        description="Download the signed evidence and check it offline — no portal needed."
      >
        <div className="row" style={{ marginBottom: 12 }}>
          {bundles.length === 0 ? (
            <span className="muted">No evidence bundle for an empty range.</span>
          ) : null}
          {bundles.map((u, i) => (
            <DownloadButton
              key={u}
              path={u}
              filename={bundles.length > 1 ? `bundle-${i + 1}.json` : "bundle.json"}
              label={
                bundles.length > 1
                  ? `Evidence bundle ${i + 1} of ${bundles.length}`
                  : "Download evidence bundle"
              }
            />
          ))}
          <DownloadButton path={r.csvUrl} filename="participation.csv" label="Download CSV" />
        </div>
        <h3>Verify offline</h3>
        <div className="cmd">
          <code data-testid="verify-command">{r.verifyCommand}</code>
          <CopyButton text={r.verifyCommand} label="Copy command" />
        </div>
        {r.exportCommand ? (
          <>
            <h3>Or download with the CLI</h3>
            <div className="cmd">
              <code data-testid="export-command">{r.exportCommand}</code>
              <CopyButton text={r.exportCommand} label="Copy command" />
            </div>
          </>
        ) : null}
      </Section>
    </>
  );
}
