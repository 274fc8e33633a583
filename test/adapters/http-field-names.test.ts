/**
 * The domain names a wrong input by its own name (`delay`, `retry` part `maxBackoffMs`); the HTTP
 * adapter names the REST field (`delay_ms`, `retry/max_backoff_ms`). Neither side's names leak into the
 * other: no domain message carries a REST field, a route or a command-line flag.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Embedded } from "../../src/app/roots/embedded.ts";
import { describeError, type DomainError } from "../../src/domain/errors.ts";
import { checkExecuteOptions } from "../../src/domain/execute-options.ts";
import type { Result } from "../../src/domain/result.ts";
import { checkRetryPolicy } from "../../src/domain/retry-policy.ts";
import { checkScheduleInput } from "../../src/domain/schedule.ts";
import { decodeCursor } from "../../src/domain/task-listing.ts";
import { parseTenantLimits } from "../../src/domain/tenant-limits.ts";
import { call, register } from "../../scripts/lib/http.ts";
import { startEmbeddedHere } from "../helpers/roots.ts";

/** A REST field (snake_case), a flag (--x), or a route (POST /x, /register_function). */
const TRANSPORT_NAME = /\b[a-z]+_[a-z_]+\b|--[a-z]|\b(GET|POST|DELETE) \/|\/register_function/;

function errorOf(r: Result<unknown, DomainError>): DomainError {
  if (r.ok) throw new Error("expected a refusal");
  return r.error;
}

describe("domain refusals name inputs in the domain's terms", () => {
  test("a bad delay carries the key `delay` and a message without delay_ms", () => {
    const e = errorOf(checkExecuteOptions({ delayMs: -1 }, undefined, 0));
    expect(e).toMatchObject({ kind: "InvalidRequest", arg: { name: "delay" } });
    expect(describeError(e)).toStartWith("The delay must be");
  });

  test("no refusal of execute options, retry policies, schedules, cursors or tenant limits names a REST field, route or flag", () => {
    const refusals: DomainError[] = [
      errorOf(checkExecuteOptions({ delayMs: -1 }, undefined, 0)),
      errorOf(checkExecuteOptions({ delayMs: 1, runAt: 1 }, undefined, 0)),
      errorOf(checkExecuteOptions({ runAt: Number.NaN }, undefined, 0)),
      errorOf(checkExecuteOptions({ priority: 10 }, undefined, 0)),
      errorOf(checkExecuteOptions({ after: ["a", "a"] }, undefined, 0)),
      errorOf(checkExecuteOptions({ argsFrom: "results" }, undefined, 0)),
      errorOf(checkExecuteOptions({ argsFrom: "x" as "results", after: ["a"] }, undefined, 0)),
      errorOf(checkExecuteOptions({ timeoutMs: 0 }, undefined, 0)),
      errorOf(checkRetryPolicy({ maxRetries: -1 })),
      errorOf(checkRetryPolicy({ maxRetries: 1, backoffMs: -1 })),
      errorOf(checkRetryPolicy({ maxRetries: 1, backoffMs: 100, maxBackoffMs: 50 })),
      errorOf(checkScheduleInput({ functionId: "f", args: "[]" })),
      errorOf(checkScheduleInput({ functionId: "f", args: "[]", cron: "* * * * *", everyMs: 1000 })),
      errorOf(checkScheduleInput({ functionId: "f", args: "[]", everyMs: 5 })),
      errorOf(decodeCursor("not a cursor")),
      errorOf(parseTenantLimits("alice:queued=0")),
      errorOf(parseTenantLimits("no colon")),
      { kind: "UnknownFunction", functionId: "f" },
      { kind: "UnknownSchedule", scheduleId: "s" },
      { kind: "QueueFull", depth: 5, limit: 5, retryAfterS: 1, tenant: "alice" },
    ];
    for (const e of refusals) expect(describeError(e)).not.toMatch(TRANSPORT_NAME);
  });
});

describe("the HTTP reply names the REST field", () => {
  let app: Embedded;
  let fid: string;
  beforeAll(async () => {
    app = startEmbeddedHere({});
    fid = await register(app.url, "() => 1");
  });
  afterAll(() => app.stop());

  test("delay_ms with run_at: field delay_ms, and the message leads with it", async () => {
    const r = await call(`${app.url}/execute_function`, { function_id: fid, payload: "[]", delay_ms: 5, run_at: new Date().toISOString() });
    expect([r.status, r.body.error, r.body.field]).toEqual([400, "InvalidRequest", "delay_ms"]);
    expect(r.body.message).toBe("delay_ms: Give a delay or a start time, not both");
  });

  test("a retry policy's key: field retry, the message names retry/max_backoff_ms", async () => {
    const r = await call(`${app.url}/execute_function`, { function_id: fid, payload: "[]", retry: { max_retries: 1, backoff_ms: 100, max_backoff_ms: 50 } });
    expect([r.status, r.body.field]).toEqual([400, "retry"]);
    expect(r.body.message).toStartWith("retry/max_backoff_ms: ");
  });

  test("a retry policy in REST names reaches the domain converted (backoff_ms 100 is kept)", async () => {
    const r = await call(`${app.url}/execute_function`, { function_id: fid, payload: "[]", retry: { max_retries: 1, backoff_ms: 100_000, max_backoff_ms: 99_999 } });
    expect(r.body.message).toContain("from the first backoff (100000)");
  });

  test("an unknown function: the reply says where a function_id comes from", async () => {
    const r = await call(`${app.url}/execute_function`, { function_id: "nope", payload: "[]" });
    expect([r.status, r.body.error]).toEqual([404, "UnknownFunction"]);
    expect(r.body.message).toContain("POST /register_function");
  });
});
