/**
 * `{signal}` on every SDK call: an aborted signal sends nothing; aborting stops a long-poll in flight,
 * a retry back-off, `map` (cancelling its tasks) and `asCompleted`; the rejection is an AbortError
 * whose cause is the signal's reason.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import type { Embedded } from "../../src/app/roots/embedded.ts";
import { AbortError, FaasClient, type FetchLike } from "../../src/client/index.ts";
import { abortableDelay, attemptSignal, raceAbort } from "../../src/client/abort.ts";
import { waitFor } from "../../scripts/lib/wait-for.ts";
import { startEmbeddedHere } from "../helpers/roots.ts";

const stops: Array<() => void> = [];
afterEach(() => {
  for (const stop of stops.splice(0)) stop();
});

/** A fake API that counts requests and answers with `reply`. */
function fakeServer(reply: (req: Request) => Response | Promise<Response>): { url: string; requests: () => number } {
  let n = 0;
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    fetch: (req) => {
      n++;
      return reply(req);
    },
  });
  stops.push(() => server.stop(true));
  return { url: `http://127.0.0.1:${server.port}`, requests: () => n };
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => new Error("resolved, expected an AbortError"),
    (e: unknown) => e,
  );
}

describe("an aborted signal", () => {
  test("every call rejects with an AbortError carrying the reason, and sends nothing", async () => {
    const fake = fakeServer(() => Response.json({}, { status: 500 }));
    const faas = new FaasClient(fake.url);
    const c = new AbortController();
    c.abort(new Error("user gave up"));
    const signal = c.signal;
    const handle = faas.handle("t-1");
    const calls: Array<[string, () => Promise<unknown>]> = [
      ["register", () => faas.register("() => 1", { signal })],
      ["register no reuse", () => faas.register("() => 1", { signal, reuse: false })],
      ["execute", () => faas.execute("f", [], { signal })],
      ["executeBatch", () => faas.executeBatch("f", [[1]], { signal })],
      ["status", () => faas.status("t", { signal })],
      ["result", () => faas.result("t", { waitS: 5, signal })],
      ["cancel", () => faas.cancel("t", { signal })],
      ["functions", () => faas.functions({ signal })],
      ["function", () => faas.function("f", { signal })],
      ["health", () => faas.health({ signal })],
      ["wait", () => faas.wait(["t"], { signal })],
      ["run", () => faas.run(() => 1, [], { signal })],
      ["submit", () => faas.submit("f", [], { signal })],
      ["handle.result", () => handle.result({ signal })],
      ["handle.cancel", () => handle.cancel({ signal })],
      ["map", () => faas.map("f", [[1]], { signal }).next()],
      ["asCompleted", () => faas.asCompleted([handle], { signal }).next()],
    ];
    for (const [name, call] of calls) {
      const e = await rejection(call());
      expect({ name, error: e instanceof AbortError }).toEqual({ name, error: true });
      expect((e as AbortError).name).toBe("AbortError");
      expect((e as AbortError).message).toContain("user gave up");
      expect(((e as AbortError).cause as Error).message).toBe("user gave up");
    }
    expect(fake.requests()).toBe(0);
  });
});

describe("aborting while waiting", () => {
  test("a retry back-off of 30 s (Retry-After) ends at the abort", async () => {
    const fake = fakeServer(() => Response.json({ error: "QueueFull", message: "full" }, { status: 429, headers: { "retry-after": "30" } }));
    const c = new AbortController();
    // the abort comes once the client holds the whole first reply (its back-off follows within the
    // same turn), not merely once the server counted the request: on a busy machine the reply may
    // still be on its way then, and the abort would cut the request instead
    let replies = 0;
    const fetchReadAhead: FetchLike = async (input, init) => {
      const res = await fetch(input, init);
      const text = await res.text();
      replies++;
      return new Response(text, { status: res.status, headers: res.headers });
    };
    const pending = rejection(new FaasClient(fake.url, { retries: 5, fetch: fetchReadAhead }).execute("f", [1], { signal: c.signal }));
    await waitFor(() => replies === 1, "the first reply");
    c.abort();
    const e = await pending;
    expect(e).toBeInstanceOf(AbortError);
    expect((e as Error).message).toContain("back-off before retrying POST /execute_function");
    expect(fake.requests()).toBe(1);
  });

  test("AbortSignal.timeout stops a request the server never answers; the cause is a TimeoutError", async () => {
    const fake = fakeServer(() => new Promise<Response>(() => {}));
    const e = await rejection(new FaasClient(fake.url, { retries: 3 }).functions({ signal: AbortSignal.timeout(50) }));
    expect(e).toBeInstanceOf(AbortError);
    expect(((e as AbortError).cause as Error).name).toBe("TimeoutError");
    expect(fake.requests()).toBe(1); // not retried
  });

  describe("against the embedded server", () => {
    let app: Embedded;
    beforeAll(() => {
      app = startEmbeddedHere({ workers: 1 });
    });
    afterAll(() => app.stop());

    /** A client whose /wait and /result requests are counted while in flight. */
    function watched(): { faas: FaasClient; inFlight: () => number; sent: string[] } {
      let n = 0;
      const sent: string[] = [];
      const fetch: FetchLike = async (input, init) => {
        const path = new URL(input).pathname;
        sent.push(`${init.method} ${path}`);
        n++;
        try {
          return await globalThis.fetch(input, init);
        } finally {
          n--;
        }
      };
      return { faas: new FaasClient(app.url, { fetch }), inFlight: () => n, sent };
    }

    test("handle.result and wait stop a long-poll in flight; the task goes on", async () => {
      const { faas, inFlight } = watched();
      const h = await faas.submit(() => new Promise(() => {}), [], { timeoutMs: 600_000 });
      for (const start of [(s: AbortSignal) => h.result({ signal: s }), (s: AbortSignal) => faas.wait([h.taskId], { signal: s })]) {
        const c = new AbortController();
        const pending = rejection(start(c.signal));
        await waitFor(() => inFlight() === 1, "the long-poll to be sent");
        c.abort();
        expect(await pending).toBeInstanceOf(AbortError);
        expect(inFlight()).toBe(0);
      }
      expect(await faas.status(h.taskId)).toBe("RUNNING");
      await h.cancel();
    });

    test("map rejects with an AbortError and cancels its unfinished tasks", async () => {
      const { faas, sent } = watched();
      const c = new AbortController();
      const queued: string[] = [];
      const iterate = async (): Promise<void> => {
        for await (const v of faas.map((x: number) => (x === 0 ? x : new Promise(() => {})), [[0], [1], [2]], { signal: c.signal })) {
          queued.push(String(v));
          c.abort(); // the next round of waiting is aborted
        }
      };
      const e = await rejection(iterate());
      expect(e).toBeInstanceOf(AbortError);
      expect(queued).toEqual(["0"]);
      expect(sent.filter((s) => s.startsWith("DELETE /tasks/")).length).toBe(2);
    });

    test("asCompleted rejects with an AbortError and leaves nothing in flight", async () => {
      const { faas, inFlight } = watched();
      const h = await faas.submit(() => new Promise(() => {}), [], { timeoutMs: 600_000 });
      const c = new AbortController();
      const it = faas.asCompleted([h], { signal: c.signal });
      const next = rejection(it.next());
      await waitFor(() => inFlight() === 1, "the /wait request");
      c.abort();
      expect(await next).toBeInstanceOf(AbortError);
      expect(inFlight()).toBe(0);
      await h.cancel();
    });
  });
});

describe("abort helpers", () => {
  test("abortableDelay clears its timer on abort; raceAbort leaves shared work running", async () => {
    const c = new AbortController();
    const d = rejection(abortableDelay(60_000, c.signal, "a long delay"));
    c.abort();
    expect(((await d) as Error).message).toBe("a long delay was aborted");
    let finish: (v: string) => void = () => {};
    const shared = new Promise<string>((r) => (finish = r));
    const c2 = new AbortController();
    const raced = rejection(raceAbort(shared, c2.signal, "a shared registration"));
    c2.abort("stop");
    expect(((await raced) as Error).message).toBe("a shared registration was aborted (stop)");
    finish("id");
    expect(await shared).toBe("id");
  });

  test("attemptSignal fires on its timeout or the outer signal, and release detaches it", async () => {
    const outer = new AbortController();
    const a = attemptSignal(60_000, outer.signal);
    outer.abort("outer");
    expect(a.signal.aborted).toBe(true);
    expect(a.signal.reason).toBe("outer");
    a.release();
    const b = attemptSignal(1, undefined);
    await new Promise<void>((r) => b.signal.addEventListener("abort", () => r()));
    expect((b.signal.reason as Error).name).toBe("TimeoutError");
    b.release();
    const outer2 = new AbortController();
    const d = attemptSignal(60_000, outer2.signal);
    d.release();
    outer2.abort();
    expect(d.signal.aborted).toBe(false);
  });
});
