/**
 * A temporary checkout of one git revision for scripts/bench-compare.ts: `git worktree add --detach`,
 * the main checkout's node_modules linked in (a symlink, never committed), and the current benchmark
 * harness copied over the revision's own so every revision is measured by the same code.
 *
 * @example
 * const sha = resolveRevision(ROOT, "c71d26c");
 * addWorktree(ROOT, sha, "/tmp/bunfaas-compare-x/base");
 * copyFiles(ROOT, "/tmp/bunfaas-compare-x/base", harnessFiles(ROOT));
 * removeWorktree(ROOT, "/tmp/bunfaas-compare-x/base");
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, statSync, symlinkSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";

function git(repo: string, args: string[]): string {
  const r = Bun.spawnSync(["git", "-C", repo, ...args], { stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`git ${args.join(" ")} failed (${r.exitCode}): ${r.stderr.toString().trim()}`);
  return r.stdout.toString().trim();
}

/** The full commit id of `rev` in `repo`; throws naming `rev` when it is not a commit there. */
export function resolveRevision(repo: string, rev: string): string {
  try {
    return git(repo, ["rev-parse", "--verify", "--quiet", `${rev}^{commit}`]);
  } catch {
    throw new Error(`"${rev}" is not a commit of ${repo}`);
  }
}

/** The one-line summary of commit `sha` (`git log -1 --format=%s`). */
export function commitSubject(repo: string, sha: string): string {
  return git(repo, ["log", "-1", "--format=%s", sha]);
}

/** Checks out `sha` detached at `dir` (which must not exist) and links `repo`'s node_modules into it. */
export function addWorktree(repo: string, sha: string, dir: string): void {
  const modules = join(repo, "node_modules");
  if (!existsSync(modules)) throw new Error(`${modules} is missing; run npm install in ${repo} first`);
  git(repo, ["worktree", "add", "--detach", dir, sha]);
  symlinkSync(realpathSync(modules), join(dir, "node_modules"));
}

/** Removes a worktree made by addWorktree, even with changed files; ignores one that is gone. */
export function removeWorktree(repo: string, dir: string): void {
  Bun.spawnSync(["git", "-C", repo, "worktree", "remove", "--force", dir], { stdout: "ignore", stderr: "ignore" });
  Bun.spawnSync(["git", "-C", repo, "worktree", "prune"], { stdout: "ignore", stderr: "ignore" });
}

/**
 * The benchmark harness, relative to `root`: both bench scripts, bench-lib.ts, every file in
 * scripts/lib/, and the runtime settings the processes start under (src/app/runtime-env.ts, which
 * scripts/lib/processes.ts applies), so both revisions run under the same ones.
 */
export function harnessFiles(root: string): string[] {
  const lib = readdirSync(join(root, "scripts", "lib")).filter((f) => statSync(join(root, "scripts", "lib", f)).isFile());
  return ["scripts/bench-redis.ts", "scripts/bench-embedded.ts", "scripts/bench-scripts.ts", "scripts/bench-lib.ts", "src/app/runtime-env.ts", ...lib.map((f) => `scripts/lib/${f}`)];
}

/** Copies `files` (relative paths) from `from` to the same places under `to`, replacing what is there. */
export function copyFiles(from: string, to: string, files: readonly string[]): void {
  for (const f of files) {
    mkdirSync(dirname(join(to, f)), { recursive: true });
    copyFileSync(join(from, f), join(to, f));
  }
}

const RELATIVE_IMPORT = /(?:\bfrom|\bimport)\s*\(?\s*["'](\.{1,2}\/[^"']+)["']/g;

/**
 * The relative imports that do not resolve in checkout `root`, starting at `entry` and following the
 * imports of the files in `follow` (the copied harness; the revision's own files import each other
 * consistently). Each as "scripts/bench-lib.ts imports src/app/config.ts".
 *
 * @example
 * missingImports(dir, "scripts/bench-redis.ts", harnessFiles(ROOT)); // [] when it can run there
 */
export function missingImports(root: string, entry: string, follow: readonly string[]): string[] {
  const missing: string[] = [];
  const seen = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const m of readFileSync(join(root, file), "utf8").matchAll(RELATIVE_IMPORT)) {
      const target = relative(root, normalize(join(root, dirname(file), m[1] as string)));
      if (!existsSync(join(root, target))) missing.push(`${file} imports ${target}`);
      else if (follow.includes(target)) visit(target);
    }
  };
  visit(entry);
  return missing;
}
