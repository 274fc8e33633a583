/** `bun run lint-domain`: fails when src/domain reaches outside itself (see scripts/domain-purity.ts). */
import { Glob } from "bun";
import { findViolations } from "./domain-purity.ts";

const root = new URL("../src/domain/", import.meta.url).pathname;
const violations = [];
for await (const file of new Glob("**/*.ts").scan(root)) {
  violations.push(...findViolations(`src/domain/${file}`, await Bun.file(root + file).text()));
}
for (const v of violations) console.error(`${v.file}:${v.line}: ${v.why}: ${v.text}`);
if (violations.length > 0) {
  console.error(`src/domain is not pure: ${violations.length} violation(s)`);
  process.exit(1);
}
console.log("src/domain is pure");
