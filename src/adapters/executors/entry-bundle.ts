/**
 * The executor's entry code as ONE JavaScript file, built with Bun.build into a private temporary
 * directory: a sandbox binds just that file, never the project or any shared folder. The directory
 * is readable by the sandbox's uid (traverse only, no listing) and removed by `dispose()`.
 */
import { chmodSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { executorTempBase, makePrivateDir } from "./private-dirs.ts";

const ENTRY = new URL("./process-entry.ts", import.meta.url).pathname;

export interface EntryBundle {
  /** Host path of the bundled entry file. */
  readonly path: string;
  dispose(): void;
}

/**
 * Builds the process executor's entry into one file.
 *
 * @example
 * const bundle = await buildEntryBundle(); // { path: "/dev/shm/bunfaas-entry-4711-x1y2/executor.js", dispose }
 */
export async function buildEntryBundle(base: string = executorTempBase()): Promise<EntryBundle> {
  const built = await Bun.build({ entrypoints: [ENTRY], target: "bun", format: "esm" });
  const out = built.outputs[0];
  if (!built.success || out === undefined) {
    throw new Error(`Building the executor entry ${ENTRY} failed: ${built.logs.map(String).join("; ") || "no output"}`);
  }
  const dir = makePrivateDir(base, "entry");
  const path = join(dir, "executor.js");
  try {
    writeFileSync(path, await out.text());
    chmodSync(path, 0o444);
    chmodSync(dir, 0o711);
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  return { path, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}
