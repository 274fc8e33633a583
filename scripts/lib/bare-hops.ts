/**
 * The processes of a task's one-at-a-time path with nothing of ours in them but the hops (not a
 * test; started by scripts/bench-hops.ts): each role does the least its place on the path needs, so
 * the time a lone task takes through them is what the topology itself costs on this machine.
 *
 * - `embedded`: `Bun.serve`; each request's body goes to a Worker thread, which runs a no-op and
 *   posts the answer back.
 * - `api`: `Bun.serve`; each request is one `XADD` to the queue stream (the ENQUEUE of ours), then
 *   the answer waits for the task's id on a Redis channel (the APPLY publish of ours).
 * - `dispatcher`: a blocking `XREAD` on the queue stream; each task goes to its own Worker thread
 *   (local) or, over ZMTP (our library, NULL security), to a worker process in turn (remote); the
 *   outcome is one `PUBLISH`.
 * - `worker`: a ZMTP DEALER to the dispatcher; each task goes to its own Worker thread and back.
 *
 * Every HTTP answer has the shape of `POST /execute_function?wait=10`'s, so the evaluation's client
 * (`oneAtATime`) drives these as it drives ours.
 *
 *   bun scripts/lib/bare-hops.ts <role> '<json config>'
 */
import Redis from "ioredis";
import { Dealer, Router } from "../../src/lib/zmtp/index.ts";

export interface HopsConfig {
  /** HTTP port (embedded, api). */
  readonly httpPort?: number;
  /** The private redis-server's port (api, dispatcher). */
  readonly redisPort?: number;
  /** The queue stream and the channel, named per run. */
  readonly stream?: string;
  /** The dispatcher's ZMTP endpoint: it binds there when remote, workers connect to it. */
  readonly zmtp?: string;
  /** The dispatcher hands tasks to this many worker processes (0: its own thread). */
  readonly workers?: number;
}

const THREAD_CODE = `
const noop = () => null;
self.onmessage = (e) => {
  const { id, args } = e.data;
  postMessage({ id, result: JSON.stringify(noop(...JSON.parse(args))) });
};`;

/** A Worker thread running a no-op per message; `run` resolves with the result text. */
function executorThread(): { run(id: string, args: string): Promise<string> } {
  const thread = new Worker(URL.createObjectURL(new Blob([THREAD_CODE], { type: "application/javascript" })));
  const waiting = new Map<string, (result: string) => void>();
  thread.onmessage = (e: MessageEvent<{ id: string; result: string }>) => {
    waiting.get(e.data.id)?.(e.data.result);
    waiting.delete(e.data.id);
  };
  return {
    run(id, args) {
      return new Promise((resolve) => {
        waiting.set(id, resolve);
        thread.postMessage({ id, args });
      });
    },
  };
}

/** Answers each POST with the result of `run` for a new task id, in the shape of ours. */
function serveTasks(port: number | undefined, run: (id: string, payload: string) => Promise<string>): void {
  let n = 0;
  Bun.serve({
    hostname: "127.0.0.1",
    port,
    async fetch(req) {
      const body = (await req.json()) as { payload: string };
      const id = `${process.pid}-${++n}`;
      return Response.json({ task_id: id, status: "COMPLETED", result: await run(id, body.payload) });
    },
  });
}

function embedded(c: HopsConfig): void {
  const thread = executorThread();
  serveTasks(c.httpPort, (id, payload) => thread.run(id, payload));
}

async function api(c: HopsConfig): Promise<void> {
  const cmd = new Redis(c.redisPort as number);
  const sub = new Redis(c.redisPort as number);
  const stream = c.stream as string;
  const waiting = new Map<string, (result: string) => void>();
  sub.on("message", (_channel: string, message: string) => {
    const space = message.indexOf(" ");
    const id = message.slice(0, space);
    waiting.get(id)?.(message.slice(space + 1));
    waiting.delete(id);
  });
  await sub.subscribe(`${stream}:done`);
  serveTasks(c.httpPort, async (id, payload) => {
    const done = new Promise<string>((resolve) => waiting.set(id, resolve));
    await cmd.xadd(stream, "*", "id", id, "args", payload);
    return done;
  });
}

async function dispatcher(c: HopsConfig): Promise<void> {
  const block = new Redis(c.redisPort as number);
  const cmd = new Redis(c.redisPort as number);
  const stream = c.stream as string;
  const done = (id: string, result: string): void => void cmd.publish(`${stream}:done`, `${id} ${result}`);
  let handOut: (id: string, args: string) => void;
  if ((c.workers ?? 0) === 0) {
    const thread = executorThread();
    handOut = (id, args) => void thread.run(id, args).then((result) => done(id, result));
  } else {
    const router = new Router();
    await router.bind(c.zmtp as string);
    const peers: Buffer[] = [];
    let allHere: () => void = () => {};
    const here = new Promise<void>((resolve) => (allHere = resolve));
    void (async () => {
      for await (const [peer, kind, id, result] of router) {
        if (kind?.toString() === "hello") {
          peers.push(peer as Buffer);
          if (peers.length === c.workers) allHere();
        } else done((id as Buffer).toString(), (result as Buffer).toString());
      }
    })();
    await here; // every worker said hello: tasks go to them in turn from the first
    let turn = 0;
    handOut = (id, args) => void router.send([peers[turn++ % peers.length] as Buffer, id, args]);
  }
  let last = "0-0";
  for (;;) {
    const read = (await block.xread("BLOCK", 0, "STREAMS", stream, last)) as [string, [string, string[]][]][] | null;
    for (const [entry, fields] of read?.[0]?.[1] ?? []) {
      last = entry;
      handOut(fields[1] as string, fields[3] as string);
    }
  }
}

async function worker(c: HopsConfig): Promise<void> {
  const thread = executorThread();
  const dealer = new Dealer();
  dealer.connect(c.zmtp as string);
  await dealer.send(["hello"]);
  for await (const [id, args] of dealer) {
    const key = (id as Buffer).toString();
    void thread.run(key, (args as Buffer).toString()).then((result) => dealer.send(["done", key, result]));
  }
}

const ROLES: Record<string, (c: HopsConfig) => void | Promise<void>> = { embedded, api, dispatcher, worker };

if (import.meta.main) {
  const [role, config] = Bun.argv.slice(2);
  const run = ROLES[role ?? ""];
  if (run === undefined) throw new Error(`role must be one of ${Object.keys(ROLES).join(", ")}, got "${role}"`);
  await run(JSON.parse(config ?? "{}") as HopsConfig);
}
