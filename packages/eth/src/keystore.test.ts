import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SecretKey } from "@chainsafe/blst";
import { afterAll, describe, expect, it } from "vitest";
import { bytesToHex } from "./hex";
import {
  blsPublicKey,
  decryptKeystore,
  INSECURE_KDF_COST,
  readKeystores,
  readKeystoresInWorker,
  writeKeystores,
} from "./keystore";
import { asyncCodeOf, codeOf } from "./testing";

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "cohort-eth-keystore-"));
  dirs.push(dir);
  return dir;
}
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

const secrets = [1, 2, 3].map((i) => SecretKey.fromKeygen(new Uint8Array(32).fill(i)).toBytes());
const hex = bytesToHex;

describe("keystores (insecure fast KDF for speed)", () => {
  it("writes Charon's validator_keys layout and reads the secrets back in order", async () => {
    const dir = join(await tempDir(), "validator_keys");
    const written = await writeKeystores(dir, secrets, { kdf: "pbkdf2", insecureFastKdf: true });
    expect((await readdir(dir)).sort()).toEqual([
      "keystore-0.json",
      "keystore-0.txt",
      "keystore-1.json",
      "keystore-1.txt",
      "keystore-2.json",
      "keystore-2.txt",
    ]);
    for (const [i, w] of written.entries()) {
      const ks = JSON.parse(await readFile(w.keystorePath, "utf8"));
      expect(ks.version).toBe(4);
      expect(ks.path).toBe(`m/12381/3600/${i}/0/0`);
      expect(`0x${ks.pubkey}`).toBe(hex(SecretKey.fromBytes(secrets[i]!).toPublicKey().toBytes()));
      expect(w.pubkey).toBe(`0x${ks.pubkey}`);
      expect(ks.crypto.kdf.function).toBe("pbkdf2");
      expect(ks.crypto.kdf.params.c).toBe(INSECURE_KDF_COST);
      const password = await readFile(w.passwordPath, "utf8");
      expect(password).toMatch(/^[0-9a-f]{32}$/);
      expect((await stat(w.passwordPath)).mode & 0o777).toBe(0o600);
    }
    const read = await readKeystores(dir);
    expect(read.map(hex)).toEqual(secrets.map(hex));
    const inWorker = await readKeystoresInWorker(dir, { concurrency: 2 });
    expect(inWorker.map(hex)).toEqual(secrets.map(hex));
  });

  it("a shared password and scrypt work too; existing files are never overwritten", async () => {
    const dir = await tempDir();
    await writeKeystores(dir, secrets.slice(0, 1), { password: "correct horse", insecureFastKdf: true });
    expect(await readFile(join(dir, "keystore-0.txt"), "utf8")).toBe("correct horse");
    const ks = JSON.parse(await readFile(join(dir, "keystore-0.json"), "utf8"));
    expect(ks.crypto.kdf.function).toBe("scrypt");
    expect((await readKeystores(dir)).map(hex)).toEqual([hex(secrets[0]!)]);
    expect(await asyncCodeOf(() => writeKeystores(dir, secrets, { insecureFastKdf: true }))).toBe(
      "KEYSTORE_EXISTS",
    );
  });

  it("reports a wrong password, a wrong pubkey, gaps and empty directories", async () => {
    const dir = await tempDir();
    await writeKeystores(dir, secrets, { kdf: "pbkdf2", insecureFastKdf: true });
    await writeFile(join(dir, "keystore-1.txt"), "wrong");
    expect(await asyncCodeOf(() => readKeystores(dir))).toBe("KEYSTORE_PASSWORD_INVALID");
    expect(await asyncCodeOf(() => readKeystoresInWorker(dir))).toBe("KEYSTORE_PASSWORD_INVALID");

    const swapped = await tempDir();
    await writeKeystores(swapped, secrets.slice(0, 2), { kdf: "pbkdf2", insecureFastKdf: true });
    const ks0 = JSON.parse(await readFile(join(swapped, "keystore-0.json"), "utf8"));
    const ks1 = JSON.parse(await readFile(join(swapped, "keystore-1.json"), "utf8"));
    await writeFile(join(swapped, "keystore-extra.json"), "{}"); // ignored: not keystore-<i>.json
    await rm(join(swapped, "keystore-0.json"));
    await writeFile(join(swapped, "keystore-0.json"), JSON.stringify({ ...ks0, pubkey: ks1.pubkey }));
    expect(await asyncCodeOf(() => readKeystores(swapped))).toBe("KEYSTORE_PUBKEY_MISMATCH");

    const gap = await tempDir();
    await writeKeystores(gap, secrets, { kdf: "pbkdf2", insecureFastKdf: true });
    await rm(join(gap, "keystore-1.json"));
    expect(await asyncCodeOf(() => readKeystores(gap))).toBe("KEYSTORE_NOT_FOUND");
    const empty = await tempDir();
    expect(await asyncCodeOf(() => readKeystores(empty))).toBe("KEYSTORE_NOT_FOUND");
    expect(await asyncCodeOf(() => decryptKeystore({ version: 3 }, "x"))).toBe("KEYSTORE_INVALID");
    expect(codeOf(() => blsPublicKey(new Uint8Array(32)))).toBe("INVALID_INPUT");
  });
});

describe("keystores with the real KDF", () => {
  it("round-trips the default scrypt (n = 2^18) keystore, on the thread and in a worker", {
    timeout: 30_000,
  }, async () => {
    const dir = await tempDir();
    const t0 = performance.now();
    const [written] = await writeKeystores(dir, secrets.slice(0, 1));
    const encryptMs = performance.now() - t0;
    const ks = JSON.parse(await readFile(written!.keystorePath, "utf8"));
    expect(ks.crypto.kdf.function).toBe("scrypt");
    expect(ks.crypto.kdf.params).toMatchObject({ n: 262144, r: 8, p: 1, dklen: 32 });
    const t1 = performance.now();
    expect((await readKeystores(dir)).map(hex)).toEqual([hex(secrets[0]!)]);
    const decryptMs = performance.now() - t1;
    const t2 = performance.now();
    expect((await readKeystoresInWorker(dir)).map(hex)).toEqual([hex(secrets[0]!)]);
    const workerMs = performance.now() - t2;
    console.info(
      `scrypt keystore: encrypt ${encryptMs.toFixed(0)} ms, decrypt ${decryptMs.toFixed(0)} ms, decrypt in worker ${workerMs.toFixed(0)} ms`,
    );
  });
});

describe("keystores in Charon's shape", () => {
  it("reads keystores without a path field (as Charon writes them) and still checks the pubkey", async () => {
    const dir = await tempDir();
    const written = await writeKeystores(dir, secrets.slice(0, 2), { insecureFastKdf: true });
    for (const w of written) {
      const { path: _, ...withoutPath } = JSON.parse(await readFile(w.keystorePath, "utf8"));
      await writeFile(w.keystorePath, JSON.stringify(withoutPath));
    }
    expect((await readKeystores(dir)).map(hex)).toEqual(secrets.slice(0, 2).map(hex));
    expect((await readKeystoresInWorker(dir)).map(hex)).toEqual(secrets.slice(0, 2).map(hex));

    const ks1 = JSON.parse(await readFile(written[1]!.keystorePath, "utf8"));
    const ks0 = JSON.parse(await readFile(written[0]!.keystorePath, "utf8"));
    await writeFile(written[0]!.keystorePath, JSON.stringify({ ...ks0, pubkey: ks1.pubkey }));
    expect(await asyncCodeOf(() => readKeystores(dir))).toBe("KEYSTORE_PUBKEY_MISMATCH");
  });
});
