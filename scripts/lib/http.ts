/**
 * Talking to a bunfaas server from tests and benchmarks: one JSON call helper that never throws for an
 * HTTP status, and the common sequences (register, submit many, wait for all).
 *
 * @example
 * const fid = await register(url, "(a, b) => a + b");
 * const [id] = await submit(url, fid, ["[2, 3]"]);
 * const done = await awaitAll(url, [id]); // Map id -> { status, result }
 */

export interface Reply {
  readonly status: number;
  readonly body: any;
  readonly headers: Headers;
}

/**
 * POSTs JSON (GET when `body` is undefined; `init` may set another method or headers); returns status,
 * parsed body (text when not JSON) and headers. Throws only when no answer comes in 10 s.
 */
export async function call(url: string, body?: unknown, init: RequestInit = {}): Promise<Reply> {
  const headers = { ...(body !== undefined && { "content-type": "application/json" }), ...(init.headers as Record<string, string> | undefined) };
  const r = await fetch(url, {
    ...(body !== undefined && { method: "POST", body: typeof body === "string" ? body : JSON.stringify(body) }),
    ...init,
    headers,
    signal: init.signal ?? AbortSignal.timeout(10_000),
  });
  const text = await r.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: r.status, body: parsed, headers: r.headers };
}

/** Registers a function and returns its id (throws on anything but 201). */
export async function register(api: string, payload: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}): Promise<string> {
  const r = await call(`${api}/register_function`, { name: "f", payload, ...extra }, { headers });
  if (r.status !== 201) throw new Error(`register ${payload}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.function_id as string;
}

/** Executes one task and long-polls until it is terminal; returns the result body. */
export async function run(api: string, functionId: string, args: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}): Promise<{ task_id: string; status: string; result: string | null }> {
  const r = await call(`${api}/execute_function`, { function_id: functionId, payload: args, ...extra }, { headers });
  if (r.status !== 201) throw new Error(`execute: ${r.status} ${JSON.stringify(r.body)}`);
  for (;;) {
    const res = await call(`${api}/result/${r.body.task_id}?wait=30`, undefined, { headers, signal: AbortSignal.timeout(40_000) });
    if (res.status !== 200) throw new Error(`result: ${res.status} ${JSON.stringify(res.body)}`);
    if (["COMPLETED", "FAILED", "CANCELLED"].includes(res.body.status)) return res.body;
  }
}

/** Queues one task per payload (chunks of 1,000) and returns the ids. */
export async function submit(api: string, functionId: string, payloads: readonly string[]): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < payloads.length; i += 1000) {
    const r = await call(`${api}/execute_batch`, { function_id: functionId, payloads: payloads.slice(i, i + 1000) });
    if (r.status !== 201) throw new Error(`execute_batch: ${r.status} ${JSON.stringify(r.body)}`);
    ids.push(...(r.body.task_ids as string[]));
  }
  return ids;
}

/** Waits (POST /wait long-polls) until every task is terminal; returns them by id. Throws on unknown ids or after `timeoutMs`. */
export async function awaitAll(api: string, ids: readonly string[], timeoutMs = 60_000): Promise<Map<string, { status: string; result: string | null }>> {
  const done = new Map<string, { status: string; result: string | null }>();
  const deadline = Date.now() + timeoutMs;
  let pending = [...ids];
  while (pending.length > 0) {
    if (Date.now() > deadline) throw new Error(`${pending.length} of ${ids.length} tasks not terminal after ${timeoutMs} ms`);
    const next: string[] = [];
    for (let i = 0; i < pending.length; i += 5000) {
      const r = await call(`${api}/wait`, { task_ids: pending.slice(i, i + 5000), timeout_s: 2 });
      if (r.status !== 200) {
        if (r.status === 503) {
          next.push(...pending.slice(i, i + 5000));
          continue;
        }
        throw new Error(`/wait: ${r.status} ${JSON.stringify(r.body)}`);
      }
      if (r.body.unknown.length > 0) throw new Error(`unknown tasks: ${r.body.unknown.slice(0, 3).join(", ")}`);
      for (const t of r.body.results) done.set(t.task_id, t);
      next.push(...r.body.pending);
    }
    if (next.length === pending.length) await new Promise((r) => setTimeout(r, 50)); // Redis down (503): ask again shortly
    pending = next;
  }
  return done;
}
