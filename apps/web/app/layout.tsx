import type { Metadata } from "next";
import { connection } from "next/server";
import type { ReactNode } from "react";
import { AppShell } from "@/components/AppShell";
import type { DevIdentity } from "@/lib/signer";
import "./globals.css";

export const metadata: Metadata = {
  title: { default: "Cohort", template: "%s · Cohort" },
  description: "Distributed-validator operations: participation, incidents, on-call and rewards.",
};

/**
 * The dev signer's identities (INSECURE demo keys) from the server's COHORT_DEV_IDENTITIES, handed to
 * the browser only when NEXT_PUBLIC_COHORT_DEV_SIGNER=1. Read at request time, not at build time.
 */
function devIdentities(): DevIdentity[] | null {
  // Through an alias: `process.env.NEXT_PUBLIC_…` would be inlined at build time.
  const env = process.env;
  if (env.NEXT_PUBLIC_COHORT_DEV_SIGNER !== "1") return null;
  try {
    const parsed = JSON.parse(env.COHORT_DEV_IDENTITIES ?? "[]") as unknown;
    if (!Array.isArray(parsed)) return [];
    return parsed
      .filter(
        (i): i is DevIdentity =>
          !!i && typeof i === "object" && typeof i.address === "string" && typeof i.privateKey === "string",
      )
      .map((i) => ({
        role: String(i.role ?? ""),
        label: String(i.label ?? i.address),
        address: i.address,
        privateKey: i.privateKey,
      }));
  } catch {
    return [];
  }
}

export default async function RootLayout({ children }: { children: ReactNode }) {
  await connection();
  return (
    <html lang="en">
      <body>
        <AppShell devIdentities={devIdentities()}>{children}</AppShell>
      </body>
    </html>
  );
}
