import type { Connection } from "./connection.ts";
import type { TcpEndpoint } from "./endpoint.ts";
import { dialTcp } from "./tcp-transport.ts";

/** Reconnect timing, in milliseconds. */
export interface ReconnectPolicy {
  /** Delay before the first reconnect attempt; -1 disables reconnecting. */
  readonly reconnectInterval: number;
  /** Cap for the doubling delay; 0 keeps the delay at `reconnectInterval`. */
  readonly reconnectMaxInterval: number;
}

/**
 * The connecting side of one `connect(endpoint)`: dials, and after a failed attempt or a
 * lost connection dials again after a delay that doubles up to a cap (reset once a
 * handshake succeeds).
 */
export class Dialer {
  private current: Connection | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private delay: number;
  private stopped = false;

  /**
   * @param address the endpoint as the user wrote it
   * @param create makes the Connection for each attempt
   */
  constructor(
    readonly address: string,
    private readonly endpoint: TcpEndpoint,
    private readonly create: () => Connection,
    private readonly policy: ReconnectPolicy,
  ) {
    this.delay = policy.reconnectInterval;
  }

  /** Whether `conn` is this dialer's live attempt. */
  owns(conn: Connection): boolean {
    return this.current === conn;
  }

  /** Starts the first attempt. */
  start(): void {
    this.attempt();
  }

  /** The handshake on the current connection succeeded: the next loss reconnects quickly. */
  connected(): void {
    this.delay = this.policy.reconnectInterval;
  }

  /** The current connection (or attempt) ended: schedule the next attempt. */
  lost(conn: Connection): void {
    if (conn !== this.current) return;
    this.current = null;
    if (this.stopped || this.policy.reconnectInterval < 0) return;
    const wait = this.delay;
    const max = this.policy.reconnectMaxInterval;
    if (max > 0) this.delay = Math.min(this.delay * 2, max);
    this.timer = setTimeout(() => this.attempt(), wait);
  }

  /** Stops reconnecting and closes the current connection. */
  stop(): void {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    const conn = this.current;
    this.current = null;
    conn?.close("Disconnected");
  }

  private attempt(): void {
    this.timer = null;
    if (this.stopped) return;
    const conn = this.create();
    this.current = conn;
    dialTcp(this.endpoint, conn);
  }
}
