"use client";

import Link from "next/link";
import { usePathname, useRouter } from "next/navigation";
import { createContext, type ReactNode, useContext, useEffect } from "react";
import { shortAddress } from "@/lib/format";
import { gql } from "@/lib/gql";
import { setSession, useSession } from "@/lib/session";
import type { DevIdentity } from "@/lib/signer";

const DevSignerContext = createContext<DevIdentity[] | null>(null);
/** The dev signer's identities, or null when the dev signer is disabled. */
export const useDevIdentities = () => useContext(DevSignerContext);

export function AppShell({
  devIdentities,
  children,
}: {
  devIdentities: DevIdentity[] | null;
  children: ReactNode;
}) {
  const session = useSession();
  const router = useRouter();
  const pathname = usePathname();
  const onSignIn = pathname === "/signin";

  useEffect(() => {
    if (session === null && !onSignIn) router.replace(`/signin?next=${encodeURIComponent(pathname)}`);
  }, [session, onSignIn, pathname, router]);

  return (
    <DevSignerContext.Provider value={devIdentities}>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      {devIdentities ? (
        <div className="dev-banner" role="note">
          DEV SIGNER — insecure demo keys
        </div>
      ) : null}
      <header className="topbar">
        <Link href="/" className="brand" aria-label="Cohort home">
          <span className="brand-mark" aria-hidden="true">
            ◆
          </span>
          Cohort
        </Link>
        <nav aria-label="Main" className="topnav">
          <Link href="/" aria-current={pathname === "/" ? "page" : undefined}>
            Clusters
          </Link>
        </nav>
        <div className="topbar-right">
          {session ? (
            <>
              <span className="whoami" title={session.address}>
                {session.label ? <strong>{session.label}</strong> : null}
                <code>{shortAddress(session.address)}</code>
                {session.via === "dev" ? <span className="badge warn">dev key</span> : null}
              </span>
              <button
                type="button"
                className="btn small ghost"
                onClick={async () => {
                  try {
                    await gql("mutation SignOut { signOut }");
                  } catch {
                    // The session may have expired already; forget it either way.
                  }
                  setSession(null);
                }}
              >
                Sign out
              </button>
            </>
          ) : session === null && !onSignIn ? (
            <Link className="btn small" href="/signin">
              Sign in
            </Link>
          ) : null}
        </div>
      </header>
      <main id="main" className="main">
        {session === undefined && !onSignIn ? null : session === null && !onSignIn ? (
          <p className="muted">Redirecting to sign-in…</p>
        ) : (
          children
        )}
      </main>
    </DevSignerContext.Provider>
  );
}
