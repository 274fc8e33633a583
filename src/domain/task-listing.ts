/**
 * Listing tasks for operators, newest first, a page at a time. The order: QUEUED and RUNNING tasks by
 * when they were created, finished tasks by when they finished (the most recent activity first), ties
 * broken by task id (both descending). A page ends at a position; the next starts after it.
 *
 * A store keeps indexes (sorted sets in Redis, sorted logs in memory), several per shard: a tenant's
 * unfinished tasks, its finished ones by status, and the same per function. Each index is one
 * *source*: scanned after the position, skipping entries whose task expired or no longer matches, for
 * at most a budget of entries. `mergeScans` turns the scans of every source (every shard) into one
 * page: an item is safe to return only if no source that stopped early could still hold a newer one,
 * so a page may come back short (even empty) with a `next` position to go on from.
 *
 * @example
 * const page = mergeScans([scanA, scanB], 50); // { tasks: [...], next: { score, id } }
 * const cursor = encodeCursor(page.next!);     // opaque text for ?cursor=
 */
import { invalid, type DomainError } from "./errors.ts";
import { err, ok, type Result } from "./result.ts";
import { isTerminal, type Task, type TaskStatus } from "./task.ts";

/** Largest page. */
export const MAX_LIST_LIMIT = 1000;
/** Page size when none is asked. */
export const DEFAULT_LIST_LIMIT = 50;
/** Entries one source examines per page at most (past it the page may come back short). */
export function scanBudget(limit: number): number {
  return Math.max(2000, 4 * limit);
}

/** What a list shows of a task. */
export interface TaskSummary {
  readonly id: string;
  readonly tenant: string;
  readonly functionId: string;
  readonly status: TaskStatus;
  readonly attempt: number;
  readonly createdAt: number;
  /** When it became terminal; absent while QUEUED or RUNNING. */
  readonly finishedAt?: number;
  /** The error's name when FAILED. */
  readonly errorName?: string;
  readonly retriedAs?: string;
}

/** A place in the order: the sort time (ms) and the task id. */
export interface ListPosition {
  readonly score: number;
  readonly id: string;
}

export interface TaskQuery {
  /** Whose tasks: one tenant's, or every tenant's when undefined (admin). */
  readonly tenant?: string;
  readonly status?: TaskStatus;
  readonly functionId?: string;
  readonly limit: number;
  /** Start after this position (the previous page's `next`). */
  readonly after?: ListPosition;
}

export interface TaskPage {
  readonly tasks: readonly TaskSummary[];
  /** Where the next page starts; absent when nothing is left. */
  readonly next?: ListPosition;
}

/** What one source found after the position: matching items newest first, and whether it stopped early. */
export interface SourceScan {
  readonly items: readonly TaskSummary[];
  /** The source may hold more after `horizon` (it filled the page or spent its budget). */
  readonly more: boolean;
  /** The last entry it examined, when `more`. */
  readonly horizon?: ListPosition;
}

/** The operator's view of the tasks, kept by the store beside them (the API's side). */
export interface TaskListing {
  list(q: TaskQuery): Promise<TaskPage>;
}

/** The time a task sorts by: finished tasks by when they finished, others by when they were created. */
export function sortTime(t: Pick<Task, "status" | "createdAt" | "updatedAt">): number {
  return isTerminal(t.status) ? t.updatedAt : t.createdAt;
}

/** The position of a summary in the order. */
export function positionOf(s: TaskSummary): ListPosition {
  return { score: s.finishedAt ?? s.createdAt, id: s.id };
}

/**
 * Compares two positions in list order: negative when `a` comes first (newer), positive when later.
 *
 * @example
 * comparePositions({ score: 2, id: "a" }, { score: 1, id: "z" }) // < 0: 2 is newer
 */
export function comparePositions(a: ListPosition, b: ListPosition): number {
  if (a.score !== b.score) return b.score - a.score;
  return a.id === b.id ? 0 : a.id < b.id ? 1 : -1;
}

/** Whether `p` comes after `after` in list order (or there is no `after`). */
export function isAfter(p: ListPosition, after: ListPosition | undefined): boolean {
  return after === undefined || comparePositions(p, after) > 0;
}

/**
 * One page from the scans of every source: items newest first, only those no stopped source can
 * precede, at most `limit`; `next` when more may follow.
 *
 * @example
 * mergeScans([{ items: [a, b], more: true, horizon: positionOf(b) }, { items: [c], more: false }], 2)
 */
export function mergeScans(scans: readonly SourceScan[], limit: number): TaskPage {
  let bound: ListPosition | undefined; // the newest horizon of a source that stopped early
  for (const s of scans) if (s.more && s.horizon !== undefined && (bound === undefined || comparePositions(s.horizon, bound) < 0)) bound = s.horizon;
  const all = scans.flatMap((s) => s.items).sort((a, b) => comparePositions(positionOf(a), positionOf(b)));
  const safe = bound === undefined ? all : all.filter((t) => comparePositions(positionOf(t), bound) <= 0);
  const tasks = safe.slice(0, limit);
  if (safe.length > limit) return { tasks, next: positionOf(tasks[tasks.length - 1] as TaskSummary) };
  return bound === undefined ? { tasks } : { tasks, next: bound }; // every safe item is here: go on from the bound
}

/**
 * A task as a list shows it.
 *
 * @example
 * summarize(failedTask) // { id, tenant, functionId, status: "FAILED", attempt: 1, createdAt, finishedAt, errorName: "TypeError" }
 */
export function summarize(t: Task): TaskSummary {
  const errorName = t.status === "FAILED" ? errorNameOf(t.result) : undefined;
  return {
    id: t.id,
    tenant: t.tenant,
    functionId: t.functionId,
    status: t.status,
    attempt: t.attempt,
    createdAt: t.createdAt,
    ...(isTerminal(t.status) && { finishedAt: t.updatedAt }),
    ...(errorName !== undefined && { errorName }),
    ...(t.retriedAs !== undefined && { retriedAs: t.retriedAs }),
  };
}

/** The `name` of a FAILED task's result (JSON text of `{name, message, stack}`), if it has one. */
export function errorNameOf(result: string | null): string | undefined {
  if (result === null) return undefined;
  try {
    const name = (JSON.parse(result) as { name?: unknown } | null)?.name;
    return typeof name === "string" ? name : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The opaque text of a position (for `?cursor=`): base64url of `<score>.<id>`.
 *
 * @example
 * decodeCursor(encodeCursor({ score: 1700000000000, id: "9a2e" })) // ok({ score: 1700000000000, id: "9a2e" })
 */
export function encodeCursor(p: ListPosition): string {
  return base64url(`${p.score}.${p.id}`);
}

/** The position a cursor names; InvalidRequest naming `cursor` when it is not one this server gave. */
export function decodeCursor(text: string): Result<ListPosition, DomainError> {
  const bad = err(invalid(`The cursor must be one an earlier page returned, got "${text.slice(0, 60)}"`, { name: "cursor" }));
  const plain = unbase64url(text);
  if (plain === undefined) return bad;
  const dot = plain.indexOf(".");
  const score = Number(plain.slice(0, dot));
  const id = plain.slice(dot + 1);
  if (dot < 1 || !Number.isSafeInteger(score) || score < 0 || id === "") return bad;
  return ok({ score, id });
}

function base64url(text: string): string {
  let binary = "";
  for (const b of new TextEncoder().encode(text)) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function unbase64url(text: string): string | undefined {
  if (!/^[A-Za-z0-9_-]{2,2000}$/.test(text) || text.length % 4 === 1) return undefined;
  try {
    const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
    return new TextDecoder("utf-8", { fatal: true }).decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
  } catch {
    return undefined;
  }
}
