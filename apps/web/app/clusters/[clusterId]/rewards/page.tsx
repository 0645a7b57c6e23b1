"use client";

import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { Suspense, useState } from "react";
import { useDevIdentities } from "@/components/AppShell";
import { memberName, useCluster } from "@/components/ClusterContext";
import { Explanation, type ExplanationJson } from "@/components/Explanation";
import {
  Address,
  Badge,
  CopyButton,
  ErrorBox,
  QueryView,
  Section,
  Stat,
  statusTone,
  Time,
} from "@/components/ui";
import { currentSigner } from "@/lib/currentSigner";
import { eth, fmtAgo, pct, shortHash } from "@/lib/format";
import { ApiError, useMutation, useQuery } from "@/lib/gql";
import { useSession } from "@/lib/session";
import type { TypedDataJson } from "@/lib/signer";

const LIST = `query Settlements($id: ID!) {
  cluster(id: $id) { id nextSettlementAt settlements(first: 12) { id index status startEpoch endEpoch startsAt endsAt allocatedWei } }
}`;
const PERIOD = `query Settlement($id: ID!, $periodId: ID!) {
  cluster(id: $id) {
    id
    settlement(id: $periodId) {
      id index status startEpoch endEpoch startsAt endsAt amountWei distributableWei allocatedWei carriedOutWei penaltiesWei
      inputsHash digest typedData threshold chainId splitterAddress txHash blockNumber confirmations submittedAt confirmedAt error createdAt
      approvals { id member { id } signer signedAt }
      disputes { id member { id } note createdAt resolvedAt }
      allocations { id member { id } recipient amountWei baseWeight expectedDuties contributedDuties penaltyWei carriedWei explanation }
    }
  }
}`;
const HISTORY = `query AllocationHistory($id: ID!) {
  cluster(id: $id) { id members { id allocations(first: 12) { id amountWei penaltyWei expectedDuties contributedDuties period { id index status endsAt } } } }
}`;

interface PeriodSummary {
  id: string;
  index: number;
  status: string;
  startEpoch: number;
  endEpoch: number;
  startsAt: string | null;
  endsAt: string | null;
  allocatedWei: string;
}
interface Period extends PeriodSummary {
  amountWei: string;
  distributableWei: string;
  carriedOutWei: string;
  penaltiesWei: string;
  inputsHash: string | null;
  digest: string | null;
  typedData: TypedDataJson | null;
  threshold: number;
  chainId: number | null;
  splitterAddress: string | null;
  txHash: string | null;
  blockNumber: string | null;
  confirmations: number;
  submittedAt: string | null;
  confirmedAt: string | null;
  error: string | null;
  createdAt: string;
  approvals: { id: string; member: { id: string }; signer: string; signedAt: string }[];
  disputes: {
    id: string;
    member: { id: string };
    note: string;
    createdAt: string;
    resolvedAt: string | null;
  }[];
  allocations: {
    id: string;
    member: { id: string };
    recipient: string;
    amountWei: string;
    baseWeight: number;
    expectedDuties: number;
    contributedDuties: number;
    penaltyWei: string;
    carriedWei: string;
    explanation: ExplanationJson | null;
  }[];
}

function Rewards() {
  const cluster = useCluster();
  const params = useSearchParams();
  const router = useRouter();
  const pathname = usePathname();
  const list = useQuery<{ cluster: { nextSettlementAt: string | null; settlements: PeriodSummary[] } }>(
    LIST,
    { id: cluster.id },
    { liveCluster: cluster.id, liveTypes: ["settlement", "poll"] },
  );
  const periods = list.data?.cluster.settlements ?? [];
  const selected = params.get("period") ?? periods[0]?.id ?? null;
  return (
    <>
      <Section
        id="periods"
        title="Settlements"
        description="Each period's rewards are split by measured participation and paid by the splitter contract once a threshold of members approve."
        actions={
          list.data?.cluster.nextSettlementAt ? (
            <span className="muted small">
              Next period ends <Time iso={list.data.cluster.nextSettlementAt} relative />
            </span>
          ) : null
        }
      >
        <QueryView
          state={list}
          label="settlements"
          isEmpty={(d) => d.cluster.settlements.length === 0}
          empty="No settlement period has been drafted yet. The first draft appears when the current period ends."
        >
          {(d) => (
            <div className="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Period</th>
                    <th scope="col">Epochs</th>
                    <th scope="col">Ended</th>
                    <th scope="col">Status</th>
                    <th scope="col" className="num">
                      Allocated
                    </th>
                    <th scope="col">
                      <span className="sr-only">Select</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {d.cluster.settlements.map((p) => (
                    <tr
                      key={p.id}
                      aria-current={p.id === selected ? "true" : undefined}
                      style={p.id === selected ? { background: "var(--accent-weak)" } : undefined}
                    >
                      <td>#{p.index}</td>
                      <td>
                        {p.startEpoch}–{p.endEpoch - 1}
                      </td>
                      <td>
                        <Time iso={p.endsAt} />
                      </td>
                      <td>
                        <Badge tone={statusTone(p.status)}>{p.status.toLowerCase()}</Badge>
                      </td>
                      <td className="num">{eth(p.allocatedWei)}</td>
                      <td className="right">
                        {p.id === selected ? (
                          <span className="muted small">shown below</span>
                        ) : (
                          <button
                            type="button"
                            className="btn small"
                            onClick={() => router.replace(`${pathname}?period=${p.id}`)}
                          >
                            View #{p.index}
                          </button>
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </QueryView>
      </Section>
      {selected ? <PeriodView periodId={selected} onChange={list.refetch} /> : null}
      <History />
    </>
  );
}

function PeriodView({ periodId, onChange }: { periodId: string; onChange: () => Promise<void> }) {
  const cluster = useCluster();
  const q = useQuery<{ cluster: { settlement: Period } }>(
    PERIOD,
    { id: cluster.id, periodId },
    { liveCluster: cluster.id, liveTypes: ["settlement", "poll"] },
  );
  const refetch = async () => {
    await Promise.all([q.refetch(), onChange()]);
  };
  return (
    <QueryView state={q} label="the settlement">
      {({ cluster: { settlement: p } }) => (
        <>
          <Section
            id="period"
            title={`Period #${p.index}`}
            description={
              <>
                Epochs {p.startEpoch}–{p.endEpoch - 1} · <Time iso={p.startsAt} /> → <Time iso={p.endsAt} />
              </>
            }
            actions={<Badge tone={statusTone(p.status)}>{p.status.toLowerCase()}</Badge>}
          >
            <div className="stats">
              <Stat label="Received" value={eth(p.amountWei, 4)} hint="paid into the splitter" />
              <Stat label="Distributable" value={eth(p.distributableWei, 4)} />
              <Stat label="Allocated" value={eth(p.allocatedWei, 4)} />
              <Stat label="Penalties" value={eth(p.penaltiesWei, 4)} />
              <Stat label="Carried out" value={eth(p.carriedOutWei, 4)} hint="to the next period" />
              <Stat
                label="Approvals"
                value={`${p.approvals.length} of ${p.threshold}`}
                tone={p.approvals.length >= p.threshold ? "ok" : undefined}
                hint={
                  <span className="progress" aria-hidden="true" style={{ display: "block", marginTop: 4 }}>
                    <span
                      style={{
                        width: `${Math.min(100, (100 * p.approvals.length) / Math.max(1, p.threshold))}%`,
                      }}
                    />
                  </span>
                }
              />
            </div>
          </Section>
          <div className="grid two">
            <ApprovalPanel period={p} refetch={refetch} />
            <OnChain period={p} refetch={refetch} />
          </div>
          <Allocations period={p} />
        </>
      )}
    </QueryView>
  );
}

function ApprovalPanel({ period: p, refetch }: { period: Period; refetch: () => Promise<void> }) {
  const cluster = useCluster();
  const session = useSession();
  const identities = useDevIdentities();
  const lookup = (id: string) => cluster.members.find((m) => m.id === id);
  const me = cluster.members.find((m) => m.operator.address.toLowerCase() === session?.address.toLowerCase());
  const approved = !!me && p.approvals.some((a) => a.member.id === me.id);
  const disputed = !!me && p.disputes.some((d) => d.member.id === me.id && !d.resolvedAt);
  const open = p.status === "DRAFT" || p.status === "DISPUTED";
  const approve = useMutation(
    `mutation Approve($input: ApproveSettlementInput!) { approveSettlement(input: $input) { id status } }`,
  );
  const dispute = useMutation(
    `mutation Dispute($input: DisputeSettlementInput!) { disputeSettlement(input: $input) { id status } }`,
  );
  const [signError, setSignError] = useState<Error>();
  const [signing, setSigning] = useState(false);
  const [note, setNote] = useState("");
  const [done, setDone] = useState<string | null>(null);

  async function onApprove() {
    setSignError(undefined);
    setDone(null);
    if (!session || !p.typedData) return;
    let signature: string;
    setSigning(true);
    try {
      const signer = await currentSigner(session, identities);
      signature = await signer.signTypedData(p.typedData);
    } catch (e) {
      setSignError(e as Error);
      return;
    } finally {
      setSigning(false);
    }
    if (await approve.mutate({ input: { periodId: p.id, signature } })) {
      setDone("Approved: your signature was recorded.");
      await refetch();
    }
  }

  return (
    <Section
      id="approvals"
      title="Approvals and disputes"
      description={`${p.threshold} member signatures over the EIP-712 settlement move the funds.`}
    >
      <ul className="identity-list" aria-label="Approvals collected">
        {p.approvals.length === 0 ? <li className="muted">No approvals yet.</li> : null}
        {p.approvals.map((a) => (
          <li key={a.id} className="spread">
            <span>
              <Badge tone="ok">approved</Badge> {memberName(lookup(a.member.id))}{" "}
              <Address address={a.signer} />
            </span>
            <Time iso={a.signedAt} relative />
          </li>
        ))}
      </ul>
      {p.disputes.length ? (
        <>
          <h3>Disputes</h3>
          <ul className="identity-list" aria-label="Disputes">
            {p.disputes.map((d) => (
              <li key={d.id}>
                <div className="spread">
                  <span>
                    <Badge tone={d.resolvedAt ? "neutral" : "bad"}>
                      {d.resolvedAt ? "resolved" : "disputed"}
                    </Badge>{" "}
                    {memberName(lookup(d.member.id))}
                  </span>
                  <Time iso={d.createdAt} relative />
                </div>
                <p className="small" style={{ margin: "4px 0 0" }}>
                  {d.note}
                </p>
              </li>
            ))}
          </ul>
        </>
      ) : null}
      <h3>Your decision</h3>
      <ErrorBox error={signError} title="Could not sign" />
      <ErrorBox error={approve.error} title="Approval failed" />
      <ErrorBox error={dispute.error} title="Dispute failed" />
      {done ? (
        <p className="success" role="status">
          {done}
        </p>
      ) : null}
      {!open ? (
        <p className="muted small">This settlement is {p.status.toLowerCase()}: approvals are closed.</p>
      ) : !me ? (
        <p className="muted small">Only the cluster's members approve or dispute settlements.</p>
      ) : approved ? (
        <p className="muted small">You approved this settlement.</p>
      ) : (
        <>
          <div className="row">
            <button
              type="button"
              className="btn primary"
              onClick={onApprove}
              disabled={signing || approve.pending || !p.typedData}
            >
              {signing ? "Signing…" : approve.pending ? "Submitting…" : `Approve period #${p.index}`}
            </button>
            <span className="muted small">
              Signs the settlement's EIP-712 typed data{" "}
              {p.digest ? <code title={p.digest}>{shortHash(p.digest, 8)}</code> : null}
            </span>
          </div>
          <form
            style={{ marginTop: 12 }}
            onSubmit={async (e) => {
              e.preventDefault();
              setDone(null);
              if (await dispute.mutate({ input: { periodId: p.id, note: note.trim() } })) {
                setNote("");
                setDone("Dispute recorded.");
                await refetch();
              }
            }}
          >
            <label>
              Dispute note
              <textarea
                value={note}
                onChange={(e) => setNote(e.target.value)}
                placeholder="What is wrong with this draft?"
                maxLength={2000}
              />
            </label>
            <div className="row" style={{ marginTop: 6 }}>
              <button type="submit" className="btn danger" disabled={dispute.pending || !note.trim()}>
                {dispute.pending ? "Disputing…" : disputed ? "Add another dispute" : "Dispute"}
              </button>
            </div>
          </form>
        </>
      )}
    </Section>
  );
}

function OnChain({ period: p, refetch }: { period: Period; refetch: () => Promise<void> }) {
  const retry = useMutation(
    `mutation Retry($periodId: ID!) { retrySettlementSubmission(periodId: $periodId) { id status } }`,
  );
  const tone =
    p.status === "CONFIRMED"
      ? "ok"
      : p.status === "FAILED"
        ? "bad"
        : p.status === "SUBMITTED"
          ? "warn"
          : "neutral";
  return (
    <Section
      id="onchain"
      title="On-chain"
      actions={
        <Badge tone={tone}>
          {p.status === "CONFIRMED" ? "confirmed" : p.txHash ? p.status.toLowerCase() : "not submitted"}
        </Badge>
      }
    >
      <dl className="kv">
        <dt>Splitter</dt>
        <dd>
          <code>{p.splitterAddress ?? "—"}</code>
        </dd>
        <dt>Chain id</dt>
        <dd>{p.chainId ?? "—"}</dd>
        <dt>Transaction</dt>
        <dd>
          {p.txHash ? (
            <span className="row">
              <code data-testid="tx-hash">{p.txHash}</code> <CopyButton text={p.txHash} />
            </span>
          ) : (
            <span className="muted">submitted once {p.threshold} members approve</span>
          )}
        </dd>
        <dt>Block</dt>
        <dd>
          {p.blockNumber ?? "—"}
          {p.blockNumber ? ` · ${p.confirmations} confirmation${p.confirmations === 1 ? "" : "s"}` : ""}
        </dd>
        <dt>Submitted</dt>
        <dd>
          <Time iso={p.submittedAt} />
        </dd>
        <dt>Confirmed</dt>
        <dd>
          <Time iso={p.confirmedAt} />
        </dd>
        <dt>Inputs hash</dt>
        <dd>
          <code>{p.inputsHash ?? "—"}</code>
        </dd>
        <dt>EIP-712 digest</dt>
        <dd>
          <code>{p.digest ?? "—"}</code>
        </dd>
        <dt>Drafted</dt>
        <dd>{fmtAgo(p.createdAt)}</dd>
      </dl>
      {p.error ? (
        <ErrorBox error={new ApiError(p.error, "SUBMISSION_FAILED")} title="Last submission failed" />
      ) : null}
      {p.status === "FAILED" || p.status === "APPROVED" ? (
        <div className="row" style={{ marginTop: 8 }}>
          <button
            type="button"
            className="btn small"
            disabled={retry.pending}
            onClick={async () => {
              if (await retry.mutate({ periodId: p.id })) await refetch();
            }}
          >
            Retry submission
          </button>
        </div>
      ) : null}
      <ErrorBox error={retry.error} title="Retry failed" />
    </Section>
  );
}

function Allocations({ period: p }: { period: Period }) {
  const cluster = useCluster();
  const lookup = (id: string) => cluster.members.find((m) => m.id === id);
  const sorted = p.allocations
    .slice()
    .sort((a, b) => (lookup(a.member.id)?.shareIndex ?? 0) - (lookup(b.member.id)?.shareIndex ?? 0));
  return (
    <Section
      id="allocations"
      title="Allocations"
      description="Each member's amount and how it was derived from base weight, participation and penalties."
    >
      {sorted.length === 0 ? (
        <p className="empty">No allocations in this period.</p>
      ) : (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Member</th>
                <th scope="col">Recipient</th>
                <th scope="col" className="num">
                  Base weight
                </th>
                <th scope="col" className="num">
                  Participation
                </th>
                <th scope="col" className="num">
                  Penalty
                </th>
                <th scope="col" className="num">
                  Carried
                </th>
                <th scope="col" className="num">
                  Amount
                </th>
                <th scope="col">Derivation</th>
              </tr>
            </thead>
            <tbody>
              {sorted.map((a) => (
                <tr key={a.id}>
                  <td>
                    {lookup(a.member.id)?.shareIndex}. {memberName(lookup(a.member.id))}
                  </td>
                  <td>
                    <Address address={a.recipient} />
                  </td>
                  <td className="num">{a.baseWeight}</td>
                  <td className="num">
                    {a.contributedDuties}/{a.expectedDuties}
                    <div className="muted small">
                      {pct(a.expectedDuties ? a.contributedDuties / a.expectedDuties : null)}
                    </div>
                  </td>
                  <td className="num">{a.penaltyWei === "0" ? "—" : `− ${eth(a.penaltyWei, 9)}`}</td>
                  <td className="num">{a.carriedWei === "0" ? "—" : eth(a.carriedWei, 9)}</td>
                  <td className="num">
                    <strong>{eth(a.amountWei, 9)}</strong>
                  </td>
                  <td style={{ minWidth: 320 }}>
                    <details>
                      <summary>{a.explanation?.summary ? "How" : "Steps"}</summary>
                      <Explanation explanation={a.explanation} />
                    </details>
                    {a.explanation?.summary ? (
                      <div className="small muted">{a.explanation.summary}</div>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Section>
  );
}

function History() {
  const cluster = useCluster();
  const q = useQuery<{
    cluster: {
      members: {
        id: string;
        allocations: {
          id: string;
          amountWei: string;
          penaltyWei: string;
          expectedDuties: number;
          contributedDuties: number;
          period: { id: string; index: number; status: string; endsAt: string | null };
        }[];
      }[];
    };
  }>(HISTORY, { id: cluster.id }, { liveCluster: cluster.id, liveTypes: ["settlement"] });
  const members = cluster.members.slice().sort((a, b) => a.shareIndex - b.shareIndex);
  return (
    <Section
      id="history"
      title="Member history"
      description="Each member's allocation per period, newest first."
    >
      <QueryView
        state={q}
        label="allocation history"
        isEmpty={(d) => d.cluster.members.every((m) => m.allocations.length === 0)}
        empty="No allocations yet."
      >
        {(d) => {
          const periods = new Map<string, { index: number; status: string; endsAt: string | null }>();
          for (const m of d.cluster.members)
            for (const a of m.allocations) periods.set(a.period.id, a.period);
          const rows = [...periods.entries()].sort((a, b) => b[1].index - a[1].index);
          const cell = (memberId: string, periodId: string) =>
            d.cluster.members
              .find((m) => m.id === memberId)
              ?.allocations.find((a) => a.period.id === periodId);
          return (
            <div className="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Period</th>
                    <th scope="col">Status</th>
                    {members.map((m) => (
                      <th scope="col" className="num" key={m.id}>
                        {m.shareIndex}. {memberName(m)}
                      </th>
                    ))}
                  </tr>
                </thead>
                <tbody>
                  {rows.map(([pid, p]) => (
                    <tr key={pid}>
                      <td>#{p.index}</td>
                      <td>
                        <Badge tone={statusTone(p.status)}>{p.status.toLowerCase()}</Badge>
                      </td>
                      {members.map((m) => {
                        const a = cell(m.id, pid);
                        return (
                          <td className="num" key={m.id}>
                            {a ? eth(a.amountWei, 6) : "—"}
                            {a && a.penaltyWei !== "0" ? (
                              <div className="small" style={{ color: "var(--bad)" }}>
                                − {eth(a.penaltyWei, 6)}
                              </div>
                            ) : null}
                          </td>
                        );
                      })}
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          );
        }}
      </QueryView>
    </Section>
  );
}

export default function RewardsPage() {
  return (
    <Suspense>
      <Rewards />
    </Suspense>
  );
}
