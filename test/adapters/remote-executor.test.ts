/**
 * RemoteExecutor (dispatcher side) and WorkerAgent (worker side) over real ZMTP on port 0, in push and
 * pull modes. Raw DEALERs stand in for workers that misbehave: silent, abruptly gone, never asking.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { ExecutorPool } from "../../src/adapters/executors/index.ts";
import { decodeToWorker, encode, RemoteExecutor, WorkerAgent, type FromWorker, type ToWorker } from "../../src/adapters/remote/index.ts";
import { systemClock } from "../../src/adapters/system/index.ts";
import { Dealer, Router } from "../../src/lib/zmtp/index.ts";
import type { Outcome } from "../../src/domain/outcome.ts";
import { PREFETCH_MAX_EXTRA, PREFETCH_SPAN_MS } from "../../src/domain/prefetch.ts";
import type { Clock, Job, Logger } from "../../src/domain/ports.ts";
import { FakeClock } from "../helpers/fake-clock.ts";
import { waitFor } from "../../scripts/lib/wait-for.ts";
import { freePort } from "../../scripts/lib/ports.ts";

const logs: { level: string; msg: string; fields?: Record<string, unknown> }[] = [];
const logger: Logger = { log: (level, msg, fields) => void logs.push({ level, msg, fields }) };
const closers: (() => unknown)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
  logs.length = 0;
});

let seq = 0;
function jobs(n: number, code = "(x) => x * 2"): Job[] {
  return Array.from({ length: n }, (_, i) => ({ taskId: `t${++seq}`, tenant: "default", attempt: 1, functionId: `f-${Bun.hash(code)}`, code, args: `[${i}]`, timeoutMs: 10_000 }));
}

async function executor(policy: "push" | "pull", o: { clock?: Clock; heartbeatMs?: number; timeoutMs?: number; endpoint?: string } = {}) {
  // On the real clock, liveness is generous (a loaded machine must not make workers look dead): tests
  // of liveness itself use a FakeClock.
  const ex = await RemoteExecutor.bind({ policy, endpoint: o.endpoint ?? "tcp://127.0.0.1:0", heartbeatMs: o.heartbeatMs ?? 200, workerTimeoutMs: o.timeoutMs ?? 10_000, clock: o.clock ?? systemClock, logger });
  const outcomes: Outcome[] = [];
  const calls: number[] = [];
  ex.onOutcomes((os) => {
    outcomes.push(...os);
    calls.push(os.length);
  });
  closers.push(() => ex.close());
  return { ex, outcomes, calls };
}

function agent(endpoint: string, mode: "push" | "pull", o: { threads?: number; slots?: number; dispatcherTimeoutMs?: number; clock?: Clock } = {}) {
  const pool = new ExecutorPool({ executors: o.threads ?? 1, slotsPerExecutor: o.slots ?? 2, logger });
  const a = new WorkerAgent({ url: endpoint, id: crypto.randomUUID(), mode, executor: pool, capacity: pool.freeSlots(), heartbeatMs: 200, dispatcherTimeoutMs: o.dispatcherTimeoutMs ?? 10_000, clock: o.clock ?? systemClock, logger });
  a.start();
  closers.push(() => pool.close(), () => a.close());
  return a;
}

/** A hand-driven worker: registers as told, records what it receives, answers nothing by itself. */
async function rawWorker(endpoint: string, reg: { capacity: number; credit?: number; codes?: number }) {
  const id = crypto.randomUUID();
  const dealer = new Dealer({ routingId: id });
  dealer.connect(endpoint);
  const inbox: ToWorker[] = [];
  void (async () => {
    for await (const [frame] of dealer) {
      const m = decodeToWorker(frame as Buffer);
      if (m.ok) inbox.push(m.value);
    }
  })();
  const send = (m: FromWorker) => dealer.send(encode(m));
  await send({ v: 1, t: "register", session: 1, capacity: reg.capacity, busy: 0, credit: reg.credit ?? 0, ...(reg.codes !== undefined && { codes: reg.codes }) });
  await waitFor(() => inbox.some((m) => m.t === "welcome"), "the welcome");
  closers.push(() => dealer.close());
  const received = () => inbox.flatMap((m) => (m.t === "jobs" ? m.jobs : []));
  return { id, dealer, inbox, send, received };
}

/** A real push worker connected to a bare ROUTER standing in for the dispatcher, and its first message. */
async function agentOfRawDispatcher() {
  const router = new Router();
  closers.push(() => router.close());
  await router.bind("tcp://127.0.0.1:0");
  const w = agent(router.lastEndpoint!, "push");
  const [id, first] = await router.receive();
  return { router, w, id, registration: JSON.parse(String(first)) };
}

/** Feeds jobs as the domain Dispatcher does: wait for free slots, hand over that many. */
async function feed(ex: RemoteExecutor, all: readonly Job[]): Promise<void> {
  for (let sent = 0; sent < all.length; ) {
    await ex.whenFree();
    const n = Math.min(ex.freeSlots(), all.length - sent);
    ex.run(all.slice(sent, sent + n));
    sent += n;
  }
}

for (const mode of ["push", "pull"] as const) {
  describe(`RemoteExecutor, ${mode} mode`, () => {
    test("a batch of jobs comes back as outcomes with the right values, over two workers", async () => {
      const { ex, outcomes } = await executor(mode);
      const a = agent(ex.endpoint, mode, { slots: 8 });
      const b = agent(ex.endpoint, mode, { slots: 8 });
      await waitFor(() => ex.workerCount() === 2 && ex.freeSlots() === 16, "two registered workers with 16 free slots");
      const batch = jobs(200);
      await feed(ex, batch);
      await waitFor(() => outcomes.length === 200, "200 outcomes");
      const byTask = new Map(outcomes.map((o) => [o.taskId, o]));
      expect(batch.map((j) => byTask.get(j.taskId))).toEqual(batch.map((j, i) => ({ taskId: j.taskId, attempt: 1, kind: "returned", value: String(i * 2), ranOn: expect.stringMatching(/^worker \S+/) })));
      expect(a.received).toBeGreaterThan(0);
      expect(b.received).toBeGreaterThan(0);
      expect(a.received + b.received).toBe(200);
    });

    test("a worker of capacity 2 given 10 jobs at once holds at most 2 at a time while its jobs are not quick", async () => {
      const { ex, outcomes } = await executor(mode);
      const w = agent(ex.endpoint, mode, { slots: 2 });
      await waitFor(() => ex.freeSlots() === 2, "the worker's 2 slots");
      // each job takes longer than the prefetch span: none counts toward a prefetch
      ex.run(jobs(10, `async (x) => { await new Promise((r) => setTimeout(r, ${PREFETCH_SPAN_MS + 5})); return x }`)); // more than it asked for: the rest waits
      expect(ex.freeSlots()).toBe(0);
      await waitFor(() => outcomes.length === 10, "10 outcomes");
      expect(w.received).toBe(10);
      expect(w.maxHeld).toBe(2);
    });

    test("a worker that finishes quick jobs is sent more than its capacity (prefetch), and every job still comes back once", async () => {
      // frozen clocks: every job ends within the span of its hand-out, and nothing expires
      const clock = new FakeClock();
      const { ex, outcomes } = await executor(mode, { clock });
      const w = agent(ex.endpoint, mode, { slots: 2, clock });
      await waitFor(() => ex.freeSlots() === 2, "the worker's 2 slots");
      const all = jobs(60);
      await feed(ex, all);
      await waitFor(() => outcomes.length === 60, "60 outcomes");
      expect(new Set(outcomes.map((o) => o.taskId)).size).toBe(60);
      expect(w.maxHeld).toBeGreaterThan(2);
      expect(w.maxHeld).toBeLessThanOrEqual(2 * (1 + PREFETCH_MAX_EXTRA));
    });

    test("jobs go out in one message per worker and outcomes come back in one call per message", async () => {
      const { ex, outcomes, calls } = await executor(mode);
      const w = await rawWorker(ex.endpoint, { capacity: 50, credit: 50 });
      await waitFor(() => ex.freeSlots() === 50, "50 free slots");
      const batch = jobs(50);
      ex.run(batch);
      await waitFor(() => w.received().length === 50, "50 jobs at the worker");
      expect(w.inbox.filter((m) => m.t === "jobs").length).toBe(1);
      const back: Outcome[] = batch.map((j) => ({ taskId: j.taskId, attempt: 1, kind: "returned", value: "1" }));
      await w.send({ v: 1, t: "outcomes", session: 1, outcomes: back, credit: 0 });
      await waitFor(() => outcomes.length === 50, "50 outcomes");
      expect(calls).toEqual([50]);
    });

    test("a worker whose connection drops is declared dead and its jobs come back lost", async () => {
      // A fake clock with a timeout far away: only the dropped connection can make it dead.
      const clock = new FakeClock();
      const { ex, outcomes } = await executor(mode, { clock, heartbeatMs: 1000, timeoutMs: 3_600_000 });
      const w = await rawWorker(ex.endpoint, { capacity: 3, credit: 3 });
      const batch = jobs(3);
      ex.run(batch);
      await waitFor(() => w.received().length === 3, "3 jobs at the worker");
      w.dealer.close(); // abruptly: no bye
      await waitFor(() => {
        clock.advance(1000); // a liveness tick sees the connection gone
        return outcomes.length === 3;
      }, "3 lost outcomes");
      expect((outcomes[0] as { reason: string }).reason).toContain("lost its connection");
      expect(outcomes.map((o) => [o.taskId, o.kind]).sort()).toEqual(batch.map((j) => [j.taskId, "lost"]).sort());
      expect(ex.workerCount()).toBe(0);
    });
  });
}

describe("RemoteExecutor liveness on a fake clock", () => {
  test("a connected worker that stops heartbeating is dead after the timeout, not before; its late outcome is dropped", async () => {
    const clock = new FakeClock();
    const { ex, outcomes } = await executor("push", { clock, heartbeatMs: 1000, timeoutMs: 3000 });
    const w = await rawWorker(ex.endpoint, { capacity: 4 });
    const batch = jobs(2);
    ex.run(batch);
    await waitFor(() => w.received().length === 2, "2 jobs at the worker");
    clock.advance(3000); // three ticks: silent exactly the timeout, still alive
    await waitFor(() => w.inbox.filter((m) => m.t === "heartbeat").length === 3, "3 heartbeats from the dispatcher");
    expect(ex.workerCount()).toBe(1);
    expect(outcomes).toEqual([]);
    clock.advance(1000);
    expect(ex.workerCount()).toBe(0);
    expect(outcomes.map((o) => o.kind)).toEqual(["lost", "lost"]);
    expect((outcomes[0] as { reason: string }).reason).toContain("silent for more than 3000 ms");
    // the dead worker's late result is not reported; it is told to register again
    await w.send({ v: 1, t: "outcomes", session: 1, outcomes: [{ taskId: batch[0]!.taskId, attempt: 1, kind: "returned", value: "0" }], credit: 0 });
    await waitFor(() => w.inbox.some((m) => m.t === "reregister"), "a reregister");
    expect(outcomes.length).toBe(2);
  });

  test("a dispatcher stalled longer than the timeout does not declare its workers dead", async () => {
    const clock = new FakeClock();
    const { ex, outcomes } = await executor("push", { clock, heartbeatMs: 1000, timeoutMs: 3000 });
    await rawWorker(ex.endpoint, { capacity: 4 });
    ex.run(jobs(2));
    clock.stall(5000); // the dispatcher's loop could not run for 5 s: its tick fires late, once
    expect(ex.workerCount()).toBe(1);
    expect(outcomes).toEqual([]);
    expect(logs.some((l) => l.fields?.event === "dispatcher.stalled")).toBe(true);
    clock.advance(4000); // then ordinary silence still counts
    expect(ex.workerCount()).toBe(0);
  });

  test("a worker stalled longer than its dispatcher timeout does not register again", async () => {
    const router = new Router();
    closers.push(() => router.close());
    await router.bind("tcp://127.0.0.1:0");
    const clock = new FakeClock();
    const w = agent(router.lastEndpoint!, "push", { clock, dispatcherTimeoutMs: 3000 });
    const [id, first] = await router.receive();
    expect(JSON.parse(String(first))).toMatchObject({ t: "register", session: 1 });
    await router.send([id!, encode({ v: 1, t: "welcome", session: 1 })]);
    await waitFor(() => w.isRegistered, "the welcome");
    clock.stall(5000); // its own loop was stalled: the dispatcher's silence is not proven
    clock.advance(200); // and a normal tick after it
    const [, next] = await router.receive();
    expect(JSON.parse(String(next))).toMatchObject({ t: "heartbeat", session: 1 });
  });

  test("a worker started before its dispatcher registers once, when the connection comes up", async () => {
    const port = freePort();
    const clock = new FakeClock();
    const w = agent(`tcp://127.0.0.1:${port}`, "push", { clock, dispatcherTimeoutMs: 3000 });
    for (let i = 0; i < 5; i++) clock.advance(200); // ticks while nothing listens
    const router = new Router();
    closers.push(() => router.close());
    await router.bind(`tcp://127.0.0.1:${port}`);
    const [id, first] = await router.receive();
    expect(JSON.parse(String(first))).toMatchObject({ t: "register", session: 1 });
    await router.send([id!, encode({ v: 1, t: "welcome", session: 1 })]);
    await waitFor(() => w.isRegistered, "the welcome");
    clock.advance(200);
    const [, next] = await router.receive();
    expect(JSON.parse(String(next))).toMatchObject({ t: "heartbeat", session: 1 });
  });

  test("heartbeats keep a worker alive across many timeouts", async () => {
    const clock = new FakeClock();
    const { ex } = await executor("push", { clock, heartbeatMs: 1000, timeoutMs: 3000 });
    const w = await rawWorker(ex.endpoint, { capacity: 4 });
    for (let i = 1; i <= 10; i++) {
      await w.send({ v: 1, t: "heartbeat", session: 1, busy: 0 });
      // messages are handled in order: once this marker is logged as dropped, the heartbeat was handled
      await w.dealer.send(`marker ${i}`);
      await waitFor(() => logs.filter((l) => l.msg.startsWith("dropped a worker message")).length === i, `marker ${i}`);
      clock.advance(1000);
      expect(ex.workerCount()).toBe(1);
    }
    clock.advance(3001);
    expect(ex.workerCount()).toBe(0);
  });
});

describe("RemoteExecutor, pull specifics and robustness", () => {
  test("pull mode sends only to workers that asked, and only as many as they asked for", async () => {
    const { ex, outcomes } = await executor("pull");
    const quiet = await rawWorker(ex.endpoint, { capacity: 8, credit: 0 });
    const busy = agent(ex.endpoint, "pull", { slots: 2 });
    await waitFor(() => ex.workerCount() === 2 && ex.freeSlots() === 2, "the agent's 2 credits");
    await feed(ex, jobs(20));
    await waitFor(() => outcomes.length === 20, "20 outcomes");
    expect(busy.received).toBe(20);
    const beats = quiet.inbox.filter((m) => m.t === "heartbeat").length;
    await waitFor(() => quiet.inbox.filter((m) => m.t === "heartbeat").length >= beats + 2, "two more heartbeats (anything sent before them has arrived)");
    expect(quiet.received()).toEqual([]);
    await quiet.send({ v: 1, t: "credit", session: 1, n: 1 });
    await waitFor(() => ex.freeSlots() === 3, "one more credit");
    ex.run(jobs(3));
    await waitFor(() => quiet.received().length === 1, "one job for the worker that asked for one");
  });

  test("stop(taskId) forwards a cancel: the worker stops the job, no outcome is reported, the slot is free again", async () => {
    const { ex, outcomes } = await executor("push");
    const w = agent(ex.endpoint, "push", { slots: 2 });
    await waitFor(() => ex.freeSlots() === 2, "the worker's 2 slots");
    const [hang] = jobs(1, "() => new Promise(() => {})");
    ex.run([hang!]);
    await waitFor(() => w.heldCount() === 1, "the hanging job at the worker");
    expect(ex.freeSlots()).toBe(1);
    ex.stop(hang!.taskId);
    expect(ex.freeSlots()).toBe(2);
    await waitFor(() => w.heldCount() === 0, "the worker to drop the cancelled job");
    await feed(ex, jobs(4));
    await waitFor(() => outcomes.length === 4, "4 outcomes");
    expect(outcomes.some((o) => o.taskId === hang!.taskId)).toBe(false);
  });

  test("garbled and unknown messages are dropped and logged; the dispatcher keeps serving", async () => {
    const { ex } = await executor("push");
    const d = new Dealer({ routingId: "garbler" });
    closers.push(() => d.close());
    d.connect(ex.endpoint);
    const junk: (string | string[])[] = ["not json", "[1,2]", '{"v":99,"t":"register"}', '{"v":1,"t":"launch"}', '{"v":1,"t":"register","session":-1}', ["two", "frames"], '{"v":1,"t":"outcomes","session":1,"credit":0,"outcomes":[{"taskId":"x"}]}'];
    for (const m of junk) await d.send(m);
    await d.send(encode({ v: 1, t: "register", session: 1, capacity: 5, busy: 0, credit: 0 }));
    await waitFor(() => ex.workerCount() === 1, "the well-formed registration");
    expect(logs.filter((l) => l.msg.startsWith("dropped a worker message")).length).toBe(junk.length);
  });

  test("a worker drops garbled dispatcher messages, logs them, and keeps working", async () => {
    const { router, w, id, registration } = await agentOfRawDispatcher();
    expect(registration.t).toBe("register");
    const junk: (string | string[])[] = ["}{", '{"v":2,"t":"welcome","session":1}', '{"v":1,"t":"jobs","session":1,"seq":1,"jobs":[{"taskId":1}]}', '{"v":1,"t":"explode"}', ["a", "b"]];
    for (const m of junk) await router.send([id!, ...(Array.isArray(m) ? m : [m])]);
    await router.send([id!, encode({ v: 1, t: "welcome", session: 1 })]);
    await waitFor(() => w.isRegistered, "the worker to take the welcome");
    expect(logs.filter((l) => l.msg.startsWith("dropped a dispatcher message")).length).toBe(junk.length);
  });

  test("a function's code goes once per session to a worker that keeps code, and with every job to one that does not", async () => {
    const { ex } = await executor("push");
    const keeps = await rawWorker(ex.endpoint, { capacity: 4, codes: 100 });
    const old = await rawWorker(ex.endpoint, { capacity: 4 });
    await waitFor(() => ex.freeSlots() === 8, "both workers' slots");
    const a = jobs(6, "(x) => x + 1");
    const b = jobs(2, "(x) => x - 1");
    ex.run([...a.slice(0, 3), ...b.slice(0, 1), ...a.slice(3), ...b.slice(1)]);
    await waitFor(() => keeps.received().length === 4 && old.received().length === 4, "4 jobs at each");
    expect(old.received().every((j) => j.code !== undefined)).toBe(true);
    const seen = new Set<string>();
    for (const j of keeps.received()) {
      expect(j.code !== undefined).toBe(!seen.has(j.functionId)); // the first job of each function carries it
      seen.add(j.functionId);
    }
  });

  test("a job without code the worker was not sent makes the worker register again, and nothing of it runs", async () => {
    const { router, w, id, registration } = await agentOfRawDispatcher();
    expect(registration).toMatchObject({ t: "register", session: 1 });
    expect(registration.codes).toBeGreaterThan(0);
    await router.send([id!, encode({ v: 1, t: "welcome", session: 1 })]);
    await waitFor(() => w.isRegistered, "the welcome");
    const [job] = jobs(1);
    const { code: _, ...bare } = job!;
    await router.send([id!, encode({ v: 1, t: "jobs", session: 1, seq: 1, jobs: [bare] })]);
    for (;;) {
      const [, frame] = await router.receive();
      const m = JSON.parse(String(frame));
      if (m.t !== "register") continue; // a heartbeat, say
      expect(m.session).toBe(2);
      break;
    }
    expect(logs.some((l) => l.fields?.event === "worker.code_missing")).toBe(true);
    expect(w.received).toBe(0);
    expect(w.heldCount()).toBe(0);
  });

  test("a worker registers again with a new dispatcher on the same endpoint", async () => {
    const first = await executor("push");
    const endpoint = first.ex.endpoint;
    const w = agent(endpoint, "push", { dispatcherTimeoutMs: 200 });
    await waitFor(() => first.ex.workerCount() === 1, "registration with the first dispatcher");
    await first.ex.close();
    const second = await executor("push", { endpoint });
    await waitFor(() => second.ex.workerCount() === 1 && w.isRegistered, "registration with the second", 10_000);
    await feed(second.ex, jobs(5));
    await waitFor(() => second.outcomes.length === 5, "5 outcomes from the second dispatcher");
  });
});

describe("worker and dispatcher that cannot work together", () => {
  test("a push worker and a pull dispatcher refuse each other, with a clear message on both sides", async () => {
    const { ex } = await executor("pull");
    const w = agent(ex.endpoint, "push");
    await waitFor(() => logs.filter((l) => l.fields?.event === "worker.refused").length >= 2, "both sides to log the refusal");
    const [dispatcherSide, workerSide] = [logs.find((l) => l.level === "warn" && l.fields?.event === "worker.refused"), logs.find((l) => l.level === "error" && l.fields?.event === "worker.refused")];
    expect(String(dispatcherSide?.fields?.reason)).toContain("this dispatcher runs --mode pull, the worker --mode push");
    expect(String(workerSide?.fields?.reason)).toContain("start the worker with --mode pull");
    expect(ex.workerCount()).toBe(0);
    expect(w.isRegistered).toBe(false);
  });

  test("a worker that cannot reach its dispatcher says so every few seconds, naming the URL", async () => {
    const port = freePort();
    const clock = new FakeClock();
    agent(`tcp://127.0.0.1:${port}`, "push", { clock });
    for (let i = 0; i < 26; i++) clock.advance(200); // 5.2 s of ticks with nothing listening
    const said = logs.filter((l) => l.fields?.event === "worker.unreachable");
    expect(said).toHaveLength(1);
    expect(said[0]?.fields?.url).toBe(`tcp://127.0.0.1:${port}`);
    for (let i = 0; i < 25; i++) clock.advance(200);
    expect(logs.filter((l) => l.fields?.event === "worker.unreachable")).toHaveLength(2);
  });
});

describe("deadlines enforced by the dispatcher", () => {
  test("a worker that heartbeats but never answers: the job fails TimeoutError at twice its deadline from the hand-out, and the worker is told to cancel", async () => {
    const clock = new FakeClock();
    const { ex, outcomes } = await executor("push", { clock, heartbeatMs: 250, timeoutMs: 3_600_000 });
    const w = await rawWorker(ex.endpoint, { capacity: 4 });
    const [j] = jobs(1).map((x) => ({ ...x, timeoutMs: 1000 }));
    ex.run([j!]);
    await waitFor(() => w.received().length === 1, "the job at the worker");
    for (let i = 0; i < 8; i++) clock.advance(250); // 2000 ms: not yet past
    expect(outcomes).toEqual([]);
    clock.advance(250);
    expect(outcomes).toEqual([{ taskId: j!.taskId, attempt: 1, kind: "timeout", timeoutMs: 1000, ranOn: expect.stringMatching(/^worker /) }]);
    await waitFor(() => w.inbox.some((m) => m.t === "cancel" && m.taskId === j!.taskId), "the cancel at the worker");
    expect(ex.freeSlots()).toBe(4);
    await w.send({ v: 1, t: "outcomes", session: 1, outcomes: [{ taskId: j!.taskId, attempt: 1, kind: "returned", value: "late" }], credit: 0 });
    await w.dealer.send("marker"); // handled in order: once it is dropped, the late answer was handled
    await waitFor(() => logs.some((l) => String(l.msg).startsWith("dropped a worker message")), "the marker");
    expect(outcomes).toHaveLength(1); // the late answer is not reported
  });

  test("with a start reported, the job has its deadline plus 2 s of grace from that start", async () => {
    const clock = new FakeClock();
    const { ex, outcomes } = await executor("push", { clock, heartbeatMs: 250, timeoutMs: 3_600_000 });
    const w = await rawWorker(ex.endpoint, { capacity: 4 });
    const [j] = jobs(1).map((x) => ({ ...x, timeoutMs: 1000 }));
    ex.run([j!]);
    await waitFor(() => w.received().length === 1, "the job at the worker");
    clock.advance(1500); // it started late, behind other work
    await w.send({ v: 1, t: "started", session: 1, jobs: [{ taskId: j!.taskId, attempt: 1 }] });
    await w.dealer.send("marker"); // handled in order: once it is dropped, the report was handled
    await waitFor(() => logs.some((l) => String(l.msg).startsWith("dropped a worker message")), "the report to be handled");
    for (let i = 0; i < 11; i++) clock.advance(250); // 1500 + 2750 = 4250 < 1500 + 1000 + 2000
    expect(outcomes).toEqual([]);
    clock.advance(500);
    expect(outcomes.map((o) => o.kind)).toEqual(["timeout"]);
  });

  test("a worker agent reports when its jobs start", async () => {
    const router = new Router();
    closers.push(() => router.close());
    await router.bind("tcp://127.0.0.1:0");
    agent(router.lastEndpoint!, "push", { slots: 4 });
    const [id] = await router.receive();
    await router.send([id!, encode({ v: 1, t: "welcome", session: 1 })]);
    const [j] = jobs(1, "async () => { await new Promise((r) => setTimeout(r, 200)); return 1 }");
    await router.send([id!, encode({ v: 1, t: "jobs", session: 1, seq: 1, jobs: [j!] })]);
    for (;;) {
      const [, frame] = await router.receive();
      const m = JSON.parse(String(frame));
      if (m.t !== "started") continue;
      expect(m.jobs).toEqual([{ taskId: j!.taskId, attempt: 1 }]);
      break;
    }
  });
});

describe("claimed capacity", () => {
  test("a worker claiming a huge capacity gets at most --max-worker-capacity and cannot take every task", async () => {
    const ex = await RemoteExecutor.bind({ policy: "push", endpoint: "tcp://127.0.0.1:0", heartbeatMs: 200, workerTimeoutMs: 10_000, clock: systemClock, logger, maxWorkerCapacity: 8 });
    closers.push(() => ex.close());
    const greedy = await rawWorker(ex.endpoint, { capacity: 1_000_000 });
    const honest = await rawWorker(ex.endpoint, { capacity: 8 });
    expect(ex.freeSlots()).toBe(16);
    ex.run(jobs(16));
    await waitFor(() => greedy.received().length + honest.received().length === 16, "16 jobs handed out");
    expect([greedy.received().length, honest.received().length]).toEqual([8, 8]);
    expect(logs.some((l) => l.fields?.event === "worker.capacity_capped" && l.fields?.claimed === 1_000_000)).toBe(true);
  });
});

describe("message sizes", () => {
  test("a batch of jobs bigger than the message size goes out as several messages, in order, and all complete", async () => {
    const ex = await RemoteExecutor.bind({ policy: "push", endpoint: "tcp://127.0.0.1:0", heartbeatMs: 200, workerTimeoutMs: 10_000, clock: systemClock, logger, maxMessageBytes: 256 * 1024 });
    closers.push(() => ex.close());
    const outcomes: Outcome[] = [];
    ex.onOutcomes((os) => outcomes.push(...os));
    const w = await rawWorker(ex.endpoint, { capacity: 40 });
    const big = "x".repeat(20_000); // ~120 KB each on the wire budget: about two jobs per message
    const batch = jobs(10).map((j) => ({ ...j, args: JSON.stringify([big]) }));
    ex.run(batch);
    await waitFor(() => w.received().length === 10, "10 jobs at the worker");
    const messages = w.inbox.filter((m) => m.t === "jobs") as Extract<ToWorker, { t: "jobs" }>[];
    expect(messages.length).toBeGreaterThan(2);
    expect(messages.map((m) => m.seq)).toEqual(messages.map((_, i) => i + 1));
    expect(w.received().map((j) => j.taskId)).toEqual(batch.map((j) => j.taskId));
  });

  test("a worker splits a turn's outcomes below the message size; the dispatcher gets every one", async () => {
    const ex = await RemoteExecutor.bind({ policy: "push", endpoint: "tcp://127.0.0.1:0", heartbeatMs: 200, workerTimeoutMs: 10_000, clock: systemClock, logger, maxMessageBytes: 256 * 1024 });
    closers.push(() => ex.close());
    const outcomes: Outcome[] = [];
    ex.onOutcomes((os) => outcomes.push(...os));
    const pool = new ExecutorPool({ executors: 1, slotsPerExecutor: 16, logger });
    const a = new WorkerAgent({ url: ex.endpoint, id: crypto.randomUUID(), mode: "push", executor: pool, capacity: 16, heartbeatMs: 200, dispatcherTimeoutMs: 10_000, clock: systemClock, logger, maxMessageBytes: 256 * 1024 });
    a.start();
    closers.push(() => pool.close(), () => a.close());
    await waitFor(() => ex.freeSlots() === 16, "the worker's slots");
    const batch = jobs(8, "(i) => 'y'.repeat(60000) + i"); // 480 KB in one turn: over the 256 KiB message size
    ex.run(batch);
    await waitFor(() => outcomes.length === 8, "8 outcomes");
    expect(new Set(outcomes.map((o) => o.taskId))).toEqual(new Set(batch.map((j) => j.taskId)));
    expect(outcomes.every((o) => o.kind === "returned")).toBe(true);
  });
});
