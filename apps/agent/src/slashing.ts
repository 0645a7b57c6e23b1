import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { parseInterchange, SlashingProtectionDb } from "@cohort/slashing";
import { CliError } from "./cluster/create";

/** Where an agent keeps its slashing-protection database inside its data directory. */
export const slashingDbPath = (dataDir: string) => path.join(dataDir, "slashing-protection");

/**
 * Imports an EIP-3076 interchange file into the node's slashing-protection database. All or
 * nothing; existing records are merged (the more restrictive history wins, watermarks never drop).
 */
export async function importSlashing(dataDir: string, file: string) {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, "utf8"));
  } catch (cause) {
    throw new CliError(`${file}: cannot read an interchange file: ${(cause as Error).message}`);
  }
  const interchange = parseInterchange(json);
  const db = await SlashingProtectionDb.open({
    path: slashingDbPath(dataDir),
    genesisValidatorsRoot: interchange.metadata.genesis_validators_root,
    strategy: "complete",
  });
  try {
    return await db.importInterchange(interchange);
  } finally {
    await db.close();
  }
}

/** Exports the node's complete slashing-protection history for one chain as EIP-3076 v5 JSON. */
export async function exportSlashing(dataDir: string, genesisValidatorsRoot: string, out: string) {
  if (!/^0x[0-9a-fA-F]{64}$/.test(genesisValidatorsRoot)) {
    throw new CliError(`--genesis-validators-root must be 32 bytes of 0x-hex (got ${genesisValidatorsRoot})`);
  }
  const db = await SlashingProtectionDb.open({
    path: slashingDbPath(dataDir),
    genesisValidatorsRoot,
    strategy: "complete",
  });
  try {
    const interchange = await db.exportInterchange();
    await writeFile(out, `${JSON.stringify(interchange, null, 2)}\n`, { flag: "wx" }).catch((cause) => {
      throw new CliError(
        `cannot write ${out}: ${(cause as Error).message} (refusing to overwrite an existing file)`,
      );
    });
    return { validators: interchange.data.length };
  } finally {
    await db.close();
  }
}
