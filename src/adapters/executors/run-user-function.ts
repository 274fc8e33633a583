/**
 * Compiles user functions and turns what they do into an ExecutorResult: the return value as JSON
 * text, a thrown value as `{name, message, stack}`, a value JSON cannot hold as a serialization
 * failure, anything longer than the result limit as `too-large` (not sent). Stacks name the user's
 * frames (`function:<id>:line:col`, lines counted in the user's own source) and none of the platform's.
 */
import { join } from "node:path";
import type { ErrorInfo } from "../../domain/outcome.ts";
import type { ExecutorResult } from "./protocol.ts";

type UserFunction = (...args: unknown[]) => unknown;

/** Frames in these files are the platform's own (the source tree, or the one bundled entry file). */
const OWN_CODE = import.meta.path.endsWith(".ts") ? `${join(import.meta.dir, "../..")}/` : import.meta.path;

function build(code: string, name: string): UserFunction {
  return new Function(`"use strict"; return (\n${code}\n);\n//# sourceURL=function:${name}`)() as UserFunction;
}

/** How many lines the wrapper adds before the user's first line (measured once, not assumed). */
const LINE_OFFSET = (() => {
  try {
    build("() => { throw new Error() }", "probe")();
  } catch (e) {
    const m = /function:probe:(\d+):/.exec((e as Error).stack ?? "");
    if (m !== null) return Number(m[1]) - 1;
  }
  return 0;
})();

/**
 * Compiles checked function code (exactly one function expression) into a callable whose stack
 * frames read `function:<id>:<line>:<col>`.
 *
 * @example
 * compile("(a, b) => a + b", "fn-1")(2, 3) // 5
 */
export function compile(code: string, functionId: string): UserFunction {
  return build(code, functionId.replace(/[^\w.-]/g, "_"));
}

/** Frames of the runtime's code that the platform's own calls put under every user frame. */
const PLATFORM_RUNTIME = /\(node:async_hooks:\d+:\d+\)$/;

/**
 * A stack without the platform's frames, user frame lines counted from the user's first line.
 *
 * @example
 * userStack(e.stack) // "TypeError: bad\n    at inner (function:fn-1:3:11)"
 */
export function userStack(stack: string): string {
  return stack
    .split("\n")
    .filter((line) => !line.includes(OWN_CODE) && !PLATFORM_RUNTIME.test(line))
    .map((line) => line.replace(/(function:[\w.-]+):(\d+):/g, (_, where: string, n: string) => `${where}:${Math.max(1, Number(n) - LINE_OFFSET)}:`))
    .join("\n");
}

/**
 * `{name, message, stack}` for anything thrown, Error or not.
 *
 * @example
 * toErrorInfo(new TypeError("bad")) // { name: "TypeError", message: "bad", stack: "TypeError: bad\n    at ... (function:f1:1:9)" }
 */
export function toErrorInfo(thrown: unknown): ErrorInfo {
  if (thrown instanceof Error) {
    return { name: String(thrown.name), message: String(thrown.message), stack: userStack(String(thrown.stack ?? "")) };
  }
  let shown: string;
  try {
    shown = JSON.stringify(thrown) ?? String(thrown);
  } catch {
    shown = String(thrown);
  }
  return { name: "Error", message: `Non-Error value thrown: ${shown}`, stack: "" };
}

/**
 * UTF-8 length of `text` when it may pass `limit`; else its length in characters (enough to show it fits).
 *
 * @example
 * utf8Bytes('"é"', 1) // 4
 */
export function utf8Bytes(text: string, limit: number): number {
  return text.length * 3 <= limit ? text.length : Buffer.byteLength(text, "utf8");
}

/**
 * The JSON text of a return value, or why it has none. `undefined` becomes null.
 *
 * @example
 * serialize(0, 7, { a: 1 }, 16 * 1024 * 1024) // { slot: 0, seq: 7, k: "ok", v: '{"a":1}' }
 */
export function serialize(slot: number, seq: number, value: unknown, maxBytes: number): ExecutorResult {
  if (value === undefined) return { slot, seq, k: "ok", v: "null" };
  let v: string | undefined;
  try {
    v = JSON.stringify(value);
  } catch (e) {
    return { slot, seq, k: "unserializable", m: `Return value cannot be represented as JSON: ${(e as Error).message}` };
  }
  if (v === undefined) return { slot, seq, k: "unserializable", m: `Return value of type ${typeof value} cannot be represented as JSON` };
  const bytes = utf8Bytes(v, maxBytes);
  return bytes > maxBytes ? { slot, seq, k: "too-large", bytes } : { slot, seq, k: "ok", v };
}

/**
 * A thrown value as a result, or `too-large` when its text passes the limit.
 *
 * @example
 * thrownResult(0, 7, new Error("x".repeat(100)), 10) // { slot: 0, seq: 7, k: "too-large", bytes: 107 }
 */
export function thrownResult(slot: number, seq: number, thrown: unknown, maxBytes: number): ExecutorResult {
  const e = toErrorInfo(thrown);
  const bytes = utf8Bytes(e.name + e.message + e.stack, maxBytes);
  return bytes > maxBytes ? { slot, seq, k: "too-large", bytes } : { slot, seq, k: "threw", e };
}
