import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { cohortSplitterAbi, cohortSplitterBytecode } from "../src/generated/cohortSplitter.ts";

// The typed module and the committed artifact come from one compile (contracts/scripts/compile.ts).
describe("generated ABI module", () => {
  it("matches contracts/out/CohortSplitter.json", () => {
    const artifact = JSON.parse(
      readFileSync(new URL("../../../contracts/out/CohortSplitter.json", import.meta.url), "utf8"),
    );
    expect(cohortSplitterAbi).toEqual(artifact.abi);
    expect(cohortSplitterBytecode).toBe(artifact.bytecode);
    expect(artifact.evmVersion).toBe("prague");
  });
});
