// Types for services.mjs (plain JS so that scripts/test.mjs can use it before anything is built).
export interface RunningService {
  url: string;
  stop(): Promise<void>;
  description: string;
}
export type ServiceLog = (message: string) => void;
export function freePort(host?: string): Promise<number>;
export function findRedisServer(): string | null;
export function startRedisServer(options?: {
  port?: number;
  dir?: string;
  persistent?: boolean;
  log?: ServiceLog;
}): Promise<RunningService & { port: number; dir: string; pid: number }>;
export function ensurePostgres(options?: { log?: ServiceLog }): Promise<RunningService>;
export function ensureRedis(options?: { log?: ServiceLog }): Promise<RunningService>;
