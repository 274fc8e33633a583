/**
 * Quotas per tenant: most tasks queued (execute answers 429 past it, naming the limit), most running at
 * once, and optionally tasks started per second (a token bucket). Limits for a named tenant, or `*` for
 * every tenant without its own.
 *
 * @example
 * const limits = parseTenantLimits("*:queued=10000,running=32;alice:rate=50");
 * limitsOf(limits.value, "alice") // { maxQueued: 10000, maxRunning: 32, ratePerSec: 50 }
 */
import { invalid, type DomainError } from "./errors.ts";
import { err, ok, type Result } from "./result.ts";
import { TENANT_NAME } from "./tenant.ts";

export interface TenantLimits {
  readonly maxQueued?: number;
  readonly maxRunning?: number;
  readonly ratePerSec?: number;
}

export type LimitsTable = ReadonlyMap<string, TenantLimits>;

/** The limits of a tenant: its own entry over the `*` entry; none when neither exists. */
export function limitsOf(table: LimitsTable, tenant: string): TenantLimits {
  return { ...table.get("*"), ...table.get(tenant) };
}

const KEYS: Record<string, keyof TenantLimits> = { queued: "maxQueued", running: "maxRunning", rate: "ratePerSec" };

/** Parses `tenant:key=value,key=value;tenant:...` (keys queued, running, rate). */
export function parseTenantLimits(text: string | undefined): Result<LimitsTable, DomainError> {
  const table = new Map<string, TenantLimits>();
  if (text === undefined || text.trim() === "") return ok(table);
  for (const part of text.split(";").map((p) => p.trim()).filter((p) => p !== "")) {
    const colon = part.indexOf(":");
    const tenant = colon < 0 ? "" : part.slice(0, colon);
    if (tenant !== "*" && !TENANT_NAME.test(tenant)) return err(invalid(`each part is tenant:queued=N,running=N,rate=N (tenant a name or *), got "${part}"`));
    const limits: Record<string, number> = {};
    for (const kv of part.slice(colon + 1).split(",")) {
      const [k, v] = kv.split("=").map((x) => x.trim());
      const name = KEYS[k ?? ""];
      const n = Number(v);
      if (name === undefined || !(n > 0) || (name !== "ratePerSec" && !Number.isInteger(n))) return err(invalid(`expected queued=N, running=N or rate=N with N above 0, got "${kv}" for ${tenant}`));
      limits[name] = n;
    }
    table.set(tenant, limits);
  }
  return ok(table);
}

/**
 * A token bucket for tasks started per second: `rate` tokens a second, starting full, at most one
 * second's worth saved but never less than one token (a rate below 1 would otherwise never reach a
 * whole token and start nothing). Pure: time comes in as `now`.
 */
export class TokenBucket {
  private tokens: number;
  private at: number;

  constructor(
    private readonly rate: number,
    now: number,
  ) {
    this.tokens = Math.max(rate, 1);
    this.at = now;
  }

  /** Whole tokens available at `now`. */
  available(now: number): number {
    this.refill(now);
    return Math.floor(this.tokens);
  }

  take(n: number, now: number): void {
    this.refill(now);
    this.tokens -= n;
  }

  /** Ms until at least one token is there (0 when one is). */
  waitMs(now: number): number {
    this.refill(now);
    return this.tokens >= 1 ? 0 : Math.ceil(((1 - this.tokens) / this.rate) * 1000);
  }

  private refill(now: number): void {
    this.tokens = Math.min(Math.max(this.rate, 1), this.tokens + ((now - this.at) / 1000) * this.rate);
    this.at = now;
  }
}
