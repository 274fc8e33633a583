/**
 * What process and sandbox executors share: a child process (Bun.spawn with IPC, an empty
 * environment) started through a command the kind builds, its ticket table in a small file both map,
 * and its whole process tree capped and killed. The tree is a cgroup where one can be made (the
 * command is started through `sh`, which joins the group before it execs, so nothing escapes it),
 * else the host walks /proc from the child. A command that starts with a pid-namespace wrapper (bwrap)
 * is killed through the namespace's init: the kernel then kills everything inside, and bwrap, left
 * without a child, exits and is reaped here (no orphan is left to a host init that may not reap).
 * Messages cross Bun's IPC channel as JSON text (see protocol.ts).
 */
import { chmodSync, chownSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Clock, Logger } from "../../domain/ports.ts";
import { systemClock } from "../system/clock.ts";
import { ExecutorCgroup, probeCgroups } from "./cgroup.ts";
import type { ExecutorHost, HostEvents } from "./executor-host.ts";
import type { ProcessLimits } from "./process-limits.ts";
import { executorTempBase, makePrivateDir } from "./private-dirs.ts";
import { killTree, processTree, treeResidentBytes } from "./process-tree.ts";
import { type ExecutorSpec, fromText } from "./protocol.ts";

export interface ChildHostOptions {
  readonly logger: Logger;
  /** The pool's cap on the tree's memory; the kernel (cgroup) kills a little above it, as a backstop. */
  readonly memoryLimitBytes: number | undefined;
  /** Processes and threads the tree may have (cgroup pids.max, else RLIMIT_NPROC when asked). */
  readonly maxProcesses: number;
  /** The command that runs the executor entry with these arguments. */
  command(tickets: string, spec: ExecutorSpec, limits: ProcessLimits): string[];
  /** The limits the executor sets on itself, knowing whether a cgroup bounds the tree. */
  limits(group: ExecutorCgroup | undefined): ProcessLimits;
  /** The command's first process is bwrap with --unshare-pid (kill its namespace's init). */
  readonly pidNamespace: boolean;
  /** Owner of the ticket file, when the executor runs as another uid. */
  readonly ticketsOwner?: number;
  /** Log the executor's stdout/stderr (event executor.output) instead of sharing the server's. */
  readonly captureOutput: boolean;
  /** Use a cgroup per executor where one can be made (default); false: always walk /proc. */
  readonly cgroups?: boolean;
  /** Times the kill escalation and the removal of emptied cgroups (the system clock unless given). */
  readonly clock?: Clock;
  /** Where the ticket tables' private folder goes (executorTempBase() unless given). */
  readonly privateBase?: string;
  /** The executor process's environment (none unless given): runtime settings such as the allocator's, never secrets. */
  readonly env?: Readonly<Record<string, string>>;
}

/** Joins the cgroups named before `--`, then execs the rest. */
const JOIN_CGROUPS = 'while [ "$1" != -- ]; do echo $$ > "$1" || exit 125; shift; done; shift; exec "$@"';
const SH = Bun.which("sh");

/**
 * Starts child-process executors per `o`; `dispose()` removes their files.
 *
 * @example
 * const hosts = new ChildHosts({ logger, memoryLimitBytes, maxProcesses: 256, pidNamespace: true, captureOutput: true, limits: () => ({}), command: (t, s, l) => [...] });
 * const host = hosts.start(spec, events, "e1");
 */
export class ChildHosts {
  private dir: string | undefined;
  private cgroupChecked = false;
  /** Groups of exited executors still being removed (dying processes may linger in them a moment). */
  private readonly removing = new Set<Promise<void>>();

  private readonly clock: Clock;

  constructor(private readonly o: ChildHostOptions) {
    this.clock = o.clock ?? systemClock;
  }

  start(spec: ExecutorSpec, events: HostEvents, label: string): ExecutorHost {
    const tickets = join(this.ticketDir(), `${label}.tickets`);
    writeFileSync(tickets, new Uint8Array(spec.slots * Int32Array.BYTES_PER_ELEMENT), { mode: 0o600 });
    if (this.o.ticketsOwner !== undefined && process.getuid?.() === 0) chownSync(tickets, this.o.ticketsOwner, this.o.ticketsOwner);
    const mapped = Bun.mmap(tickets, { shared: true });
    const group = this.cgroup();
    const command = this.o.command(tickets, spec, this.o.limits(group));
    const argv = group === undefined ? command : [SH as string, "-c", JOIN_CGROUPS, "sh", ...group.procsFiles, "--", ...command];
    let terminated = false;
    let exited = false;
    let cancelEscalation = (): void => {};
    let child: ReturnType<typeof Bun.spawn>;
    try {
      child = Bun.spawn(argv, {
        env: { ...this.o.env },
        stdio: ["ignore", this.o.captureOutput ? "pipe" : "inherit", this.o.captureOutput ? "pipe" : "inherit"],
        ipc: (data) => {
          const msg = fromText(data);
          if (!exited && (msg as { t?: unknown })?.t === "ready") rmSync(tickets, { force: true }); // mapped on both sides now
          events.message(msg);
        },
      });
    } catch (e) {
      rmSync(tickets, { force: true });
      group?.remove();
      throw e;
    }
    if (this.o.captureOutput) for (const stream of [child.stdout, child.stderr]) void this.forward(stream as ReadableStream<Uint8Array>, label);
    const gone = child.exited.then((code) => {
      exited = true;
      cancelEscalation();
      rmSync(tickets, { force: true });
      if (!terminated) events.exit(code); // before the group goes: the pool asks it about memory kills
      if (group !== undefined) {
        const removal = removeWhenEmpty(group, this.o.logger, this.clock);
        this.removing.add(removal);
        void removal.then(() => this.removing.delete(removal));
      }
    });
    const pid = child.pid;
    return {
      tickets: new Int32Array(mapped.buffer, mapped.byteOffset, spec.slots),
      exited: gone,
      post: (msg) => {
        try {
          if (!exited) child.send(JSON.stringify(msg));
        } catch (e) {
          // The channel closed under a dying executor: its exit reports the jobs.
          this.o.logger.log("debug", "could not post to an executor", { event: "executor.post-failed", executor: label, error: (e as Error).message });
        }
      },
      terminate: () => {
        if (terminated) return;
        terminated = true;
        if (exited) return;
        if (this.o.pidNamespace) {
          const init = processTree(pid)[1]; // bwrap's child: the namespace's init
          if (init !== undefined) kill(init);
          else child.kill("SIGKILL");
          // If the namespace outlives its init for 2 s, kill bwrap too; cancelled once the child exits.
          cancelEscalation = this.clock.after(2000, () => {
            if (!exited) child.kill("SIGKILL");
            group?.killAll();
          });
        } else if (group !== undefined) {
          group.killAll();
        } else {
          killTree(pid);
        }
      },
      memoryBytes: () => (group !== undefined ? group.usageBytes() : treeResidentBytes(pid)),
      killedForMemory: () => group !== undefined && group.oomKills() > 0,
      pids: () => (group !== undefined ? group.pids() : processTree(pid)),
    };
  }

  /** Removes the ticket directory and waits for the cgroups of exited executors to go. */
  async dispose(): Promise<void> {
    if (this.dir !== undefined) rmSync(this.dir, { recursive: true, force: true });
    this.dir = undefined;
    await Promise.all(this.removing);
  }

  private ticketDir(): string {
    if (this.dir === undefined) {
      this.dir = makePrivateDir(this.o.privateBase ?? executorTempBase(), "tickets");
      // The sandbox's uid must reach its own file to bind it, and list nothing.
      if (this.o.ticketsOwner !== undefined) chmodSync(this.dir, 0o711);
    }
    return this.dir;
  }

  private cgroup(): ExecutorCgroup | undefined {
    if (this.o.cgroups === false) return undefined;
    const probe = probeCgroups();
    if (!probe.ok || SH === null) {
      if (!this.cgroupChecked) {
        const reason = probe.ok ? "sh was not found on PATH" : probe.reason;
        this.o.logger.log("info", "executor trees are capped and killed through /proc, not a cgroup", { event: "executor.no-cgroup", reason });
      }
      this.cgroupChecked = true;
      return undefined;
    }
    const cap = this.o.memoryLimitBytes;
    const hardLimitBytes = cap === undefined ? Number.MAX_SAFE_INTEGER : cap + Math.max(64 * 1024 * 1024, Math.round(cap / 4));
    try {
      return ExecutorCgroup.create(probe.plan, "executor", { hardLimitBytes, maxProcesses: this.o.maxProcesses });
    } catch (e) {
      this.o.logger.log("warn", "could not make an executor cgroup; capping through /proc", { event: "executor.no-cgroup", reason: (e as Error).message });
      return undefined;
    }
  }

  private async forward(stream: ReadableStream<Uint8Array>, label: string): Promise<void> {
    const decoder = new TextDecoder();
    for await (const chunk of stream) {
      const text = decoder.decode(chunk).trimEnd();
      if (text !== "") this.o.logger.log("info", "executor output", { event: "executor.output", executor: label, text: text.slice(0, 2000) });
    }
  }
}

function kill(pid: number): void {
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // gone
  }
}

/** Removes a group once its last (dying) process has left; gives up after about 5 s and says so. */
async function removeWhenEmpty(group: ExecutorCgroup, logger: Logger, clock: Clock): Promise<void> {
  for (let tries = 0; tries < 100; tries++) {
    group.killAll();
    if (group.remove()) return;
    await clock.sleep(50);
  }
  logger.log("warn", "an executor cgroup could not be removed", { event: "executor.cgroup-left" });
}
