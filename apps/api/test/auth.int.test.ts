import { newAccount, siweMessage, startTestApp, type TestApp } from "@cohort/test-utils";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const NONCE = "mutation { createSiweNonce { nonce expiresAt } }";
const SIGN_IN = "mutation($input: SignInInput!) { signIn(input: $input) { token address expiresAt } }";

describe("Sign-In with Ethereum", () => {
  let app: TestApp;
  let clock = Date.now();
  beforeAll(async () => {
    app = await startTestApp({
      now: () => new Date(clock),
    });
  });
  afterAll(() => app.close());

  const nonce = async () =>
    (await app.gql<{ createSiweNonce: { nonce: string } }>(NONCE)).data!.createSiweNonce.nonce;

  it("signs in with a valid message and signature, then knows who you are", async () => {
    const account = newAccount();
    const message = siweMessage(account, await nonce());
    const res = await app.gql<{ signIn: { token: string; address: string } }>(SIGN_IN, {
      input: { message, signature: await account.signMessage({ message }) },
    });
    expect(res.errors).toBeUndefined();
    expect(res.data!.signIn.address).toBe(account.address.toLowerCase());
    const me = await app.gql<{ me: { kind: string; address: string } }>(
      "{ me { kind address } }",
      {},
      res.data!.signIn.token,
    );
    expect(me.data!.me).toEqual({ kind: "account", address: account.address.toLowerCase() });
    const session = await app.db.session.findFirstOrThrow({
      where: { account: { address: account.address.toLowerCase() } },
    });
    expect(session.tokenHash).not.toContain(res.data!.signIn.token); // only the hash is stored
  });

  it("refuses an expired nonce", async () => {
    const account = newAccount();
    const n = await nonce();
    clock += 61_000; // the test app's nonce TTL is 60 s
    const message = siweMessage(account, n);
    const res = await app.gql(SIGN_IN, {
      input: { message, signature: await account.signMessage({ message }) },
    });
    expect(res.errors?.[0]?.extensions?.code).toBe("NONCE_EXPIRED");
  });

  it("refuses a replayed nonce (the same signed message twice)", async () => {
    const account = newAccount();
    const message = siweMessage(account, await nonce());
    const input = { message, signature: await account.signMessage({ message }) };
    expect((await app.gql(SIGN_IN, { input })).errors).toBeUndefined();
    const replay = await app.gql(SIGN_IN, { input });
    expect(replay.errors?.[0]?.extensions?.code).toBe("NONCE_USED");
  });

  it("refuses a message signed by someone other than its address, and keeps the nonce usable", async () => {
    const victim = newAccount();
    const attacker = newAccount();
    const message = siweMessage(victim, await nonce());
    const res = await app.gql(SIGN_IN, {
      input: { message, signature: await attacker.signMessage({ message }) },
    });
    expect(res.errors?.[0]?.extensions).toMatchObject({
      code: "SIGNATURE_INVALID",
      field: "input.signature",
    });
    // The genuine owner can still use that nonce.
    const ok = await app.gql(SIGN_IN, {
      input: { message, signature: await victim.signMessage({ message }) },
    });
    expect(ok.errors).toBeUndefined();
  });

  it("refuses a nonce it never issued and a message for another domain", async () => {
    const account = newAccount();
    const unknown = siweMessage(account, "abcdef0123456789");
    const r1 = await app.gql(SIGN_IN, {
      input: { message: unknown, signature: await account.signMessage({ message: unknown }) },
    });
    expect(r1.errors?.[0]?.extensions?.code).toBe("NONCE_UNKNOWN");
    const phishing = siweMessage(account, await nonce(), {
      domain: "evil.example",
      uri: "https://evil.example/",
    });
    const r2 = await app.gql(SIGN_IN, {
      input: { message: phishing, signature: await account.signMessage({ message: phishing }) },
    });
    expect(r2.errors?.[0]?.extensions?.code).toBe("SIWE_INVALID");
  });

  it("refuses a message past its expirationTime", async () => {
    const account = newAccount();
    const message = siweMessage(account, await nonce(), { expirationTime: new Date(clock - 1000) });
    const res = await app.gql(SIGN_IN, {
      input: { message, signature: await account.signMessage({ message }) },
    });
    expect(res.errors?.[0]?.extensions?.code).toBe("SIWE_INVALID");
  });

  it("answers 401 for an unknown or revoked session token", async () => {
    const bogus = await app.gql("{ me { kind } }", {}, "cohort_s_not-a-real-token");
    expect(bogus.status).toBe(401);
    expect(bogus.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");

    const token = await app.signIn(newAccount());
    expect((await app.gql("mutation { signOut }", {}, token)).data).toEqual({ signOut: true });
    expect((await app.gql("{ me { kind } }", {}, token)).status).toBe(401);
  });

  it("treats no credentials as anonymous", async () => {
    const res = await app.gql("{ me { kind } clusters { id } }");
    expect(res.data).toEqual({ me: null, clusters: [] });
  });
});
