// (d) A node fed a conflicting decided value: DutyDB refuses it with a coded error, and even a signer
// called directly refuses to produce a partial for it (slashing protection checked before signing).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { devnetConfig } from "@cohort/eth";
import { SlashingProtectionDb } from "@cohort/slashing";
import { generateSecretKey, secretToPublicKey, splitSecretKey } from "@cohort/tbls";
import { afterEach, describe, expect, it } from "vitest";
import {
  type CoreError,
  duty,
  isCoreError,
  MemDutyDB,
  type ParSigSet,
  type PubKey,
  ShareSigner,
  toHex,
  type UnsignedData,
} from "../src/index";

const network = devnetConfig({
  genesisForkVersion: "0x10000038",
  genesisValidatorsRoot: `0x${"ab".repeat(32)}`,
  genesisTime: 1_700_000_000,
  secondsPerSlot: 1,
  slotsPerEpoch: 8,
  forkEpochs: { altair: 0, bellatrix: 0, capella: 0, deneb: 0, electra: 3 },
});

const attestation = (slot: number, headByte: string): UnsignedData => ({
  kind: "attestation",
  data: {
    slot: String(slot),
    index: "0",
    beacon_block_root: `0x${headByte.repeat(32)}`,
    source: { epoch: "1", root: `0x${"00".repeat(32)}` },
    target: { epoch: "2", root: `0x${"11".repeat(32)}` },
  },
  validatorIndex: 0,
  committeeIndex: 0,
  committeeLength: 4,
  validatorCommitteeIndex: 1,
});

let dir: string | undefined;
let db: SlashingProtectionDb | undefined;
afterEach(async () => {
  await db?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("conflicting decided values", () => {
  const sk = generateSecretKey();
  const pubkey = toHex(secretToPublicKey(sk)) as PubKey;
  const share = splitSecretKey(sk, 3, 4).get(2)!;
  const d = duty(17, "attester");

  it("DutyDB refuses a second, different value for the same duty and validator", () => {
    const dutyDB = new MemDutyDB();
    dutyDB.store(d, new Map([[pubkey, attestation(17, "aa")]]));
    dutyDB.store(d, new Map([[pubkey, attestation(17, "aa")]])); // same value: fine
    let err: unknown;
    try {
      dutyDB.store(d, new Map([[pubkey, attestation(17, "bb")]]));
    } catch (e) {
      err = e;
    }
    expect(isCoreError(err, "DUTYDB_CONFLICT")).toBe(true);
    expect((err as CoreError).details).toMatchObject({ duty: "17/attester", pubkey });
    expect(dutyDB.get(d, pubkey)).toEqual(attestation(17, "aa"));
  });

  it("the signer refuses a double vote (slashing protection) and emits no partial for it", async () => {
    dir = mkdtempSync(join(tmpdir(), "cohort-core-signer-"));
    db = await SlashingProtectionDb.open({
      path: dir,
      genesisValidatorsRoot: network.genesisValidatorsRoot,
      strategy: "complete",
    });
    const signer = new ShareSigner({
      network,
      shareIndex: 2,
      shares: new Map([[pubkey, share]]),
      slashing: db,
    });
    const emitted: ParSigSet[] = [];
    signer.subscribe((_d, set) => emitted.push(set));
    await signer.sign(d, new Map([[pubkey, attestation(17, "aa")]]));
    expect(emitted).toHaveLength(1);
    expect(emitted[0]!.get(pubkey)!.shareIndex).toBe(2);
    // The same value again is a repeat: signing it again is safe.
    await signer.sign(d, new Map([[pubkey, attestation(17, "aa")]]));
    expect(emitted).toHaveLength(2);
    // A different head for the same target: refused, nothing emitted.
    const refused = await signer.sign(d, new Map([[pubkey, attestation(17, "bb")]])).catch((e: unknown) => e);
    expect(isCoreError(refused, "SLASHING_REFUSED")).toBe(true);
    expect((refused as CoreError).details.refused).toEqual([
      expect.objectContaining({ pubkey, code: "DOUBLE_VOTE" }),
    ]);
    expect(emitted).toHaveLength(2);
  });
});
