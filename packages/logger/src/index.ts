import { pino } from "pino";

export type Logger = pino.Logger;

export interface LoggerOptions {
  name: string;
  level?: string;
  /** Extra fields on every line (e.g. cluster id). */
  base?: Record<string, unknown>;
}

/**
 * Structured JSON logs (pino). Secrets never go in at info or above: known secret-bearing keys are
 * redacted wherever they appear.
 */
export function createLogger({ name, level = "info", base }: LoggerOptions): Logger {
  return pino({
    name,
    level,
    base: { ...base },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: {
      paths: [
        "authorization",
        "*.authorization",
        "headers.authorization",
        "req.headers.authorization",
        "*.apiKey",
        "*.token",
        "*.password",
        "*.secret",
      ],
      censor: "[redacted]",
    },
  });
}
