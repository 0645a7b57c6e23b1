/** DutyDB: the decided unsigned data per duty and validator; a second, different value is refused. */
import { CoreError } from "./errors";
import type { DutyDB, UnsignedData, UnsignedDataSet } from "./interfaces";
import { canonicalJson } from "./signing";
import { type Duty, dutyKey, type PubKey } from "./types";

export class MemDutyDB implements DutyDB {
  private readonly byDuty = new Map<string, Map<PubKey, { json: string; data: UnsignedData }>>();

  /** @throws CoreError `DUTYDB_CONFLICT` (nothing of the set is stored then). */
  store(duty: Duty, set: UnsignedDataSet): void {
    const key = dutyKey(duty);
    const stored = this.byDuty.get(key) ?? new Map();
    const fresh: [PubKey, { json: string; data: UnsignedData }][] = [];
    for (const [pubkey, data] of set) {
      const json = canonicalJson(data);
      const prev = stored.get(pubkey);
      if (prev && prev.json !== json) {
        throw new CoreError(
          "DUTYDB_CONFLICT",
          `duty ${key}: a different value is already stored for ${pubkey}`,
          {
            duty: key,
            pubkey,
          },
        );
      }
      if (!prev) fresh.push([pubkey, { json, data }]);
    }
    for (const [pk, v] of fresh) stored.set(pk, v);
    this.byDuty.set(key, stored);
  }

  get(duty: Duty, pubkey: PubKey): UnsignedData | undefined {
    return this.byDuty.get(dutyKey(duty))?.get(pubkey)?.data;
  }

  expire(duty: Duty): void {
    this.byDuty.delete(dutyKey(duty));
  }
}
