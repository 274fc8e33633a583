/**
 * `faas`, the command line of the SDK (`bun run faas -- <command>`, or `bun src/client/cli.ts`).
 * See `USAGE` in cli-main.ts for the commands.
 *
 * @example
 * ```sh
 * FAAS_URL=http://127.0.0.1:8000 bun src/client/cli.ts execute 6f1c... '[2, 3]' --wait 10   # prints 5
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
});
