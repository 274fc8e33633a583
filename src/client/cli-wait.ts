/**
 * The `faas` commands that wait on many tasks: `batch` (queue one task per line, optionally wait) and
 * `wait` (task ids as arguments, or one per line on stdin). Both print one `{task_id, status, result}`
 * line per task in input order, draw a progress bar on a terminal, end with a summary line on stderr,
 * and exit 0 only when every task COMPLETED.
 */
import { TASK_FLAGS, taskOptionsFrom } from "./cli-task-flags.ts";
import { emit, jsonArray, KEY_FLAG, keyFlag, readInput, secondsFlag, intFlag, UsageError, type Command, type CommandContext } from "./cli-command.ts";
import { WaitProgress } from "./cli-progress.ts";

/**
 * Waits for `ids` with a progress bar (stderr, terminals only), prints each outcome as a JSON line
 * in the order of `ids`, then the summary line; returns 0 when all COMPLETED, else 1.
 *
 * @example
 * ```ts
 * return waitAndReport(ctx, ids, 30);
 * ```
 */
export async function waitAndReport(ctx: CommandContext, ids: readonly string[], timeoutS: number | undefined): Promise<number> {
  const progress = new WaitProgress(new Set(ids).size, { write: ctx.io.err, tty: ctx.io.errIsTTY === true, ...(ctx.io.now && { now: ctx.io.now }) });
  let outcomes;
  try {
    outcomes = await ctx.client.wait(ids, { ...(timeoutS !== undefined && { timeoutS }), onOutcome: (_id, o) => progress.record(o.status) });
  } finally {
    progress.finish();
  }
  let allDone = true;
  for (const id of ids) {
    const o = outcomes.get(id) ?? { status: "UNKNOWN", result: null };
    allDone &&= o.status === "COMPLETED";
    ctx.io.out(`${JSON.stringify({ task_id: id, status: o.status, result: o.result })}\n`);
  }
  ctx.io.err(`faas: ${progress.summary()}\n`);
  return allDone ? 0 : 1;
}

/**
 * Task ids from text, one per line: a bare id (the first word of the line: `faas execute`, `faas
 * batch` output) or a JSON object with `task_id` (their `--json` output). Blank lines are skipped.
 *
 * @example
 * ```ts
 * idsFromLines('a1\n{"task_id":"b2"}\n'); // ["a1", "b2"]
 * ```
 */
export function idsFromLines(text: string, source = "stdin"): string[] {
  const ids: string[] = [];
  text.split("\n").forEach((raw, i) => {
    const line = raw.trim();
    if (line === "") return;
    if (!line.startsWith("{")) {
      ids.push(line.split(/\s+/)[0] as string);
      return;
    }
    let id: unknown;
    try {
      id = (JSON.parse(line) as { task_id?: unknown }).task_id;
    } catch (e) {
      throw new UsageError(`line ${i + 1} of ${source} must be a task id or a JSON object with "task_id", got ${JSON.stringify(line.slice(0, 80))}: ${(e as Error).message}`);
    }
    if (typeof id !== "string" || id === "") throw new UsageError(`line ${i + 1} of ${source} is JSON without a "task_id" string: ${JSON.stringify(line.slice(0, 80))}`);
    ids.push(id);
  });
  return ids;
}

export const batchCommand: Command = {
  summary: "queue one task per line of a file (a JSON args array per line); prints the task ids",
  args: ["function_id", "file|-"],
  flags: {
    wait: { value: "S", help: "then wait up to S seconds and print {task_id,status,result} per line" },
    "timeout-ms": { value: "N", help: "each task's deadline in ms (default: the function's)" },
    ...TASK_FLAGS,
    "idempotency-key": KEY_FLAG,
  },
  details: "Blank lines are skipped. With --wait: a progress bar on a terminal, a summary line on stderr,\nexit 0 only when every task COMPLETED.",
  run: async (ctx) => {
    const [fid, file] = ctx.args as [string, string];
    const text = await readInput(ctx, file);
    const argsList: unknown[][] = [];
    text.split("\n").forEach((line, i) => {
      if (line.trim() !== "") argsList.push(jsonArray(line, `line ${i + 1} of ${file === "-" ? "stdin" : file}`));
    });
    const waitS = secondsFlag(ctx, "wait");
    const ids = await ctx.client.executeBatch(fid, argsList, { ...taskOptionsFrom(ctx), ...keyFlag(ctx) });
    if (waitS !== undefined) return waitAndReport(ctx, ids, waitS);
    for (const id of ids) emit(ctx, id, { task_id: id });
    return 0;
  },
};

export const waitCommand: Command = {
  summary: "wait for tasks (ids as arguments, or one per line on stdin); prints each result",
  rest: "task_id",
  flags: { timeout: { value: "S", help: "give up after S seconds (default: wait until all are done)" } },
  details:
    "Prints {task_id,status,result} per task, in the order given; status is COMPLETED, FAILED, CANCELLED,\n" +
    "PENDING (not done at --timeout) or UNKNOWN. Stdin lines may be bare ids or JSON with task_id\n" +
    "(faas batch ... | faas wait). Exit 0 only when every task COMPLETED.",
  run: async (ctx) => {
    let ids = [...ctx.args];
    if (ids.length === 0) {
      if (ctx.io.stdinIsTTY === true) ctx.io.err("faas: reading task ids from stdin, one per line (end with Ctrl-D)\n");
      ids = idsFromLines(await ctx.io.stdin());
    }
    if (ids.length === 0) throw new UsageError("wait needs task ids: as arguments, or one per line on stdin; got none");
    return waitAndReport(ctx, ids, secondsFlag(ctx, "timeout"));
  },
};
