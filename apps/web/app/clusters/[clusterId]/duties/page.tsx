"use client";

import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { Suspense, useState } from "react";
import { memberName, useCluster } from "@/components/ClusterContext";
import { type DutyListRow, DutyTable } from "@/components/DutyTable";
import { Pager, QueryView, Section } from "@/components/ui";
import { titleCase } from "@/lib/format";
import { useQuery } from "@/lib/gql";

const DUTIES = `query Duties($id: ID!, $filter: DutyFilter, $first: Int, $after: String) {
  cluster(id: $id) {
    id
    duties(filter: $filter, first: $first, after: $after) {
      edges { cursor node { id slot epoch type outcome failureReason startsAt includedSlot valueGwei
        validator { pubkey index } participations { member { id } contributed missReason } } }
      pageInfo { hasNextPage endCursor }
    }
  }
}`;

const TYPES = [
  "ATTESTER",
  "PROPOSER",
  "RANDAO",
  "AGGREGATOR",
  "SYNC_MESSAGE",
  "SYNC_CONTRIBUTION",
  "BUILDER_REGISTRATION",
];
const OUTCOMES = ["PENDING", "AGGREGATED", "SUBMITTED", "INCLUDED", "FAILED"];

function Duties() {
  const cluster = useCluster();
  const params = useSearchParams();
  const router = useRouter();
  const pathname = usePathname();
  const epoch = params.get("epoch");
  const member = params.get("member");
  const type = params.get("type");
  const outcome = params.get("outcome");
  const contributed = params.get("contributed");
  const [after, setAfter] = useState<string[]>([]);
  const filter = {
    ...(epoch && /^\d+$/.test(epoch) ? { epoch: Number(epoch) } : {}),
    ...(member ? { memberId: member } : {}),
    ...(type ? { type } : {}),
    ...(outcome ? { outcome } : {}),
    ...(member && contributed ? { contributed: contributed === "true" } : {}),
  };
  // A new filter starts again at the first page.
  const filterKey = JSON.stringify(filter);
  const [pagedFor, setPagedFor] = useState(filterKey);
  if (pagedFor !== filterKey) {
    setPagedFor(filterKey);
    setAfter([]);
  }
  const q = useQuery<{
    cluster: {
      duties: {
        edges: { cursor: string; node: DutyListRow }[];
        pageInfo: { hasNextPage: boolean; endCursor: string | null };
      };
    };
  }>(
    DUTIES,
    { id: cluster.id, filter, first: 50, after: after.at(-1) ?? null },
    { liveCluster: cluster.id, liveTypes: ["participation", "poll"] },
  );
  const set = (key: string, value: string) => {
    const next = new URLSearchParams(params.toString());
    if (value) next.set(key, value);
    else next.delete(key);
    router.replace(`${pathname}?${next.toString()}`);
  };
  const members = cluster.members.slice().sort((a, b) => a.shareIndex - b.shareIndex);

  return (
    <Section
      id="duties"
      title={epoch ? `Duties in epoch ${epoch}` : "Duties"}
      description="Every validator duty of the cluster, newest first, with each member's contribution."
    >
      <form
        className="form-row"
        onSubmit={(e) => e.preventDefault()}
        aria-label="Filter duties"
        style={{ marginBottom: 12 }}
      >
        <label>
          Epoch
          <input
            type="number"
            min={0}
            defaultValue={epoch ?? ""}
            key={epoch ?? ""}
            onBlur={(e) => set("epoch", e.target.value)}
            onKeyDown={(e) => {
              if (e.key === "Enter") set("epoch", (e.target as HTMLInputElement).value);
            }}
            placeholder="any"
          />
        </label>
        <label>
          Member
          <select value={member ?? ""} onChange={(e) => set("member", e.target.value)}>
            <option value="">any</option>
            {members.map((m) => (
              <option key={m.id} value={m.id}>
                {m.shareIndex}. {memberName(m)}
              </option>
            ))}
          </select>
        </label>
        {member ? (
          <label>
            Member contributed
            <select value={contributed ?? ""} onChange={(e) => set("contributed", e.target.value)}>
              <option value="">either</option>
              <option value="true">contributed</option>
              <option value="false">missed</option>
            </select>
          </label>
        ) : null}
        <label>
          Type
          <select value={type ?? ""} onChange={(e) => set("type", e.target.value)}>
            <option value="">any</option>
            {TYPES.map((t) => (
              <option key={t} value={t}>
                {titleCase(t)}
              </option>
            ))}
          </select>
        </label>
        <label>
          Outcome
          <select value={outcome ?? ""} onChange={(e) => set("outcome", e.target.value)}>
            <option value="">any</option>
            {OUTCOMES.map((t) => (
              <option key={t} value={t}>
                {titleCase(t)}
              </option>
            ))}
          </select>
        </label>
        {params.toString() ? (
          <button type="button" className="btn small" onClick={() => router.replace(pathname)}>
            Clear filters
          </button>
        ) : null}
      </form>
      <QueryView
        state={q}
        label="duties"
        isEmpty={(d) => d.cluster.duties.edges.length === 0}
        empty="No duties match these filters."
      >
        {(d) => (
          <>
            <DutyTable duties={d.cluster.duties.edges.map((e) => e.node)} />
            <Pager after={after} setAfter={setAfter} pageInfo={d.cluster.duties.pageInfo} />
          </>
        )}
      </QueryView>
    </Section>
  );
}

export default function DutiesPage() {
  return (
    <Suspense>
      <Duties />
    </Suspense>
  );
}
