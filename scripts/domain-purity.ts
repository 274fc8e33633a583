/**
 * The rule that keeps src/domain pure: no Bun, no node:*, no imports from adapters or app, no
 * Date.now() or Math.random(). Used by scripts/lint-domain.ts and tested on its own.
 */
const RULES: { pattern: RegExp; why: string }[] = [
  { pattern: /from\s+["'](bun|bun:[\w-]+)["']|import\(\s*["']bun/, why: "imports Bun" },
  { pattern: /from\s+["']node:[\w/-]+["']|require\(\s*["']node:|from\s+["'](fs|path|os|child_process|crypto|net|http)["']/, why: "imports a Node built-in" },
  { pattern: /from\s+["'][./]*\.\.\/(adapters|app)\//, why: "imports an adapter or the app" },
  { pattern: /\bBun\./, why: "uses the Bun global" },
  { pattern: /\bDate\.now\s*\(/, why: "calls Date.now (take a Clock)" },
  { pattern: /\bMath\.random\s*\(/, why: "calls Math.random (take an IdGen)" },
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
