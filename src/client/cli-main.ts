/**
 * The `faas` command line: parses arguments, calls {@link FaasClient}, prints plain results on
 * stdout and messages on stderr. Exit codes: 0 done, 1 the server or the task said no (its message is
 * printed), 2 bad usage. `cli.ts` runs it; tests may call {@link main} directly.
 */
import { readFile } from "node:fs/promises";
import { basename, extname } from "node:path";
import { parseArgs } from "node:util";
import { FaasClient } from "./client.ts";
import { FaasError, FaasNetworkError, TaskCancelledError, TaskFailedError, WaitTimeoutError } from "./errors.ts";
import { writeKeyPair } from "./cli-keygen.ts";
import { isTerminalStatus } from "./types.ts";

export const USAGE = `Usage: faas <command> [options]   (server: --url URL, or FAAS_URL; default http://127.0.0.1:8000)
                                (API key, when the server has keys: FAAS_API_KEY, or --api-key KEY)

  register <file.ts|-> [--name n] [--timeout-ms n] [--max-attempts n]   register one function expression; prints its id
  execute <function_id> '<json args array>' [--wait S] [--timeout-ms n]  prints the task id, or the result with --wait
  batch <function_id> <file|-> [--wait S] [--timeout-ms n]               one JSON args array per line; prints task ids
                                                                        (with --wait: one {task_id,status,result} per line)
  status <task_id>                                                      prints the status
  result <task_id> [--wait S]                                           prints {task_id,status,result}
  cancel <task_id>                                                      cancels a queued or running task
  functions                                                             lists functions: id, name, timeout_ms, created
  health                                                                prints {status,queued}
  keygen --out NAME                                                     writes a CURVE key pair: NAME.key (secret, 0600)
                                                                        and NAME.pub, for workers and dispatchers
`;

/** Where the CLI reads and writes; the process's streams in `cli.ts`, buffers in tests. */
export interface CliIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly stdin: () => Promise<string>;
}

/** Bad usage: exit code 2 with the usage text. */
class UsageError extends Error {}

interface Command {
  readonly args: readonly string[];
  readonly flags: readonly string[];
  readonly run: (c: FaasClient, pos: string[], flags: Flags, io: CliIo) => Promise<number>;
}
type Flags = Record<string, string | undefined>;

const COMMANDS: Record<string, Command> = {
  register: {
    args: ["file"],
    flags: ["name", "timeout-ms", "max-attempts"],
    run: async (c, [file], f, io) => {
      const source = (file === "-" ? await io.stdin() : await readText(file!)).trim();
      if (source === "") throw new UsageError(`${file === "-" ? "stdin" : file} is empty; expected one function expression such as (a, b) => a + b`);
      const name = f.name ?? (file === "-" ? "anonymous" : basename(file!, extname(file!)));
      const id = await c.register(source, { name, timeoutMs: int(f, "timeout-ms"), maxAttempts: int(f, "max-attempts") });
      io.out(`${id}\n`);
      return 0;
    },
  },
  execute: {
    args: ["function_id", "json_args"],
    flags: ["wait", "timeout-ms"],
    run: async (c, [fid, json], f, io) => {
      const args = jsonArray(json!, "the args");
      const waitS = seconds(f, "wait");
      if (waitS === undefined) {
        io.out(`${await c.execute(fid!, args, { timeoutMs: int(f, "timeout-ms") })}\n`);
      } else {
        io.out(`${JSON.stringify(await c.run(fid!, args, { timeoutMs: int(f, "timeout-ms"), waitS }))}\n`);
      }
      return 0;
    },
  },
  batch: {
    args: ["function_id", "file"],
    flags: ["wait", "timeout-ms"],
    run: async (c, [fid, file], f, io) => {
      const text = file === "-" ? await io.stdin() : await readText(file!);
      const argsList: unknown[][] = [];
      text.split("\n").forEach((line, i) => {
        if (line.trim() !== "") argsList.push(jsonArray(line, `line ${i + 1} of ${file}`));
      });
      const ids = await c.executeBatch(fid!, argsList, { timeoutMs: int(f, "timeout-ms") });
      const waitS = seconds(f, "wait");
      if (waitS === undefined) {
        io.out(ids.map((id) => `${id}\n`).join(""));
        return 0;
      }
      const outcomes = await c.wait(ids, { timeoutS: waitS });
      let allDone = true;
      for (const id of ids) {
        const o = outcomes.get(id)!;
        allDone &&= o.status === "COMPLETED";
        io.out(`${JSON.stringify({ task_id: id, status: o.status, result: o.result })}\n`);
      }
      return allDone ? 0 : 1;
    },
  },
  status: {
    args: ["task_id"],
    flags: [],
    run: async (c, [id], _f, io) => {
      io.out(`${await c.status(id!)}\n`);
      return 0;
    },
  },
  result: {
    args: ["task_id"],
    flags: ["wait"],
    run: async (c, [id], f, io) => {
      const waitS = seconds(f, "wait");
      let r = await c.result(id!);
      const started = Date.now();
      while (waitS !== undefined && !isTerminalStatus(r.status) && Date.now() - started < waitS * 1000) {
        r = await c.result(id!, { waitS: Math.min(20, Math.max(0.001, waitS - (Date.now() - started) / 1000)) });
      }
      io.out(`${JSON.stringify({ task_id: r.taskId, status: r.status, result: r.result })}\n`);
      return 0;
    },
  },
  cancel: {
    args: ["task_id"],
    flags: [],
    run: async (c, [id], _f, io) => {
      await c.cancel(id!);
      io.out(`${id} CANCELLED\n`);
      return 0;
    },
  },
  functions: {
    args: [],
    flags: [],
    run: async (c, _p, _f, io) => {
      for (const fn of await c.functions()) io.out(`${fn.functionId}\t${fn.name}\t${fn.timeoutMs}\t${fn.created}\n`);
      return 0;
    },
  },
  health: {
    args: [],
    flags: [],
    run: async (c, _p, _f, io) => {
      io.out(`${JSON.stringify(await c.health())}\n`);
      return 0;
    },
  },
  keygen: {
    args: [],
    flags: ["out"],
    run: async (_c, _p, f, io) => {
      if (f.out === undefined || f.out === "") throw new UsageError("keygen needs --out NAME (it writes NAME.key and NAME.pub)");
      try {
        const written = await writeKeyPair(f.out);
        io.out(`${written.publicKey}\n`);
        io.err(`wrote ${written.secretFile} (secret, mode 0600) and ${written.publicFile}\n`);
        return 0;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "EEXIST") throw new UsageError(`${f.out}.key or ${f.out}.pub already exists; keygen never overwrites a key`);
        throw e;
      }
    },
  },
};

/**
 * Runs one `faas` command and returns its exit code (never throws).
 *
 * @example
 * ```ts
 * const code = await main(["status", taskId, "--url", url], process.env, io); // prints "COMPLETED"
 * ```
 */
export async function main(argv: readonly string[], env: Record<string, string | undefined>, io: CliIo): Promise<number> {
  let parsed: { command: Command; pos: string[]; flags: Flags; url: string; apiKey: string | undefined };
  try {
    parsed = parse(argv, env);
  } catch (e) {
    if (e instanceof HelpRequest) {
      io.out(USAGE);
      return 0;
    }
    io.err(`faas: ${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  try {
    const client = new FaasClient(parsed.url, parsed.apiKey !== undefined ? { apiKey: parsed.apiKey } : {});
    return await parsed.command.run(client, parsed.pos, parsed.flags, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`faas: ${e.message}\n\n${USAGE}`);
      return 2;
    }
    io.err(`faas: ${describeFailure(e)}\n`);
    return 1;
  }
}

class HelpRequest extends Error {}

function parse(
  argv: readonly string[],
  env: Record<string, string | undefined>,
): { command: Command; pos: string[]; flags: Flags; url: string; apiKey: string | undefined } {
  const str = { type: "string" } as const;
  const options = { url: str, "api-key": str, name: str, "timeout-ms": str, "max-attempts": str, wait: str, out: str, help: { type: "boolean" } } as const;
  let values: Record<string, string | boolean | undefined>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true }));
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (values.help === true || positionals[0] === "help") throw new HelpRequest();
  const [name, ...pos] = positionals;
  if (name === undefined) throw new UsageError("a command is required");
  const command = COMMANDS[name];
  if (command === undefined) throw new UsageError(`unknown command "${name}"; expected one of ${Object.keys(COMMANDS).join(", ")}`);
  if (pos.length !== command.args.length) {
    const shape = command.args.map((a) => `<${a}>`).join(" ");
    throw new UsageError(`${name} takes ${command.args.length} argument(s) (${shape || "none"}), got ${pos.length}`);
  }
  const flags: Flags = {};
  for (const [k, v] of Object.entries(values)) {
    if (k === "url" || k === "api-key" || k === "help" || v === undefined) continue;
    if (!command.flags.includes(k)) throw new UsageError(`${name} does not take --${k}`);
    flags[k] = String(v);
  }
  const url = (values.url as string | undefined) ?? env.FAAS_URL ?? "http://127.0.0.1:8000";
  if (!/^https?:\/\/[^/]/.test(url)) throw new UsageError(`--url must be an http(s) URL, got "${url}"`);
  const apiKey = ((values["api-key"] as string | undefined) ?? env.FAAS_API_KEY ?? "").trim() || undefined;
  if (apiKey !== undefined && !/^[\x21-\x7e]+$/.test(apiKey)) throw new UsageError("--api-key (FAAS_API_KEY) must be printable ASCII without spaces");
  return { command, pos, flags, url, apiKey };
}

function int(f: Flags, key: string): number | undefined {
  const raw = f[key];
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${key} must be a positive integer, got "${raw}"`);
  return n;
}

function seconds(f: Flags, key: string): number | undefined {
  const raw = f[key];
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (raw.trim() === "" || !Number.isFinite(n) || n <= 0) throw new UsageError(`--${key} must be a number of seconds above 0, got "${raw}"`);
  return n;
}

function jsonArray(text: string, what: string): unknown[] {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${what} must be a JSON array such as '[1, 2]', got ${JSON.stringify(text.slice(0, 80))}: ${(e as Error).message}`);
  }
  if (!Array.isArray(v)) throw new UsageError(`${what} must be a JSON array such as '[1, 2]', got ${JSON.stringify(text.slice(0, 80))}`);
  return v;
}

async function readText(file: string): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${(e as Error).message}`);
  }
}

function describeFailure(e: unknown): string {
  if (e instanceof FaasError) {
    const hint = e.status === 401 ? " (set FAAS_API_KEY or pass --api-key)" : e.status === 403 ? " (check FAAS_API_KEY or --api-key)" : "";
    return `${e.code} (HTTP ${e.status}): ${e.message}${e.field !== undefined ? ` [field: ${e.field}]` : ""}${hint}`;
  }
  if (e instanceof TaskFailedError) return `task ${e.taskId} FAILED: ${e.remote.name}: ${e.remote.message}`;
  if (e instanceof TaskCancelledError || e instanceof WaitTimeoutError) return e.message;
  if (e instanceof FaasNetworkError) return `${e.message}${e.outcomeUnknown ? " (the server may have acted on it: check before repeating)" : ""}`;
  return e instanceof Error ? e.message : String(e);
}
