/**
 * Tenants: every function and task belongs to the tenant whose API key created it. A tenant sees only
 * its own (another's are "not found", never "forbidden", so existence does not leak); the tenant
 * `admin` sees everything. With API keys off, everyone is the tenant `default`.
 *
 * @example
 * visibleTo("alice", "alice") // true
 * visibleTo("bob", "alice")   // false
 * visibleTo("admin", "alice") // true
 */

/** The tenant that sees every tenant's functions and tasks. */
export const ADMIN_TENANT = "admin";

/** The tenant of callers when API keys are off, and of bare keys (no `name:` before them). */
export const DEFAULT_TENANT = "default";

/** What a tenant name looks like: 1-32 of a-z, 0-9, `_` and `-`. */
export const TENANT_NAME = /^[a-z0-9_-]{1,32}$/;

/** Whether `viewer` may see something `owner` created. */
export function visibleTo(viewer: string, owner: string): boolean {
  return viewer === owner || viewer === ADMIN_TENANT;
}

/** The tenant whose records a viewer's lists and counters cover: undefined means every tenant (admin). */
export function scopeOf(viewer: string): string | undefined {
  return viewer === ADMIN_TENANT ? undefined : viewer;
}
