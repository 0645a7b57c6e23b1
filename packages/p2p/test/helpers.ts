import { createServer } from "node:net";
import { generateKeyPair } from "@libp2p/crypto/keys";
import { createNode, type NodeOptions, type P2PNode, type PeerConfig } from "../src/index.ts";

export interface Operator {
  index: number;
  identityKey: Uint8Array;
  publicKey: Uint8Array;
  port: number;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      if (addr === null || typeof addr === "string") return reject(new Error("no port"));
      srv.close(() => resolve(addr.port));
    });
  });
}

export async function makeOperator(index: number): Promise<Operator> {
  const key = await generateKeyPair("secp256k1");
  return { index, identityKey: key.raw, publicKey: key.publicKey.raw, port: await freePort() };
}

export function peerList(ops: Operator[]): PeerConfig[] {
  return ops.map((o) => ({ index: o.index, publicKey: o.publicKey, address: `127.0.0.1:${o.port}` }));
}

/** Fast timings so the whole suite stays well under 20 s. */
export const FAST: Partial<NodeOptions> = {
  pingIntervalMs: 100,
  // Generous relative to the ping interval: a loaded CI box can stall an event loop for
  // hundreds of ms while decrypting a 16 MiB message.
  idleTimeoutMs: 5000,
  reconnectBaseMs: 50,
  reconnectMaxMs: 400,
  dialTimeoutMs: 2000,
};

export function nodeFor(op: Operator, peers: PeerConfig[], extra: Partial<NodeOptions> = {}): P2PNode {
  return createNode({
    identityKey: op.identityKey,
    peers,
    listen: `127.0.0.1:${op.port}`,
    ...FAST,
    ...extra,
  });
}

export async function waitFor(cond: () => boolean, timeoutMs = 5000, what = "condition"): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export function allConnected(node: P2PNode): boolean {
  return node.peers().every((p) => p.connected);
}
