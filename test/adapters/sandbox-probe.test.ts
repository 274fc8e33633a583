/** Where a sandbox cannot be made, creating a sandbox pool fails with an Error that says what is missing and how to get it. */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const index = new URL("../../src/adapters/executors/index.ts", import.meta.url).pathname;
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** What `probeSandbox()` and `new ExecutorPool({ isolation: "sandbox" })` say in a process with this PATH. */
async function inProcessWithPath(path: string): Promise<{ probe: unknown; error: string }> {
  const script = `
    const { ExecutorPool, probeSandbox } = await import(${JSON.stringify(index)});
    let error = "";
    try { await new ExecutorPool({ executors: 1, isolation: "sandbox", logger: { log() {} } }).close(); } catch (e) { error = e.message; }
    console.log(JSON.stringify({ probe: probeSandbox(), error }));`;
  const child = Bun.spawn([process.execPath, "-e", script], { env: { PATH: path }, stdout: "pipe", stderr: "inherit" });
  const out = await new Response(child.stdout).text();
  await child.exited;
  return JSON.parse(out);
}

describe("probeSandbox", () => {
  test("no bwrap on PATH: the error names the Debian package and the command", async () => {
    const empty = mkdtempSync(join(tmpdir(), "bunfaas-nopath-"));
    dirs.push(empty);
    const r = await inProcessWithPath(empty);
    expect(r.probe).toMatchObject({ ok: false });
    expect(r.error).toContain("--isolation sandbox is not available here");
    expect(r.error).toContain("apt-get install bubblewrap");
  });

  test.skipIf(process.getuid?.() !== 0 || Bun.which("bwrap") === null)("as root without setpriv: the error names util-linux", async () => {
    const onlyBwrap = mkdtempSync(join(tmpdir(), "bunfaas-bwraponly-"));
    dirs.push(onlyBwrap);
    symlinkSync(Bun.which("bwrap") as string, join(onlyBwrap, "bwrap"));
    const r = await inProcessWithPath(onlyBwrap);
    expect(r.error).toContain("setpriv");
    expect(r.error).toContain("util-linux");
  });
});
