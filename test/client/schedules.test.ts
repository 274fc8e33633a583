/**
 * Schedules through the SDK and the CLI against the embedded server: create (from an id or a function),
 * list, get, pause, resume, delete; a tick's task read by its id; bad input refused before anything is
 * sent (SDK: TypeError; CLI: exit 2 naming the problem).
 */
import { afterAll, describe, expect, test } from "bun:test";
import { FaasClient, FaasError } from "../../src/client/index.ts";
import { main, type CliIo } from "../../src/client/cli-main.ts";
import { waitFor } from "../../scripts/lib/wait-for.ts";
import { startEmbeddedHere, stopAllHere } from "../helpers/roots.ts";

const app = startEmbeddedHere({ workers: 1 });
afterAll(() => stopAllHere());
const faas = new FaasClient(app.url);

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const io: CliIo = { out: (t) => void (out += t), err: (t) => void (err += t), stdin: async () => "" };
  const code = await main([...args, "--url", app.url], {}, io);
  return { code, out, err };
}

describe("SDK", () => {
  test("a schedule of a function: its ticks' tasks run; list, get, pause, resume, delete", async () => {
    const { scheduleId, nextRunAt } = await faas.createSchedule((a: number, b: number) => a * b, [6, 7], { everyMs: 1000, priority: 7 });
    expect(Date.parse(nextRunAt)).toBeGreaterThan(Date.now() - 1000);
    const s = await faas.getSchedule(scheduleId);
    expect(s).toMatchObject({ scheduleId, everyMs: 1000, args: [6, 7], priority: 7, paused: false });
    const taskId = await waitFor(async () => (await faas.getSchedule(scheduleId)).lastTaskId, "the first tick");
    expect(taskId.startsWith(`${scheduleId}@`)).toBe(true);
    expect(await faas.result(taskId, { waitS: 10 })).toEqual({ taskId, status: "COMPLETED", result: 42 });
    expect((await faas.listSchedules()).map((x) => x.scheduleId)).toContain(scheduleId);
    expect(await faas.pauseSchedule(scheduleId)).toMatchObject({ paused: true, nextRunAt: null });
    expect((await faas.resumeSchedule(scheduleId)).paused).toBe(false);
    await faas.deleteSchedule(scheduleId);
    const gone = await faas.getSchedule(scheduleId).catch((e) => e);
    expect(gone).toBeInstanceOf(FaasError);
    expect([gone.status, gone.code]).toEqual([404, "UnknownSchedule"]);
  });

  test("a cron schedule by function id; the server's refusals name the field", async () => {
    const fid = await faas.register("(x: number) => x");
    const { scheduleId } = await faas.createSchedule(fid, [1], { cron: "0 12 * * 1-5" });
    expect((await faas.getSchedule(scheduleId)).cron).toBe("0 12 * * 1-5");
    const bad = await faas.createSchedule(fid, [1], { cron: "0 25 * * *" }).catch((e) => e);
    expect([bad.status, bad.field]).toEqual([400, "cron"]);
    await faas.deleteSchedule(scheduleId);
  });

  test("args that are not a JSON array, or not exactly one of cron and everyMs, throw a TypeError before sending", async () => {
    const calls: string[] = [];
    const spy = new FaasClient(app.url, { fetch: async (u, i) => (calls.push(u), fetch(u, i)) });
    await expect(spy.createSchedule("f", [1], {} as never)).rejects.toThrow(TypeError);
    await expect(spy.createSchedule("f", [1], { cron: "* * * * *", everyMs: 1000 } as never)).rejects.toThrow("exactly one of cron and everyMs");
    await expect(spy.createSchedule("f", [() => 1], { everyMs: 1000 })).rejects.toThrow(TypeError);
    expect(calls).toEqual([]);
  });
});

describe("CLI", () => {
  test("create prints the id; list, get, pause, resume, delete print one line each", async () => {
    const fid = await faas.register("() => 1");
    const created = await cli(["schedule", "create", fid, "[]", "--cron", "*/5 * * * *", "--priority", "0", "--timeout-ms", "900"]);
    expect(created).toMatchObject({ code: 0, err: "" });
    const id = created.out.trim();
    const listed = (await cli(["schedule", "list"])).out.split("\n").find((l) => l.startsWith(id));
    expect(listed?.split("\t")).toEqual([id, fid, "*/5 * * * *", expect.stringMatching(/:(00|05|10|15|20|25|30|35|40|45|50|55):00\.000Z$/)]);
    expect(JSON.parse((await cli(["schedule", "get", id])).out)).toMatchObject({ schedule_id: id, cron: "*/5 * * * *", priority: 0, timeout_ms: 900, args: [] });
    expect((await cli(["schedule", "pause", id])).out).toBe(`${id} paused\n`);
    expect((await cli(["schedule", "resume", id])).out).toStartWith(`${id} next run `);
    expect((await cli(["schedule", "delete", id])).out).toBe(`${id} deleted\n`);
    const again = await cli(["schedule", "delete", id]);
    expect(again.code).toBe(1);
    expect(again.err).toContain("answered UnknownSchedule (HTTP 404)");
  });

  test("bad usage exits 2 naming the problem", async () => {
    const cases: [string[], string][] = [
      [["schedule", "stop", "x"], 'unknown schedule action "stop"'],
      [["schedule", "pause"], "schedule pause takes <schedule_id>, got 0"],
      [["schedule", "create", "f", "[]"], "exactly one of --cron"],
      [["schedule", "create", "f", "[]", "--cron", "* * * * *", "--every-ms", "1000"], "exactly one of --cron"],
      [["schedule", "create", "f", "{}", "--every-ms", "1000"], "the args must be a JSON array"],
      [["schedule", "create", "f", "[]", "--every-ms", "1000", "--priority", "10"], "--priority must be a whole number from 0 to 9"],
      [["schedule", "pause", "x", "--cron", "* * * * *"], "--cron is for schedule create"],
      [["schedule"], "schedule takes at least 1 argument(s)"],
    ];
    for (const [args, words] of cases) {
      const r = await cli(args);
      expect([args, r.code]).toEqual([args, 2]);
      expect(r.err).toContain(words);
    }
  });
});
