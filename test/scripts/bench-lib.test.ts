/**
 * The single-figure benchmarks' shared client (scripts/bench-lib.ts): how it reads results back.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { waitAll } from "../../scripts/bench-lib.ts";

/** A stand-in for POST /wait: ALL_COMPLETED answers the whole chunk, otherwise one task per call (as tasks end one by one). */
const calls: { task_ids: string[]; return_when?: string }[] = [];
const server = Bun.serve({
  port: 0,
  async fetch(req) {
    const body = (await req.json()) as { task_ids: string[]; return_when?: string };
    calls.push(body);
    const done = body.return_when === "ALL_COMPLETED" ? body.task_ids : body.task_ids.slice(0, 1);
    return Response.json({ results: done.map((id) => ({ task_id: id, status: "COMPLETED", result: null })), pending: body.task_ids.slice(done.length), unknown: [] });
  },
});
afterAll(() => server.stop(true));

describe("waitAll", () => {
  test("reads each chunk's results in one POST /wait held until all of them are terminal", async () => {
    const ids = Array.from({ length: 2500 }, (_, i) => `t-${i}`);
    const done = await waitAll(`http://127.0.0.1:${server.port}`, ids, 1000, 2);
    expect(done.size).toBe(2500);
    expect(calls.length).toBe(3); // 1,000 + 1,000 + 500
    expect(calls.every((c) => c.return_when === "ALL_COMPLETED")).toBe(true);
  });
});
