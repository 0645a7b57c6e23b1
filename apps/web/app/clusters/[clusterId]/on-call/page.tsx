"use client";

import { useMemo, useState } from "react";
import { memberName, useCluster } from "@/components/ClusterContext";
import { Badge, ErrorBox, QueryView, Section, statusTone, Time } from "@/components/ui";
import { fmtDateTime, fmtTime } from "@/lib/format";
import { useMutation, useQuery } from "@/lib/gql";
import { useSession } from "@/lib/session";

const DAY = 86_400_000;

const NOW = `query OnCallNow($id: ID!) {
  cluster(id: $id) { id onCallNow { level rotationName ackTimeoutMinutes shiftStartsAt shiftEndsAt member { id } coveredFor { id } } }
}`;
const SCHEDULE = `query Schedule($id: ID!, $from: DateTime!, $to: DateTime!) {
  cluster(id: $id) {
    id
    onCallRotations { id name level shiftHours }
    onCallSchedule(from: $from, to: $to) { rotationId rotationName level startsAt endsAt member { id } covers { coveredBy { id } startsAt endsAt } }
  }
}`;
const COVERS = `query Covers($id: ID!) {
  cluster(id: $id) { id coverRequests { id status startsAt endsAt reason handoffNote createdAt acceptedAt requester { id } coveredBy { id } } }
}`;

interface Shift {
  rotationId: string;
  rotationName: string;
  level: string;
  startsAt: string;
  endsAt: string;
  member: { id: string };
  covers: { coveredBy: { id: string }; startsAt: string; endsAt: string }[];
}

function startOfDay(t: number) {
  const d = new Date(t);
  d.setHours(0, 0, 0, 0);
  return d.getTime();
}

export default function OnCallPage() {
  const cluster = useCluster();
  const lookup = (id: string | undefined) => cluster.members.find((m) => m.id === id);
  const now = useQuery<{
    cluster: {
      onCallNow: {
        level: string;
        rotationName: string;
        ackTimeoutMinutes: number;
        shiftStartsAt: string;
        shiftEndsAt: string;
        member: { id: string };
        coveredFor: { id: string } | null;
      }[];
    };
  }>(NOW, { id: cluster.id }, { liveCluster: cluster.id, liveTypes: ["cover", "oncall", "poll"] });
  return (
    <>
      <Section id="now" title="On call now">
        <QueryView
          state={now}
          label="who is on call"
          isEmpty={(d) => d.cluster.onCallNow.length === 0}
          empty="Nobody is on call: no rotation covers this moment."
        >
          {(d) => (
            <div className="stats">
              {d.cluster.onCallNow.map((o) => (
                <div className="stat" key={`${o.level}-${o.rotationName}`}>
                  <div className="stat-label">
                    {o.level.toLowerCase()} · {o.rotationName}
                  </div>
                  <div className="stat-value">{memberName(lookup(o.member.id))}</div>
                  <div className="stat-hint">
                    until {fmtDateTime(o.shiftEndsAt)}
                    {o.coveredFor ? ` · covering for ${memberName(lookup(o.coveredFor.id))}` : ""} · ack
                    within {o.ackTimeoutMinutes} min
                  </div>
                </div>
              ))}
            </div>
          )}
        </QueryView>
      </Section>
      <Calendar />
      <CoverRequests />
    </>
  );
}

function Calendar() {
  const cluster = useCluster();
  const lookup = (id: string | undefined) => cluster.members.find((m) => m.id === id);
  const [weekStart, setWeekStart] = useState(() => startOfDay(Date.now()));
  const range = useMemo(
    () => ({ from: new Date(weekStart).toISOString(), to: new Date(weekStart + 7 * DAY).toISOString() }),
    [weekStart],
  );
  const q = useQuery<{
    cluster: {
      onCallRotations: { id: string; name: string; level: string; shiftHours: number }[];
      onCallSchedule: Shift[];
    };
  }>(SCHEDULE, { id: cluster.id, ...range });
  const days = Array.from({ length: 7 }, (_, i) => weekStart + i * DAY);
  const today = startOfDay(Date.now());
  return (
    <Section
      id="calendar"
      title="Schedule"
      description="Shifts in your local time; covered stretches are marked."
      actions={
        <>
          <button
            type="button"
            className="btn small"
            onClick={() => setWeekStart(weekStart - 7 * DAY)}
            aria-label="Previous week"
          >
            ←
          </button>
          <button type="button" className="btn small" onClick={() => setWeekStart(startOfDay(Date.now()))}>
            Today
          </button>
          <button
            type="button"
            className="btn small"
            onClick={() => setWeekStart(weekStart + 7 * DAY)}
            aria-label="Next week"
          >
            →
          </button>
        </>
      }
    >
      <QueryView
        state={q}
        label="the schedule"
        isEmpty={(d) => d.cluster.onCallRotations.length === 0}
        empty="No on-call rotation is set up for this cluster."
      >
        {(d) => (
          <div className="calendar">
            <div style={{ display: "contents" }}>
              <div className="c-h">Rotation</div>
              {days.map((day) => (
                <div key={day} className="c-h">
                  {new Date(day).toLocaleDateString("en-GB", {
                    weekday: "short",
                    day: "2-digit",
                    month: "short",
                  })}
                </div>
              ))}
            </div>
            {d.cluster.onCallRotations.map((r) => (
              <div key={r.id} style={{ display: "contents" }}>
                <div className="c-row">
                  <strong>{r.name}</strong>
                  <div className="small">{r.level.toLowerCase()}</div>
                </div>
                {days.map((day) => {
                  const shifts = d.cluster.onCallSchedule.filter(
                    (s) =>
                      s.rotationId === r.id &&
                      Date.parse(s.startsAt) < day + DAY &&
                      Date.parse(s.endsAt) > day,
                  );
                  return (
                    <div key={day} className={`c-cell ${day === today ? "today" : ""}`}>
                      {shifts.map((s) => {
                        const cover = s.covers.find(
                          (c) => Date.parse(c.startsAt) < day + DAY && Date.parse(c.endsAt) > day,
                        );
                        const from = Math.max(Date.parse(s.startsAt), day);
                        const to = Math.min(Date.parse(s.endsAt), day + DAY);
                        const label = `${memberName(lookup(s.member.id))} ${fmtTime(new Date(from).toISOString())}–${to === day + DAY ? "24:00" : fmtTime(new Date(to).toISOString())}`;
                        return (
                          <div
                            key={`${s.startsAt}-${s.member.id}`}
                            className={`shift ${r.level === "SECONDARY" ? "secondary" : ""} ${cover ? "covered" : ""}`}
                            title={`${label}${cover ? ` · covered by ${memberName(lookup(cover.coveredBy.id))}` : ""}`}
                          >
                            {memberName(lookup(s.member.id))}
                            {cover ? ` → ${memberName(lookup(cover.coveredBy.id))}` : ""}
                          </div>
                        );
                      })}
                    </div>
                  );
                })}
              </div>
            ))}
          </div>
        )}
      </QueryView>
    </Section>
  );
}

function toLocalInput(t: number) {
  const d = new Date(t - new Date(t).getTimezoneOffset() * 60_000);
  return d.toISOString().slice(0, 16);
}

function CoverRequests() {
  const cluster = useCluster();
  const session = useSession();
  const lookup = (id: string | undefined) => cluster.members.find((m) => m.id === id);
  const me = cluster.members.find((m) => m.operator.address.toLowerCase() === session?.address.toLowerCase());
  const q = useQuery<{
    cluster: {
      coverRequests: {
        id: string;
        status: string;
        startsAt: string;
        endsAt: string;
        reason: string | null;
        handoffNote: string | null;
        createdAt: string;
        acceptedAt: string | null;
        requester: { id: string };
        coveredBy: { id: string } | null;
      }[];
    };
  }>(COVERS, { id: cluster.id }, { liveCluster: cluster.id, liveTypes: ["cover", "poll"] });
  const [startsAt, setStartsAt] = useState(() => toLocalInput(Date.now() + DAY));
  const [endsAt, setEndsAt] = useState(() => toLocalInput(Date.now() + 2 * DAY));
  const [reason, setReason] = useState("");
  const [handoff, setHandoff] = useState("");
  const request = useMutation(
    `mutation RequestCover($input: RequestCoverInput!) { requestCover(input: $input) { id } }`,
  );
  const accept = useMutation(
    `mutation AcceptCover($input: AcceptCoverInput!) { acceptCover(input: $input) { id status } }`,
  );
  const cancel = useMutation(`mutation CancelCover($id: ID!) { cancelCover(id: $id) { id status } }`);
  return (
    <Section
      id="covers"
      title="Cover requests"
      description="Ask another member to take your shifts, or take someone else's."
    >
      <ErrorBox error={accept.error ?? cancel.error} title="The action failed" />
      <QueryView
        state={q}
        label="cover requests"
        isEmpty={(d) => d.cluster.coverRequests.length === 0}
        empty="No cover requests."
      >
        {(d) => (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Requested by</th>
                  <th scope="col">From</th>
                  <th scope="col">To</th>
                  <th scope="col">Reason</th>
                  <th scope="col">Status</th>
                  <th scope="col">Covered by</th>
                  <th scope="col">
                    <span className="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {d.cluster.coverRequests.map((c) => (
                  <tr key={c.id}>
                    <td>{memberName(lookup(c.requester.id))}</td>
                    <td>
                      <Time iso={c.startsAt} />
                    </td>
                    <td>
                      <Time iso={c.endsAt} />
                    </td>
                    <td className="small">
                      {c.reason ?? "—"}
                      {c.handoffNote ? <div className="muted">Handoff: {c.handoffNote}</div> : null}
                    </td>
                    <td>
                      <Badge tone={statusTone(c.status)}>{c.status.toLowerCase()}</Badge>
                    </td>
                    <td>{c.coveredBy ? memberName(lookup(c.coveredBy.id)) : "—"}</td>
                    <td className="nowrap">
                      {c.status === "OPEN" && c.requester.id !== me?.id ? (
                        <button
                          type="button"
                          className="btn small primary"
                          disabled={accept.pending}
                          onClick={async () => {
                            if (
                              await accept.mutate({
                                input: { coverRequestId: c.id, ...(handoff ? { handoffNote: handoff } : {}) },
                              })
                            )
                              await q.refetch();
                          }}
                        >
                          Accept
                        </button>
                      ) : null}
                      {c.status === "OPEN" && c.requester.id === me?.id ? (
                        <button
                          type="button"
                          className="btn small danger"
                          disabled={cancel.pending}
                          onClick={async () => {
                            if (await cancel.mutate({ id: c.id })) await q.refetch();
                          }}
                        >
                          Cancel
                        </button>
                      ) : null}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            <label style={{ marginTop: 8, maxWidth: 480 }}>
              Handoff note when accepting (optional)
              <input value={handoff} onChange={(e) => setHandoff(e.target.value)} />
            </label>
          </div>
        )}
      </QueryView>
      <h3>Request cover</h3>
      {me ? (
        <form
          className="form-row"
          onSubmit={async (e) => {
            e.preventDefault();
            const ok = await request.mutate({
              input: {
                clusterId: cluster.id,
                startsAt: new Date(startsAt).toISOString(),
                endsAt: new Date(endsAt).toISOString(),
                ...(reason.trim() ? { reason: reason.trim() } : {}),
              },
            });
            if (ok) {
              setReason("");
              await q.refetch();
            }
          }}
        >
          <label>
            From
            <input
              type="datetime-local"
              required
              value={startsAt}
              onChange={(e) => setStartsAt(e.target.value)}
            />
          </label>
          <label>
            To
            <input
              type="datetime-local"
              required
              value={endsAt}
              onChange={(e) => setEndsAt(e.target.value)}
            />
          </label>
          <label style={{ flex: 1 }}>
            Reason
            <input value={reason} onChange={(e) => setReason(e.target.value)} placeholder="e.g. travelling" />
          </label>
          <button type="submit" className="btn" disabled={request.pending}>
            {request.pending ? "Requesting…" : "Request cover"}
          </button>
        </form>
      ) : (
        <p className="muted small">Only members of the cluster can request cover.</p>
      )}
      <ErrorBox error={request.error} title="Could not request cover" />
    </Section>
  );
}
