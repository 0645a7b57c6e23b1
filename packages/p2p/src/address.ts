import { isIP } from "node:net";
import { ConfigError } from "./errors.ts";

/**
 * Converts "host:port", "[v6]:port" or a multiaddr string ("/ip4/…/tcp/…") to a multiaddr
 * string without a /p2p component. Hostnames become /dns/<name>/tcp/<port>.
 */
export function toMultiaddrString(address: string): string {
  const a = address.trim();
  if (a.startsWith("/")) {
    const p2p = a.indexOf("/p2p/");
    return p2p >= 0 ? a.slice(0, p2p) : a;
  }
  let host: string;
  let portStr: string;
  const v6 = /^\[([^\]]+)\]:(\d+)$/.exec(a);
  if (v6) {
    host = v6[1] ?? "";
    portStr = v6[2] ?? "";
  } else {
    const i = a.lastIndexOf(":");
    if (i <= 0) throw new ConfigError(`address "${address}" is not host:port or a multiaddr`);
    host = a.slice(0, i);
    portStr = a.slice(i + 1);
  }
  const port = Number(portStr);
  if (!/^\d+$/.test(portStr) || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ConfigError(`address "${address}" has an invalid port`);
  }
  const kind = isIP(host);
  if (kind === 4) return `/ip4/${host}/tcp/${port}`;
  if (kind === 6) return `/ip6/${host}/tcp/${port}`;
  if (!/^[A-Za-z0-9.-]+$/.test(host)) throw new ConfigError(`address "${address}" has an invalid host`);
  return `/dns/${host}/tcp/${port}`;
}

/** Extracts the /p2p/<peerId> component of a multiaddr string, if any. */
export function p2pComponent(address: string): string | undefined {
  const m = /\/p2p\/([^/]+)/.exec(address.trim());
  return m?.[1];
}
