import { describe, expect, it } from "vitest";
import { EnvError, env, loadEnv } from "./index";

const shape = { PORT: env.port(4000), DATABASE_URL: env.postgresUrl().optional(), DEBUG: env.bool(false) };

describe("loadEnv", () => {
  it("applies defaults and coerces types", () => {
    expect(loadEnv("t", shape, {})).toEqual({ PORT: 4000, DEBUG: false });
    expect(loadEnv("t", shape, { PORT: "5000", DEBUG: "yes" })).toEqual({ PORT: 5000, DEBUG: true });
  });

  it("treats empty strings as unset", () => {
    expect(loadEnv("t", shape, { PORT: "", DATABASE_URL: "" })).toEqual({ PORT: 4000, DEBUG: false });
  });

  it("reports every invalid variable at once, by name", () => {
    let error: unknown;
    try {
      loadEnv("api", shape, { PORT: "http", DATABASE_URL: "mysql://x", DEBUG: "maybe" });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(EnvError);
    const vars = (error as EnvError).issues.map((i) => i.variable).sort();
    expect(vars).toEqual(["DATABASE_URL", "DEBUG", "PORT"]);
    expect((error as EnvError).message).toMatch(/^api: invalid configuration:/);
    expect((error as EnvError).message).toContain("DATABASE_URL: must be a postgres:// or postgresql:// URL");
  });

  it("optionalBool distinguishes unset from false", () => {
    const s = { INLINE: env.optionalBool() };
    expect(loadEnv("t", s, {}).INLINE).toBeUndefined();
    expect(loadEnv("t", s, { INLINE: "0" }).INLINE).toBe(false);
  });
});
