import { ZmtpError } from "./errors.ts";

/** A parsed `tcp://host:port` address. Port 0 means "any free port" (bind only). */
export interface TcpEndpoint {
  readonly host: string;
  readonly port: number;
}

const TCP_ENDPOINT = /^tcp:\/\/(\[[0-9a-fA-F:.]+\]|[^:/\[\]]+):(\d{1,5}|\*)$/;

/**
 * Parses a ZeroMQ TCP endpoint. For bind, host `*` means all interfaces and port `*` or `0`
 * means a free port chosen by the OS (read it back from `lastEndpoint`).
 *
 * @example
 * ```ts
 * parseEndpoint("tcp://127.0.0.1:0", "bind");   // { host: "127.0.0.1", port: 0 }
 * parseEndpoint("tcp://[::1]:5555", "connect"); // { host: "::1", port: 5555 }
 * ```
 */
export function parseEndpoint(address: string, use: "bind" | "connect"): TcpEndpoint {
  const match = TCP_ENDPOINT.exec(address);
  if (match === null) {
    throw new ZmtpError("EINVAL", `Expected an endpoint like "tcp://127.0.0.1:5555", got "${address}"`);
  }
  let host = match[1] as string;
  if (host.startsWith("[")) host = host.slice(1, -1);
  const portText = match[2] as string;
  const port = portText === "*" ? 0 : Number(portText);
  if (port > 65535) throw new ZmtpError("EINVAL", `Port must be at most 65535, got ${port} in "${address}"`);
  if (use === "connect") {
    if (host === "*") throw new ZmtpError("EINVAL", `Cannot connect to host "*" in "${address}"`);
    if (port === 0) throw new ZmtpError("EINVAL", `Cannot connect to port ${portText} in "${address}"`);
  } else if (host === "*") {
    host = "0.0.0.0";
  }
  return { host, port };
}

/**
 * Formats an endpoint the way libzmq reports `ZMQ_LAST_ENDPOINT`.
 *
 * @example
 * ```ts
 * formatEndpoint("127.0.0.1", 40123); // "tcp://127.0.0.1:40123"
 * ```
 */
export function formatEndpoint(host: string, port: number): string {
  return `tcp://${host.includes(":") ? `[${host}]` : host}:${port}`;
}
