/**
 * `bun run lint-domain`: fails when src/domain reaches outside itself, or src/lib imports the project
 * (see scripts/domain-purity.ts).
 */
import { Glob } from "bun";
import { findLibEscapes, findViolations, type Violation } from "./domain-purity.ts";

const src = new URL("../src/", import.meta.url).pathname;
const violations: Violation[] = [];
for await (const file of new Glob("domain/**/*.ts").scan(src)) violations.push(...findViolations(`src/${file}`, await Bun.file(src + file).text()));
for await (const file of new Glob("lib/**/*.ts").scan(src)) violations.push(...findLibEscapes(`src/${file}`, await Bun.file(src + file).text()));
for (const v of violations) console.error(`${v.file}:${v.line}: ${v.why}: ${v.text}`);
if (violations.length > 0) {
  console.error(`layer rules broken: ${violations.length} violation(s)`);
  process.exit(1);
}
console.log("src/domain is pure and src/lib stands alone");
