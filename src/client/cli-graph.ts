/**
 * `faas graph FILE`: queues a small DAG of tasks from a JSON file (the body of POST /execute_graph,
 * with `args` arrays allowed in place of `payload` text); prints each name's task id.
 */
import { emit, readInput, UsageError, type Command } from "./cli-command.ts";
import type { GraphTask } from "./client.ts";

/** A graph file's tasks as SDK graph tasks, or a UsageError naming what is wrong. */
export function graphTasks(text: string, source: string): GraphTask[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${source} is not JSON (${(e as Error).message})`);
  }
  const tasks = (doc as { tasks?: unknown })?.tasks;
  if (!Array.isArray(tasks)) throw new UsageError(`${source} must hold {"tasks": [...]}: each task {name, function_id, args, after?, args_from?, priority?, delay_ms?}`);
  return tasks.map((t: Record<string, unknown>, i) => {
    const args = t.args ?? (typeof t.payload === "string" ? JSON.parse(t.payload) : undefined);
    if (typeof t.name !== "string" || typeof t.function_id !== "string" || !Array.isArray(args)) throw new UsageError(`${source}: tasks/${i} needs a name, a function_id and args (a JSON array)`);
    return {
      name: t.name,
      functionId: t.function_id,
      args,
      ...(Array.isArray(t.after) && { after: t.after as string[] }),
      ...(t.args_from === "results" && { argsFrom: "results" as const }),
      ...(typeof t.priority === "number" && { priority: t.priority }),
      ...(typeof t.delay_ms === "number" && { delayMs: t.delay_ms }),
      ...(typeof t.timeout_ms === "number" && { timeoutMs: t.timeout_ms }),
    };
  });
}

export const graphCommand: Command = {
  summary: "queue a DAG of tasks from a JSON file (- for stdin), all or nothing; prints name<TAB>task_id",
  args: ["file|-"],
  details:
    'The file: {"tasks": [{"name": "a", "function_id": "...", "args": [1, 2]},\n' +
    '                     {"name": "b", "function_id": "...", "args": [], "after": ["a"], "args_from": "results"}]}\n' +
    "after names other tasks of the file or ids of existing tasks. With --json: {task_ids: {name: id}}.",
  run: async (ctx) => {
    const file = ctx.args[0] as string;
    const tasks = graphTasks(await readInput(ctx, file), file === "-" ? "stdin" : file);
    const ids = await ctx.client.executeGraph(tasks);
    emit(ctx, Object.entries(ids).map(([name, id]) => `${name}\t${id}`).join("\n"), { task_ids: ids });
    return 0;
  },
};
