import type { Tone } from "@/components/ui";

export interface Health {
  membersConnected: number;
  members: number;
  threshold: number;
  quorumConnected: boolean;
  dutiesLastHour: number;
  /** 0–1; null when no duty's deadline passed in the last hour. */
  dutySuccessLastHour: number | null;
  dutiesLastDay: number;
  dutySuccessLastDay: number | null;
  openIncidents: number;
  lastDutyAt: string | null;
  lastSuccessfulDutyAt: string | null;
}

export function successTone(rate: number | null): Tone | undefined {
  if (rate === null) return undefined;
  return rate >= 0.99 ? "ok" : rate >= 0.9 ? "warn" : "bad";
}
