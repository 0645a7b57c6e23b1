/** SigAgg: threshold-combines t partials (Lagrange in G2) and verifies the result against the group key. */
import { thresholdAggregate, verify } from "@cohort/tbls";
import { CoreError } from "./errors";
import type { AggSig, ParSig, SigAgg } from "./interfaces";
import { fromHex } from "./signing";
import { type Duty, dutyKey, type PubKey } from "./types";

export class ThresholdSigAgg implements SigAgg {
  private readonly listeners: ((duty: Duty, pubkey: PubKey, signed: AggSig) => void)[] = [];
  constructor(private readonly threshold: number) {}

  subscribe(fn: (duty: Duty, pubkey: PubKey, signed: AggSig) => void): void {
    this.listeners.push(fn);
  }

  async aggregate(duty: Duty, pubkey: PubKey, partials: readonly ParSig[]): Promise<void> {
    const first = partials[0];
    if (!first || partials.length < this.threshold)
      throw new CoreError(
        "AGGREGATION_FAILED",
        `duty ${dutyKey(duty)}: ${partials.length} partials < threshold ${this.threshold}`,
      );
    const signature = await thresholdAggregate(
      new Map(partials.map((p) => [p.shareIndex, p.signature])),
      this.threshold,
    );
    if (!verify(fromHex(pubkey), first.signingRoot, signature))
      throw new CoreError(
        "AGGREGATION_FAILED",
        `duty ${dutyKey(duty)}: aggregate does not verify against ${pubkey}`,
        {
          duty: dutyKey(duty),
          pubkey,
        },
      );
    const signed: AggSig = { data: first.data, signingRoot: first.signingRoot, signature };
    for (const fn of this.listeners) fn(duty, pubkey, signed);
  }
}
