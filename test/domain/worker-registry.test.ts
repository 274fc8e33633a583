import { describe, expect, test } from "bun:test";
import { PREFETCH_MAX_EXTRA, PREFETCH_SPAN_MS } from "../../src/domain/prefetch.ts";
import { WorkerRegistry } from "../../src/domain/worker-registry.ts";
import { FakeClock } from "../helpers/fake-clock.ts";

const cap = (capacity: number, busy = 0, credit = 0) => ({ capacity, busy, credit });
/** A job that returned at `now`, handed over at `handedAt` (by default at `now`: a quick one). */
const ended = (now: number, handedAt = now) => ({ kind: "returned" as const, handedAt, now });

describe("WorkerRegistry: liveness", () => {
  test("a worker expires once silent for longer than the timeout, not before", () => {
    const clock = new FakeClock();
    const reg = new WorkerRegistry({ policy: "push", timeoutMs: 3000 });
    reg.register("w1", cap(4), clock.now());
    clock.advance(3000);
    expect(reg.expired(clock.now())).toEqual([]);
    clock.advance(1);
    expect(reg.expired(clock.now())).toEqual(["w1"]);
  });

  test("a pause of the observer is forgiven: silence during it does not count", () => {
    const clock = new FakeClock();
    const reg = new WorkerRegistry({ policy: "push", timeoutMs: 3000 });
    reg.register("w1", cap(4), clock.now());
    clock.advance(2000);
    reg.forgive(5000); // the dispatcher could not run for 5 s
    clock.advance(5000);
    expect(reg.expired(clock.now())).toEqual([]);
    clock.advance(1001);
    expect(reg.expired(clock.now())).toEqual(["w1"]);
  });

  test("heartbeats keep a worker alive; an unknown worker's heartbeat says so", () => {
    const clock = new FakeClock();
    const reg = new WorkerRegistry({ policy: "push", timeoutMs: 3000 });
    reg.register("w1", cap(4), clock.now());
    reg.register("w2", cap(4), clock.now());
    for (let i = 0; i < 10; i++) {
      clock.advance(1000);
      expect(reg.heartbeat("w1", clock.now())).toBe(true);
    }
    expect(reg.expired(clock.now())).toEqual(["w2"]);
    expect(reg.heartbeat("nobody", clock.now())).toBe(false);
  });

  test("removing a dead worker returns what it held, to be reported lost", () => {
    const reg = new WorkerRegistry({ policy: "push", timeoutMs: 3000 });
    reg.register("w1", cap(4), 0);
    reg.assign("w1", "a", 1);
    reg.assign("w1", "b", 2);
    reg.complete("w1", "a", 1);
    expect(reg.remove("w1")).toEqual([{ taskId: "b", attempt: 2 }]);
    expect(reg.has("w1")).toBe(false);
    expect(reg.totalFree()).toBe(0);
  });

  test("registering again starts afresh and returns the jobs of the previous registration", () => {
    const reg = new WorkerRegistry({ policy: "push", timeoutMs: 3000 });
    reg.register("w1", cap(4), 0);
    reg.assign("w1", "a", 1);
    expect(reg.register("w1", cap(4, 1), 10)).toEqual([{ taskId: "a", attempt: 1 }]);
    expect(reg.view("w1")).toMatchObject({ inFlight: 0, busy: 1, lastSeen: 10 });
    expect(reg.free("w1")).toBe(3); // busy slots are not handed out
    expect(reg.complete("w1", "a", 1)).toBe(false); // a late outcome from before is stale
  });
});

describe("WorkerRegistry: placement", () => {
  test("least-loaded first: the worker with the most free slots", () => {
    const reg = new WorkerRegistry({ policy: "push", timeoutMs: 3000 });
    reg.register("w1", cap(4), 0);
    reg.register("w2", cap(4), 0);
    reg.assign("w1", "a", 1);
    expect(reg.leastLoaded()).toBe("w2");
    reg.assign("w2", "b", 1);
    reg.assign("w2", "c", 1);
    expect(reg.leastLoaded()).toBe("w1");
  });

  test("allocate spreads jobs least-loaded first and never past any worker's free capacity", () => {
    const reg = new WorkerRegistry({ policy: "push", timeoutMs: 3000 });
    reg.register("small", cap(2), 0);
    reg.register("big", cap(6), 0);
    reg.assign("big", "x", 1);
    const plan = new Map(reg.allocate(100));
    expect(plan).toEqual(new Map([["big", 5], ["small", 2]]));
    expect(new Map(reg.allocate(4))).toEqual(new Map([["big", 3], ["small", 1]]));
  });

  test("capacity is never exceeded, whatever the order of assign and complete", () => {
    const reg = new WorkerRegistry({ policy: "push", timeoutMs: 3000 });
    reg.register("w1", cap(3), 0);
    reg.register("w2", cap(2), 0);
    let seq = 0;
    const held: [string, string][] = [];
    for (let round = 0; round < 50; round++) {
      for (const [id, n] of reg.allocate(round % 7)) {
        for (let i = 0; i < n; i++) {
          const task = `t${++seq}`;
          reg.assign(id, task, 1);
          held.push([id, task]);
        }
      }
      for (const id of ["w1", "w2"]) {
        const v = reg.view(id)!;
        expect(v.inFlight).toBeLessThanOrEqual(v.capacity);
      }
      for (let k = 0; k < round % 3 && held.length > 0; k++) {
        const [id, task] = held.shift()!;
        expect(reg.complete(id, task, 1)).toBe(true);
      }
    }
    expect(reg.totalFree()).toBe(5 - held.length);
  });

  test("a stale attempt's outcome does not complete the current one", () => {
    const reg = new WorkerRegistry({ policy: "push", timeoutMs: 3000 });
    reg.register("w1", cap(2), 0);
    reg.assign("w1", "a", 2);
    expect(reg.complete("w1", "a", 1)).toBe(false);
    expect(reg.complete("w2", "a", 2)).toBe(false);
    expect(reg.complete("w1", "a", 2)).toBe(true);
  });

  test("pull: only workers that granted credits get jobs, at most as many as granted", () => {
    const reg = new WorkerRegistry({ policy: "pull", timeoutMs: 3000 });
    reg.register("asked", cap(8, 0, 3), 0);
    reg.register("silent", cap(8, 0, 0), 0);
    expect(reg.allocate(10)).toEqual([["asked", 3]]);
    for (const t of ["a", "b", "c"]) reg.assign("asked", t, 1);
    expect(reg.totalFree()).toBe(0);
    reg.grant("silent", 2);
    expect(reg.allocate(10)).toEqual([["silent", 2]]);
    reg.grant("asked", 100); // never more than capacity - in flight (plus its prefetch, none here)
    expect(reg.free("asked")).toBe(5);
  });

  test("pull: credit beyond the capacity is used while the worker finishes jobs quickly, and not once the span has passed", () => {
    const clock = new FakeClock();
    const reg = new WorkerRegistry({ policy: "pull", timeoutMs: 3000 });
    reg.register("w", cap(4, 0, 4), clock.now());
    for (let i = 0; i < 4; i++) reg.assign("w", `a${i}`, 1);
    for (let i = 0; i < 4; i++) reg.complete("w", `a${i}`, 1, ended(clock.now()));
    reg.grant("w", 100); // the worker's own prefetch: kept up to capacity x (1 + PREFETCH_MAX_EXTRA)
    expect(reg.free("w", clock.now())).toBe(4 + 4);
    expect(reg.free("w")).toBe(4);
    clock.advance(PREFETCH_SPAN_MS);
    expect(reg.free("w", clock.now())).toBe(4);
  });

  test("push: a worker that finished quick jobs lately is sent that many beyond its capacity (prefetch), up to PREFETCH_MAX_EXTRA times it, and no more once the span has passed", () => {
    const clock = new FakeClock();
    const reg = new WorkerRegistry({ policy: "push", timeoutMs: 3000 });
    reg.register("fast", cap(4), clock.now());
    reg.register("slow", cap(4), clock.now());
    for (let i = 0; i < 4; i++) reg.assign("fast", `f${i}`, 1);
    for (let i = 0; i < 4; i++) reg.assign("slow", `s${i}`, 1);
    for (let i = 0; i < 3; i++) expect(reg.complete("fast", `f${i}`, 1, ended(clock.now()))).toBe(true);
    expect(reg.complete("slow", "s0", 1, ended(clock.now(), clock.now() - PREFETCH_SPAN_MS))).toBe(true); // handed over a span ago: not quick
    expect(reg.complete("slow", "s1", 1)).toBe(true); // no end given (a hand-back): not counted
    expect(reg.free("fast", clock.now())).toBe(4 + 3 - 1);
    expect(reg.free("slow", clock.now())).toBe(2);
    expect(reg.free("fast")).toBe(3); // without now: capacity only
    expect(reg.allocate(100, clock.now())).toEqual([["fast", 6], ["slow", 2]]);
    for (let i = 0; i < 40; i++) {
      reg.assign("fast", `g${i}`, 1);
      reg.complete("fast", `g${i}`, 1, ended(clock.now()));
    }
    expect(reg.free("fast", clock.now())).toBe(4 + 4 * PREFETCH_MAX_EXTRA - 1);
    reg.assign("fast", "lost-one", 1);
    reg.complete("fast", "lost-one", 1, { kind: "lost", handedAt: clock.now(), now: clock.now() });
    clock.advance(PREFETCH_SPAN_MS);
    expect(reg.free("fast", clock.now())).toBe(3);
    expect(reg.totalFree(clock.now())).toBe(3 + 2);
  });

  test("release (cancellation) frees the slot and tells which worker held the task", () => {
    const reg = new WorkerRegistry({ policy: "push", timeoutMs: 3000 });
    reg.register("w1", cap(1), 0);
    reg.assign("w1", "a", 1);
    expect(reg.free("w1")).toBe(0);
    expect(reg.release("a")).toEqual({ workerId: "w1", taskId: "a", attempt: 1 });
    expect(reg.free("w1")).toBe(1);
    expect(reg.release("a")).toBeUndefined();
  });
});
