import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { k1GeneratePrivateKey } from "@cohort/cluster";
import { LockLoadError, loadNodeFromDataDir } from "@cohort/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCluster } from "../src/cluster/create";

const code = (c: string) => (e: unknown) => e instanceof LockLoadError && e.code === c;

describe("loadNodeFromDataDir (lock + node directory → ClusterInfo, identity, shares)", () => {
  let dir: string;
  let nodeDirs: string[];
  let pubkeys: string[];
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "cohort-fromlock-"));
    const created = await createCluster({
      name: "fromlock",
      nodes: 4,
      validators: 2,
      forkVersion: "0x10000038",
      feeRecipient: "0x000000000000000000000000000000000000fee0",
      withdrawal: "0x0000000000000000000000000000000000dead00",
      out: path.join(dir, "cluster"),
      interopIndices: [0, 1],
      kdf: "pbkdf2",
    });
    nodeDirs = created.nodeDirs;
    pubkeys = created.validatorPubkeys;
  }, 60_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const copy = (i: number, name: string) => {
    const to = path.join(dir, name);
    cpSync(nodeDirs[i]!, to, { recursive: true });
    return to;
  };

  it("identifies the member by its identity key and loads its shares", async () => {
    const n = await loadNodeFromDataDir(nodeDirs[2]!);
    expect(n.selfIndex).toBe(2);
    expect(n.self.peerId).toBe("peer2");
    expect(n.info.threshold).toBe(3);
    expect(n.info.members.map((m) => m.shareIndex)).toEqual([1, 2, 3, 4]);
    expect(n.peers.map((p) => p.address)).toEqual([3610, 3611, 3612, 3613].map((p) => `127.0.0.1:${p}`));
    expect(n.info.validators.map((v) => v.pubkey)).toEqual(pubkeys);
    expect([...n.shares.keys()]).toEqual(pubkeys);
    expect(n.forkVersion).toBe("0x10000038");
  });

  it("refuses a key that is in no ENR of the lock", async () => {
    const d = copy(0, "stranger");
    writeFileSync(
      path.join(d, "charon-enr-private-key"),
      Buffer.from(k1GeneratePrivateKey()).toString("hex"),
    );
    await expect(loadNodeFromDataDir(d)).rejects.toSatisfy(code("NOT_IN_LOCK"));
    writeFileSync(path.join(d, "charon-enr-private-key"), "zz");
    await expect(loadNodeFromDataDir(d)).rejects.toSatisfy(code("IDENTITY_KEY_INVALID"));
  });

  it("refuses another operator's keystores (public share mismatch) and missing files", async () => {
    const d = copy(0, "swapped");
    rmSync(path.join(d, "validator_keys"), { recursive: true });
    cpSync(path.join(nodeDirs[1]!, "validator_keys"), path.join(d, "validator_keys"), { recursive: true });
    await expect(loadNodeFromDataDir(d)).rejects.toSatisfy(
      (e) =>
        code("SHARE_MISMATCH")(e) &&
        /keystore-0: .* is not operator 0's public share/.test((e as Error).message),
    );
    rmSync(path.join(d, "validator_keys"), { recursive: true });
    await expect(loadNodeFromDataDir(d)).rejects.toSatisfy(code("KEYSTORES_NOT_FOUND"));
    rmSync(path.join(d, "charon-enr-private-key"));
    await expect(loadNodeFromDataDir(d)).rejects.toSatisfy(code("IDENTITY_KEY_NOT_FOUND"));
    rmSync(path.join(d, "cluster-lock.json"));
    await expect(loadNodeFromDataDir(d)).rejects.toSatisfy(code("LOCK_NOT_FOUND"));
  });

  it("refuses a keystore count different from the lock's validators", async () => {
    const d = copy(0, "fewer");
    rmSync(path.join(d, "validator_keys", "keystore-1.json"));
    rmSync(path.join(d, "validator_keys", "keystore-1.txt"));
    await expect(loadNodeFromDataDir(d)).rejects.toSatisfy(code("KEYSTORE_COUNT_MISMATCH"));
  });
});
