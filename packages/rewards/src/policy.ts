import { z } from "zod";
import { RewardsError } from "./errors";
import { DUTY_TYPES } from "./types";

/** A non-negative integer given as a JSON number (safe integer) or a decimal string (for big values). */
const gweiAmount = z
  .union([z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER), z.string().regex(/^(0|[1-9][0-9]*)$/)])
  .transform((v) => BigInt(v));

/**
 * `Cluster.settlementPolicy` (JSON). Every field is optional; missing fields take the defaults
 * documented in docs/rewards.md. Unknown keys are refused (a typo must not silently fall back).
 */
export const settlementPolicySchema = z.strictObject({
  /**
   * What happens to the part of a member's penalty its period earnings could not cover:
   * `carry` — recorded as that member's debt and charged first next period (default);
   * `socialise` — written off: the loss stays shared by every member by weight (it is already in the
   * smaller amount received).
   */
  uncovered: z.enum(["carry", "socialise"]).default("carry"),
  /** Weight of a member with no expected duty: `zero` (default) or its `base` weight. */
  idleWeight: z.enum(["zero", "base"]).default("zero"),
  /** Charge the cost of failed duties to the members who missed them (default true). */
  chargeFailedDuties: z.boolean().default(true),
  /** Cost (gwei) of a failed duty whose value is unknown, per duty type (default 0: not charged). */
  failedDutyValueGwei: z
    .strictObject(
      Object.fromEntries(DUTY_TYPES.map((t) => [t, gweiAmount.optional()])) as {
        [K in (typeof DUTY_TYPES)[number]]: z.ZodOptional<typeof gweiAmount>;
      },
    )
    .default({}),
});

export type SettlementPolicy = z.output<typeof settlementPolicySchema>;
export type SettlementPolicyInput = z.input<typeof settlementPolicySchema>;

export const DEFAULT_POLICY: SettlementPolicy = settlementPolicySchema.parse({});

/**
 * Validates a cluster's `settlementPolicy` JSON (null/undefined → defaults). Throws a `RewardsError`
 * (`ERR_INVALID_POLICY`) naming every bad or unknown field, e.g.
 * `settlement policy: unknown field "uncoverd"`.
 */
export function parseSettlementPolicy(json: unknown): SettlementPolicy {
  const result = settlementPolicySchema.safeParse(json ?? {});
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const at = issue.path.map(String).join(".");
    if (issue.code === "unrecognized_keys") {
      const names = issue.keys.map((k) => `"${at ? `${at}.` : ""}${k}"`).join(", ");
      return `unknown field${issue.keys.length > 1 ? "s" : ""} ${names}`;
    }
    return at ? `field "${at}": ${issue.message}` : issue.message;
  });
  throw new RewardsError("ERR_INVALID_POLICY", `settlement policy: ${problems.join("; ")}`);
}
