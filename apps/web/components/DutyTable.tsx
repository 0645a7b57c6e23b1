"use client";

import Link from "next/link";
import { gweiToEth, shortHash, titleCase } from "@/lib/format";
import { memberName, useCluster } from "./ClusterContext";
import { Badge, Time, type Tone } from "./ui";

export interface DutyListRow {
  id: string;
  slot: number;
  epoch: number;
  type: string;
  outcome: string;
  failureReason: string | null;
  startsAt: string;
  includedSlot: number | null;
  valueGwei: string | null;
  validator: { pubkey: string; index: number | null };
  participations: { member: { id: string }; contributed: boolean; missReason: string | null }[];
}

export function outcomeTone(o: string): Tone {
  return o === "FAILED" ? "bad" : o === "INCLUDED" ? "ok" : o === "PENDING" ? "neutral" : "info";
}

export function DutyTable({ duties }: { duties: DutyListRow[] }) {
  const cluster = useCluster();
  const members = cluster.members.slice().sort((a, b) => a.shareIndex - b.shareIndex);
  return (
    <div className="table-wrap">
      <table>
        <thead>
          <tr>
            <th scope="col">Slot</th>
            <th scope="col">Epoch</th>
            <th scope="col">Type</th>
            <th scope="col">Validator</th>
            <th scope="col">Outcome</th>
            {members.map((m) => (
              <th scope="col" key={m.id} title={memberName(m)}>
                M{m.shareIndex}
              </th>
            ))}
            <th scope="col" className="num">
              Value
            </th>
            <th scope="col">Started</th>
          </tr>
        </thead>
        <tbody>
          {duties.map((d) => (
            <tr key={d.id}>
              <td>
                <Link href={`/clusters/${cluster.id}/duties/${d.id}`}>{d.slot}</Link>
              </td>
              <td>{d.epoch}</td>
              <td>{titleCase(d.type)}</td>
              <td>
                <code title={d.validator.pubkey}>
                  {d.validator.index ?? shortHash(d.validator.pubkey, 6)}
                </code>
              </td>
              <td>
                <Badge tone={outcomeTone(d.outcome)} title={d.failureReason ?? undefined}>
                  {d.outcome.toLowerCase()}
                </Badge>
              </td>
              {members.map((m) => {
                const p = d.participations.find((x) => x.member.id === m.id);
                return (
                  <td key={m.id} title={p?.missReason ?? undefined}>
                    {!p ? (
                      <span className="muted">·</span>
                    ) : p.contributed ? (
                      <span className="badge ok" role="img" aria-label={`${memberName(m)} contributed`}>
                        ✓
                      </span>
                    ) : (
                      <span
                        className="badge bad"
                        role="img"
                        aria-label={`${memberName(m)} missed: ${p.missReason ?? "unknown"}`}
                      >
                        ✕
                      </span>
                    )}
                  </td>
                );
              })}
              <td className="num">{gweiToEth(d.valueGwei)}</td>
              <td>
                <Time iso={d.startsAt} relative />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
