import { z } from "zod";
import { U64_MAX } from "./codec.ts";
import { SlashingProtectionError } from "./errors.ts";

const u64String = z
  .string()
  .regex(/^\d+$/, "must be a decimal integer string")
  .refine((s) => !/^\d+$/.test(s) || BigInt(s) <= U64_MAX, "must fit in u64");
const hexBytes = (n: number) =>
  z.string().regex(new RegExp(`^0x[0-9a-fA-F]{${n * 2}}$`), `must be 0x-prefixed hex of ${n} bytes`);

export const interchangeSchema = z.object({
  metadata: z.object({
    interchange_format_version: z.literal("5", { error: 'must be "5"' }),
    genesis_validators_root: hexBytes(32),
  }),
  data: z.array(
    z.object({
      pubkey: hexBytes(48),
      signed_blocks: z.array(
        z.object({
          slot: u64String,
          signing_root: hexBytes(32).optional(),
        }),
      ),
      signed_attestations: z.array(
        z.object({
          source_epoch: u64String,
          target_epoch: u64String,
          signing_root: hexBytes(32).optional(),
        }),
      ),
    }),
  ),
});

/** EIP-3076 interchange, format version 5. */
export type Interchange = z.infer<typeof interchangeSchema>;
export type InterchangeRecord = Interchange["data"][number];

/** Parses (string or already-parsed JSON) and validates an interchange; errors name the offending field. */
export function parseInterchange(input: unknown): Interchange {
  let json = input;
  if (typeof input === "string") {
    try {
      json = JSON.parse(input);
    } catch (e) {
      throw new SlashingProtectionError("INVALID_INTERCHANGE", `not valid JSON: ${(e as Error).message}`);
    }
  }
  const result = interchangeSchema.safeParse(json);
  if (!result.success) {
    const issues = result.error.issues
      .slice(0, 5)
      .map((i) => `${formatPath(i.path)}: ${i.message}`)
      .join("; ");
    throw new SlashingProtectionError("INVALID_INTERCHANGE", issues);
  }
  return result.data;
}

function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return "(root)";
  return path
    .map((p, i) => (typeof p === "number" ? `[${p}]` : `${i === 0 ? "" : "."}${String(p)}`))
    .join("");
}
