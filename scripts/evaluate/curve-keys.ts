/**
 * CURVE keys for one evaluation stack, made by `faas keygen`'s own code in a temp dir: the dispatcher's
 * pair, one pair per worker, and the dispatcher's authorized-workers file (the workers' public keys),
 * with the flags each process takes (README, "CURVE between dispatcher and workers"). `remove()` deletes
 * the dir; `removeTempDirs()` does too on any exit.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { writeKeyPair } from "../../src/client/cli-keygen.ts";
import { removeTempDir, tempDir } from "../lib/temp-dirs.ts";

export interface CurveKeys {
  /** `--curve-secret-key-file <dispatcher.key> --authorized-workers <authorized-workers.txt>` */
  readonly dispatcherArgs: readonly string[];
  /** Worker i's (from 0) `--curve-server-key-file <dispatcher.pub> --curve-secret-key-file <worker-i+1.key>`. */
  readonly workerArgs: readonly (readonly string[])[];
  remove(): void;
}

/**
 * Makes the dispatcher's key pair and `workers` worker pairs, and lists the workers as authorized.
 *
 * @example
 * const keys = await makeCurveKeys(2);
 * spawnEntry("dispatcher", ["--mode", "push", ...keys.dispatcherArgs]);
 * spawnEntry("worker", ["--mode", "push", "--url", url, ...keys.workerArgs[0]]);
 * keys.remove();
 */
export async function makeCurveKeys(workers: number): Promise<CurveKeys> {
  const dir = tempDir("curve");
  try {
    const dispatcher = await writeKeyPair(join(dir, "dispatcher"));
    const pairs = await Promise.all(Array.from({ length: workers }, (_, i) => writeKeyPair(join(dir, `worker-${i + 1}`))));
    const authorized = join(dir, "authorized-workers.txt");
    writeFileSync(authorized, `# the evaluation's workers\n${pairs.map((p) => p.publicKey).join("\n")}\n`);
    return {
      dispatcherArgs: ["--curve-secret-key-file", dispatcher.secretFile, "--authorized-workers", authorized],
      workerArgs: pairs.map((p) => ["--curve-server-key-file", dispatcher.publicFile, "--curve-secret-key-file", p.secretFile]),
      remove: () => removeTempDir(dir),
    };
  } catch (e) {
    removeTempDir(dir);
    throw e;
  }
}
