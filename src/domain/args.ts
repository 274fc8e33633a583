import { invalid, type DomainError } from "./errors.ts";
import { err, ok, type Result } from "./result.ts";

/**
 * Checks an execute payload: JSON text of the argument array. Returns the text unchanged (executors
 * parse it), so a valid payload is never re-serialized on the hot path.
 *
 * @example
 * checkArgs("[2, 3]", "payload") // ok("[2, 3]")
 * checkArgs("{}", "payload")     // InvalidRequest: expected a JSON array, got an object
 */
export function checkArgs(payload: unknown, field: string): Result<string, DomainError> {
  if (typeof payload !== "string") {
    return err(invalid(`Execute payload must be a string holding a JSON array, got ${kindOf(payload)}`, field));
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload);
  } catch (e) {
    return err(invalid(`Execute payload must be JSON text of the argument array, got invalid JSON (${(e as Error).message})`, field));
  }
  if (!Array.isArray(parsed)) {
    return err(invalid(`Execute payload must be a JSON array of arguments, got ${kindOf(parsed)}`, field));
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
