/**
 * Samples of `perf script` (from `perf record -g`) and where they go, JavaScript first: each sample
 * is charged to the innermost JavaScript function on its stack (JIT frames named through a perf map,
 * jit-dump.ts), native code included, since Bun's binary is stripped and its own frames have no names.
 * A sample with no JavaScript on its stack is the event loop's, the HTTP server's or the kernel's.
 *
 * @example
 * const samples = parsePerfScript(text);
 * const byFn = chargeToJavaScript(samples); // Map "fetch#Bq9MHz" -> samples
 */

export interface Sample {
  readonly thread: string;
  readonly tid: number;
  /** The sample's weight (cpu-clock: ns). */
  readonly period: number;
  /** Innermost first. */
  readonly frames: readonly Frame[];
}

export interface Frame {
  /** The JavaScript function ("fetch#Bq9MHz", "DFG: settle#C1"), undefined for native code. */
  readonly js?: string;
  /** Where the frame's code lives: "kernel", "bun", "libc", "jit" or the object's name. */
  readonly where: string;
}

const HEAD = /^\s*(.+?)\s+(\d+)\s+[\d.]+:\s+(\d+)\s+\S+:/;
const FRAME = /^\s*[0-9a-f]+\s+(.*?)\s+\((.*)\)\s*$/;

/** The samples of `perf script` output (the default fields, with call chains). */
export function parsePerfScript(text: string): Sample[] {
  const out: Sample[] = [];
  for (const block of text.split(/\n\s*\n/)) {
    const lines = block.split("\n").filter((l) => l.trim() !== "");
    const head = HEAD.exec(lines[0] ?? "");
    if (head === null) continue;
    const frames = lines.slice(1).map((line): Frame => {
      const m = FRAME.exec(line);
      const symbol = m?.[1] ?? "";
      const object = m?.[2] ?? "";
      if (/perf-\d+\.map/.test(object)) return { js: jsName(symbol), where: "jit" };
      return { where: object.includes("kernel") ? "kernel" : /bun(\.exe)?$/.test(object) ? "bun" : object.includes("libc") ? "libc" : object };
    });
    out.push({ thread: head[1] as string, tid: Number(head[2]), period: Number(head[3]), frames });
  }
  return out;
}

/**
 * "JSC-FTL: fetch#Bq9MHz+0x93" -> "fetch#Bq9MHz": a function's code of every tier under one name (the
 * hash names its source); JSC's own stubs keep their kind ("Thunk: CallTrampoline", "FTLOSRExit: ...").
 */
function jsName(symbol: string): string {
  const s = symbol.replace(/\+0x[0-9a-f]+$/, "");
  const m = /^JSC-([A-Za-z]*):\s*(.*)$/.exec(s);
  if (m === null) return s;
  return ["FTL", "DFG", "Baseline", "LLInt"].includes(m[1] as string) ? (m[2] as string) : `${m[1]}: ${m[2]}`;
}

/** The innermost JavaScript function of a sample that is not a JSC thunk, or undefined (none). */
export function innermostJs(s: Sample): string | undefined {
  return s.frames.find((f) => f.js !== undefined && !f.js.includes("Thunk"))?.js;
}

/** The outermost JavaScript function: what the event loop called (a handler, a resumed async function). */
export function outermostJs(s: Sample): string | undefined {
  for (let i = s.frames.length - 1; i >= 0; i--) {
    const js = s.frames[i]?.js;
    if (js !== undefined && !js.includes("Thunk")) return js;
  }
  return undefined;
}

/** Sums samples' periods by `key` (undefined keys under `none`), largest first. */
export function sumBy(samples: readonly Sample[], key: (s: Sample) => string | undefined, none = "(no JavaScript)"): [string, number][] {
  const sums = new Map<string, number>();
  for (const s of samples) {
    const k = key(s) ?? none;
    sums.set(k, (sums.get(k) ?? 0) + s.period);
  }
  return [...sums].sort((a, b) => b[1] - a[1]);
}
