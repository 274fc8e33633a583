/**
 * Checks what an executor sends before the pool believes any of it: a process or sandbox executor
 * runs untrusted code, which may post anything on the channel. A malformed message is dropped; a
 * result bigger than the limit becomes `too-large` here even if the executor sent it anyway.
 */
import type { Outcome } from "../../domain/outcome.ts";
import type { Job } from "../../domain/ports.ts";
import type { ExecutorResult, FromExecutor } from "./protocol.ts";
import { utf8Bytes } from "./run-user-function.ts";

type Fields = Record<string, unknown>;

const isCount = (x: unknown): x is number => typeof x === "number" && Number.isInteger(x) && x >= 0;

function isResult(x: unknown): x is ExecutorResult {
  const r = x as Fields;
  if (typeof r !== "object" || r === null || !isCount(r.slot) || !isCount(r.seq)) return false;
  switch (r.k) {
    case "ok":
      return typeof r.v === "string";
    case "threw": {
      const e = r.e as Fields;
      return typeof e === "object" && e !== null && typeof e.name === "string" && typeof e.message === "string" && typeof e.stack === "string";
    }
    case "unserializable":
      return typeof r.m === "string";
    case "too-large":
      return isCount(r.bytes);
    default:
      return false;
  }
}

/**
 * The message if it is one an executor may send, else undefined.
 *
 * @example
 * checkMessage({ t: "beat" })        // { t: "beat" }
 * checkMessage({ t: "done", results: [{ slot: -1 }] }) // undefined
 */
export function checkMessage(msg: unknown): FromExecutor | undefined {
  const m = msg as Fields;
  if (typeof m !== "object" || m === null) return undefined;
  switch (m.t) {
    case "ready":
      return m.note === undefined || typeof m.note === "string" ? (m as FromExecutor) : undefined;
    case "beat":
      return m as FromExecutor;
    case "stray":
      return typeof m.message === "string" ? (m as FromExecutor) : undefined;
    case "done":
      return Array.isArray(m.results) && m.results.every(isResult) ? (m as FromExecutor) : undefined;
    default:
      return undefined;
  }
}

/**
 * The outcome of `job` from its checked result, with the size limit applied again.
 *
 * @example
 * toOutcome(job, { slot: 0, seq: 1, k: "ok", v: "42" }, 1024, "thread executor 1") // { taskId, attempt, kind: "returned", value: "42", ranOn: "thread executor 1" }
 */
export function toOutcome(job: Job, r: ExecutorResult, maxResultBytes: number, ranOn: string): Outcome {
  // One object per outcome, its fields written out (no spread of a shared base): this runs for every task.
  const { taskId, attempt } = job;
  switch (r.k) {
    case "ok": {
      const bytes = utf8Bytes(r.v, maxResultBytes);
      return bytes > maxResultBytes ? { taskId, attempt, kind: "too-large", bytes, limit: maxResultBytes, ranOn } : { taskId, attempt, kind: "returned", value: r.v, ranOn };
    }
    case "threw": {
      const bytes = utf8Bytes(r.e.name + r.e.message + r.e.stack, maxResultBytes);
      return bytes > maxResultBytes
        ? { taskId, attempt, kind: "too-large", bytes, limit: maxResultBytes, ranOn }
        : { taskId, attempt, kind: "threw", error: { name: r.e.name, message: r.e.message, stack: r.e.stack }, ranOn };
    }
    case "unserializable":
      return { taskId, attempt, kind: "unserializable", message: r.m.slice(0, 2000), ranOn };
    case "too-large":
      return { taskId, attempt, kind: "too-large", bytes: r.bytes, limit: maxResultBytes, ranOn };
  }
}
