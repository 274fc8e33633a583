/**
 * `faas --help` and `faas <command> --help`, written from the command table, so a new command's
 * help comes with its entry.
 */
import type { Command, Flag } from "./cli-command.ts";

/** The flags every command takes. */
export const GLOBAL_FLAGS: Readonly<Record<string, Flag>> = {
  url: { value: "URL", help: "the server (or FAAS_URL; default http://127.0.0.1:8000)" },
  "api-key": { value: "KEY", help: "its API key, when it has keys (or FAAS_API_KEY)" },
  json: { help: "machine-readable output: one JSON document, or one per line for lists" },
  help: { help: "this help (-h)" },
};

function flagLines(flags: Readonly<Record<string, Flag>>): string[] {
  const rows = Object.entries(flags).map(([name, f]) => [`--${name}${f.value !== undefined ? ` ${f.value}` : ""}`, f.help] as const);
  const width = Math.max(...rows.map(([left]) => left.length));
  return rows.map(([left, help]) => `  ${left.padEnd(width)}  ${help}`);
}

/**
 * The usage line of one command: `faas wait [task_id...] [--timeout S]`.
 *
 * @example
 * ```ts
 * usageLine("status", COMMANDS.status); // "faas status <task_id>"
 * ```
 */
export function usageLine(name: string, c: Command): string {
  const args = (c.args ?? []).map((a) => `<${a}>`);
  if (c.rest !== undefined) args.push(`[${c.rest}...]`);
  const flags = Object.entries(c.flags ?? {}).map(([f, spec]) => `[--${f}${spec.value !== undefined ? ` ${spec.value}` : ""}]`);
  return ["faas", name, ...args, ...flags].join(" ");
}

/**
 * The overview: every command with its summary, and the global flags.
 *
 * @example
 * ```ts
 * io.out(overview(COMMANDS));
 * ```
 */
export function overview(commands: Readonly<Record<string, Command>>): string {
  const width = Math.max(...Object.keys(commands).map((n) => n.length));
  return [
    "Usage: faas <command> [arguments] [options]",
    "",
    "Commands:",
    ...Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
    "",
    "Options of every command:",
    ...flagLines(GLOBAL_FLAGS),
    "",
    'Run "faas <command> --help" for its arguments and options.',
    "Exit codes: 0 done; 1 the server refused, a task failed, or no reply came; 2 bad usage.",
    "",
  ].join("\n");
}

/**
 * The help of one command: usage line, summary, details, its flags and the global ones.
 *
 * @example
 * ```ts
 * io.out(commandHelp("wait", COMMANDS.wait));
 * ```
 */
export function commandHelp(name: string, c: Command): string {
  const lines = [`Usage: ${usageLine(name, c)}`, "", `${c.summary[0]?.toUpperCase() ?? ""}${c.summary.slice(1)}.`];
  if (c.details !== undefined) lines.push(c.details);
  if (c.flags !== undefined && Object.keys(c.flags).length > 0) lines.push("", "Options:", ...flagLines(c.flags));
  lines.push("", "Options of every command:", ...flagLines(GLOBAL_FLAGS), "");
  return lines.join("\n");
}
