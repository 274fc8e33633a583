/**
 * A dispatcher's liveness key: `SET <prefix>live:<id> 1 PX ttl`, refreshed every ttl/4. While it
 * exists, nobody takes over the dispatcher's queue entries, however long its tasks run; once the
 * dispatcher dies (or loses Redis for longer than the ttl) the key expires and a live dispatcher
 * reclaims its entries as new attempts.
 */
import type { RedisClient } from "./client.ts";
import { every } from "../../domain/every.ts";
import type { Clock, Logger } from "../../domain/ports.ts";
import { guarded } from "./connection.ts";

export class Liveness {
  private stopRefreshing: (() => void) | undefined;
  private started: Promise<void> | undefined;

  constructor(
    private readonly redis: RedisClient,
    private readonly key: string,
    private readonly ttlMs: number,
    private readonly clock: Clock,
    private readonly logger?: Logger,
  ) {}

  /** Sets the key (the first call waits for it) and keeps refreshing it until `stop`. */
  ensure(): Promise<void> {
    if (this.started === undefined) {
      this.started = this.refresh().then(
        () => {
          const refresh = (): void => void this.refresh().catch((e) => this.logger?.log("debug", "liveness refresh failed", { error: String(e) }));
          this.stopRefreshing = every(this.clock, Math.max(10, Math.floor(this.ttlMs / 4)), refresh);
        },
        (e) => {
          this.started = undefined;
          throw e;
        },
      );
    }
    return this.started;
  }

  private async refresh(): Promise<void> {
    await guarded(() => this.redis.set(this.key, "1", "PX", this.ttlMs));
  }

  /** Stops refreshing; `release` also deletes the key so others take over at once. */
  async stop(release: boolean): Promise<void> {
    this.stopRefreshing?.();
    this.stopRefreshing = undefined;
    if (release && this.started !== undefined) await this.redis.del(this.key).catch(() => undefined);
  }
}
