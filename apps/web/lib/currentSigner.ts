"use client";

import type { Session } from "./session";
import { type DevIdentity, devSigner, type Signer, walletSigner } from "./signer";

/** The signer for the signed-in account: its dev identity, or the browser wallet (same address). */
export async function currentSigner(session: Session, identities: DevIdentity[] | null): Promise<Signer> {
  if (session.via === "dev") {
    const id = identities?.find((i) => i.address.toLowerCase() === session.address.toLowerCase());
    if (!id) throw new Error("The dev signer does not hold this account's key; sign in again.");
    return devSigner(id);
  }
  const signer = await walletSigner();
  if (signer.address.toLowerCase() !== session.address.toLowerCase())
    throw new Error(
      `The wallet's account ${signer.address} is not the signed-in account ${session.address}.`,
    );
  return signer;
}
