"use client";

import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";

const COLORS = [
  "#2f5bd3",
  "#1f8a4c",
  "#c2303b",
  "#a15c00",
  "#6b3fb5",
  "#0f8a8a",
  "#b5407a",
  "#5d6675",
  "#7a8a12",
  "#3f7ab5",
];

export interface Series {
  key: string;
  name: string;
}

/** Participation rate (%) per member over time buckets. */
export function ParticipationChart({
  data,
  series,
}: {
  data: Record<string, number | string | null>[];
  series: Series[];
}) {
  return (
    <div
      className="chart"
      role="img"
      aria-label="Participation rate per member over time (line chart); the table below lists the totals"
    >
      <ResponsiveContainer width="100%" height="100%">
        <LineChart data={data} margin={{ top: 8, right: 16, bottom: 0, left: -8 }}>
          <CartesianGrid stroke="#eceef2" vertical={false} />
          <XAxis
            dataKey="label"
            tick={{ fontSize: 11, fill: "#5d6675" }}
            tickLine={false}
            axisLine={{ stroke: "#e2e5ea" }}
            minTickGap={20}
          />
          <YAxis
            domain={[0, 100]}
            tick={{ fontSize: 11, fill: "#5d6675" }}
            tickLine={false}
            axisLine={false}
            unit="%"
            width={48}
          />
          <Tooltip
            formatter={(v) => (typeof v === "number" ? `${v.toFixed(1)}%` : "no duties")}
            contentStyle={{ fontSize: 12, borderRadius: 6, borderColor: "#e2e5ea" }}
          />
          <Legend wrapperStyle={{ fontSize: 12 }} />
          {series.map((s, i) => (
            <Line
              key={s.key}
              type="monotone"
              dataKey={s.key}
              name={s.name}
              stroke={COLORS[i % COLORS.length]}
              strokeWidth={2}
              dot={false}
              connectNulls
              isAnimationActive={false}
            />
          ))}
        </LineChart>
      </ResponsiveContainer>
    </div>
  );
}
