/**
 * Executors in bubblewrap sandboxes, for untrusted code of several tenants. Each is a child process
 * in new user, pid, network, ipc, uts and mount namespaces (cgroup too where the kernel has it),
 * running as uid 65534 inside, and outside too when the server is root (setpriv drops it first). It
 * sees only what it needs, read-only: the Bun binary, its shared libraries, the executor's entry
 * bundled into one file at pool start; plus its own ticket file, its own /proc, a minimal /dev and a
 * size-capped tmpfs on /tmp. Its environment holds only Bun's IPC variables and the runtime settings
 * the pool passes (`env`: the allocator's, never secrets; process-entry.ts empties process.env before
 * user code runs). It dies with the server (--die-with-parent), gets a session of its own
 * (--new-session), may not make user namespaces (--disable-userns), and its tree is bounded in memory
 * and processes (cgroup, else RLIMIT_NPROC).
 */
import type { Clock, Logger } from "../../domain/ports.ts";
import { ChildHosts } from "./child-host.ts";
import { buildEntryBundle, type EntryBundle } from "./entry-bundle.ts";
import { firstUnsearchable } from "./private-dirs.ts";
import type { HostFactory } from "./executor-host.ts";
import { binaryBinds, dropRoot, namespaceArgs, probeSandbox, SANDBOX_UID, sandboxTools, type SandboxTools } from "./sandbox-probe.ts";

export interface SandboxHostOptions {
  readonly logger: Logger;
  readonly memoryLimitBytes: number | undefined;
  /** Keep the host's network (no network namespace). Default false: no network at all. */
  readonly network?: boolean;
  /** Size of the sandbox's /tmp (default 16 MiB). */
  readonly tmpBytes?: number;
  /** Processes and threads one sandbox may have (default 256). */
  readonly maxProcesses?: number;
  /** Cap and kill trees through a cgroup where one can be made (default true); false: through /proc. */
  readonly cgroups?: boolean;
  /** Times kill escalations and cgroup removals (the system clock unless given). */
  readonly clock?: Clock;
  /** Where the entry's and the ticket tables' private folders go (executorTempBase() unless given). */
  readonly privateBase?: string;
  /** The executor process's environment: runtime settings such as the allocator's, never secrets (none unless given). */
  readonly env?: Readonly<Record<string, string>>;
}

/**
 * The sandbox kind. Throws, saying what is missing and how to get it, where sandboxes cannot be made.
 *
 * @example
 * new ExecutorPool({ executors: 4, logger, hosts: sandboxHosts({ logger, memoryLimitBytes: 512 << 20 }) })
 */
export function sandboxHosts(o: SandboxHostOptions): HostFactory {
  const probe = probeSandbox();
  if (!probe.ok) throw new Error(`--isolation sandbox is not available here: ${probe.reason}`);
  const tools = sandboxTools() as SandboxTools;
  const maxProcesses = o.maxProcesses ?? 256;
  let bundle: EntryBundle | undefined;
  const hosts = new ChildHosts({
    logger: o.logger,
    memoryLimitBytes: o.memoryLimitBytes,
    maxProcesses,
    pidNamespace: true,
    captureOutput: true,
    cgroups: o.cgroups,
    ...(o.clock !== undefined && { clock: o.clock }),
    ticketsOwner: SANDBOX_UID,
    ...(o.privateBase !== undefined && { privateBase: o.privateBase }),
    ...(o.env !== undefined && { env: o.env }),
    // RLIMIT_NPROC counts per user namespace: each sandbox has its own. Set even under a pids cgroup.
    // RLIMIT_FSIZE: the one writable host file (the ticket table) cannot grow into the host's /dev/shm.
    limits: () => ({ maxProcesses, maxFileBytes: o.tmpBytes ?? 16 * 1024 * 1024 }),
    command: (tickets, spec, limits) => {
      if (bundle === undefined) throw new Error("sandbox executor started before its entry was built (prepare() not awaited)");
      return [
        ...dropRoot(tools),
        tools.bwrap,
        ...namespaceArgs(tools, o.network === true),
        ...binaryBinds(tools),
        "--ro-bind", bundle.path, "/bunfaas/executor.js",
        "--bind", tickets, "/bunfaas/tickets",
        "--proc", "/proc",
        "--dev", "/dev",
        "--remount-ro", "/dev", // bwrap's /dev is a tmpfs: no files there (device nodes still work)
        ...(tools.tmpfsSize ? ["--size", String(o.tmpBytes ?? 16 * 1024 * 1024)] : []),
        "--tmpfs", "/tmp",
        "--chdir", "/tmp",
        "--remount-ro", "/",
        "/bunfaas/bun", "/bunfaas/executor.js", "/bunfaas/tickets", JSON.stringify(spec), JSON.stringify(limits),
      ];
    },
  });
  return {
    kind: "sandbox",
    async prepare() {
      bundle ??= await buildEntryBundle(o.privateBase);
      // A root server starts sandboxes as SANDBOX_UID, which must pass through every folder above the
      // entry (and the tickets, made beside it) to bind them; else each would exit before it is ready.
      const blocked = dropRoot(tools).length > 0 ? firstUnsearchable(bundle.path) : undefined;
      if (blocked !== undefined) {
        const path = bundle.path;
        bundle.dispose();
        bundle = undefined;
        throw new Error(`--isolation sandbox: the sandbox's uid ${SANDBOX_UID} cannot reach ${path}: other users cannot pass through ${blocked} (mode without o+x); set TMPDIR to a folder they can pass through, such as /tmp, or make /dev/shm writable`);
      }
    },
    start: (spec, events, label) => hosts.start(spec, events, label),
    async close() {
      await hosts.dispose();
      bundle?.dispose();
      bundle = undefined;
    },
  };
}
