/**
 * Runs the faas CLI in this process against a server, capturing what it prints.
 *
 * @example
 * const { code, out } = await runCli(app.url, ["execute", fid, "[1]", "--json"]);
 */
import { main, type CliIo } from "../../src/client/cli-main.ts";

export async function runCli(url: string, args: string[], stdin = ""): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const io: CliIo = { out: (t) => void (out += t), err: (t) => void (err += t), stdin: async () => stdin };
  const code = await main([...args, "--url", url], {}, io);
  return { code, out, err };
}
