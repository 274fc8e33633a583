/**
 * The rules that keep the layers honest, used by scripts/lint-domain.ts and tested on their own:
 * - src/domain is pure: no Bun, no node:*, no imports from adapters or app, and no time or randomness
 *   of its own (Date.now, new Date, performance.now, timers, Math.random, crypto): those come through
 *   the Clock and IdGen ports;
 * - src/lib is generic: it imports nothing of the project outside src/lib.
 */
const RULES: { pattern: RegExp; why: string }[] = [
  { pattern: /from\s+["'](bun|bun:[\w-]+)["']|import\(\s*["']bun/, why: "imports Bun" },
  { pattern: /from\s+["']node:[\w/-]+["']|require\(\s*["']node:|from\s+["'](fs|path|os|child_process|crypto|net|http)["']/, why: "imports a Node built-in" },
  { pattern: /from\s+["'][./]*\.\.\/(adapters|app)\//, why: "imports an adapter or the app" },
  { pattern: /\bBun\./, why: "uses the Bun global" },
  { pattern: /\bDate\.now\s*\(/, why: "calls Date.now (take a Clock)" },
  { pattern: /\bMath\.random\s*\(/, why: "calls Math.random (take an IdGen)" },
  { pattern: /\bnew\s+Date\s*\(/, why: "reads the time with new Date (take a Clock)" },
  { pattern: /\bperformance\.now\s*\(/, why: "reads the time with performance.now (take a Clock)" },
  { pattern: /\b(setTimeout|setInterval|setImmediate|clearTimeout|clearInterval)\s*\(/, why: "uses a timer (take a Clock)" },
  { pattern: /\bcrypto\./, why: "uses crypto (take an IdGen)" },
  { pattern: /\bprocess\.(env|exit|argv)/, why: "reaches the process" },
];

export interface Violation {
  readonly file: string;
  readonly line: number;
  readonly text: string;
  readonly why: string;
}

/** Lists every line of `source` that breaks a purity rule (comments are skipped). */
export function findViolations(file: string, source: string): Violation[] {
  const out: Violation[] = [];
  source.split("\n").forEach((text, i) => {
    const code = text.replace(/\/\/.*$/, "").trim();
    if (code.startsWith("*") || code.startsWith("/*")) return;
    for (const rule of RULES) if (rule.pattern.test(code)) out.push({ file, line: i + 1, text: text.trim(), why: rule.why });
  });
  return out;
}

/** Lists every import of `source` (a file of src/lib) that leaves src/lib. */
export function findLibEscapes(file: string, source: string): Violation[] {
  const out: Violation[] = [];
  const depth = file.split("/").length - 3; // src/lib/x.ts -> 0, src/lib/zmtp/x.ts -> 1
  source.split("\n").forEach((text, i) => {
    const m = /from\s+["'](\.{1,2}\/[^"']+)["']/.exec(text);
    if (m === null) return;
    const ups = (m[1] as string).split("/").filter((p) => p === "..").length;
    if (ups > depth) out.push({ file, line: i + 1, text: text.trim(), why: "imports from outside src/lib" });
  });
  return out;
}
