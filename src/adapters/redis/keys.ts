/**
 * Where a deployment keeps its data in Redis. Every key starts with the deployment's prefix (FAAS_PREFIX,
 * default "faas"), so several deployments can share one Redis.
 *
 * The tasks are split into shards (`--shards`, default 1). Each shard has its own queue stream, task
 * keys, counters, copy of the functions and liveness keys, all under one hash tag (`faas:{s1.1}:queue`,
 * `faas:{s1.1}:task:<id>`), so every script touches one Redis Cluster slot. With one shard on a single
 * Redis (or Sentinel) the keys keep the names they had before shards existed (`faas:queue`,
 * `faas:task:<id>`); on a Cluster even one shard is tagged.
 *
 * @example
 * const keys = redisKeys("faas");
 * keys.shards[0].task("4f1c...") // "faas:task:4f1c..."
 * redisKeys("faas", { shards: 3 }).shards[2].queue // "faas:{s2.1}:queue"
 */
import { shardTags } from "./hash-slot.ts";

/** The keys of one shard: everything a script about its tasks touches. */
export interface ShardKeys {
  /** Stream of queue entries, one field `t` = task id; read through the consumer group `GROUP`. */
  readonly queue: string;
  /** Count of this shard's QUEUED tasks (queued, not yet claimed). */
  readonly queued: string;
  /** Prefix of the per-tenant hashes of task counters (GET /metrics), `<statsPrefix><tenant>`; see task-stats.ts. */
  readonly statsPrefix: string;
  /** Set of the tenants that have counters in this shard. */
  readonly tenants: string;
  /** Hash: function id -> JSON of the FunctionRecord (every shard holds every function). */
  readonly functions: string;
  /** Prefix of task keys (a string per task holding its JSON). */
  readonly taskPrefix: string;
  /** Prefix of dispatcher liveness keys (`<livePrefix><dispatcher id>`, set with PX, refreshed). */
  readonly livePrefix: string;
  /** Stream with one entry per change that may make a task claimable (enqueue, re-queue, resolved dependency): dispatchers block on it. */
  readonly wake: string;
  /** Set of tenants with claimable tasks (their ready list or priority set is not empty). */
  readonly active: string;
  /** Sorted set: ids of QUEUED tasks not due yet, by runAt. */
  readonly delayed: string;
  /** Counter: the order of entries of equal rank in the priority sets (first-in first-out). */
  readonly seq: string;
  /** Counter: where the next claim starts its round-robin over tenants. */
  readonly turn: string;
  /** Hash: tenant -> its token bucket in this shard ("tokens:at ms"), for --tenant-limits rate. */
  readonly rate: string;
  /** List of dependency work ("link|<task id>", "done|<task id>") that dispatchers carry out (dependency-links.ts). */
  readonly outbox: string;
  /** Prefix of the tenants' ready lists (`<readyPrefix><tenant>`): default-priority tasks, "<ms>|<id>", first-in first-out. */
  readonly readyPrefix: string;
  /** Prefix of the tenants' priority sets (`<prioPrefix><tenant>`): other priorities, by rank, members "<seq>|<id>". */
  readonly prioPrefix: string;
  /** Prefix of dependents sets (`<depsPrefix><task id>`): the tasks waiting for that task. */
  readonly depsPrefix: string;
  /** Hash: id of a dispatcher waiting for work -> what ENQUEUE may claim for it ("<free slots> <aging> <limits>", lua/claim-core.ts). */
  readonly idle: string;
  /** Prefix of the dispatchers' hand-out streams (`<handoutPrefix><dispatcher id>`): tasks claimed for a dispatcher by ENQUEUE, field `t` = task JSON. */
  readonly handoutPrefix: string;
  /** Hash: queue-stream entry id -> tasks of it not settled yet (a claim's tasks share one entry; lua/shared.ts). */
  readonly entryLeft: string;
  /** The KEYS every queue script takes, in this order (see lua/queue.ts). */
  readonly scriptKeys: readonly string[];
  /** Hash: schedule id -> JSON of the schedule's fixed fields (the schedules whose ids name this shard). */
  readonly schedules: string;
  /** Hash: schedule id -> its changing state, `<nextAt>|<paused 0/1>|<lastFiredAt or empty>`. */
  readonly scheduleState: string;
  /** Prefix of the operators' keys: listing indexes, per-function and per-second counters (lua/operations.ts). */
  readonly opsPrefix: string;
  task(id: string): string;
  live(dispatcherId: string): string;
  handout(dispatcherId: string): string;
  statsOf(tenant: string): string;
}

export interface RedisKeys {
  readonly prefix: string;
  /** Pub/sub channel carrying "these tasks are terminal" notifications. */
  readonly events: string;
  /** Pub/sub channel carrying "these tasks were cancelled" signals to dispatchers. */
  readonly cancels: string;
  /** Pub/sub channel carrying "these schedules changed" to the dispatchers' schedulers. */
  readonly scheduleChanges: string;
  /** String: the deployment's shard count; a process started with another refuses to start. */
  readonly shardCount: string;
  /** One entry per shard; shard 0 also holds the function catalogue and its counts. */
  readonly shards: readonly ShardKeys[];
  /** Sorted set of dispatcher ids by when their report expires, and the prefix of those reports (worker-directory.ts); one slot. */
  readonly dispatchers: string;
  readonly dispatcherReportPrefix: string;
}

/** The consumer group every dispatcher reads the queue through. */
export const GROUP = "dispatchers";

/**
 * The keys of deployment `prefix` with `shards` shards; `hashTags` (on a Cluster) tags one shard too.
 */
export function redisKeys(prefix: string, o: { readonly shards?: number; readonly hashTags?: boolean } = {}): RedisKeys {
  const n = o.shards ?? 1;
  const tagged = n > 1 || o.hashTags === true;
  if (tagged && /[{}]/.test(prefix)) throw new Error(`A key prefix with shards or on a Cluster must not contain { or }, got "${prefix}"`);
  const bases = tagged ? shardTags(n).map((tag) => `${prefix}:{${tag}}:`) : [`${prefix}:`];
  return {
    prefix,
    events: `${prefix}:events`,
    cancels: `${prefix}:cancels`,
    scheduleChanges: `${prefix}:schedule-changes`,
    shardCount: `${prefix}:shards`,
    dispatchers: `${prefix}:{ops}:dispatchers`,
    dispatcherReportPrefix: `${prefix}:{ops}:dispatcher:`,
    shards: bases.map(shardKeys),
  };
}

function shardKeys(base: string): ShardKeys {
  const taskPrefix = `${base}task:`;
  const livePrefix = `${base}live:`;
  const statsPrefix = `${base}stats:`;
  const k = {
    queue: `${base}queue`,
    queued: `${base}queued`,
    statsPrefix,
    tenants: `${base}tenants`,
    functions: `${base}functions`,
    taskPrefix,
    livePrefix,
    schedules: `${base}schedules`,
    scheduleState: `${base}schedule-state`,
    wake: `${base}wake`,
    active: `${base}active`,
    delayed: `${base}delayed`,
    seq: `${base}seq`,
    turn: `${base}turn`,
    rate: `${base}rate`,
    outbox: `${base}outbox`,
    readyPrefix: `${base}ready:`,
    prioPrefix: `${base}prio:`,
    depsPrefix: `${base}deps:`,
    idle: `${base}idle`,
    handoutPrefix: `${base}handout:`,
    entryLeft: `${base}queue-left`,
    opsPrefix: `${base}ops:`,
  };
  return {
    ...k,
    scriptKeys: [k.queue, k.queued, k.statsPrefix, k.wake, k.active, k.delayed, k.seq, k.turn, k.rate, k.outbox, k.readyPrefix, k.prioPrefix, k.depsPrefix, k.taskPrefix, k.tenants, k.functions, k.idle, k.handoutPrefix, k.livePrefix, k.entryLeft, k.opsPrefix],
    task: (id) => taskPrefix + id,
    live: (id) => livePrefix + id,
    handout: (id) => `${base}handout:${id}`,
    statsOf: (tenant) => statsPrefix + tenant,
  };
}
