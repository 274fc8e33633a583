#!/usr/bin/env node
/**
 * `faas`, the command line of the SDK: the package's `bin` (built to dist/client/cli.js, run by Node
 * 20+), or from a clone `npm run --silent faas -- <command>` / `bun src/client/cli.ts <command>`.
 * The commands are in cli-commands.ts; `faas --help` lists them.
 *
 * @example
 * ```sh
 * FAAS_URL=http://127.0.0.1:8000 npx faas execute 6f1c... '[2, 3]' --wait 10   # prints 5
 * ```
 */
import { main } from "./cli-main.ts";

async function readStdin(): Promise<string> {
  const chunks: Uint8Array[] = [];
  for await (const c of process.stdin) chunks.push(typeof c === "string" ? new TextEncoder().encode(c) : c);
  return Buffer.concat(chunks).toString("utf8");
}

process.exitCode = await main(process.argv.slice(2), process.env, {
  out: (t) => void process.stdout.write(t),
  err: (t) => void process.stderr.write(t),
  stdin: readStdin,
  errIsTTY: process.stderr.isTTY === true,
  stdinIsTTY: process.stdin.isTTY === true,
});
