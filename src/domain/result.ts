/**
 * Expected outcomes are values: a `Result` is either `{ ok: true, value }` or `{ ok: false, error }`.
 *
 * @example
 * const r = parseArgs("[1, 2]");
 * if (!r.ok) return r;
 */
export type Result<T, E> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: E };

/** Wraps a success value. */
export function ok<T>(value: T): { ok: true; value: T } {
  return { ok: true, value };
}

/** Wraps an expected failure. */
export function err<E>(error: E): { ok: false; error: E } {
  return { ok: false, error };
}
