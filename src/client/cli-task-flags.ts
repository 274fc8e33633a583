/**
 * The `faas` flags that set task options (execute, batch) and retry policies (register, execute,
 * batch), declared once; the server checks the values and names a bad one.
 *
 * @example
 * faas execute FID '[1]' --priority 9 --delay-ms 5000 --after T1,T2 --args-from results --retry 3
 */
import { intFlag, UsageError, type CommandContext, type Flag } from "./cli-command.ts";
import type { RetryPolicy, TaskOptions } from "./task-options.ts";

export const RETRY_FLAGS: Readonly<Record<string, Flag>> = {
  retry: { value: "N", help: "retry a thrown error up to N times" },
  "retry-backoff-ms": { value: "N", help: "wait before the first retry (default 1000; doubles each time)" },
  "retry-on": { value: "NAMES", help: "only these error names, comma-separated (TimeoutError only when named)" },
};

export const TASK_FLAGS: Readonly<Record<string, Flag>> = {
  priority: { value: "P", help: "0-9, 9 most urgent (default 5)" },
  "delay-ms": { value: "N", help: "run no sooner than N ms from now" },
  "run-at": { value: "TIME", help: "run no sooner than this RFC 3339 time" },
  after: { value: "IDS", help: "comma-separated ids of tasks that must COMPLETE first" },
  "args-from": { value: "results", help: "append the results of --after to the arguments" },
  ...RETRY_FLAGS,
};

/** The retry policy the flags give, if any. */
export function retryFrom(ctx: CommandContext): RetryPolicy | undefined {
  const max = ctx.flags.retry;
  if (max === undefined) return undefined;
  const maxRetries = Number(max);
  if (typeof max !== "string" || !Number.isInteger(maxRetries) || maxRetries < 0) throw new UsageError(`--retry must be a whole number of retries, got "${String(max)}"`);
  const backoffMs = intFlag(ctx, "retry-backoff-ms");
  const on = ctx.flags["retry-on"];
  return { maxRetries, ...(backoffMs !== undefined && { backoffMs }), ...(typeof on === "string" && { on: on.split(",").map((s) => s.trim()).filter((s) => s !== "") }) };
}

/** The task options the flags give. */
export function taskOptionsFrom(ctx: CommandContext): TaskOptions {
  const f = ctx.flags;
  const text = (k: string): string | undefined => (typeof f[k] === "string" ? (f[k] as string) : undefined);
  const priority = text("priority");
  if (priority !== undefined && !/^\d$/.test(priority)) throw new UsageError(`--priority must be 0-9, got "${priority}"`);
  const delay = text("delay-ms");
  if (delay !== undefined && !/^\d+$/.test(delay)) throw new UsageError(`--delay-ms must be a whole number of ms, got "${delay}"`);
  const argsFrom = text("args-from");
  if (argsFrom !== undefined && argsFrom !== "results") throw new UsageError(`--args-from takes "results", got "${argsFrom}"`);
  const timeoutMs = intFlag(ctx, "timeout-ms");
  const retry = retryFrom(ctx);
  const after = text("after");
  const runAt = text("run-at");
  return {
    ...(timeoutMs !== undefined && { timeoutMs }),
    ...(priority !== undefined && { priority: Number(priority) }),
    ...(delay !== undefined && { delayMs: Number(delay) }),
    ...(runAt !== undefined && { runAt }),
    ...(retry !== undefined && { retry }),
    ...(after !== undefined && { after: after.split(",").map((s) => s.trim()).filter((s) => s !== "") }),
    ...(argsFrom !== undefined && { argsFrom: "results" as const }),
  };
}
