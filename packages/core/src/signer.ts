/**
 * Signer: this member's key shares. For every decided item it computes the signing root (fork in
 * force), checks-and-inserts it into slashing protection (fsync'd) and only then produces the
 * partial signature. Refused items are not signed; the call then throws `SLASHING_REFUSED`.
 */
import type { NetworkConfig } from "@cohort/eth";
import { attestationDataFromJson } from "@cohort/eth";
import { partialSign } from "@cohort/tbls";
import { CoreError } from "./errors";
import type { ParSig, Signer, UnsignedDataSet } from "./interfaces";
import { registrationRefusal } from "./registration";
import { signingRootOf } from "./signing";
import { type Duty, dutyKey, type PubKey } from "./types";

/** What the signer needs of slashing protection (`SlashingProtectionDb` fits). */
export interface SlashingGuard {
  checkAndInsertAttestation(
    pubkey: Uint8Array | string,
    req: { sourceEpoch: number; targetEpoch: number; signingRoot: Uint8Array },
  ): Promise<unknown>;
  checkAndInsertBlock(
    pubkey: Uint8Array | string,
    req: { slot: number; signingRoot: Uint8Array },
  ): Promise<unknown>;
}

export interface ShareSignerOptions {
  network: NetworkConfig;
  shareIndex: number;
  /** Group pubkey → this member's secret share. */
  shares: ReadonlyMap<PubKey, Uint8Array>;
  slashing: SlashingGuard;
}

export class ShareSigner implements Signer {
  private readonly listeners: ((duty: Duty, set: ReadonlyMap<PubKey, ParSig>) => void)[] = [];
  constructor(private readonly o: ShareSignerOptions) {}

  subscribe(fn: (duty: Duty, set: ReadonlyMap<PubKey, ParSig>) => void): void {
    this.listeners.push(fn);
  }

  async sign(duty: Duty, set: UnsignedDataSet): Promise<void> {
    const out = new Map<PubKey, ParSig>();
    const refused: { pubkey: PubKey; code: string; message: string }[] = [];
    const invalid: { pubkey: PubKey; message: string }[] = [];
    for (const [pubkey, data] of set) {
      const share = this.o.shares.get(pubkey);
      if (!share) continue; // not ours (never a validator outside the lock)
      if (data.kind === "builder_registration") {
        // Not slashable, but only ever a fresh registration of this very validator at the epoch start.
        const why = registrationRefusal(this.o.network, duty, pubkey, data);
        if (why) {
          invalid.push({ pubkey, message: why });
          continue;
        }
      }
      const signingRoot = signingRootOf(this.o.network, data);
      try {
        if (data.kind === "attestation") {
          const a = attestationDataFromJson(data.data);
          await this.o.slashing.checkAndInsertAttestation(pubkey, {
            sourceEpoch: a.source.epoch,
            targetEpoch: a.target.epoch,
            signingRoot,
          });
        } else if (data.kind === "block") {
          await this.o.slashing.checkAndInsertBlock(pubkey, { slot: duty.slot, signingRoot });
        }
      } catch (e) {
        const code = (e as { code?: string }).code ?? "UNKNOWN";
        refused.push({ pubkey, code, message: (e as Error).message });
        continue;
      }
      out.set(pubkey, {
        data,
        signingRoot,
        signature: partialSign(share, signingRoot),
        shareIndex: this.o.shareIndex,
      });
    }
    if (out.size > 0) for (const fn of this.listeners) fn(duty, out);
    if (invalid.length > 0 && refused.length === 0) {
      throw new CoreError(
        "INVALID_UNSIGNED_DATA",
        `duty ${dutyKey(duty)}: refused to sign ${invalid.map((r) => `${r.pubkey.slice(0, 10)}… (${r.message})`).join(", ")}`,
        { duty: dutyKey(duty), invalid },
      );
    }
    if (refused.length > 0) {
      throw new CoreError(
        "SLASHING_REFUSED",
        `duty ${dutyKey(duty)}: slashing protection refused ${refused.map((r) => `${r.pubkey.slice(0, 10)}… (${r.code})`).join(", ")}`,
        { duty: dutyKey(duty), refused },
      );
    }
  }
}
