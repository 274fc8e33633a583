/**
 * Failed sign-ins counted per client address: past `max` failures within `windowMs`, that address is
 * refused (429 with Retry-After) until the window passes. Per address, never global: an attacker
 * cannot lock everyone else out. Bounded: past `maxAddresses` the oldest entries are dropped.
 *
 * @example
 * const limit = new SignInLimit({ clock, max: 10, windowMs: 300_000 });
 * if (limit.blockedFor(ip) > 0) return tooMany(...);
 * if (!valid) limit.failed(ip);
 */
import type { Clock } from "../../../domain/ports.ts";

export interface SignInLimitOptions {
  readonly clock: Clock;
  /** Failures allowed per address within the window (default 10). */
  readonly max?: number;
  /** The window, in ms (default 5 minutes). */
  readonly windowMs?: number;
  readonly maxAddresses?: number;
}

export class SignInLimit {
  private readonly failures = new Map<string, number[]>();

  constructor(private readonly o: SignInLimitOptions) {}

  /** Ms until `address` may try again (0: it may now). */
  blockedFor(address: string): number {
    const times = this.recent(address);
    if (times.length < (this.o.max ?? 10)) return 0;
    return (times[0] as number) + this.window() - this.o.clock.now();
  }

  failed(address: string): void {
    const times = this.recent(address);
    times.push(this.o.clock.now());
    this.failures.delete(address);
    this.failures.set(address, times);
    if (this.failures.size > (this.o.maxAddresses ?? 10_000)) this.failures.delete(this.failures.keys().next().value as string);
  }

  private recent(address: string): number[] {
    const since = this.o.clock.now() - this.window();
    return (this.failures.get(address) ?? []).filter((t) => t > since);
  }

  private window(): number {
    return this.o.windowMs ?? 5 * 60_000;
  }
}
