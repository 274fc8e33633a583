/**
 * Calls a user function and turns what happens into a ExecutorResult: the return value as JSON text,
 * a thrown value as `{name, message, stack}`, a value JSON cannot hold as a serialization failure.
 * Shared by the thread and process executors.
 */
import type { ErrorInfo } from "../../domain/outcome.ts";
import type { ExecutorResult } from "./protocol.ts";

/** Compiles checked function code (exactly one function expression) into a callable. */
export function compile(code: string): (...args: unknown[]) => unknown {
  return new Function(`"use strict"; return (${code}\n);`)() as (...args: unknown[]) => unknown;
}

/** `{name, message, stack}` for anything thrown, Error or not. */
export function toErrorInfo(thrown: unknown): ErrorInfo {
  if (thrown instanceof Error) {
    return { name: thrown.name, message: thrown.message, stack: thrown.stack ?? "" };
  }
  let shown: string;
  try {
    shown = JSON.stringify(thrown) ?? String(thrown);
  } catch {
    shown = String(thrown);
  }
  return { name: "Error", message: `Non-Error value thrown: ${shown}`, stack: "" };
}

/** The JSON text of a return value, or why it has none. `undefined` becomes null. */
export function serialize(slot: number, value: unknown): ExecutorResult {
  if (value === undefined) return { slot, k: "ok", v: "null" };
  try {
    const v = JSON.stringify(value);
    if (v === undefined) return { slot, k: "unserializable", m: `Return value of type ${typeof value} cannot be represented as JSON` };
    return { slot, k: "ok", v };
  } catch (e) {
    return { slot, k: "unserializable", m: `Return value cannot be represented as JSON: ${(e as Error).message}` };
  }
}
