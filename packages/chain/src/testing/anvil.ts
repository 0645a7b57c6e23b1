import { type ChildProcess, spawn } from "node:child_process";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import path from "node:path";

/** A private anvil on a free port, hardfork pinned to the contracts' evmVersion. */
export interface Anvil {
  rpcUrl: string;
  port: number;
  chainId: number;
  stop(): Promise<void>;
}

/** Anvil's well-known dev account #0 (mnemonic "test … junk"): funded with 10 000 ETH. */
export const ANVIL_DEV_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80" as const;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** The native anvil binary (the npm launcher would add a node process that does not forward kills). */
export function anvilBinary(): string {
  const require = createRequire(import.meta.url);
  const arch = process.arch === "x64" ? "amd64" : process.arch;
  const exe = process.platform === "win32" ? "anvil.exe" : "anvil";
  try {
    return require.resolve(`@foundry-rs/anvil-${process.platform}-${arch}/bin/${exe}`);
  } catch {
    const launcher = path.dirname(require.resolve("@foundry-rs/anvil/package.json"));
    return path.join(launcher, "..", "..", ".bin", "anvil");
  }
}

export async function startAnvil(opts: { chainId?: number; hardfork?: string } = {}): Promise<Anvil> {
  const chainId = opts.chainId ?? 31337;
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const child: ChildProcess = spawn(
      anvilBinary(),
      [
        "--port",
        String(port),
        "--chain-id",
        String(chainId),
        "--hardfork",
        opts.hardfork ?? "prague",
        "--silent",
      ],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    const rpcUrl = `http://127.0.0.1:${port}`;
    const ready = await waitReady(rpcUrl, child);
    if (!ready) {
      child.kill("SIGKILL");
      if (attempt < 3) continue;
      throw new Error(`anvil did not start on port ${port}`);
    }
    return {
      rpcUrl,
      port,
      chainId,
      stop: () =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null) return resolve();
          child.once("exit", () => resolve());
          child.kill("SIGTERM");
        }),
    };
  }
}

async function waitReady(rpcUrl: string, child: ChildProcess): Promise<boolean> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) return false;
    try {
      const res = await fetch(rpcUrl, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
      });
      if (res.ok) return true;
    } catch {}
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}
