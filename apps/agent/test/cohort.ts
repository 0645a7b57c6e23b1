import { main } from "../src/cli";

/** Runs the `cohort` CLI in-process; returns its exit code and what it printed. */
export async function cohort(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join("\n"), err: err.join("\n") };
}
