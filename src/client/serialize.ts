/**
 * What goes on the wire: function source text, the JSON text of an argument array, and the JSON text
 * of results coming back. Everything here is checked before a request is sent.
 */

/**
 * The JSON text of an argument array. Throws a TypeError, before anything is sent, when `args` is not
 * an array or holds something JSON would drop or cannot hold: a function, a symbol, a BigInt, NaN or
 * Infinity, a cycle. `undefined` inside an array becomes `null` (and an undefined property is
 * omitted), as with `JSON.stringify`. Objects with `toJSON` (Date) are serialized through it.
 *
 * @example
 * ```ts
 * serializeArgs([1, { a: "x" }]);     // '[1,{"a":"x"}]'
 * serializeArgs([1n]);                // throws TypeError: args[0] is a bigint...
 * ```
 */
export function serializeArgs(args: unknown): string {
  if (!Array.isArray(args)) {
    throw new TypeError(`Args must be an array of arguments, got ${describe(args)}`);
  }
  checkJsonValue(args, "args", new Set());
  return JSON.stringify(args);
}

function checkJsonValue(value: unknown, path: string, ancestors: Set<object>): void {
  let v = value;
  if (v !== null && typeof v === "object" && typeof (v as { toJSON?: unknown }).toJSON === "function") {
    v = (v as { toJSON: (key: string) => unknown }).toJSON("");
  }
  switch (typeof v) {
    case "string":
    case "boolean":
    case "undefined":
      return;
    case "number":
      if (!Number.isFinite(v)) throw unserializable(path, `${v}, which JSON turns into null`);
      return;
    case "bigint":
      throw unserializable(path, "a bigint, which JSON cannot hold (send it as a string)");
    case "function":
      throw unserializable(path, "a function, which JSON drops (functions cannot be sent as arguments)");
    case "symbol":
      throw unserializable(path, "a symbol, which JSON drops");
  }
  if (v === null) return;
  const obj = v as object;
  if (ancestors.has(obj)) throw unserializable(path, "a circular reference");
  ancestors.add(obj);
  if (Array.isArray(obj)) {
    obj.forEach((item, i) => checkJsonValue(item, `${path}[${i}]`, ancestors));
  } else {
    for (const [k, item] of Object.entries(obj)) checkJsonValue(item, `${path}.${k}`, ancestors);
  }
  ancestors.delete(obj);
}

function unserializable(path: string, what: string): TypeError {
  return new TypeError(`Args must be JSON-serializable: ${path} is ${what}`);
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (typeof v === "object") return `an object (${Object.prototype.toString.call(v)})`;
  return `a ${typeof v}`;
}

/**
 * The source text to register: a string is sent as is; a function is sent as `fn.toString()`, so it
 * must be self-contained (it sees its arguments and globals, never the variables around it where it
 * was written), as in Globus Compute. Built-in and bound functions have no source and are refused.
 *
 * @example
 * ```ts
 * functionSource((a: number, b: number) => a + b); // "(a, b) => a + b" (Bun strips the types)
 * functionSource("(x: string) => x.length");        // as is: the server strips TypeScript types
 * ```
 */
export function functionSource(fn: ((...args: never[]) => unknown) | string): string {
  if (typeof fn === "string") {
    if (fn.trim() === "") throw new TypeError("Function source must be the text of one function expression, got an empty string");
    return fn;
  }
  if (typeof fn !== "function") throw new TypeError(`Expected a function or its source text, got ${describe(fn)}`);
  const source = fn.toString();
  if (/\{\s*\[native code\]\s*\}\s*$/.test(source)) {
    throw new TypeError(`Function ${fn.name || "(anonymous)"} has no source to send (built-in or bound); pass a function written in your code`);
  }
  return source;
}

/**
 * Parses the JSON text of a result (`null` stays `null`: a task that is not terminal, or cancelled).
 * Text that is not JSON is returned as is rather than thrown, so a reply is never lost.
 *
 * @example
 * ```ts
 * parseResult("5");    // 5
 * parseResult(null);   // null
 * ```
 */
export function parseResult(text: string | null): unknown {
  if (text === null) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
