/**
 * What a `faas` command is: one entry in the table of cli-commands.ts (a summary, its arguments, its
 * flags, a `run` function), and the helpers commands share to read flags and arguments and to print
 * plain or `--json` output. Adding a command is adding one {@link Command} to that table.
 */
import { readFile } from "node:fs/promises";
import type { FaasClient } from "./client.ts";

/** Where the CLI reads and writes; the process's streams in `cli.ts`, buffers in tests. */
export interface CliIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly stdin: () => Promise<string>;
  /** stderr is a terminal: progress bars are drawn there (never otherwise). */
  readonly errIsTTY?: boolean;
  /** stdin is a terminal: a command reading it says so first. */
  readonly stdinIsTTY?: boolean;
  /** Milliseconds now (progress redraws); Date.now unless a test pins it. */
  readonly now?: () => number;
}

/** A flag of a command: `value` names its argument (`--wait S`); a flag without one is a switch. */
export interface Flag {
  readonly value?: string;
  readonly help: string;
}

/** What a command's `run` gets. */
export interface CommandContext {
  readonly client: FaasClient;
  /** The server's URL, for messages. */
  readonly url: string;
  /** The positional arguments after the command name. */
  readonly args: readonly string[];
  /** The command's own flags that were given (`--json`, `--url`, `--api-key` are not among them). */
  readonly flags: Readonly<Record<string, string | boolean | undefined>>;
  /** `--json`: one JSON document on stdout, or one per line for lists. */
  readonly json: boolean;
  readonly io: CliIo;
}

/** One `faas` command. */
export interface Command {
  /** One line for `faas --help`. */
  readonly summary: string;
  /** Names of the required positional arguments, in order. */
  readonly args?: readonly string[];
  /** Name of a trailing list of any length (`task_id...`), if the command takes one. */
  readonly rest?: string;
  readonly flags?: Readonly<Record<string, Flag>>;
  /** More lines for `faas <command> --help`: output, exit codes. */
  readonly details?: string;
  /** Needs no server (no --url check). */
  readonly offline?: boolean;
  /** Runs the command; returns the exit code (0 done, 1 refused or failed). Throw UsageError for bad input. */
  readonly run: (ctx: CommandContext) => Promise<number>;
}

/** Bad usage: exit code 2, a one-line message and a hint to the command's --help. */
export class UsageError extends Error {}

/**
 * Prints one result: `json` as one line of JSON with `--json`, else `plain` (a line, or several).
 *
 * @example
 * ```ts
 * emit(ctx, taskId, { task_id: taskId }); // "9a2e..." or {"task_id":"9a2e..."}
 * ```
 */
export function emit(ctx: CommandContext, plain: string, json: unknown): void {
  ctx.io.out(`${ctx.json ? JSON.stringify(json) : plain}\n`);
}

/**
 * A flag's value as a positive integer (undefined when absent).
 *
 * @example
 * ```ts
 * intFlag(ctx, "timeout-ms"); // 5000 for --timeout-ms 5000; UsageError for --timeout-ms soon
 * ```
 */
export function intFlag(ctx: CommandContext, key: string): number | undefined {
  const raw = ctx.flags[key];
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (typeof raw !== "string" || !Number.isInteger(n) || n < 1) throw new UsageError(`--${key} must be a positive integer, got "${String(raw)}"`);
  return n;
}

/**
 * A flag's value as a number of seconds above 0 (undefined when absent).
 *
 * @example
 * ```ts
 * secondsFlag(ctx, "wait"); // 2.5 for --wait 2.5
 * ```
 */
export function secondsFlag(ctx: CommandContext, key: string): number | undefined {
  const raw = ctx.flags[key];
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (typeof raw !== "string" || raw.trim() === "" || !Number.isFinite(n) || n <= 0) {
    throw new UsageError(`--${key} must be a number of seconds above 0, got "${String(raw)}"`);
  }
  return n;
}

/**
 * `--idempotency-key K` as the SDK's option (nothing when absent); a UsageError when K does not fit
 * the server's rule (1 to 255 printable ASCII characters, no spaces).
 *
 * @example
 * ```ts
 * await ctx.client.submit(fid, args, { ...keyFlag(ctx) }); // { idempotencyKey: "order-42" } for --idempotency-key order-42
 * ```
 */
export function keyFlag(ctx: CommandContext): { idempotencyKey?: string } {
  const raw = ctx.flags["idempotency-key"];
  if (raw === undefined) return {};
  if (typeof raw !== "string" || !/^[\x21-\x7e]{1,255}$/.test(raw)) throw new UsageError(`--idempotency-key must be 1 to 255 printable ASCII characters without spaces, got ${JSON.stringify(String(raw).slice(0, 40))}`);
  return { idempotencyKey: raw };
}

/** The `--idempotency-key` flag of the commands that queue tasks. */
export const KEY_FLAG: Flag = { value: "K", help: "name this request: sent again with K, it prints the same id(s) and queues nothing (409 if it differs)" };

/**
 * Parses the JSON text of an argument array, or throws a UsageError naming `what`.
 *
 * @example
 * ```ts
 * jsonArray("[2, 3]", "the args"); // [2, 3]
 * ```
 */
export function jsonArray(text: string, what: string): unknown[] {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${what} must be a JSON array such as '[1, 2]', got ${JSON.stringify(text.slice(0, 80))}: ${(e as Error).message}`);
  }
  if (!Array.isArray(v)) throw new UsageError(`${what} must be a JSON array such as '[1, 2]', got ${JSON.stringify(text.slice(0, 80))}`);
  return v;
}

/**
 * A file's text, or stdin's for "-"; a UsageError when it cannot be read.
 *
 * @example
 * ```ts
 * const source = await readInput(ctx, "add.ts");
 * ```
 */
export async function readInput(ctx: CommandContext, file: string): Promise<string> {
  if (file === "-") return ctx.io.stdin();
  try {
    return await readFile(file, "utf8");
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${(e as Error).message}`);
  }
}
