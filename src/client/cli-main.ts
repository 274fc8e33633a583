/**
 * The `faas` command line: finds the command in the table (cli-commands.ts), parses its arguments and
 * flags, calls it with a {@link FaasClient}, and turns what goes wrong into one message on stderr.
 * Exit codes: 0 done, 1 the server or a task said no (its message is printed) or the server could not
 * be reached, 2 bad usage (one line and a hint to `--help`). `cli.ts` runs it; tests call {@link main}.
 */
import { parseArgs } from "node:util";
import { FaasClient } from "./client.ts";
import { UsageError, type CliIo, type Command, type Flag } from "./cli-command.ts";
import { COMMANDS } from "./cli-commands.ts";
import { commandHelp, GLOBAL_FLAGS, overview } from "./cli-help.ts";
import { FaasError, FaasNetworkError, networkReason } from "./errors.ts";

export type { CliIo } from "./cli-command.ts";

const DEFAULT_URL = "http://127.0.0.1:8000";

/** What the command line asked for. */
type Request =
  | { kind: "help"; text: string }
  | { kind: "run"; name: string; command: Command; args: string[]; flags: Record<string, string | boolean | undefined>; json: boolean; url: string; apiKey: string | undefined };

/** No command was given: the overview goes to stderr. */
class NoCommand extends Error {}

/** Usage went wrong; `command` names the command whose --help to point at. */
class BadUsage extends Error {
  constructor(
    message: string,
    readonly command?: string,
  ) {
    super(message);
  }
}

/**
 * Runs one `faas` command and returns its exit code (never throws).
 *
 * @example
 * ```ts
 * const code = await main(["status", taskId, "--url", url], process.env, io); // prints "COMPLETED"
 * ```
 */
export async function main(argv: readonly string[], env: Record<string, string | undefined>, io: CliIo): Promise<number> {
  let req: Request;
  try {
    req = parse(argv, env);
  } catch (e) {
    if (e instanceof NoCommand) {
      io.err(overview(COMMANDS));
      return 2;
    }
    if (!(e instanceof BadUsage)) throw e;
    return usageFailure(io, e.message, e.command);
  }
  if (req.kind === "help") {
    io.out(req.text);
    return 0;
  }
  try {
    const client = new FaasClient(req.url, req.apiKey !== undefined ? { apiKey: req.apiKey } : {});
    return await req.command.run({ client, url: req.url, args: req.args, flags: req.flags, json: req.json, io });
  } catch (e) {
    if (e instanceof UsageError) return usageFailure(io, e.message, req.name);
    io.err(`faas: ${describeFailure(e, req.url)}\n`);
    return 1;
  }
}

function usageFailure(io: CliIo, message: string, command: string | undefined): number {
  const hint = command !== undefined ? `run "faas ${command} --help" for its usage` : 'run "faas --help" for the commands';
  io.err(`faas: ${message}\n${hint}\n`);
  return 2;
}

/** The command name: the first word that is not an option or the value of --url / --api-key. */
function commandName(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === "--") return argv[i + 1];
    if (a === "--url" || a === "--api-key") i++;
    else if (!a.startsWith("-")) return a;
  }
  return undefined;
}

function parse(argv: readonly string[], env: Record<string, string | undefined>): Request {
  let name = commandName(argv);
  const asksHelp = name === "help";
  if (asksHelp) name = commandName(argv.slice(argv.indexOf("help") + 1));
  const command = name !== undefined ? COMMANDS[name] : undefined;
  if (name !== undefined && command === undefined) throw new BadUsage(`unknown command "${name}"; expected one of ${Object.keys(COMMANDS).join(", ")}`);
  if (asksHelp) return { kind: "help", text: command !== undefined ? commandHelp(name as string, command) : overview(COMMANDS) };

  const specs: Record<string, Flag> = { ...GLOBAL_FLAGS, ...command?.flags };
  const options = Object.fromEntries(
    Object.entries(specs).map(([k, f]) => [k, { type: f.value !== undefined ? ("string" as const) : ("boolean" as const), ...(k === "help" && { short: "h" }) }]),
  );
  const { values, positionals, tokens } = parseArgs({ args: [...argv], options, allowPositionals: true, strict: false, tokens: true });
  for (const t of tokens) {
    if (t.kind !== "option") continue;
    const spec = specs[t.name];
    if (spec === undefined) throw new BadUsage(name !== undefined ? `${name} does not take ${t.rawName}` : `unknown option ${t.rawName}`, name);
    if (spec.value === undefined && t.value !== undefined) throw new BadUsage(`${t.rawName} takes no value, got "${t.value}"`, name);
    if (spec.value !== undefined && (t.value === undefined || (!t.inlineValue && t.value.startsWith("-") && !/^-\d/.test(t.value)))) {
      throw new BadUsage(`${t.rawName} needs a value: ${t.rawName} ${spec.value}`, name);
    }
  }
  if (values.help === true) return { kind: "help", text: command !== undefined ? commandHelp(name as string, command) : overview(COMMANDS) };
  if (command === undefined || name === undefined) throw new NoCommand();

  const args = positionals.slice(1);
  const want = command.args ?? [];
  if (command.rest === undefined ? args.length !== want.length : args.length < want.length) {
    const shape = [...want.map((a) => `<${a}>`), ...(command.rest !== undefined ? [`[${command.rest}...]`] : [])].join(" ");
    const count = command.rest !== undefined ? `at least ${want.length} argument(s)` : want.length === 0 ? "no arguments" : `${want.length} argument(s)`;
    throw new BadUsage(`${name} takes ${count}${shape !== "" ? ` (${shape})` : ""}, got ${args.length}`, name);
  }
  const url = (values.url as string | undefined) ?? env.FAAS_URL ?? DEFAULT_URL;
  if (command.offline !== true && !/^https?:\/\/[^/]/.test(url)) throw new BadUsage(`--url (or FAAS_URL) must be an http(s) URL such as ${DEFAULT_URL}, got "${url}"`, name);
  const apiKey = ((values["api-key"] as string | undefined) ?? env.FAAS_API_KEY ?? "").trim() || undefined;
  if (apiKey !== undefined && !/^[\x21-\x7e]+$/.test(apiKey)) throw new BadUsage("--api-key (FAAS_API_KEY) must be printable ASCII without spaces", name);
  const flags: Record<string, string | boolean | undefined> = {};
  for (const [k, v] of Object.entries(values)) if (!(k in GLOBAL_FLAGS)) flags[k] = v;
  return { kind: "run", name, command, args, flags, json: values.json === true, url, apiKey };
}

/** One line for what went wrong, naming the server. */
function describeFailure(e: unknown, url: string): string {
  if (e instanceof FaasError) {
    const hint = e.status === 401 ? " (set FAAS_API_KEY or pass --api-key)" : e.status === 403 ? " (check FAAS_API_KEY or --api-key)" : "";
    return `${url} answered ${e.code} (HTTP ${e.status}): ${e.message}${e.field !== undefined ? ` [field: ${e.field}]` : ""}${hint}`;
  }
  if (e instanceof FaasNetworkError) {
    const unknown = e.outcomeUnknown ? "; the server may have acted on it: check before repeating" : "";
    return `cannot reach ${url}: ${networkReason(e.cause)} (${e.method} ${e.path}, ${e.attempts} attempt(s)${unknown})`;
  }
  if (e instanceof Error && e.cause instanceof FaasNetworkError) return `${describeFailure(e.cause, url)} (${e.message})`;
  return e instanceof Error ? e.message : String(e);
}
