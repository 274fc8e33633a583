/**
 * Idempotency keys at the HTTP edge: a key comes in the `Idempotency-Key` header or the body's
 * `idempotency_key` field (both: they must agree), and the request it names is summed up in a
 * fingerprint: SHA-256 of the route's path and the body in a canonical form (keys sorted, spacing
 * dropped) without the key field, so the header and field forms of one request match and a different
 * function, payload or option does not. A replay answers 200 where the first request answered 201.
 *
 * @example
 * const once = idempotencyOf(req, "/execute_function", body);
 * if (!once.ok) return once.reply;                  // 400 naming Idempotency-Key or idempotency_key
 * if (once.request !== undefined) return onceReply(await tasks.executeOnce(..., once.request), (ids) => ({ task_id: ids[0] }));
 */
import { createHash } from "node:crypto";
import { describeError, type DomainError } from "../../domain/errors.ts";
import { checkIdempotencyKey, type IdempotentOutcome, type IdempotentRequest } from "../../domain/idempotency.ts";
import type { Result } from "../../domain/result.ts";
import { domainErrorReply, errorReply, json, singleFields, type FieldNames } from "./replies.ts";
import type { QueryParam } from "./route.ts";

/** The header, as the OpenAPI document declares it. */
export const IDEMPOTENCY_HEADER: QueryParam = {
  name: "Idempotency-Key",
  description:
    "Names this request (1-255 printable ASCII characters, no spaces; the body's idempotency_key does the same). The same key with the same request within --retention " +
    "answers the first request's task ids with 200 and queues nothing; with a different request, 409",
  schema: { type: "string", minLength: 1, maxLength: 255, pattern: "^[\\x21-\\x7e]+$" },
};

/** The key of a request, if it has one, with its fingerprint; or the 400 to answer. */
export type KeyRead = { readonly ok: true; readonly request?: IdempotentRequest } | { readonly ok: false; readonly reply: Response };

/** Reads the request's idempotency key (header or field) and sums the request up for it. */
export function idempotencyOf(req: Request, path: string, body: { readonly idempotency_key?: string | undefined }): KeyRead {
  const raw = req.headers.get("idempotency-key");
  const header = raw === null ? undefined : unquote(raw);
  if (header !== undefined) {
    const bad = checkIdempotencyKey(header);
    if (bad !== undefined) return { ok: false, reply: errorReply(400, "InvalidRequest", `Idempotency-Key header: ${describeError(bad)}`, "Idempotency-Key") };
  }
  const field = body.idempotency_key;
  if (header !== undefined && field !== undefined && header !== field) {
    const message = "The Idempotency-Key header and the idempotency_key field differ; give the key once, or the same in both";
    return { ok: false, reply: errorReply(400, "InvalidRequest", `idempotency_key: ${message}`, "idempotency_key") };
  }
  const key = header ?? field;
  if (key === undefined) return { ok: true };
  return { ok: true, request: { key, fingerprint: fingerprintOf(path, body) } };
}

/**
 * What a request under a key is compared by: SHA-256 (base64url) of the route's path and the
 * canonical JSON of its body without `idempotency_key`.
 *
 * @example
 * fingerprintOf("/execute_function", { function_id: "f", payload: "[1]", idempotency_key: "k" }) === fingerprintOf("/execute_function", { payload: "[1]", function_id: "f" }) // true
 */
export function fingerprintOf(path: string, body: object): string {
  const { idempotency_key: _, ...rest } = body as { idempotency_key?: unknown };
  return createHash("sha256").update(`${path}\n${canonicalJson(rest)}`).digest("base64url");
}

/** The reply to an execute under a key: 201 with new tasks, 200 with a replay's (same shape), or the error. */
export function onceReply(r: Result<IdempotentOutcome, DomainError>, shape: (ids: string[]) => unknown, fields: FieldNames = singleFields): Response {
  return r.ok ? json(shape(r.value.ids), r.value.replayed ? 200 : 201) : domainErrorReply(r.error, fields);
}

/**
 * JSON text with object keys sorted and no spacing: equal values give equal text however they were
 * written (`{"b":1, "a":[2]}` and `{"a":[2],"b":1}` both give `{"a":[2],"b":1}`).
 */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return v.some(isObject) ? `[${v.map(canonicalJson).join(",")}]` : JSON.stringify(v); // a batch's payloads: one call
  if (v !== null && typeof v === "object") {
    const o = v as Record<string, unknown>;
    const fields = Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`);
    return `{${fields.join(",")}}`;
  }
  return JSON.stringify(v);
}

function isObject(v: unknown): boolean {
  return v !== null && typeof v === "object";
}

/** A structured-field string (`"abc"`, as the IETF draft writes the header) is the key without its quotes. */
function unquote(value: string): string {
  const m = /^"([^"\\]*)"$/.exec(value);
  return m === null ? value : (m[1] as string);
}
