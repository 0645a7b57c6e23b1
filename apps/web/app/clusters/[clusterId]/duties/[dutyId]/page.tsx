"use client";

import Link from "next/link";
import { useParams } from "next/navigation";
import { memberName, useCluster } from "@/components/ClusterContext";
import { outcomeTone } from "@/components/DutyTable";
import { Badge, QueryView, Section, severityTone, statusTone, Time } from "@/components/ui";
import { gweiToEth, titleCase } from "@/lib/format";
import { useQuery } from "@/lib/gql";

const DUTY = `query Duty($id: ID!, $dutyId: ID!) {
  cluster(id: $id) {
    id
    duty(id: $dutyId) {
      id slot epoch type outcome failureReason startsAt deadlineAt includedSlot valueGwei
      validator { pubkey index }
      participations { member { id shareIndex } contributed missReason receivedAt onTimeReceipts }
      incidents { id number title status severity }
    }
  }
}`;

interface Duty {
  id: string;
  slot: number;
  epoch: number;
  type: string;
  outcome: string;
  failureReason: string | null;
  startsAt: string;
  deadlineAt: string;
  includedSlot: number | null;
  valueGwei: string | null;
  validator: { pubkey: string; index: number | null };
  participations: {
    member: { id: string; shareIndex: number };
    contributed: boolean;
    missReason: string | null;
    receivedAt: string | null;
    onTimeReceipts: number;
  }[];
  incidents: { id: string; number: number; title: string; status: string; severity: string }[];
}

const REASONS: Record<string, string> = {
  NO_MESSAGE: "no signed message",
  LATE: "received by too few members before the deadline",
  INVALID_PARTIAL: "partial signature does not verify",
  CONFLICTING: "two conflicting messages",
};

export default function DutyPage() {
  const cluster = useCluster();
  const { dutyId } = useParams<{ dutyId: string }>();
  const q = useQuery<{ cluster: { duty: Duty } }>(
    DUTY,
    { id: cluster.id, dutyId },
    { liveCluster: cluster.id, liveTypes: ["participation"] },
  );
  const lookup = (id: string) => cluster.members.find((m) => m.id === id);
  return (
    <QueryView state={q} label="the duty">
      {({ cluster: { duty: d } }) => (
        <>
          <p className="crumbs">
            <Link href={`/clusters/${cluster.id}/duties?epoch=${d.epoch}`}>Duties in epoch {d.epoch}</Link> /
          </p>
          <Section
            id="duty"
            title={`${titleCase(d.type)} duty at slot ${d.slot}`}
            actions={<Badge tone={outcomeTone(d.outcome)}>{d.outcome.toLowerCase()}</Badge>}
          >
            <dl className="kv">
              <dt>Validator</dt>
              <dd>
                {d.validator.index !== null ? `#${d.validator.index} ` : ""}
                <code>{d.validator.pubkey}</code>
              </dd>
              <dt>Epoch / slot</dt>
              <dd>
                {d.epoch} / {d.slot}
              </dd>
              <dt>Started</dt>
              <dd>
                <Time iso={d.startsAt} />
              </dd>
              <dt>Deadline</dt>
              <dd>
                <Time iso={d.deadlineAt} />
              </dd>
              <dt>Included at slot</dt>
              <dd>{d.includedSlot ?? "—"}</dd>
              <dt>Value</dt>
              <dd>{gweiToEth(d.valueGwei, 9)}</dd>
              {d.failureReason ? (
                <>
                  <dt>Failure reason</dt>
                  <dd>{d.failureReason}</dd>
                </>
              ) : null}
            </dl>
          </Section>
          <Section
            id="participations"
            title="Participation"
            description="Each member's identity-signed contribution and how many other members received it in time."
          >
            {d.participations.length === 0 ? (
              <p className="empty">Not reconciled yet.</p>
            ) : (
              <table>
                <thead>
                  <tr>
                    <th scope="col">Member</th>
                    <th scope="col">Contributed</th>
                    <th scope="col">Why not</th>
                    <th scope="col">First received</th>
                    <th scope="col" className="num">
                      On-time receipts
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {d.participations.map((p) => (
                    <tr key={p.member.id}>
                      <td>
                        {p.member.shareIndex}. {memberName(lookup(p.member.id))}
                      </td>
                      <td>{p.contributed ? <Badge tone="ok">yes</Badge> : <Badge tone="bad">no</Badge>}</td>
                      <td>{p.missReason ? (REASONS[p.missReason] ?? p.missReason) : "—"}</td>
                      <td>
                        <Time iso={p.receivedAt} />
                      </td>
                      <td className="num">{p.onTimeReceipts}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </Section>
          <Section id="duty-incidents" title="Incidents">
            {d.incidents.length === 0 ? (
              <p className="empty">No incident covers this duty.</p>
            ) : (
              <ul>
                {d.incidents.map((i) => (
                  <li key={i.id}>
                    <Link href={`/clusters/${cluster.id}/incidents/${i.id}`}>
                      #{i.number} {i.title}
                    </Link>{" "}
                    <Badge tone={severityTone(i.severity)}>{i.severity.toLowerCase()}</Badge>{" "}
                    <Badge tone={statusTone(i.status)}>{i.status.toLowerCase()}</Badge>
                  </li>
                ))}
              </ul>
            )}
          </Section>
        </>
      )}
    </QueryView>
  );
}
