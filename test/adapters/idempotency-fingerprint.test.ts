/** The fingerprint of a request under an idempotency key: what makes two requests the same one. */
import { describe, expect, test } from "bun:test";
import { canonicalJson, fingerprintOf } from "../../src/adapters/http/idempotency.ts";

describe("fingerprintOf", () => {
  test("the same route and body, however spelled and with or without the key field, give one fingerprint", () => {
    const a = fingerprintOf("/execute_function", { function_id: "f", payload: "[1]", retry: { max_retries: 2, backoff_ms: 5 } });
    expect(fingerprintOf("/execute_function", { retry: { backoff_ms: 5, max_retries: 2 }, payload: "[1]", function_id: "f", idempotency_key: "k" })).toBe(a);
    expect(fingerprintOf("/execute_function", JSON.parse('{ "payload" : "[1]",\n "function_id":"f", "retry": {"backoff_ms":5,"max_retries":2} }'))).toBe(a);
  });

  test("another route, payload, option or function gives another", () => {
    const base = { function_id: "f", payload: "[1]" };
    const a = fingerprintOf("/execute_function", base);
    const others = [
      fingerprintOf("/execute_batch", base),
      fingerprintOf("/execute_function", { ...base, payload: "[1 ]" }), // the payload is text: compared as sent
      fingerprintOf("/execute_function", { ...base, priority: 5 }),
      fingerprintOf("/execute_function", { ...base, function_id: "g" }),
      fingerprintOf("/execute_batch", { function_id: "f", payloads: ["[1]", "[2]"] }),
      fingerprintOf("/execute_batch", { function_id: "f", payloads: ["[2]", "[1]"] }),
    ];
    expect(new Set([a, ...others]).size).toBe(others.length + 1);
  });

  test("canonicalJson sorts object keys at every depth and keeps array order", () => {
    expect(canonicalJson({ b: 1, a: [{ d: 2, c: [3, "x"] }, null], e: undefined })).toBe('{"a":[{"c":[3,"x"],"d":2},null],"b":1}');
    expect(canonicalJson(["[1]", "[2]"])).toBe('["[1]","[2]"]');
  });
});
