/**
 * The dispatcher <-> worker wire protocol (pull and push modes): one JSON text frame per message, over a
 * ZMTP DEALER (worker, routing id = worker id) -> ROUTER (dispatcher) connection. Every message carries
 * `v` (PROTOCOL_VERSION) and `t` (its type). Anything that does not decode to a known message of this
 * version is dropped by the receiver (and logged), never thrown.
 *
 * Sessions and sequence numbers: a worker numbers its registrations (`session`); the dispatcher numbers
 * the `jobs` messages of one session (`seq` 1, 2, ...) and its heartbeats carry the last `seq` sent. A
 * worker that sees a gap (a message lost with a dropped connection) registers again, and the dispatcher
 * then reports what it had sent under the old session as lost. TCP keeps order on one connection, so a
 * gap is certain loss, never reordering.
 *
 * @example
 * ```ts
 * const frame = encode({ v: 1, t: "heartbeat", session: 3, busy: 0 });
 * const msg = decodeFromWorker(frame); // { ok: true, value: {...} }
 * ```
 */
import type { Outcome } from "../../domain/outcome.ts";
import type { Job } from "../../domain/ports.ts";
import type { Result } from "../../domain/result.ts";

export const PROTOCOL_VERSION = 1;

/** Largest message either side sends or accepts by default (ZMTP maxMessageSize); batches are split below it. */
export const DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

/** Room kept for a message's envelope (type, session, seq, credit) around its list of jobs or outcomes. */
export const ENVELOPE_BYTES = 256;

/**
 * An upper bound on the bytes one job or outcome takes in a message, without serializing it: its
 * strings at 6 bytes per UTF-16 unit (a JSON escape such as \u001f), plus room for field names and
 * numbers.
 */
export function wireSize(item: WireJob | Outcome): number {
  let chars = item.taskId.length;
  if ("functionId" in item) chars += (item.code?.length ?? 0) + item.args.length + item.functionId.length + item.tenant.length;
  else if (item.kind === "returned") chars += item.value.length;
  else if (item.kind === "threw") chars += item.error.name.length + item.error.message.length + item.error.stack.length;
  else if (item.kind === "lost") chars += item.reason.length;
  else if ("message" in item) chars += item.message.length;
  return chars * 6 + 160;
}

/**
 * A job on the wire: its function's code may be left out when the worker keeps code (it registered with
 * `codes`) and was sent that code earlier in its session (code-book.ts).
 */
export type WireJob = Omit<Job, "code"> & { readonly code?: string };

/** Worker -> dispatcher. */
export type FromWorker =
  /**
   * Capacity = executors x slots; busy = slots held by jobs from earlier sessions; credit (pull) = jobs
   * wanted now; codes = how many functions' code it keeps in a session (absent: send code with every job).
   */
  | { readonly v: 1; readonly t: "register"; readonly session: number; readonly capacity: number; readonly busy: number; readonly credit: number; readonly mode?: "pull" | "push"; readonly host?: string; readonly codes?: number }
  | { readonly v: 1; readonly t: "heartbeat"; readonly session: number; readonly busy: number }
  /** Pull mode: `n` more jobs wanted. */
  | { readonly v: 1; readonly t: "credit"; readonly session: number; readonly n: number }
  /** Outcomes in a batch, with the credit (pull) their freed slots give back. */
  | { readonly v: 1; readonly t: "outcomes"; readonly session: number; readonly outcomes: readonly Outcome[]; readonly credit: number }
  /** These jobs started running now (the dispatcher times their deadlines from here). */
  | { readonly v: 1; readonly t: "started"; readonly session: number; readonly jobs: readonly { readonly taskId: string; readonly attempt: number }[] }
  /** Shutting down gracefully: send no more jobs (those held may still finish). */
  | { readonly v: 1; readonly t: "drain"; readonly session: number }
  /** Shutting down: these jobs will not finish here; run them elsewhere without counting the attempt. */
  | { readonly v: 1; readonly t: "handback"; readonly session: number; readonly jobs: readonly { readonly taskId: string; readonly attempt: number }[] }
  | { readonly v: 1; readonly t: "bye" };

/** Dispatcher -> worker. */
export type ToWorker =
  | { readonly v: 1; readonly t: "welcome"; readonly session: number }
  | { readonly v: 1; readonly t: "jobs"; readonly session: number; readonly seq: number; readonly jobs: readonly WireJob[] }
  | { readonly v: 1; readonly t: "heartbeat"; readonly session: number; readonly seq: number }
  | { readonly v: 1; readonly t: "cancel"; readonly session: number; readonly taskId: string; readonly attempt: number }
  /** "I do not know you": the dispatcher restarted or took the worker for dead. */
  | { readonly v: 1; readonly t: "reregister" }
  /** The registration is refused (a worker of another mode); `reason` says why. */
  | { readonly v: 1; readonly t: "refused"; readonly reason: string };

export function encode(msg: FromWorker | ToWorker): string {
  return JSON.stringify(msg);
}

type Fields = Record<string, unknown>;

/** Parses one frame from a worker; an error names what was wrong. */
export function decodeFromWorker(frame: Uint8Array | string): Result<FromWorker, string> {
  const m = parse(frame);
  if (!m.ok) return m;
  const o = m.value;
  switch (o.t) {
    case "register":
      return check(
        o,
        count(o.session) && count(o.capacity) && count(o.busy) && count(o.credit) && (o.mode === undefined || o.mode === "pull" || o.mode === "push") && (o.host === undefined || (typeof o.host === "string" && /^[\x21-\x7e]{1,255}$/.test(o.host))) && (o.codes === undefined || count(o.codes)),
        "session, capacity, busy and credit as whole numbers, mode pull or push, host as 1-255 printable characters, and codes (if given) as a whole number",
      );
    case "heartbeat":
      return check(o, count(o.session) && count(o.busy), "session and busy as whole numbers");
    case "credit":
      return check(o, count(o.session) && count(o.n), "session and n as whole numbers");
    case "outcomes":
      return check(o, count(o.session) && count(o.credit) && Array.isArray(o.outcomes) && o.outcomes.every(isOutcome), "session, credit and an array of outcomes");
    case "drain":
      return check(o, count(o.session), "session as a whole number");
    case "started":
    case "handback":
      return check(o, count(o.session) && Array.isArray(o.jobs) && o.jobs.every((j) => typeof j === "object" && j !== null && typeof (j as Fields).taskId === "string" && count((j as Fields).attempt)), "session and an array of {taskId, attempt}");
    case "bye":
      return { ok: true, value: o as unknown as FromWorker };
    default:
      return { ok: false, error: `unknown message type ${JSON.stringify(o.t)} from a worker` };
  }
}

/** Parses one frame from the dispatcher; an error names what was wrong. */
export function decodeToWorker(frame: Uint8Array | string): Result<ToWorker, string> {
  const m = parse(frame);
  if (!m.ok) return m;
  const o = m.value;
  switch (o.t) {
    case "welcome":
      return check(o, count(o.session), "session as a whole number");
    case "jobs":
      return check(o, count(o.session) && count(o.seq) && Array.isArray(o.jobs) && o.jobs.every(isJob), "session, seq and an array of jobs");
    case "heartbeat":
      return check(o, count(o.session) && count(o.seq), "session and seq as whole numbers");
    case "cancel":
      return check(o, count(o.session) && typeof o.taskId === "string" && count(o.attempt), "session, taskId and attempt");
    case "reregister":
      return { ok: true, value: o as unknown as ToWorker };
    case "refused":
      return check(o, typeof o.reason === "string", "a reason");
    default:
      return { ok: false, error: `unknown message type ${JSON.stringify(o.t)} from the dispatcher` };
  }
}

function parse(frame: Uint8Array | string): Result<Fields, string> {
  let o: unknown;
  try {
    o = JSON.parse(typeof frame === "string" ? frame : Buffer.from(frame).toString("utf8"));
  } catch {
    return { ok: false, error: `expected a JSON message, got ${preview(frame)}` };
  }
  if (typeof o !== "object" || o === null || Array.isArray(o)) return { ok: false, error: `expected a JSON object, got ${preview(frame)}` };
  const f = o as Fields;
  if (f.v !== PROTOCOL_VERSION) return { ok: false, error: `expected protocol version ${PROTOCOL_VERSION}, got ${JSON.stringify(f.v)}` };
  return { ok: true, value: f };
}

function check<T>(o: Fields, valid: boolean, expected: string): Result<T, string> {
  return valid ? { ok: true, value: o as unknown as T } : { ok: false, error: `a "${String(o.t)}" message needs ${expected}` };
}

function count(x: unknown): boolean {
  return typeof x === "number" && Number.isInteger(x) && x >= 0;
}

function isJob(x: unknown): x is WireJob {
  const j = x as Fields;
  return typeof j === "object" && j !== null && typeof j.taskId === "string" && count(j.attempt) && typeof j.functionId === "string" && (j.code === undefined || typeof j.code === "string") && typeof j.args === "string" && typeof j.timeoutMs === "number" && typeof j.tenant === "string";
}

function isOutcome(x: unknown): x is Outcome {
  const o = x as Fields;
  if (typeof o !== "object" || o === null || typeof o.taskId !== "string" || !count(o.attempt)) return false;
  switch (o.kind) {
    case "returned":
      return typeof o.value === "string";
    case "threw": {
      const e = o.error as Fields;
      return typeof e === "object" && e !== null && typeof e.name === "string" && typeof e.message === "string" && typeof e.stack === "string";
    }
    case "timeout":
      return typeof o.timeoutMs === "number";
    case "lost":
      return typeof o.reason === "string";
    case "unserializable":
    case "resource-limit":
      return typeof o.message === "string";
    case "handed-back":
      return true;
    case "too-large":
      return count(o.bytes) && count(o.limit);
    default:
      return false;
  }
}

function preview(frame: Uint8Array | string): string {
  const text = typeof frame === "string" ? frame : Buffer.from(frame.subarray(0, 60)).toString("utf8");
  return JSON.stringify(text.slice(0, 60));
}
