import { z } from "zod";

/** Thrown by {@link loadEnv} with every problem at once, so an operator fixes them in one go. */
export class EnvError extends Error {
  override readonly name = "EnvError";
  constructor(
    readonly app: string,
    readonly issues: { variable: string; message: string }[],
  ) {
    super(
      `${app}: invalid configuration:\n${issues.map((i) => `  - ${i.variable}: ${i.message}`).join("\n")}`,
    );
  }
}

/**
 * Validates an app's environment once, reporting all errors together. Apps call this in their
 * `env.ts`; nothing else in the codebase reads `process.env`.
 *
 * @example
 * const env = loadEnv("api", { PORT: port.default(4000) });
 */
export function loadEnv<S extends z.ZodRawShape>(
  app: string,
  shape: S,
  source: Record<string, string | undefined> = process.env,
): z.infer<z.ZodObject<S>> {
  // Empty strings mean "unset": `FOO= cmd` should behave like no FOO at all.
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ""));
  const parsed = z.object(shape).safeParse(cleaned);
  if (!parsed.success) {
    throw new EnvError(
      app,
      parsed.error.issues.map((i) => ({ variable: i.path.join(".") || "(root)", message: i.message })),
    );
  }
  return parsed.data;
}

const boolFlag = () =>
  z
    .enum(["1", "0", "true", "false", "yes", "no"], { message: "must be one of 1, 0, true, false, yes, no" })
    .transform((v) => v === "1" || v === "true" || v === "yes");

/** Reusable field schemas. */
export const env = {
  port: (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback),
  url: () => z.url(),
  postgresUrl: () => z.string().regex(/^postgres(ql)?:\/\//, "must be a postgres:// or postgresql:// URL"),
  redisUrl: () => z.string().regex(/^rediss?:\/\//, "must be a redis:// or rediss:// URL"),
  logLevel: () => z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  bool: (fallback: boolean) => boolFlag().default(fallback),
  /** A boolean flag whose absence means "decide from context" (undefined). */
  optionalBool: () => boolFlag().optional(),
};
