/**
 * The table of `faas` commands. Each entry says what the command takes and does; parsing, `--help`,
 * `--json`, usage errors and server errors are handled once, in cli-main.ts. To add a command, add an
 * entry here (see cli-command.ts for its shape).
 */
import { basename, extname } from "node:path";
import { emit, intFlag, jsonArray, KEY_FLAG, keyFlag, readInput, secondsFlag, UsageError, type Command } from "./cli-command.ts";
import { batchCommand, waitCommand } from "./cli-wait.ts";
import { graphCommand } from "./cli-graph.ts";
import { RETRY_FLAGS, retryFrom, TASK_FLAGS, taskOptionsFrom } from "./cli-task-flags.ts";
import { writeKeyPair } from "./cli-keygen.ts";
import { scheduleCommand } from "./cli-schedule.ts";
import { retryCommand, taskCommand, tasksCommand, workersCommand } from "./cli-operations.ts";
import { isTerminalStatus, type TaskOutcome } from "./types.ts";

/** What went wrong with a task, in one line (the exit-1 message of `execute --wait`). */
function outcomeProblem(taskId: string, o: TaskOutcome, waitS: number): string {
  const r = o.result as { name?: unknown; message?: unknown } | null;
  switch (o.status) {
    case "FAILED":
      return `task ${taskId} FAILED: ${String(r?.name ?? "Error")}: ${String(r?.message ?? JSON.stringify(o.result))}`;
    case "CANCELLED":
      return `task ${taskId} was CANCELLED`;
    case "PENDING":
      return `task ${taskId} is still QUEUED or RUNNING after ${waitS} s (read it later: faas result ${taskId})`;
    default:
      return `task ${taskId} is unknown to the server (never existed, or expired)`;
  }
}

export const COMMANDS: Readonly<Record<string, Command>> = {
  register: {
    summary: "register one function expression from a file (- for stdin); prints its id",
    args: ["file|-"],
    flags: {
      name: { value: "NAME", help: "its name (default: the file name without extension)" },
      "timeout-ms": { value: "N", help: "deadline of each call in ms" },
      "max-attempts": { value: "N", help: "attempts when a worker is lost" },
      ...RETRY_FLAGS,
    },
    details: "The file holds one function expression, JS or TypeScript: (a: number, b: number) => a + b",
    run: async (ctx) => {
      const file = ctx.args[0] as string;
      const source = (await readInput(ctx, file)).trim();
      if (source === "") throw new UsageError(`${file === "-" ? "stdin" : file} is empty; expected one function expression such as (a, b) => a + b`);
      const name = typeof ctx.flags.name === "string" ? ctx.flags.name : file === "-" ? "anonymous" : basename(file, extname(file));
      const retry = retryFrom(ctx);
      const id = await ctx.client.register(source, { name, timeoutMs: intFlag(ctx, "timeout-ms"), maxAttempts: intFlag(ctx, "max-attempts"), ...(retry !== undefined && { retry }), reuse: false });
      emit(ctx, id, { function_id: id, name });
      return 0;
    },
  },
  execute: {
    summary: "queue one call; prints the task id, or the result with --wait",
    args: ["function_id", "json_args"],
    flags: {
      wait: { value: "S", help: "wait up to S seconds and print the result (exit 1 if it failed)" },
      "timeout-ms": { value: "N", help: "this call's deadline in ms (default: the function's)" },
      ...TASK_FLAGS,
      "idempotency-key": KEY_FLAG,
    },
    details: "json_args is the JSON array of arguments: '[2, 3]'. With --json and --wait: {task_id,status,result}.\nEach call carries an idempotency key (a fresh one without --idempotency-key): a retry after a lost\nreply queues nothing twice.",
    run: async (ctx) => {
      const [fid, json] = ctx.args as [string, string];
      const args = jsonArray(json, "the args");
      const waitS = secondsFlag(ctx, "wait");
      const handle = await ctx.client.submit(fid, args, { ...taskOptionsFrom(ctx), ...keyFlag(ctx) });
      if (waitS === undefined) {
        emit(ctx, handle.taskId, { task_id: handle.taskId });
        return 0;
      }
      const o = await handle.outcome({ timeoutS: waitS });
      emit(ctx, JSON.stringify(o.result), { task_id: handle.taskId, status: o.status, result: o.result });
      if (o.status === "COMPLETED") return 0;
      ctx.io.err(`faas: ${outcomeProblem(handle.taskId, o, waitS)}\n`);
      return 1;
    },
  },
  batch: batchCommand,
  graph: graphCommand,
  wait: waitCommand,
  status: {
    summary: "print a task's status",
    args: ["task_id"],
    run: async (ctx) => {
      const id = ctx.args[0] as string;
      const status = await ctx.client.status(id);
      emit(ctx, status, { task_id: id, status });
      return 0;
    },
  },
  result: {
    summary: "print a task's {task_id,status,result} (result is null until it ends)",
    args: ["task_id"],
    flags: { wait: { value: "S", help: "wait up to S seconds for the task to end first" } },
    run: async (ctx) => {
      const id = ctx.args[0] as string;
      const waitS = secondsFlag(ctx, "wait");
      let r = await ctx.client.result(id);
      const started = Date.now();
      while (waitS !== undefined && !isTerminalStatus(r.status) && Date.now() - started < waitS * 1000) {
        r = await ctx.client.result(id, { waitS: Math.min(20, Math.max(0.001, waitS - (Date.now() - started) / 1000)) });
      }
      const doc = { task_id: r.taskId, status: r.status, result: r.result };
      emit(ctx, JSON.stringify(doc), doc);
      return 0;
    },
  },
  cancel: {
    summary: "cancel a queued or running task",
    args: ["task_id"],
    details: "Exit 1 with AlreadyTerminal (HTTP 409) when the task had already ended.",
    run: async (ctx) => {
      const id = ctx.args[0] as string;
      await ctx.client.cancel(id);
      emit(ctx, `${id} CANCELLED`, { task_id: id, status: "CANCELLED" });
      return 0;
    },
  },
  functions: {
    summary: "list functions: id, name, timeout_ms, created (tab-separated)",
    run: async (ctx) => {
      for (const f of await ctx.client.functions()) {
        const doc = { function_id: f.functionId, name: f.name, timeout_ms: f.timeoutMs, max_attempts: f.maxAttempts, created: f.created };
        emit(ctx, `${f.functionId}\t${f.name}\t${f.timeoutMs}\t${f.created}`, doc);
      }
      return 0;
    },
  },
  schedule: scheduleCommand,
  tasks: tasksCommand,
  task: taskCommand,
  retry: retryCommand,
  workers: workersCommand,
  health: {
    summary: "print the server's {status,queued}",
    run: async (ctx) => {
      const h = await ctx.client.health();
      emit(ctx, JSON.stringify(h), h);
      return 0;
    },
  },
  keygen: {
    summary: "write a CURVE key pair NAME.key (secret, 0600) and NAME.pub; prints the public key",
    flags: { out: { value: "NAME", help: "where to write: NAME.key and NAME.pub (never overwritten)" } },
    details: "For workers and dispatchers (ZMTP CURVE). Needs no server.",
    offline: true,
    run: async (ctx) => {
      const out = ctx.flags.out;
      if (typeof out !== "string" || out === "") throw new UsageError("keygen needs --out NAME (it writes NAME.key and NAME.pub)");
      try {
        const w = await writeKeyPair(out);
        emit(ctx, w.publicKey, { public_key: w.publicKey, secret_file: w.secretFile, public_file: w.publicFile });
        ctx.io.err(`wrote ${w.secretFile} (secret, mode 0600) and ${w.publicFile}\n`);
        return 0;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "EEXIST") throw new UsageError(`${out}.key or ${out}.pub already exists; keygen never overwrites a key`);
        throw e;
      }
    },
  },
};
