import { readFile } from "node:fs/promises";
import {
  ClusterError,
  parseDefinition,
  parseLock,
  type VerifyLockOptions,
  verifyDefinition,
  verifyLock,
} from "@cohort/cluster";

/** Checks `cohort lock verify --skip` can turn off, mapped to the verifier's options. */
export const SKIPPABLE = {
  eip712: "signatures",
  enrs: "enrs",
  "public-shares": "publicShares",
  "signature-aggregate": "signatureAggregate",
  "builder-registrations": "builderRegistrations",
  "node-signatures": "nodeSignatures",
  "deposit-data": "depositData",
} as const satisfies Record<string, keyof VerifyLockOptions>;

export type Skippable = keyof typeof SKIPPABLE;

export function parseSkip(list: string | undefined): Skippable[] {
  if (!list) return [];
  const names = list
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  for (const n of names) {
    if (!(n in SKIPPABLE)) {
      throw new ClusterError(
        "invalid_field",
        "--skip",
        `unknown check "${n}"; skippable: ${Object.keys(SKIPPABLE).join(", ")}`,
      );
    }
  }
  return names as Skippable[];
}

export interface FileVerification {
  kind: "lock" | "definition";
  summary: string;
}

/**
 * Verifies a cluster-lock.json or cluster-definition.json (detected from its content). Resolves to
 * a one-line summary, or rejects with a ClusterError naming the first thing that failed.
 */
export async function verifyClusterFile(
  file: string,
  skip: Skippable[] = [],
  { chainId }: { chainId?: number } = {},
): Promise<FileVerification> {
  const text = await readFile(file, "utf8").catch((cause) => {
    throw new ClusterError("invalid_json", file, `cannot read: ${(cause as Error).message}`);
  });
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch (cause) {
    throw new ClusterError("invalid_json", file, `not JSON: ${(cause as Error).message}`);
  }
  const options: VerifyLockOptions = {
    ...Object.fromEntries(skip.map((s) => [SKIPPABLE[s], false])),
    ...(chainId !== undefined ? { chainId } : {}),
  };
  const skipped = skip.length ? `; skipped: ${skip.join(", ")}` : "";
  if ("cluster_definition" in json || "distributed_validators" in json) {
    const lock = parseLock(json);
    const r = await verifyLock(lock, options);
    const def = lock.definition;
    return {
      kind: "lock",
      summary:
        `ok: cluster-lock ${r.version} "${def.name}" ${def.threshold}-of-${def.operators.length}, ` +
        `${lock.distributedValidators.length} validator(s), lock_hash 0x${Buffer.from(r.lockHash).toString("hex")}; ` +
        `checked ${r.checks.join(", ")}${skipped}`,
    };
  }
  const def = parseDefinition(json);
  const r = await verifyDefinition(def, options);
  return {
    kind: "definition",
    summary:
      `ok: cluster-definition ${r.version} "${def.name}" ${def.threshold}-of-${def.operators.length}, ` +
      `${def.numValidators} validator(s), definition_hash 0x${Buffer.from(r.definitionHash).toString("hex")}; ` +
      `checked ${r.checks.join(", ")}${skipped}`,
  };
}
