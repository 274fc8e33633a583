/**
 * Where a deployment keeps its data in Redis. Every key starts with the deployment's prefix (FAAS_PREFIX,
 * default "faas"), so several deployments can share one Redis.
 *
 * @example
 * const keys = redisKeys("faas");
 * keys.task("4f1c...") // "faas:task:4f1c..."
 */
export interface RedisKeys {
  readonly prefix: string;
  /** Stream of queue entries, one field `t` = task id; read through the consumer group `GROUP`. */
  readonly queue: string;
  /** Count of QUEUED tasks (queued, not yet claimed): the queue depth. */
  readonly queued: string;
  /** Prefix of the per-tenant hashes of task counters (GET /metrics), `<statsPrefix><tenant>`; see task-stats.ts. */
  readonly statsPrefix: string;
  /** Set of the tenants that have counters. */
  readonly tenants: string;
  /** Hash: function id -> JSON of the FunctionRecord. */
  readonly functions: string;
  /** Pub/sub channel carrying "these tasks are terminal" notifications. */
  readonly events: string;
  /** Pub/sub channel carrying "these tasks were cancelled" signals to dispatchers. */
  readonly cancels: string;
  /** Prefix of task keys (a string per task holding its JSON). */
  readonly taskPrefix: string;
  /** Prefix of dispatcher liveness keys (`<livePrefix><dispatcher id>`, set with PX, refreshed). */
  readonly livePrefix: string;
  task(id: string): string;
  live(dispatcherId: string): string;
  statsOf(tenant: string): string;
}

/** The consumer group every dispatcher reads the queue through. */
export const GROUP = "dispatchers";

export function redisKeys(prefix: string): RedisKeys {
  const taskPrefix = `${prefix}:task:`;
  const livePrefix = `${prefix}:live:`;
  return {
    prefix,
    queue: `${prefix}:queue`,
    queued: `${prefix}:queued`,
    statsPrefix: `${prefix}:stats:`,
    tenants: `${prefix}:tenants`,
    statsOf: (tenant) => `${prefix}:stats:${tenant}`,
    functions: `${prefix}:functions`,
    events: `${prefix}:events`,
    cancels: `${prefix}:cancels`,
    taskPrefix,
    livePrefix,
    task: (id) => taskPrefix + id,
    live: (id) => livePrefix + id,
  };
}
