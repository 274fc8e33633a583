/** JSON replies and the one error shape: `{error, message, field?}`. */
import { describeError, type DomainError } from "../../domain/errors.ts";

const STATUS: Record<DomainError["kind"], number> = {
  InvalidRequest: 400,
  InvalidFunction: 400,
  UnknownFunction: 404,
  UnknownTask: 404,
  AlreadyTerminal: 409,
  QueueFull: 429,
  BackendUnavailable: 503,
};

/** A JSON reply with the given status. */
export function json(body: unknown, status = 200, headers?: Record<string, string>): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });
}

/** The error shape for a transport-level problem (bad JSON, wrong method, too large...). */
export function errorReply(status: number, error: string, message: string, field?: string, headers?: Record<string, string>): Response {
  return json(field === undefined ? { error, message } : { error, message, field }, status, headers);
}

/** Maps a domain error to its status code and the error shape. */
export function domainErrorReply(e: DomainError): Response {
  const field = "field" in e ? e.field : undefined;
  const headers = e.kind === "QueueFull" ? { "retry-after": String(e.retryAfterS) } : undefined;
  return errorReply(STATUS[e.kind], e.kind, describeError(e), field, headers);
}
