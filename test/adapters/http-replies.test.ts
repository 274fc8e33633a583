import { describe, expect, test } from "bun:test";
import { errorReply, json } from "../../src/adapters/http/replies.ts";

describe("json replies", () => {
  test("each reply has headers of its own: changing one's does not reach the next (they start from one shared set)", async () => {
    const first = json({ a: 1 }, 201);
    first.headers.set("x-changed", "yes");
    first.headers.set("content-type", "text/plain");
    const second = json({ b: 2 });
    expect(second.status).toBe(200);
    expect([...second.headers]).toEqual([["content-type", "application/json"]]);
    expect(await second.json()).toEqual({ b: 2 });
    const limited = errorReply(429, "QueueFull", "full", undefined, { "retry-after": "1" });
    expect(limited.headers.get("retry-after")).toBe("1");
    expect(limited.headers.get("content-type")).toBe("application/json");
    expect(json({}).headers.has("retry-after")).toBe(false);
  });
});
