/**
 * The operators' side of the tasks in Redis (OperationsStore): listing, retry marks, per-second activity
 * and per-function counters. The indexes and counters are written by the scripts that change tasks
 * (lua/operations.ts); this reads them, one script call per shard (in parallel), and puts the shards
 * together: a list merges the shards' index scans newest first (mergeScans), counters add up.
 *
 * @example
 * const ops = new RedisOperations({ redis, keys });
 * const page = await ops.list({ tenant: "alice", status: "FAILED", limit: 50 });
 */
import { sumSeconds, type SecondCounts } from "../../domain/activity.ts";
import { emptyFunctionCounts, sumFunctionCounts, type FunctionCounts } from "../../domain/function-stats.ts";
import type { OperationsStore } from "../../domain/operations-service.ts";
import { mergeScans, scanBudget, type SourceScan, type TaskPage, type TaskQuery, type TaskSummary } from "../../domain/task-listing.ts";
import type { RetryMark } from "../../domain/task-retries.ts";
import type { RedisClient } from "./client.ts";
import { guarded } from "./connection.ts";
import { drainedThen } from "./deferred-drain.ts";
import type { RedisKeys, ShardKeys } from "./keys.ts";
import { LIST_TASKS } from "./lua/list-tasks.ts";
import { READ_ACTIVITY, READ_FUNCTION_COUNTS } from "./lua/read-counts.ts";
import { MARK_RETRIED, UNMARK_RETRIED } from "./lua/retry-marks.ts";
import { shardOfTask } from "./task-ids.ts";

export interface RedisOperationsOptions {
  readonly redis: RedisClient;
  readonly keys: RedisKeys;
}

export class RedisOperations implements OperationsStore {
  private readonly shards: readonly ShardKeys[];

  constructor(private readonly o: RedisOperationsOptions) {
    this.shards = o.keys.shards;
  }

  async list(q: TaskQuery): Promise<TaskPage> {
    const args = [q.tenant ?? "", q.status ?? "", q.functionId ?? "", q.limit, scanBudget(q.limit), q.after === undefined ? "" : q.after.score, q.after?.id ?? ""];
    const perShard = await Promise.all(this.shards.map((k) => drainedThen<unknown[][]>(this.o.redis, k, () => LIST_TASKS.run(this.o.redis, [k.opsPrefix, k.tenants], [k.taskPrefix, ...args]))));
    return mergeScans(perShard.flat().map(decodeScan), q.limit);
  }

  async markRetried(marks: readonly RetryMark[]): Promise<string[]> {
    const marked = await Promise.all([...this.byShard(marks)].map(([k, list]) => guarded(() => MARK_RETRIED.run(this.o.redis, [k.opsPrefix], [k.taskPrefix, ...pairs(list)])) as Promise<string[]>));
    return marked.flat();
  }

  async unmarkRetried(marks: readonly RetryMark[]): Promise<void> {
    await Promise.all([...this.byShard(marks)].map(([k, list]) => guarded(() => UNMARK_RETRIED.run(this.o.redis, [k.opsPrefix], [k.taskPrefix, ...pairs(list)]))));
  }

  async activity(tenant: string | undefined, fromSecond: number, toSecond: number): Promise<SecondCounts[]> {
    const minutes = [Math.floor(fromSecond / 60), Math.floor(toSecond / 60)];
    const perShard = await Promise.all(this.shards.map((k) => drainedThen<string[][]>(this.o.redis, k, () => READ_ACTIVITY.run(this.o.redis, [k.opsPrefix, k.tenants], [tenant ?? "", ...minutes]))));
    const seconds = sumSeconds(perShard.map((hashes) => hashes.flatMap(decodeMinute)));
    return seconds.filter((s) => s.second >= fromSecond && s.second <= toSecond);
  }

  async functionCounts(functionIds: readonly string[]): Promise<Map<string, FunctionCounts>> {
    if (functionIds.length === 0) return new Map();
    const perShard = await Promise.all(this.shards.map((k) => drainedThen<string[][]>(this.o.redis, k, () => READ_FUNCTION_COUNTS.run(this.o.redis, [k.opsPrefix], functionIds))));
    return new Map(functionIds.map((id, i) => [id, sumFunctionCounts(perShard.map((hashes) => decodeFunctionCounts(hashes[i] ?? [])))]));
  }

  private byShard(marks: readonly RetryMark[]): Map<ShardKeys, RetryMark[]> {
    const out = new Map<ShardKeys, RetryMark[]>();
    for (const m of marks) {
      const k = this.shards[shardOfTask(m.taskId, this.shards.length)] as ShardKeys;
      const list = out.get(k);
      if (list === undefined) out.set(k, [m]);
      else list.push(m);
    }
    return out;
  }
}

function pairs(marks: readonly RetryMark[]): string[] {
  return marks.flatMap((m) => [m.taskId, m.retriedAs]);
}

/** One source's reply of LIST_TASKS: {more, horizon score, horizon id, summary JSON...}. */
function decodeScan(reply: unknown[]): SourceScan {
  const items = reply.slice(3).map((json) => decodeSummary(String(json)));
  if (Number(reply[0]) !== 1) return { items, more: false };
  return { items, more: true, horizon: { score: Number(reply[1]), id: String(reply[2]) } };
}

function decodeSummary(json: string): TaskSummary {
  const s = JSON.parse(json) as TaskSummary & { errorName?: unknown; retriedAs?: unknown };
  return {
    id: s.id,
    tenant: s.tenant,
    functionId: s.functionId,
    status: s.status,
    attempt: s.attempt,
    createdAt: s.createdAt,
    ...(typeof s.finishedAt === "number" && { finishedAt: s.finishedAt }),
    ...(typeof s.errorName === "string" && { errorName: s.errorName }),
    ...(typeof s.retriedAs === "string" && { retriedAs: s.retriedAs }),
  };
}

/** The seconds in one minute's activity hash (`<second>:C|F|X` and `<second>:b<bucket>` fields). */
function decodeMinute(fields: readonly string[]): SecondCounts[] {
  const by = new Map<number, { second: number; completed: number; failed: number; cancelled: number; latency: Record<number, number> }>();
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const [sec, what] = (fields[i] as string).split(":");
    const second = Number(sec);
    if (what === undefined || !Number.isInteger(second)) continue;
    let s = by.get(second);
    if (s === undefined) by.set(second, (s = { second, completed: 0, failed: 0, cancelled: 0, latency: {} }));
    const n = Number(fields[i + 1]);
    if (what === "C") s.completed += n;
    else if (what === "F") s.failed += n;
    else if (what === "X") s.cancelled += n;
    else if (what.startsWith("b")) s.latency[Number(what.slice(1))] = n;
  }
  return [...by.values()];
}

function decodeFunctionCounts(fields: readonly string[]): FunctionCounts {
  const c = { ...emptyFunctionCounts(), latency: {} as Record<number, number> };
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const f = fields[i] as string;
    const n = Number(fields[i + 1]);
    if (f === "submitted") c.submitted = n;
    else if (f === "C") c.completed = n;
    else if (f === "F") c.failed = n;
    else if (f === "X") c.cancelled = n;
    else if (f.startsWith("b")) c.latency[Number(f.slice(1))] = n;
  }
  return c;
}
