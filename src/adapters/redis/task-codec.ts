/**
 * A task in Redis is one string key holding its JSON (the Task fields, plus `entry`: the queue entry
 * of the running attempt, which the scripts use to ack it). One GET/SET per task in the scripts and
 * one MGET for many tasks. Fields at their defaults are left out (tenant "default", no result,
 * priority 5, runAt equal to createdAt, no hand-backs, retries or dependencies): the scripts decode
 * and encode every task they touch, and that work grows with the text (about 15 us for 380 bytes,
 * 11 us for 270, in Redis 7's Lua).
 *
 * The head comes first: status, attempt, updatedAt. CLAIM gives a task stored by enqueue (attempt 0,
 * no attempt records) its first attempt by replacing that head, without decoding the rest
 * (lua/claim.ts); the claim writes status, attempt and entry first, which APPLY's fast path checks.
 *
 * Redis' Lua cjson rejects the `\udXXX` escapes JSON.stringify writes for lone UTF-16 surrogates, and
 * ioredis would send such a character as U+FFFD anyway; so strings are made well-formed before
 * encoding, the same result the UTF-8 wire gives, and the scripts can always decode a task.
 */
import type { AttemptRecord } from "../../domain/attempt-log.ts";
import { DEFAULT_PRIORITY, type Task } from "../../domain/task.ts";
import { DEFAULT_TENANT } from "../../domain/tenant.ts";

/** JSON text of a task as stored. */
export function encodeTask(t: Task): string {
  return JSON.stringify({
    status: t.status,
    attempt: t.attempt,
    updatedAt: t.updatedAt,
    id: t.id.toWellFormed(),
    ...(t.tenant !== DEFAULT_TENANT && { tenant: t.tenant }),
    functionId: t.functionId.toWellFormed(),
    args: t.args.toWellFormed(),
    ...(t.handbacks !== 0 && { handbacks: t.handbacks }),
    maxAttempts: t.maxAttempts,
    timeoutMs: t.timeoutMs,
    ...(t.result !== null && { result: t.result.toWellFormed() }),
    createdAt: t.createdAt,
    ...(t.priority !== DEFAULT_PRIORITY && { priority: t.priority }),
    ...(t.runAt !== t.createdAt && { runAt: t.runAt }),
    ...(t.retries !== 0 && { retries: t.retries }),
    ...(t.blockedBy !== 0 && { blockedBy: t.blockedBy }),
    ...(t.retry !== undefined && { retry: t.retry }),
    ...(t.after !== undefined && { after: t.after }),
    ...(t.argsFrom !== undefined && { argsFrom: t.argsFrom }),
    ...(t.retryOf !== undefined && { retryOf: t.retryOf.toWellFormed() }),
    ...(t.retriedAs !== undefined && { retriedAs: t.retriedAs.toWellFormed() }),
    ...(t.attempts !== undefined && t.attempts.length > 0 && { attempts: t.attempts.map(wellFormedAttempt) }),
  });
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
  const task: Task = {
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
    // Lua's cjson writes an empty list as {}: read anything but a list as none
    ...(s.retry !== undefined && typeof s.retry === "object" && { retry: { ...s.retry, ...(s.retry.on !== undefined && { on: Array.isArray(s.retry.on) ? s.retry.on : [] }) } }),
    ...(Array.isArray(s.after) && s.after.length > 0 && { after: s.after }),
    ...(s.argsFrom === "results" && { argsFrom: "results" as const }),
    ...(Array.isArray(s.attempts) && { attempts: s.attempts }),
    ...(typeof s.retryOf === "string" && { retryOf: s.retryOf }),
    ...(typeof s.retriedAs === "string" && { retriedAs: s.retriedAs }),
  };
  return { task, entry: s.entry };
}
