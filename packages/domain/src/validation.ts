import { getAddress, isAddress, isHex } from "viem";
import { z } from "zod";
import { CohortError } from "./errors";

/**
 * Parses untrusted input with a zod schema; the first problem becomes a BAD_USER_INPUT error naming
 * the field (`<root>.<path>`), all problems are listed in `details.issues`.
 */
export function parseInput<T extends z.ZodType>(root: string, schema: T, value: unknown): z.infer<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues.map((i) => ({
    field: [root, ...i.path.map(String)].join("."),
    message: i.message,
  }));
  const first = issues[0]!;
  throw new CohortError("BAD_USER_INPUT", `${first.field}: ${first.message}`, {
    field: first.field,
    details: { issues },
  });
}

/** An Ethereum address in any case; normalised to lowercase for storage and comparison. */
export const addressSchema = z
  .string()
  .trim()
  .refine((s) => isAddress(s, { strict: false }), "must be a 0x-prefixed 20-byte Ethereum address")
  .transform((s) => s.toLowerCase() as `0x${string}`);

export const hexSchema = (bytes?: number) =>
  z
    .string()
    .trim()
    .refine((s) => isHex(s, { strict: true }), "must be 0x-prefixed hex")
    .refine((s) => bytes === undefined || s.length === 2 + 2 * bytes, `must be ${bytes} bytes`)
    .transform((s) => s.toLowerCase() as `0x${string}`);

export const uuidSchema = z.uuid({ message: "must be a UUID" });

/** Lowercase storage form → EIP-55 checksummed display form. */
export const checksum = (address: string) => getAddress(address);
