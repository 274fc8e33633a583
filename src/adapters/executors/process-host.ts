/**
 * Executors in child processes: for trusted code that may crash, exit or bloat. Each runs in a pid
 * namespace of its own under `bwrap --dev-bind / / --unshare-pid --die-with-parent` when bwrap can
 * make one here (then killing it, or the server dying even by kill -9, takes everything it started
 * with it); else as a plain child that sets a parent-death signal on itself, its tree found through
 * /proc. Its files and network are the server's: process isolation is no sandbox.
 */
import type { Clock, Logger } from "../../domain/ports.ts";
import { ChildHosts } from "./child-host.ts";
import type { HostFactory } from "./executor-host.ts";
import { sandboxTools } from "./sandbox-probe.ts";

const ENTRY = new URL("./process-entry.ts", import.meta.url).pathname;

export interface ProcessHostOptions {
  readonly logger: Logger;
  readonly memoryLimitBytes: number | undefined;
  /** Run each executor in its own pid namespace (bwrap): "auto" = when bwrap works here. */
  readonly pidNamespace?: "auto" | boolean;
  /** Cap and kill trees through a cgroup where one can be made (default true); false: through /proc. */
  readonly cgroups?: boolean;
  /** Times kill escalations and cgroup removals (the system clock unless given). */
  readonly clock?: Clock;
  /** The executor process's environment: runtime settings such as the allocator's, never secrets (none unless given). */
  readonly env?: Readonly<Record<string, string>>;
}

let nsWorks: boolean | undefined;

/** Whether bwrap can give a child process a pid namespace here (memoized trial run). */
function pidNamespaceWorks(): boolean {
  if (nsWorks === undefined) {
    const t = sandboxTools();
    nsWorks = typeof t !== "string" && Bun.spawnSync([t.bwrap, ...pidNamespaceArgs(t.bwrap).slice(1), process.execPath, "--version"], { env: {}, stdout: "pipe", stderr: "pipe" }).exitCode === 0;
  }
  return nsWorks;
}

function pidNamespaceArgs(bwrap: string): string[] {
  const userns = process.getuid?.() === 0 ? [] : ["--unshare-user"];
  return [bwrap, "--dev-bind", "/", "/", ...userns, "--unshare-pid", "--die-with-parent", "--proc", "/proc", "--"];
}

/**
 * The process kind.
 *
 * @example
 * new ExecutorPool({ executors: 4, logger, memoryLimitBytes: 512 << 20, hosts: processHosts({ logger, memoryLimitBytes: 512 << 20 }) })
 */
export function processHosts(o: ProcessHostOptions): HostFactory {
  const tools = sandboxTools();
  const ns = o.pidNamespace === true || ((o.pidNamespace ?? "auto") === "auto" && pidNamespaceWorks());
  if (ns && typeof tools === "string") throw new Error(`A pid namespace per process executor needs bwrap: ${tools}`);
  const wrapper = ns && typeof tools !== "string" ? pidNamespaceArgs(tools.bwrap) : [];
  const hosts = new ChildHosts({
    logger: o.logger,
    memoryLimitBytes: o.memoryLimitBytes,
    maxProcesses: 4096,
    pidNamespace: ns,
    captureOutput: false,
    cgroups: o.cgroups,
    ...(o.clock !== undefined && { clock: o.clock }),
    ...(o.env !== undefined && { env: o.env }),
    limits: () => (ns ? {} : { parentPid: process.pid }),
    command: (tickets, spec, limits) => [...wrapper, process.execPath, ENTRY, tickets, JSON.stringify(spec), JSON.stringify(limits)],
  });
  return {
    kind: "process",
    start: (spec, events, label) => hosts.start(spec, events, label),
    close: () => hosts.dispose(),
  };
}
