"use client";

import Link from "next/link";
import { memberName, useCluster } from "./ClusterContext";

export interface HeatCell {
  memberId: string;
  shareIndex: number;
  epoch: number;
  expected: number;
  contributed: number;
}

/** Members × epochs; each cell coloured by contributed/expected and linking to that epoch's duties. */
export function Heatmap({ cells }: { cells: HeatCell[] }) {
  const cluster = useCluster();
  const epochs = [...new Set(cells.map((c) => c.epoch))].sort((a, b) => a - b);
  const byKey = new Map(cells.map((c) => [`${c.memberId}/${c.epoch}`, c]));
  const members = cluster.members.slice().sort((a, b) => a.shareIndex - b.shareIndex);
  const step = Math.max(1, Math.ceil(epochs.length / 8));
  return (
    <>
      <div
        className="heatmap"
        style={{ gridTemplateColumns: `max-content repeat(${epochs.length}, minmax(8px, 1fr))` }}
      >
        {members.map((m) => (
          <div key={m.id} style={{ display: "contents" }}>
            <span className="hm-label">
              {m.shareIndex}. {memberName(m)}
            </span>
            {epochs.map((e) => {
              const c = byKey.get(`${m.id}/${e}`);
              const cls =
                !c || c.expected === 0
                  ? ""
                  : c.contributed >= c.expected
                    ? "hit"
                    : c.contributed === 0
                      ? "miss"
                      : "partial";
              const label = c
                ? `${memberName(m)}, epoch ${e}: contributed ${c.contributed} of ${c.expected} duties`
                : `${memberName(m)}, epoch ${e}: no data`;
              return (
                <span key={e} style={{ display: "contents" }}>
                  <Link
                    className={`hm-cell ${cls}`}
                    href={`/clusters/${cluster.id}/duties?epoch=${e}&member=${m.id}`}
                    title={label}
                    aria-label={label}
                  />
                </span>
              );
            })}
          </div>
        ))}
        <div style={{ display: "contents" }} aria-hidden="true">
          <span className="hm-label">epoch</span>
          {epochs.map((e, i) => (
            <span key={e} className="hm-epoch">
              {i % step === 0 ? e : ""}
            </span>
          ))}
        </div>
      </div>
      <div className="legend" aria-hidden="true">
        <span>
          <i style={{ background: "var(--hit)" }} />
          contributed
        </span>
        <span>
          <i style={{ background: "#e4c168" }} />
          partly
        </span>
        <span>
          <i style={{ background: "var(--miss)" }} />
          missed
        </span>
        <span>
          <i style={{ background: "var(--none)" }} />
          no duties
        </span>
      </div>
    </>
  );
}
