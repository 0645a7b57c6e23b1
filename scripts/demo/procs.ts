// The demo's child processes: spawned in their own process group (so a stop also reaches anything
// they started), watched (an unexpected exit stops the whole demo with a non-zero code), stopped
// gracefully in reverse start order, then swept with SIGKILL.
import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, type WriteStream } from "node:fs";
import { createServer } from "node:net";

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, Math.max(0, ms)));

export const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

export const portFree = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = createServer()
      .once("error", () => resolve(false))
      .listen(port, "127.0.0.1", () => s.close(() => resolve(true)));
  });

/** `wanted` if free (0 = any free port); else a free one, saying so. */
export async function pickPort(wanted: number, what: string, log: (l: string) => void): Promise<number> {
  if (wanted !== 0 && (await portFree(wanted))) return wanted;
  const port = await freePort();
  if (wanted !== 0) log(`${what} port ${wanted} is busy; using ${port}`);
  return port;
}

export interface Proc {
  name: string;
  child: ChildProcess;
  /** Set before stopping it on purpose (chaos, shutdown): its exit is then not a crash. */
  expectedExit: boolean;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  logFile: string | undefined;
}

export interface SpawnOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Everything the process prints goes to this file (appended). */
  logFile?: string;
  /** Each line of stdout (and stderr), after it was written to the log file. */
  onLine?: (line: string, stream: "stdout" | "stderr") => void;
  /** Milliseconds between SIGTERM and SIGKILL on stop (default 10 s). */
  stopTimeoutMs?: number;
}

export class Supervisor {
  private readonly procs: Proc[] = [];
  private readonly timeouts = new Map<Proc, number>();
  stopping = false;

  constructor(private readonly onCrash: (p: Proc, code: number | null, signal: string | null) => void) {
    // Last resort (an exception on the way out): never leave a process group behind.
    process.on("exit", () => {
      for (const p of this.procs) killGroup(p, "SIGKILL");
    });
  }

  spawn(name: string, command: string, args: string[], o: SpawnOptions = {}): Proc {
    if (this.stopping) throw new Error(`not starting ${name}: stopping`);
    const child = spawn(command, args, {
      cwd: o.cwd,
      env: o.env ?? process.env,
      stdio: ["ignore", "pipe", "pipe"],
      detached: true, // its own process group: Ctrl-C reaches the demo, which stops children in order
    });
    let out: WriteStream | undefined;
    if (o.logFile) out = createWriteStream(o.logFile, { flags: "a" });
    for (const [stream, src] of [
      ["stdout", child.stdout],
      ["stderr", child.stderr],
    ] as const) {
      let buf = "";
      src?.on("data", (chunk: Buffer) => {
        out?.write(chunk);
        if (!o.onLine) return;
        buf += chunk.toString();
        const lines = buf.split("\n");
        buf = lines.pop() ?? "";
        for (const line of lines) if (line.trim()) o.onLine(line, stream);
      });
    }
    const p: Proc = {
      name,
      child,
      expectedExit: false,
      logFile: o.logFile,
      exited: new Promise((resolve) =>
        child.once("exit", (code, signal) => {
          out?.end();
          resolve({ code, signal });
        }),
      ),
    };
    child.once("error", (err) => {
      out?.write(`spawn failed: ${err.message}\n`);
      if (!p.expectedExit && !this.stopping) this.onCrash(p, null, `spawn error: ${err.message}`);
    });
    child.once("exit", (code, signal) => {
      const i = this.procs.indexOf(p);
      if (i >= 0) this.procs.splice(i, 1);
      // Sweep anything it left in its group.
      killGroup(p, "SIGKILL");
      if (!p.expectedExit && !this.stopping) this.onCrash(p, code, signal);
    });
    this.procs.push(p);
    this.timeouts.set(p, o.stopTimeoutMs ?? 10_000);
    return p;
  }

  /** Stops one process on purpose: `signal` to it, SIGKILL to its group after the timeout. */
  async stop(p: Proc, signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
    p.expectedExit = true;
    if (p.child.exitCode !== null || p.child.signalCode !== null) return;
    try {
      p.child.kill(signal);
    } catch {}
    const t = setTimeout(() => killGroup(p, "SIGKILL"), this.timeouts.get(p) ?? 10_000);
    await p.exited;
    clearTimeout(t);
    killGroup(p, "SIGKILL");
  }

  /** Everything, in reverse start order; `first` (e.g. the agents) are stopped before the rest, together. */
  async stopAll(first: (p: Proc) => boolean = () => false): Promise<void> {
    this.stopping = true;
    const live = [...this.procs];
    await Promise.all(live.filter(first).map((p) => this.stop(p)));
    for (const p of live.filter((x) => !first(x)).reverse()) await this.stop(p);
  }

  /** Immediate SIGKILL of every group (a second Ctrl-C). */
  killAll(): void {
    this.stopping = true;
    for (const p of this.procs) killGroup(p, "SIGKILL");
  }

  list(): readonly Proc[] {
    return this.procs;
  }
}

function killGroup(p: Proc, signal: NodeJS.Signals) {
  if (p.child.pid === undefined) return;
  try {
    process.kill(-p.child.pid, signal);
  } catch {}
}
