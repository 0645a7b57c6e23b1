"use client";

import Link from "next/link";
import { useParams } from "next/navigation";
import { useState } from "react";
import { memberName, useCluster } from "@/components/ClusterContext";
import { outcomeTone } from "@/components/DutyTable";
import {
  Address,
  Badge,
  ErrorBox,
  QueryView,
  Section,
  severityTone,
  statusTone,
  Time,
} from "@/components/ui";
import { gweiToEth, titleCase } from "@/lib/format";
import { type ApiError, useMutation, useQuery } from "@/lib/gql";

const FIELDS = `id number title summary kind severity status automatic openedAt lastEventAt
  acknowledgedAt acknowledgedBy escalatedAt resolvedAt resolvedBy fromSlot toSlot dutyCount costGwei
  members { member { id } reason attributedBy createdAt }
  timeline { id kind at actorAddress message }
  duties(first: 200) { id slot epoch type outcome failureReason valueGwei validatorId startsAt }`;
const INCIDENT = `query Incident($id: ID!, $incidentId: ID!) { cluster(id: $id) { id incident(id: $incidentId) { ${FIELDS} } } }`;

interface Incident {
  id: string;
  number: number;
  title: string;
  summary: string | null;
  kind: string;
  severity: string;
  status: string;
  automatic: boolean;
  openedAt: string;
  lastEventAt: string;
  acknowledgedAt: string | null;
  acknowledgedBy: string | null;
  escalatedAt: string | null;
  resolvedAt: string | null;
  resolvedBy: string | null;
  fromSlot: number | null;
  toSlot: number | null;
  dutyCount: number;
  costGwei: string | null;
  members: {
    member: { id: string };
    reason: string | null;
    attributedBy: string | null;
    createdAt: string;
  }[];
  timeline: { id: string; kind: string; at: string; actorAddress: string | null; message: string }[];
  duties: {
    id: string;
    slot: number;
    epoch: number;
    type: string;
    outcome: string;
    failureReason: string | null;
    valueGwei: string | null;
    validatorId: string;
    startsAt: string;
  }[];
}

export default function IncidentPage() {
  const cluster = useCluster();
  const { incidentId } = useParams<{ incidentId: string }>();
  const q = useQuery<{ cluster: { incident: Incident } }>(
    INCIDENT,
    { id: cluster.id, incidentId },
    { liveCluster: cluster.id, liveTypes: ["incident", "poll"] },
  );
  return (
    <QueryView state={q} label="the incident">
      {({ cluster: { incident: i } }) => <IncidentView incident={i} refetch={q.refetch} />}
    </QueryView>
  );
}

function IncidentView({ incident: i, refetch }: { incident: Incident; refetch: () => Promise<void> }) {
  const cluster = useCluster();
  const lookup = (id: string) => cluster.members.find((m) => m.id === id);
  return (
    <>
      <p className="crumbs">
        <Link href={`/clusters/${cluster.id}/incidents`}>Incidents</Link> /
      </p>
      <div className="page-head" style={{ marginBottom: 12 }}>
        <div>
          <h1>
            #{i.number} {i.title}
          </h1>
          <div className="row">
            <Badge tone={severityTone(i.severity)}>{i.severity.toLowerCase()}</Badge>
            <Badge tone={statusTone(i.status)}>{i.status.toLowerCase()}</Badge>
            <span className="muted small">
              {titleCase(i.kind)} · {i.automatic ? "opened from evidence" : "declared"} · opened{" "}
              <Time iso={i.openedAt} relative />
            </span>
          </div>
        </div>
      </div>
      <div className="grid two">
        <div>
          <Actions incident={i} refetch={refetch} />
          <Section id="about" title="Details">
            {i.summary ? <p>{i.summary}</p> : null}
            <dl className="kv">
              <dt>Opened</dt>
              <dd>
                <Time iso={i.openedAt} />
              </dd>
              <dt>Acknowledged</dt>
              <dd>
                {i.acknowledgedAt ? (
                  <>
                    <Time iso={i.acknowledgedAt} /> by <Address address={i.acknowledgedBy} />
                  </>
                ) : (
                  "not yet"
                )}
              </dd>
              {i.escalatedAt ? (
                <>
                  <dt>Escalated</dt>
                  <dd>
                    <Time iso={i.escalatedAt} />
                  </dd>
                </>
              ) : null}
              <dt>Resolved</dt>
              <dd>
                {i.resolvedAt ? (
                  <>
                    <Time iso={i.resolvedAt} /> by{" "}
                    {i.resolvedBy === "system" ? (
                      "the system (recovered)"
                    ) : (
                      <Address address={i.resolvedBy} />
                    )}
                  </>
                ) : (
                  "not yet"
                )}
              </dd>
              <dt>Slots</dt>
              <dd>{i.fromSlot !== null ? `${i.fromSlot} – ${i.toSlot ?? "…"}` : "—"}</dd>
              <dt>Attributed to</dt>
              <dd>
                {i.members.length === 0
                  ? "nobody"
                  : i.members.map((m) => (
                      <div key={m.member.id}>
                        {memberName(lookup(m.member.id))}
                        {m.reason ? <span className="muted"> — {m.reason}</span> : null}
                      </div>
                    ))}
              </dd>
            </dl>
          </Section>
          <Section
            id="affected"
            title="Affected duties"
            description={`${i.dutyCount} dut${i.dutyCount === 1 ? "y" : "ies"}; cost ${i.costGwei ? gweiToEth(i.costGwei, 9) : "not known yet"}`}
          >
            {i.duties.length === 0 ? (
              <p className="empty">No duties are attached to this incident.</p>
            ) : (
              <div className="table-wrap">
                <table>
                  <thead>
                    <tr>
                      <th scope="col">Slot</th>
                      <th scope="col">Type</th>
                      <th scope="col">Outcome</th>
                      <th scope="col">Reason</th>
                      <th scope="col" className="num">
                        Cost
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {i.duties.map((d) => (
                      <tr key={d.id}>
                        <td>
                          <Link href={`/clusters/${cluster.id}/duties/${d.id}`}>{d.slot}</Link>
                        </td>
                        <td>{titleCase(d.type)}</td>
                        <td>
                          <Badge tone={outcomeTone(d.outcome.toUpperCase())}>{d.outcome.toLowerCase()}</Badge>
                        </td>
                        <td className="small">{d.failureReason ?? "—"}</td>
                        <td className="num">{gweiToEth(d.valueGwei, 9)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </Section>
        </div>
        <Section id="timeline" title="Timeline">
          <ol className="timeline">
            {i.timeline.map((t) => (
              <li key={t.id} className={`k-${t.kind}`}>
                <div className="t-head">
                  <strong>{titleCase(t.kind)}</strong>
                  <Time iso={t.at} />
                  {t.actorAddress ? <Address address={t.actorAddress} /> : <span>system</span>}
                </div>
                <div>{t.message}</div>
              </li>
            ))}
          </ol>
        </Section>
      </div>
    </>
  );
}

function Actions({ incident: i, refetch }: { incident: Incident; refetch: () => Promise<void> }) {
  const cluster = useCluster();
  const [note, setNote] = useState("");
  const [severity, setSeverity] = useState(i.severity);
  const [attributeTo, setAttributeTo] = useState("");
  const [reason, setReason] = useState("");
  const [done, setDone] = useState<string | null>(null);
  const ack = useMutation(`mutation Ack($id: ID!) { acknowledgeIncident(id: $id) { id status } }`);
  const resolve = useMutation(
    `mutation Resolve($input: ResolveIncidentInput!) { resolveIncident(input: $input) { id status } }`,
  );
  const addNote = useMutation(
    `mutation Note($input: IncidentNoteInput!) { addIncidentNote(input: $input) { id } }`,
  );
  const sev = useMutation(
    `mutation Sev($input: ChangeIncidentSeverityInput!) { changeIncidentSeverity(input: $input) { id } }`,
  );
  const attr = useMutation(
    `mutation Attr($input: AttributeIncidentInput!) { attributeIncident(input: $input) { id } }`,
  );
  const error: ApiError | undefined = ack.error ?? resolve.error ?? addNote.error ?? sev.error ?? attr.error;
  const after = async (ok: unknown, message: string) => {
    if (ok) {
      setDone(message);
      await refetch();
    } else setDone(null);
  };
  const busy = ack.pending || resolve.pending || addNote.pending || sev.pending || attr.pending;
  return (
    <Section id="actions" title="Actions">
      <ErrorBox error={error} title="The action failed" />
      {done && !error ? (
        <p className="success" role="status">
          {done}
        </p>
      ) : null}
      <div className="row">
        {i.status === "OPEN" ? (
          <button
            type="button"
            className="btn primary"
            disabled={busy}
            onClick={async () => after(await ack.mutate({ id: i.id }), "Acknowledged: escalation stopped.")}
          >
            {ack.pending ? "Acknowledging…" : "Acknowledge"}
          </button>
        ) : null}
        {i.status !== "RESOLVED" ? (
          <button
            type="button"
            className="btn"
            disabled={busy}
            onClick={async () =>
              after(
                await resolve.mutate({
                  input: { incidentId: i.id, ...(note.trim() ? { note: note.trim() } : {}) },
                }),
                "Resolved.",
              )
            }
          >
            {resolve.pending ? "Resolving…" : note.trim() ? "Resolve with note" : "Resolve"}
          </button>
        ) : null}
      </div>
      <form
        style={{ marginTop: 12 }}
        onSubmit={async (e) => {
          e.preventDefault();
          const ok = await addNote.mutate({ input: { incidentId: i.id, message: note.trim() } });
          if (ok) setNote("");
          await after(ok, "Note added.");
        }}
      >
        <label>
          Note
          <textarea
            value={note}
            onChange={(e) => setNote(e.target.value)}
            placeholder="What did you find or do?"
          />
        </label>
        <div className="row" style={{ marginTop: 6 }}>
          <button type="submit" className="btn" disabled={busy || !note.trim()}>
            Add note
          </button>
        </div>
      </form>
      <div className="form-row" style={{ marginTop: 12 }}>
        <label>
          Severity
          <select value={severity} onChange={(e) => setSeverity(e.target.value)}>
            {["CRITICAL", "MAJOR", "MINOR", "INFO"].map((s) => (
              <option key={s} value={s}>
                {titleCase(s)}
              </option>
            ))}
          </select>
        </label>
        <button
          type="button"
          className="btn"
          disabled={busy || severity === i.severity}
          onClick={async () =>
            after(
              await sev.mutate({ input: { incidentId: i.id, severity } }),
              `Severity changed to ${severity.toLowerCase()}.`,
            )
          }
        >
          Change severity
        </button>
      </div>
      <div className="form-row" style={{ marginTop: 12 }}>
        <label>
          Attribute to
          <select value={attributeTo} onChange={(e) => setAttributeTo(e.target.value)}>
            <option value="">choose a member</option>
            {cluster.members.map((m) => (
              <option key={m.id} value={m.id}>
                {m.shareIndex}. {memberName(m)}
              </option>
            ))}
          </select>
        </label>
        <label style={{ flex: 1 }}>
          Reason
          <input value={reason} onChange={(e) => setReason(e.target.value)} />
        </label>
        <button
          type="button"
          className="btn"
          disabled={busy || !attributeTo || !reason.trim()}
          onClick={async () => {
            const ok = await attr.mutate({
              input: { incidentId: i.id, memberId: attributeTo, reason: reason.trim() },
            });
            if (ok) setReason("");
            await after(ok, "Attributed.");
          }}
        >
          Attribute
        </button>
      </div>
    </Section>
  );
}
