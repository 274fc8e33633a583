/**
 * Starts `bun src/app/start.ts` (or another entry) as a real process on a free port and reads its URL
 * from the "listening" log line. Executors then behave as in production (bun test would kill a Worker
 * on an uncaught error, a real server does not).
 */
export interface ServerProcess {
  readonly url: string;
  readonly pid: number;
  stop(): Promise<void>;
}

export async function spawnServer(args: string[] = [], entry = "src/app/start.ts"): Promise<ServerProcess> {
  const root = new URL("../../", import.meta.url).pathname;
  const proc = Bun.spawn([process.execPath, entry, "--port", "0", "--log-level", "info", ...args], {
    cwd: root,
    stdout: "ignore",
    stderr: "pipe",
  });
  const reader = proc.stderr.getReader();
  const decoder = new TextDecoder();
  let buffered = "";
  let url: string | undefined;
  const deadline = Date.now() + 15_000;
  while (url === undefined) {
    if (Date.now() > deadline) throw new Error(`${entry} did not log its URL`);
    const { value, done } = await reader.read();
    if (done) throw new Error(`${entry} exited before listening: ${buffered}`);
    buffered += decoder.decode(value);
    const m = /"url":"(http:[^"]+)"/.exec(buffered);
    if (m !== null) url = m[1];
  }
  void (async () => {
    for (;;) if ((await reader.read()).done) break; // keep draining logs so the child never blocks
  })();
  return {
    url,
    pid: proc.pid,
    async stop() {
      proc.kill("SIGTERM");
      await proc.exited;
    },
  };
}
