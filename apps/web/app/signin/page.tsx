"use client";

import { useRouter, useSearchParams } from "next/navigation";
import { Suspense, useEffect, useState } from "react";
import { useDevIdentities } from "@/components/AppShell";
import { ErrorBox } from "@/components/ui";
import { shortAddress } from "@/lib/format";
import { setSession, useSession } from "@/lib/session";
import { browserWallet, devSigner, signIn, walletSigner } from "@/lib/signer";

function SignIn() {
  const identities = useDevIdentities();
  const session = useSession();
  const router = useRouter();
  const params = useSearchParams();
  const next = params.get("next");
  const target = next?.startsWith("/") && !next.startsWith("//") ? next : "/";
  const [pending, setPending] = useState<string | null>(null);
  const [error, setError] = useState<Error>();
  const [hasWallet, setHasWallet] = useState(false);
  const [host, setHost] = useState("");

  useEffect(() => {
    setHasWallet(browserWallet() !== null);
    setHost(window.location.host);
  }, []);
  useEffect(() => {
    if (session) router.replace(target);
  }, [session, router, target]);

  async function run(key: string, fn: () => Promise<void>) {
    setPending(key);
    setError(undefined);
    try {
      await fn();
    } catch (e) {
      setError(e as Error);
    } finally {
      setPending(null);
    }
  }

  return (
    <div className="signin">
      <h1>Sign in to Cohort</h1>
      <p className="muted">
        Sign-In with Ethereum: you sign a one-time message for <code>{host || "this site"}</code> with your
        operator key. Nothing is sent on-chain.
      </p>
      <ErrorBox error={error} title="Sign-in failed" />
      <section className="card" aria-labelledby="wallet-title">
        <header className="card-head">
          <h2 id="wallet-title">Browser wallet</h2>
        </header>
        <div className="card-body">
          {hasWallet ? (
            <button
              type="button"
              className="btn primary"
              disabled={pending !== null}
              onClick={() =>
                run("wallet", async () => {
                  setSession(await signIn(await walletSigner()));
                })
              }
            >
              {pending === "wallet" ? "Waiting for the wallet…" : "Sign in with wallet"}
            </button>
          ) : (
            <p className="muted">No browser wallet (EIP-1193 window.ethereum) was found in this browser.</p>
          )}
        </div>
      </section>
      {identities ? (
        <section className="card dev-card" aria-labelledby="dev-title">
          <header className="card-head">
            <div>
              <h2 id="dev-title">Dev signer</h2>
              <p className="muted small">
                Insecure, public demo keys held by this page. For the demo only — never fund these addresses.
              </p>
            </div>
          </header>
          <div className="card-body">
            {identities.length === 0 ? (
              <p className="muted">COHORT_DEV_IDENTITIES is empty or not valid JSON.</p>
            ) : (
              <ul className="identity-list">
                {identities.map((id) => (
                  <li key={id.address}>
                    <button
                      type="button"
                      className="btn identity"
                      disabled={pending !== null}
                      aria-label={`Sign in as ${id.label} (${id.role})`}
                      onClick={() =>
                        run(id.address, async () => {
                          setSession(await signIn(devSigner(id), { label: id.label, role: id.role }));
                        })
                      }
                    >
                      <span className="identity-label">{id.label}</span>
                      <span className="badge neutral">{id.role}</span>
                      <code>{shortAddress(id.address)}</code>
                      {pending === id.address ? <span className="muted small">signing…</span> : null}
                    </button>
                  </li>
                ))}
              </ul>
            )}
          </div>
        </section>
      ) : null}
    </div>
  );
}

export default function SignInPage() {
  return (
    <Suspense>
      <SignIn />
    </Suspense>
  );
}
