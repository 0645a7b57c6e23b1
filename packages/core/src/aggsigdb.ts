/** AggSigDB: aggregated signatures per duty and validator, awaitable (the proposer fetch awaits RANDAO). */
import type { AggSig, AggSigDB } from "./interfaces";
import { type Duty, dutyKey, type PubKey } from "./types";

export class MemAggSigDB implements AggSigDB {
  private readonly stored = new Map<string, AggSig>();
  private readonly waiters = new Map<
    string,
    { resolve: (s: AggSig) => void; reject: (e: Error) => void }[]
  >();

  store(duty: Duty, pubkey: PubKey, signed: AggSig): void {
    const key = `${dutyKey(duty)}|${pubkey}`;
    if (this.stored.has(key)) return;
    this.stored.set(key, signed);
    for (const w of this.waiters.get(key) ?? []) w.resolve(signed);
    this.waiters.delete(key);
  }

  await(duty: Duty, pubkey: PubKey): Promise<AggSig> {
    const key = `${dutyKey(duty)}|${pubkey}`;
    const have = this.stored.get(key);
    if (have) return Promise.resolve(have);
    return new Promise((resolve, reject) => {
      this.waiters.set(key, [...(this.waiters.get(key) ?? []), { resolve, reject }]);
    });
  }

  expire(duty: Duty): void {
    const prefix = `${dutyKey(duty)}|`;
    for (const key of [...this.stored.keys()]) if (key.startsWith(prefix)) this.stored.delete(key);
    for (const [key, ws] of [...this.waiters]) {
      if (!key.startsWith(prefix)) continue;
      for (const w of ws) w.reject(new Error(`duty ${dutyKey(duty)} expired before its aggregate signature`));
      this.waiters.delete(key);
    }
  }
}
