"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { memberName, useCluster } from "@/components/ClusterContext";
import { Badge, ErrorBox, Pager, QueryView, Section, severityTone, statusTone, Time } from "@/components/ui";
import { gweiToEth, titleCase } from "@/lib/format";
import { useMutation, useQuery } from "@/lib/gql";

const STATUSES = ["OPEN", "ACKNOWLEDGED", "RESOLVED"];
const SEVERITIES = ["CRITICAL", "MAJOR", "MINOR", "INFO"];
const KINDS = [
  "DUTY_FAILED",
  "MEMBER_OFFLINE",
  "PEERS_DISCONNECTED",
  "INVALID_PARTIALS",
  "CONFLICTING_MESSAGES",
  "SLASHING_PROTECTION_REFUSAL",
  "MANUAL",
];

const INCIDENTS = `query Incidents($id: ID!, $filter: IncidentFilter, $first: Int, $after: String) {
  cluster(id: $id) {
    id
    incidents(filter: $filter, first: $first, after: $after) {
      edges { cursor node { id number title kind severity status automatic openedAt lastEventAt acknowledgedAt resolvedAt
        dutyCount costGwei members { member { id } } } }
      pageInfo { hasNextPage endCursor }
    }
  }
}`;

interface IncidentRow {
  id: string;
  number: number;
  title: string;
  kind: string;
  severity: string;
  status: string;
  automatic: boolean;
  openedAt: string;
  lastEventAt: string;
  acknowledgedAt: string | null;
  resolvedAt: string | null;
  dutyCount: number;
  costGwei: string | null;
  members: { member: { id: string } }[];
}

function Checks({
  legend,
  values,
  selected,
  onChange,
}: {
  legend: string;
  values: string[];
  selected: string[];
  onChange: (v: string[]) => void;
}) {
  return (
    <fieldset>
      <legend>{legend}</legend>
      <div className="checks">
        {values.map((v) => (
          <label key={v}>
            <input
              type="checkbox"
              checked={selected.includes(v)}
              onChange={(e) =>
                onChange(e.target.checked ? [...selected, v] : selected.filter((x) => x !== v))
              }
            />
            {titleCase(v)}
          </label>
        ))}
      </div>
    </fieldset>
  );
}

export default function IncidentsPage() {
  const cluster = useCluster();
  const [status, setStatus] = useState<string[]>(["OPEN", "ACKNOWLEDGED"]);
  const [severity, setSeverity] = useState<string[]>([]);
  const [kind, setKind] = useState<string[]>([]);
  const [after, setAfter] = useState<string[]>([]);
  const filter = {
    ...(status.length ? { status } : {}),
    ...(severity.length ? { severity } : {}),
    ...(kind.length ? { kind } : {}),
  };
  const q = useQuery<{
    cluster: {
      incidents: {
        edges: { node: IncidentRow }[];
        pageInfo: { hasNextPage: boolean; endCursor: string | null };
      };
    };
  }>(
    INCIDENTS,
    { id: cluster.id, filter, first: 25, after: after.at(-1) ?? null },
    { liveCluster: cluster.id, liveTypes: ["incident", "poll"] },
  );
  const reset =
    <T,>(fn: (v: T) => void) =>
    (v: T) => {
      setAfter([]);
      fn(v);
    };
  const lookup = (id: string) => cluster.members.find((m) => m.id === id);

  return (
    <>
      <Section
        id="incidents"
        title="Incidents"
        description="Opened automatically from evidence, or declared by an operator. Newest first."
      >
        <div className="filters" style={{ marginBottom: 12 }}>
          <Checks legend="Status" values={STATUSES} selected={status} onChange={reset(setStatus)} />
          <Checks legend="Severity" values={SEVERITIES} selected={severity} onChange={reset(setSeverity)} />
          <Checks legend="Kind" values={KINDS} selected={kind} onChange={reset(setKind)} />
        </div>
        <QueryView
          state={q}
          label="incidents"
          isEmpty={(d) => d.cluster.incidents.edges.length === 0}
          empty="No incidents match these filters."
        >
          {(d) => (
            <>
              <div className="table-wrap">
                <table>
                  <thead>
                    <tr>
                      <th scope="col">#</th>
                      <th scope="col">Title</th>
                      <th scope="col">Severity</th>
                      <th scope="col">Status</th>
                      <th scope="col">Kind</th>
                      <th scope="col">Attributed to</th>
                      <th scope="col" className="num">
                        Duties
                      </th>
                      <th scope="col" className="num">
                        Cost
                      </th>
                      <th scope="col">Opened</th>
                    </tr>
                  </thead>
                  <tbody>
                    {d.cluster.incidents.edges.map(({ node: i }) => (
                      <tr key={i.id}>
                        <td>{i.number}</td>
                        <td>
                          <Link href={`/clusters/${cluster.id}/incidents/${i.id}`}>{i.title}</Link>
                        </td>
                        <td>
                          <Badge tone={severityTone(i.severity)}>{i.severity.toLowerCase()}</Badge>
                        </td>
                        <td>
                          <Badge tone={statusTone(i.status)}>{i.status.toLowerCase()}</Badge>
                        </td>
                        <td className="small">{titleCase(i.kind)}</td>
                        <td className="small">
                          {i.members.length
                            ? i.members.map((m) => memberName(lookup(m.member.id))).join(", ")
                            : "—"}
                        </td>
                        <td className="num">{i.dutyCount}</td>
                        <td className="num">{gweiToEth(i.costGwei)}</td>
                        <td>
                          <Time iso={i.openedAt} relative />
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
              <Pager after={after} setAfter={setAfter} pageInfo={d.cluster.incidents.pageInfo} />
            </>
          )}
        </QueryView>
      </Section>
      <DeclareIncident />
    </>
  );
}

function DeclareIncident() {
  const cluster = useCluster();
  const router = useRouter();
  const [title, setTitle] = useState("");
  const [severity, setSeverity] = useState("MINOR");
  const [summary, setSummary] = useState("");
  const declare = useMutation<{ declareIncident: { id: string } }>(
    `mutation Declare($input: DeclareIncidentInput!) { declareIncident(input: $input) { id } }`,
  );
  return (
    <Section
      id="declare"
      title="Declare an incident"
      description="Opens a manual incident and pages the on-call. Operators only."
    >
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          const r = await declare.mutate({
            input: { clusterId: cluster.id, title, severity, ...(summary ? { summary } : {}) },
          });
          if (r) router.push(`/clusters/${cluster.id}/incidents/${r.declareIncident.id}`);
        }}
      >
        <div className="form-row">
          <label style={{ flex: 1 }}>
            Title
            <input
              required
              value={title}
              onChange={(e) => setTitle(e.target.value)}
              placeholder="What is wrong?"
            />
          </label>
          <label>
            Severity
            <select value={severity} onChange={(e) => setSeverity(e.target.value)}>
              {SEVERITIES.map((s) => (
                <option key={s} value={s}>
                  {titleCase(s)}
                </option>
              ))}
            </select>
          </label>
        </div>
        <label style={{ marginTop: 8 }}>
          Summary (optional)
          <textarea value={summary} onChange={(e) => setSummary(e.target.value)} />
        </label>
        <ErrorBox error={declare.error} title="Could not declare the incident" />
        <div className="row" style={{ marginTop: 8 }}>
          <button type="submit" className="btn primary" disabled={declare.pending || !title.trim()}>
            {declare.pending ? "Declaring…" : "Declare incident"}
          </button>
        </div>
      </form>
    </Section>
  );
}
