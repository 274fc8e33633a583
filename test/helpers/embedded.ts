import { embeddedConfig, type EmbeddedConfig } from "../../src/app/config.ts";
import { startEmbedded, type Embedded } from "../../src/app/embedded.ts";

/** Starts the embedded platform on a free port with quiet logs; stop it in afterAll. */
export function startTestServer(overrides: Partial<EmbeddedConfig> = {}): Embedded {
  const base = embeddedConfig([], {});
  return startEmbedded({ ...base, port: 0, workers: 2, logLevel: "error", ...overrides });
}

/** POSTs JSON and returns status and parsed body. */
export async function post(url: string, body: unknown): Promise<{ status: number; body: any; headers: Headers }> {
  const r = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: typeof body === "string" ? body : JSON.stringify(body) });
  return { status: r.status, body: await r.json(), headers: r.headers };
}

export async function get(url: string): Promise<{ status: number; body: any }> {
  const r = await fetch(url);
  return { status: r.status, body: await r.json() };
}

/** Registers a function and returns its id (throws on anything but 201). */
export async function register(base: string, payload: string, extra: Record<string, unknown> = {}): Promise<string> {
  const r = await post(`${base}/register_function`, { name: "t", payload, ...extra });
  if (r.status !== 201) throw new Error(`register ${payload}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.function_id;
}

/** Executes and long-polls until terminal; returns the result body. */
export async function run(base: string, functionId: string, args: string, extra: Record<string, unknown> = {}): Promise<{ task_id: string; status: string; result: string | null }> {
  const r = await post(`${base}/execute_function`, { function_id: functionId, payload: args, ...extra });
  if (r.status !== 201) throw new Error(`execute: ${r.status} ${JSON.stringify(r.body)}`);
  for (;;) {
    const res = await get(`${base}/result/${r.body.task_id}?wait=30`);
    if (["COMPLETED", "FAILED", "CANCELLED"].includes(res.body.status)) return res.body;
  }
}
