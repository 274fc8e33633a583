/**
 * The CLI's delay and retry flags reach the server (`main` in-process against the embedded server):
 * `--delay-ms` and `--run-at` on execute and batch set the stored run_at and nothing starts before it;
 * `--retry-backoff-ms` on register and execute sets the wait between policy attempts; `--retry-on`
 * retries only the error names listed. What the server stored is read from GET /tasks/{id}. Bad
 * values exit 2 naming the flag.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { call, register } from "../../scripts/lib/http.ts";
import { runCli } from "../helpers/cli-run.ts";
import { startEmbeddedHere, stopAllHere } from "../helpers/roots.ts";
import { FLAKY, startHitCounter, type HitCounter } from "../helpers/hit-counter.ts";

setDefaultTimeout(30_000);

const app = startEmbeddedHere({ workers: 1 });
/** FLAKY counts its attempts here. */
let counter: HitCounter;
beforeAll(() => {
  counter = startHitCounter();
});
afterAll(async () => {
  await stopAllHere();
  counter?.stop();
});

const faas = (args: string[], stdin = "") => runCli(app.url, args, stdin);

/** Runs the command, expects exit 0, returns the task ids it printed (one a line). */
async function ids(args: string[], stdin = ""): Promise<string[]> {
  const r = await faas(args, stdin);
  expect({ args, code: r.code, err: r.err }).toEqual({ args, code: 0, err: "" });
  return r.out.trim().split("\n");
}

const stored = async (taskId: string): Promise<any> => (await call(`${app.url}/tasks/${taskId}`)).body;
const done = async (taskId: string): Promise<any> => (await call(`${app.url}/result/${taskId}?wait=20`)).body;
const ms = (iso: string): number => Date.parse(iso);
/** Milliseconds between each attempt's end and the next one's start. */
const gaps = (detail: any): number[] => detail.attempts.slice(1).map((a: any, i: number) => ms(a.started_at) - ms(detail.attempts[i].ended_at));
const counterUrl = (name: string): string => counter.url(name);


describe("faas --delay-ms and --run-at", () => {
  test("execute and batch store run_at from the flag; the task stays QUEUED and starts no sooner", async () => {
    const fid = await register(app.url, "() => Date.now()");
    const before = Date.now();
    const [delayed] = await ids(["execute", fid, "[]", "--delay-ms", "400"]);
    const at = new Date(Date.now() + 300).toISOString();
    const [atRun] = await ids(["execute", fid, "[]", "--run-at", at]);
    const batchDelayed = await ids(["batch", fid, "-", "--delay-ms", "350"], "[]\n[]\n");
    const batchAt = await ids(["batch", fid, "-", "--run-at", at], "[]\n");
    const waiting = await stored(delayed!);
    expect(waiting.status).toBe("QUEUED");
    expect(ms(waiting.run_at)).toBeGreaterThanOrEqual(before + 400);
    expect((await stored(atRun!)).run_at).toBe(at);
    expect((await stored(batchAt[0]!)).run_at).toBe(at);
    const batchRunAt = await Promise.all(batchDelayed.map(async (id) => ms((await stored(id)).run_at)));
    for (const t of batchRunAt) expect(t).toBeGreaterThanOrEqual(before + 350);
    const runAts = [ms(waiting.run_at), ms(at), ...batchRunAt, ms(at)];
    const all = [delayed!, atRun!, ...batchDelayed, ...batchAt];
    const started = await Promise.all(all.map(async (id) => Number((await done(id)).result)));
    started.forEach((t, i) => expect(t).toBeGreaterThanOrEqual(runAts[i]!));
  });

  test("bad values: --delay-ms not a whole number exits 2; both flags, or a --run-at that is not a time, exit 1 naming the field", async () => {
    const fid = await register(app.url, "() => 1");
    const notMs = await faas(["execute", fid, "[]", "--delay-ms", "soon"]);
    expect(notMs.code).toBe(2);
    expect(notMs.err).toContain('--delay-ms must be a whole number of ms, got "soon"');
    const both = await faas(["execute", fid, "[]", "--delay-ms", "5", "--run-at", new Date().toISOString()]);
    expect(both.code).toBe(1);
    expect(both.err).toContain("(HTTP 400)");
    expect(both.err).toContain("delay_ms");
    const notTime = await faas(["batch", fid, "-", "--run-at", "tomorrow"], "[]\n");
    expect(notTime.code).toBe(1);
    expect(notTime.err).toContain("run_at");
  });
});

describe("faas --retry-backoff-ms and --retry-on", () => {
  test("register --retry-backoff-ms sets the function's wait between attempts; execute --retry-backoff-ms overrides it", async () => {
    // 10 ms asked each time; the server's default (1000 ms) or the function's (60 s) would wait 500 ms or more.
    const [quick] = await ids(["register", "-", "--retry", "2", "--retry-backoff-ms", "10"], FLAKY);
    const [a] = await ids(["execute", quick!, JSON.stringify([counterUrl("quick"), 3])]);
    expect(await done(a!)).toMatchObject({ status: "COMPLETED", result: "3" });
    const quickDetail = await stored(a!);
    expect(quickDetail.retries).toBe(2);
    for (const gap of gaps(quickDetail)) expect(gap).toBeLessThan(450);
    const [slow] = await ids(["register", "-", "--name", "slow", "--retry", "1", "--retry-backoff-ms", "60000"], FLAKY);
    const [b] = await ids(["execute", slow!, JSON.stringify([counterUrl("override"), 3]), "--retry", "2", "--retry-backoff-ms", "10"]);
    expect(await done(b!)).toMatchObject({ status: "COMPLETED", result: "3" });
    const overridden = await stored(b!);
    expect(overridden.retries).toBe(2);
    for (const gap of gaps(overridden)) expect(gap).toBeLessThan(450);
  });

  test("--retry-on on execute and batch retries only the names listed", async () => {
    const fid = await register(app.url, FLAKY);
    const [named] = await ids(["execute", fid, JSON.stringify([counterUrl("named"), 2]), "--retry", "2", "--retry-backoff-ms", "10", "--retry-on", "TypeError, FetchError"]);
    const [other] = await ids(["batch", fid, "-", "--retry", "2", "--retry-backoff-ms", "10", "--retry-on", "TypeError"], `${JSON.stringify([counterUrl("other"), 2])}\n`);
    expect(await done(named!)).toMatchObject({ status: "COMPLETED", result: "2" });
    expect((await stored(named!)).retries).toBe(1);
    const failed = await done(other!);
    expect(failed.status).toBe("FAILED");
    expect(JSON.parse(failed.result)).toMatchObject({ name: "FetchError", message: "not yet 1" });
    expect((await stored(other!)).retries).toBe(0);
  });

  test("a --retry-backoff-ms that is not a positive integer exits 2 naming the flag", async () => {
    const r = await faas(["execute", "f", "[]", "--retry", "1", "--retry-backoff-ms", "0.5"]);
    expect(r.code).toBe(2);
    expect(r.err).toContain('--retry-backoff-ms must be a positive integer, got "0.5"');
  });
});
