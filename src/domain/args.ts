import { invalid, type ArgRef, type DomainError } from "./errors.ts";
import { err, ok, type Result } from "./result.ts";

/**
 * Checks an execute payload: JSON text of the argument array. Returns the text unchanged (executors
 * parse it), so a valid payload is never re-serialized on the hot path.
 *
 * @example
 * checkArgs("[2, 3]", { name: "args", index: 0 }) // ok("[2, 3]")
 * checkArgs("{}", { name: "args", index: 0 })     // InvalidRequest: expected a JSON array, got an object
 */
export function checkArgs(payload: unknown, arg: ArgRef): Result<string, DomainError> {
  if (typeof payload !== "string") {
    return err(invalid(`The arguments must be a string holding a JSON array, got ${kindOf(payload)}`, arg));
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload);
  } catch (e) {
    return err(invalid(`The arguments must be JSON text of an array, got invalid JSON (${(e as Error).message})`, arg));
  }
  if (!Array.isArray(parsed)) {
    return err(invalid(`The arguments must be a JSON array, got ${kindOf(parsed)}`, arg));
  }
  return ok(payload);
}

/** "a string", "an object", "null", ... for error messages. */
export function kindOf(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  const t = typeof v;
  return t === "object" ? "an object" : t === "undefined" ? "nothing" : `a ${t}`;
}
