/**
 * A task in Redis is one string key holding its JSON (the Task fields, plus `entry`: the queue entry
 * of the running attempt, which the scripts use to ack it). One GET/SET per task in the scripts and
 * one MGET for many tasks. Fields at their defaults are left out (tenant "default", no result,
 * priority 5, runAt equal to createdAt, no hand-backs, retries or dependencies): where a script
 * decodes and encodes a task, that work grows with the text (Redis 7's Lua cjson, a 270-byte record:
 * about 1.3 us to decode, 2.5 us to encode).
 *
 * The head comes first: status, attempt, updatedAt. CLAIM gives a task stored by enqueue (attempt 0,
 * no attempt records) its first attempt by replacing that head, without decoding the rest
 * (lua/claim.ts); the claim writes status, attempt and entry first, which APPLY's fast path checks
 * before it stores the record the dispatcher computed (lua/apply.ts). The common path (enqueue,
 * claim, apply) decodes no JSON in Redis.
 *
 * Redis' Lua cjson rejects the `\udXXX` escapes JSON.stringify writes for lone UTF-16 surrogates, and
 * ioredis would send such a character as U+FFFD anyway; so strings are made well-formed before
 * encoding, the same result the UTF-8 wire gives, and the scripts can always decode a task.
 */
import type { AttemptRecord } from "../../domain/attempt-log.ts";
import { DEFAULT_PRIORITY, type Task, type TaskDraft } from "../../domain/task.ts";
import { DEFAULT_TENANT } from "../../domain/tenant.ts";

/** JSON text of a task as stored (fields set one by one: no spread objects on this hot path). */
export function encodeTask(t: Task): string {
  const o: Record<string, unknown> = { status: t.status, attempt: t.attempt, updatedAt: t.updatedAt, id: t.id.toWellFormed() };
  if (t.tenant !== DEFAULT_TENANT) o.tenant = t.tenant;
  o.functionId = t.functionId.toWellFormed();
  o.args = t.args.toWellFormed();
  if (t.handbacks !== 0) o.handbacks = t.handbacks;
  o.maxAttempts = t.maxAttempts;
  o.timeoutMs = t.timeoutMs;
  if (t.result !== null) o.result = t.result.toWellFormed();
  o.createdAt = t.createdAt;
  if (t.priority !== DEFAULT_PRIORITY) o.priority = t.priority;
  if (t.runAt !== t.createdAt) o.runAt = t.runAt;
  if (t.retries !== 0) o.retries = t.retries;
  if (t.blockedBy !== 0) o.blockedBy = t.blockedBy;
  if (t.retry !== undefined) o.retry = t.retry;
  if (t.after !== undefined) o.after = t.after;
  if (t.argsFrom !== undefined) o.argsFrom = t.argsFrom;
  if (t.retryOf !== undefined) o.retryOf = t.retryOf.toWellFormed();
  if (t.retriedAs !== undefined) o.retriedAs = t.retriedAs.toWellFormed();
  if (t.attempts !== undefined && t.attempts.length > 0) o.attempts = t.attempts.map(wellFormedAttempt);
  return JSON.stringify(o);
}

/**
 * JSON of the fields a task's end changes (status, attempt, updatedAt, result, attempts): APPLY's
 * fast path puts them in place of the record's head (lua/apply.ts).
 */
export function encodeEnd(t: Task): string {
  const o: Record<string, unknown> = { status: t.status, attempt: t.attempt, updatedAt: t.updatedAt };
  if (t.result !== null) o.result = t.result.toWellFormed();
  if (t.attempts !== undefined && t.attempts.length > 0) o.attempts = t.attempts.map(wellFormedAttempt);
  return JSON.stringify(o);
}

/** An attempt record whose error text (cut from a user's message, maybe inside a surrogate pair) Lua can decode. */
function wellFormedAttempt(a: AttemptRecord): AttemptRecord {
  if (a.error === undefined || (a.error.message.isWellFormed() && a.error.name.isWellFormed())) return a;
  return { ...a, error: { name: a.error.name.toWellFormed(), message: a.error.message.toWellFormed() } };
}

/** The Task held in stored JSON text (`entry` dropped). */
export function decodeTask(json: string): Task {
  return decodeStored(json).task;
}

/** The Task and, while an attempt runs, the queue entry carrying it. */
export function decodeStored(json: string): { task: Task; entry: string | undefined } {
  return fromStored(JSON.parse(json) as Task & { entry?: string });
}

/** The Task in an already parsed stored record (a task events message carries them); undefined when it is not one. */
export function taskOfStored(o: Record<string, unknown>): Task | undefined {
  if (typeof o.id !== "string" || typeof o.status !== "string" || typeof o.functionId !== "string" || typeof o.args !== "string") return undefined;
  return fromStored(o as unknown as Task & { entry?: string }).task;
}

function fromStored(s: Task & { entry?: string }): { task: Task; entry: string | undefined } {
  const task: TaskDraft = {
    id: s.id,
    tenant: s.tenant ?? "default",
    functionId: s.functionId,
    args: s.args,
    status: s.status,
    attempt: s.attempt,
    handbacks: s.handbacks ?? 0,
    maxAttempts: s.maxAttempts,
    timeoutMs: s.timeoutMs,
    result: s.result ?? null,
    createdAt: s.createdAt,
    updatedAt: s.updatedAt,
    priority: s.priority ?? 5,
    runAt: s.runAt ?? s.createdAt,
    retries: s.retries ?? 0,
    blockedBy: s.blockedBy ?? 0,
  };
  // Lua's cjson writes an empty list as {}: read anything but a list as none
  if (s.retry !== undefined && typeof s.retry === "object") task.retry = s.retry.on === undefined || Array.isArray(s.retry.on) ? s.retry : { ...s.retry, on: [] };
  if (Array.isArray(s.after) && s.after.length > 0) task.after = s.after;
  if (s.argsFrom === "results") task.argsFrom = "results";
  if (Array.isArray(s.attempts)) task.attempts = s.attempts;
  if (typeof s.retryOf === "string") task.retryOf = s.retryOf;
  if (typeof s.retriedAs === "string") task.retriedAs = s.retriedAs;
  return { task, entry: s.entry };
}
