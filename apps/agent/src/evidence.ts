/**
 * `cohort evidence verify <bundle.json> --lock <cluster-lock.json>`: checks an offline audit bundle
 * (see `@cohort/evidence` bundle.ts and docs/accountability.md) against a cluster lock that itself
 * verifies, and prints the per-member participation it proves — or the first bad item.
 */
import { readFile } from "node:fs/promises";
import { parseLock, verifyLock } from "@cohort/cluster";
import { type BundleVerification, verifyBundle } from "@cohort/evidence";
import { CliError } from "./cluster/create";

export interface EvidenceVerifyOutput {
  ok: boolean;
  /** Lines for stdout (the table, or the JSON document). */
  out: string[];
  /** Lines for stderr (the failure). */
  err: string[];
  verification: BundleVerification;
}

async function readJson(file: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (cause) {
    throw new CliError(`cannot read the ${what} ${file}: ${(cause as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new CliError(`${file}: the ${what} is not JSON: ${(cause as Error).message}`);
  }
}

const pct = (r: number) => `${(r * 100).toFixed(1)}%`;

/** Verifies the lock (every hash and signature), then the bundle against it. */
export async function verifyEvidenceFile(
  bundleFile: string,
  lockFile: string,
  { chainId, json = false }: { chainId?: number; json?: boolean } = {},
): Promise<EvidenceVerifyOutput> {
  const lock = parseLock((await readJson(lockFile, "cluster lock")) as Record<string, unknown>);
  // The identity keys and public shares the evidence is checked against come from the lock: it
  // must verify first (a ClusterError names the failing field).
  await verifyLock(lock, chainId !== undefined ? { chainId } : {});
  const bundle = await readJson(bundleFile, "evidence bundle");
  const v = verifyBundle(bundle, lock);
  if (!v.ok) {
    const f = v.failure;
    return {
      ok: false,
      out: json ? [JSON.stringify({ ok: false, failure: f })] : [],
      err: [`error: evidence bundle ${bundleFile} does not verify: ${f.message} (${f.code})`],
      verification: v,
    };
  }
  if (json) {
    const { members, result } = v;
    return {
      ok: true,
      out: [
        JSON.stringify({
          ok: true,
          lockHash: v.bundle.lockHash,
          range: v.bundle.range,
          q: result.q,
          members,
          anomalies: result.anomalies,
        }),
      ],
      err: [],
      verification: v,
    };
  }
  const { bundle: b, members, result } = v;
  const rows = [
    ["share", "operator", "expected", "contributed", "rate"],
    ...members.map((m) => [
      String(m.shareIndex),
      m.address || "-",
      String(m.expected),
      String(m.contributed),
      pct(m.rate),
    ]),
  ];
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const out = [
    `ok: evidence for lock ${b.lockHash}, slots ${b.range.fromSlot}–${b.range.toSlot} (${b.duties.length} duties, q = ${b.q}): ` +
      "every epoch root, message, receipt proof, partial and claim checks",
    ...rows.map((r) =>
      r
        .map((cell, c) => cell.padEnd(widths[c]!))
        .join("  ")
        .trimEnd(),
    ),
  ];
  if (result.anomalies.length) {
    out.push(
      `${result.anomalies.length} anomal${result.anomalies.length === 1 ? "y" : "ies"} (not counted as contributions):`,
    );
    for (const a of result.anomalies)
      out.push(
        `  ${a.kind}: member ${a.shareIndex}${a.slot !== null ? ` slot ${a.slot} duty type ${a.dutyType}` : ""}: ${a.detail}`,
      );
  }
  return { ok: true, out, err: [], verification: v };
}

/** `cohort evidence export`: GET the bundle from the portal and write it (never over an existing file). */
export async function exportEvidence(o: {
  portalUrl: string;
  token: string;
  cluster: string;
  from: number;
  to: number;
  out: string;
}): Promise<{ duties: number; members: number; bytes: number }> {
  const url = new URL(`/evidence/v1/clusters/${encodeURIComponent(o.cluster)}/bundle`, o.portalUrl);
  url.searchParams.set("fromSlot", String(o.from));
  url.searchParams.set("toSlot", String(o.to));
  let res: Response;
  try {
    res = await fetch(url, { headers: { authorization: `Bearer ${o.token}` } });
  } catch (e) {
    throw new CliError(`cannot reach the portal at ${o.portalUrl}: ${(e as Error).message}`);
  }
  const text = await res.text();
  if (!res.ok) {
    let message = text;
    try {
      const body = JSON.parse(text) as { message?: string; code?: string };
      message = `${body.code ?? res.status}: ${body.message ?? text}`;
    } catch {}
    throw new CliError(`the portal refused the export (${res.status}): ${message}`);
  }
  const bundle = JSON.parse(text) as { duties?: unknown[]; members?: unknown[] };
  const { writeFile } = await import("node:fs/promises");
  try {
    await writeFile(o.out, text, { flag: "wx" });
  } catch (e) {
    throw new CliError(`cannot write ${o.out}: ${(e as Error).message}`);
  }
  return { duties: bundle.duties?.length ?? 0, members: bundle.members?.length ?? 0, bytes: text.length };
}
