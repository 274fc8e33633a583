/**
 * Error codes, named after the errno values libzmq and zeromq.js report, so callers can
 * branch on `error.code` the same way they would with zeromq.js.
 *
 * - `EFSM`: the operation is not allowed in the socket's current state (REQ/REP lockstep).
 * - `EHOSTUNREACH`: a ROUTER was asked to send to a routing id that is not connected.
 * - `EBUSY`: another `send` or `receive` is already waiting on this socket.
 * - `ETERM`: the socket is closed.
 * - `EINVAL`: bad argument (endpoint, message shape), or an address that cannot be bound.
 * - `EADDRINUSE`: the bind address is taken.
 * - `EPROTO`: a peer broke the protocol or its cryptography (in `handshake:error:protocol` events).
 * - `EACCES`: a peer was refused (in `handshake:error:auth` events).
 */
export type ZmtpErrorCode = "EFSM" | "EHOSTUNREACH" | "EBUSY" | "ETERM" | "EINVAL" | "EADDRINUSE" | "EPROTO" | "EACCES";

/**
 * The error every ZMTP socket operation rejects with.
 *
 * @example
 * ```ts
 * try { await router.send([id, "x"]); }
 * catch (e) { if (e instanceof ZmtpError && e.code === "EHOSTUNREACH") forget(id); }
 * ```
 */
export class ZmtpError extends Error {
  /** The errno-like code, see {@link ZmtpErrorCode}. */
  readonly code: ZmtpErrorCode;

  constructor(code: ZmtpErrorCode, message: string) {
    super(message);
    this.name = "ZmtpError";
    this.code = code;
  }
}
