import { describe, expect, test } from "bun:test";
import { FunctionSourceChecker } from "../../src/adapters/js-source/index.ts";

const checker = new FunctionSourceChecker();

function accepted(src: string): string {
  const r = checker.check(src);
  if (!r.ok) throw new Error(`rejected ${src}: ${JSON.stringify(r.error)}`);
  return r.value;
}

function rejection(src: string): string {
  const r = checker.check(src);
  if (r.ok) throw new Error(`accepted ${src} as ${r.value}`);
  return r.error.kind === "InvalidFunction" ? r.error.message : "wrong kind";
}

describe("FunctionSourceChecker", () => {
  test("accepts every form of function expression", () => {
    for (const src of ["(a, b) => a + b", "x => x * 2", "async (x) => x", "function (a) { return a }", "function add(a, b) { return a + b }", "async function f() { return 1 }", "() => { return 1 } // trailing comment"]) {
      expect(accepted(src).length).toBeGreaterThan(0);
    }
  });

  test("strips TypeScript annotations", () => {
    const code = accepted("(a: number, b: number): number => a + b");
    expect(code).not.toContain("number");
    expect(new Function(`return (${code})`)()(2, 3)).toBe(5);
    expect(accepted("<T,>(x: T): T[] => [x]")).not.toContain("T[]");
  });

  test("rejects expressions that are not functions, saying what came", () => {
    expect(rejection("1 + 2")).toContain("must be a function expression");
    expect(rejection("a + b")).toContain("binary expression");
    expect(rejection("(() => 1)()")).toContain("call expression");
    expect(rejection('"text"')).toContain("literal");
    expect(rejection("")).toContain("empty");
  });

  test("rejects statements and smuggled code", () => {
    for (const src of [
      "0); globalThis.x = 1; (0",
      "(x) => x); process.exit(1); (0",
      "const f = () => 1",
      "() => 1; () => 2",
      "(a) => a) + ((b) => b",
      "class A {}",
    ]) {
      expect(rejection(src)).toMatch(/function expression|does not parse/);
    }
  });

  test("rejects syntax errors with the parser's reason", () => {
    expect(rejection("(a, => a")).toContain("does not parse");
  });

  test("never runs the code it checks", () => {
    (globalThis as Record<string, unknown>).__checked = false;
    rejection("0); globalThis.__checked = true; (0");
    accepted("() => { globalThis.__checked = true }");
    expect((globalThis as Record<string, unknown>).__checked).toBe(false);
  });
});
