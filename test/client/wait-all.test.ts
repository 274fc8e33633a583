/**
 * The SDK's `wait` asks the server to hold each call until all its tasks are terminal
 * (`return_when: "ALL_COMPLETED"`) unless the caller wants each outcome as it comes (`onOutcome`), and
 * falls back to waiting for the first with a server older than the field (it refuses it with a 400).
 */
import { afterEach, describe, expect, test } from "bun:test";
import { FaasClient } from "../../src/client/index.ts";

const stops: Array<() => void> = [];
afterEach(() => {
  for (const stop of stops.splice(0)) stop();
});

/** A fake API for POST /wait: every listed task COMPLETED; `old`: refuses return_when as a server without it does. */
function fakeWaitServer(old: boolean): { url: string; bodies: Record<string, unknown>[] } {
  const bodies: Record<string, unknown>[] = [];
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    fetch: async (req) => {
      const body = (await req.json()) as { task_ids: string[]; return_when?: string };
      bodies.push(body);
      if (old && body.return_when !== undefined) {
        return Response.json({ error: "InvalidRequest", message: 'Unknown field "return_when"; expected only task_ids, timeout_s', field: "return_when" }, { status: 400 });
      }
      return Response.json({ results: body.task_ids.map((id) => ({ task_id: id, status: "COMPLETED", result: "1" })), pending: [], unknown: [] });
    },
  });
  stops.push(() => server.stop(true));
  return { url: `http://127.0.0.1:${server.port}`, bodies };
}

describe("FaasClient.wait and POST /wait's return_when", () => {
  test("a wait asks for ALL_COMPLETED; a wait that reports each outcome as it comes asks for the first", async () => {
    const fake = fakeWaitServer(false);
    const client = new FaasClient(fake.url, { retries: 0 });
    const outcomes = await client.wait(["a", "b"]);
    expect([...outcomes.keys()]).toEqual(["a", "b"]);
    const heard: string[] = [];
    await client.wait(["c"], { onOutcome: (id) => heard.push(id) });
    expect(heard).toEqual(["c"]);
    expect(fake.bodies.map((b) => b.return_when)).toEqual(["ALL_COMPLETED", undefined]);
  });

  test("a server that refuses return_when gets the call again without it, and later waits go without it at once", async () => {
    const fake = fakeWaitServer(true);
    const client = new FaasClient(fake.url, { retries: 0 });
    expect((await client.wait(["a"])).get("a")?.status).toBe("COMPLETED");
    expect((await client.wait(["b"])).get("b")?.status).toBe("COMPLETED");
    expect(fake.bodies.map((b) => b.return_when)).toEqual(["ALL_COMPLETED", undefined, undefined]);
  });
});
