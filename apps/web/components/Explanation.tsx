import { eth, gweiToEth, pct } from "@/lib/format";

type Step = { step: string; [k: string]: unknown };
export interface ExplanationJson {
  summary?: string;
  steps?: Step[];
}

const n = (v: unknown) => (typeof v === "number" ? v : typeof v === "string" && v !== "" ? Number(v) : null);
const s = (v: unknown) => (v === null || v === undefined ? "—" : String(v));
const fmtNum = (v: unknown, digits = 4) => {
  const x = n(v);
  return x === null || Number.isNaN(x) ? s(v) : Number.isInteger(x) ? String(x) : x.toFixed(digits);
};

function describeStep(step: Step): { name: string; detail: string; amount: string | null } {
  switch (step.step) {
    case "weight": {
      const expected = n(step.expected);
      const contributed = n(step.contributed);
      const rate = expected ? (contributed ?? 0) / expected : null;
      return {
        name: "Weight",
        detail: `base weight ${fmtNum(step.baseWeight)} × participation ${s(step.contributed)}/${s(step.expected)} (${pct(rate)}) = weight ${fmtNum(step.weight)}; share of the period ${pct(n(step.share), 2)}${step.idle ? " · idle (no duties expected)" : ""}`,
        amount: null,
      };
    }
    case "gross":
      return { name: "Gross", detail: "share × distributable amount", amount: eth(s(step.wei), 9) };
    case "penalty": {
      const parts = [
        `${s(step.failedDutiesMissed)} failed dut${n(step.failedDutiesMissed) === 1 ? "y" : "ies"} missed`,
        `liability ${gweiToEth(s(step.liabilityGwei), 9)}`,
        `this period's charge ${eth(s(step.periodChargeWei), 9)}`,
      ];
      if (n(step.debtInWei)) parts.push(`debt carried in ${eth(s(step.debtInWei), 9)}`);
      parts.push(`owed ${eth(s(step.owedWei), 9)}`);
      if (step.capped) parts.push("capped at the member's earnings");
      if (step.uncovered || n(step.uncoveredWei))
        parts.push(`uncovered ${eth(s(step.uncoveredWei), 9)} (carried)`);
      return { name: "Penalty", detail: parts.join(" · "), amount: `− ${eth(s(step.chargedWei), 9)}` };
    }
    case "compensation":
      return {
        name: "Compensation",
        detail: "share of penalties paid by members who missed",
        amount: `+ ${eth(s(step.wei), 9)}`,
      };
    case "rounding":
      return { name: "Rounding", detail: "integer-division remainder", amount: eth(s(step.wei), 9) };
    case "net":
      return { name: "Net", detail: "allocated to the member", amount: eth(s(step.wei), 9) };
    default: {
      const { step: name, ...rest } = step;
      return {
        name: String(name),
        detail: Object.entries(rest)
          .map(([k, v]) => `${k} ${typeof v === "object" ? JSON.stringify(v) : String(v)}`)
          .join(" · "),
        amount: null,
      };
    }
  }
}

/** An allocation's derivation: the summary and each step (weight → gross → penalty → … → net). */
export function Explanation({ explanation }: { explanation: ExplanationJson | null }) {
  if (!explanation) return <p className="muted small">No explanation recorded.</p>;
  return (
    <div>
      {explanation.summary ? <p className="small">{explanation.summary}</p> : null}
      <ol className="steps" aria-label="How the allocation was derived">
        {(explanation.steps ?? []).map((step, i) => {
          const d = describeStep(step);
          return (
            // biome-ignore lint/suspicious/noArrayIndexKey: the steps are a fixed, ordered list
            <li key={`${step.step}-${i}`}>
              <span className="s-name">{d.name}</span>
              <span>{d.detail}</span>
              <span className="s-amt">{d.amount ?? ""}</span>
            </li>
          );
        })}
      </ol>
    </div>
  );
}
