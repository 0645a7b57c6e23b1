import { formatEther, formatGwei } from "viem";

export const shortAddress = (a: string | null | undefined) =>
  a ? (a.length > 14 ? `${a.slice(0, 6)}…${a.slice(-4)}` : a) : "—";

export const shortHash = (h: string | null | undefined, n = 10) =>
  h ? (h.length > n * 2 ? `${h.slice(0, n)}…${h.slice(-6)}` : h) : "—";

export function pct(rate: number | null | undefined, digits = 1) {
  if (rate === null || rate === undefined || Number.isNaN(rate)) return "—";
  return `${(rate * 100).toFixed(digits)}%`;
}

export function ratio(part: number | null | undefined, whole: number | null | undefined) {
  if (part == null || !whole) return null;
  return part / whole;
}

const dateTime = new Intl.DateTimeFormat("en-GB", {
  year: "numeric",
  month: "short",
  day: "2-digit",
  hour: "2-digit",
  minute: "2-digit",
  timeZoneName: "short",
});
const timeOnly = new Intl.DateTimeFormat("en-GB", { hour: "2-digit", minute: "2-digit" });

export function fmtDateTime(iso: string | null | undefined) {
  if (!iso) return "—";
  return dateTime.format(new Date(iso));
}

export function fmtTime(iso: string | null | undefined) {
  if (!iso) return "—";
  return timeOnly.format(new Date(iso));
}

export function fmtAgo(iso: string | null | undefined, now = Date.now()) {
  if (!iso) return "never";
  const s = Math.round((now - Date.parse(iso)) / 1000);
  const future = s < 0;
  const a = Math.abs(s);
  const v =
    a < 60
      ? `${a}s`
      : a < 3600
        ? `${Math.floor(a / 60)}m`
        : a < 86400
          ? `${Math.floor(a / 3600)}h`
          : `${Math.floor(a / 86400)}d`;
  return future ? `in ${v}` : `${v} ago`;
}

/** A decimal wei string as ETH with up to `digits` decimals. */
export function eth(wei: string | null | undefined, digits = 6) {
  if (wei == null || wei === "") return "—";
  try {
    const v = formatEther(BigInt(wei));
    const [i, f = ""] = v.split(".");
    const frac = f.slice(0, digits).replace(/0+$/, "");
    return `${i}${frac ? `.${frac}` : ""} ETH`;
  } catch {
    return wei;
  }
}

/** A decimal gwei string as ETH. */
export function gweiToEth(gwei: string | null | undefined, digits = 6) {
  if (gwei == null || gwei === "") return "—";
  try {
    return eth((BigInt(gwei) * 1_000_000_000n).toString(), digits);
  } catch {
    return gwei;
  }
}

export function gwei(wei: string | null | undefined) {
  if (wei == null) return "—";
  try {
    return `${formatGwei(BigInt(wei))} gwei`;
  } catch {
    return wei;
  }
}

export function ms(n: number | null | undefined) {
  if (n == null) return "—";
  return Math.abs(n) >= 1000 ? `${(n / 1000).toFixed(1)} s` : `${Math.round(n)} ms`;
}

export const titleCase = (s: string) => s.charAt(0) + s.slice(1).toLowerCase().replace(/_/g, " ");
