/**
 * One cgroup per child-process executor, where the host lets us make one (cgroup v1 memory + pids
 * hierarchies, or a cgroup v2 tree with both controllers): the memory of the executor's whole process
 * tree is read from it and capped by the kernel, the number of its processes bounded, and every
 * process of it found for a kill. Groups are made below the server's own cgroup, so they count
 * against whatever limits the server itself runs under. Where none can be made, `probeCgroups()`
 * says why and the caller falls back to walking /proc (process-tree.ts).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface CgroupPlan {
  readonly version: 1 | 2;
  /** Where executor groups are made: v1 one directory per hierarchy, v2 one. */
  readonly memoryParent: string;
  readonly pidsParent: string | undefined;
}

export interface GroupLimits {
  /** The kernel kills past this (set it above the pool's own cap: the pool usually acts first). */
  readonly hardLimitBytes: number;
  readonly maxProcesses: number;
}

let counter = 0;
let probed: { plan: CgroupPlan } | { reason: string } | undefined;

function ownPath(controller: string): string | undefined {
  for (const line of readFileSync("/proc/self/cgroup", "utf8").split("\n")) {
    const [, controllers, path] = line.split(":");
    if (path === undefined) continue;
    if (controller === "" ? controllers === "" : (controllers ?? "").split(",").includes(controller)) return path;
  }
  return undefined;
}

function plan(): CgroupPlan | string {
  const memV1 = ownPath("memory");
  if (memV1 !== undefined && existsSync("/sys/fs/cgroup/memory/cgroup.procs")) {
    const pidsV1 = ownPath("pids");
    const pidsParent = pidsV1 !== undefined && existsSync("/sys/fs/cgroup/pids/cgroup.procs") ? join("/sys/fs/cgroup/pids", pidsV1) : undefined;
    return { version: 1, memoryParent: join("/sys/fs/cgroup/memory", memV1), pidsParent };
  }
  const v2 = ownPath("");
  const root = existsSync("/sys/fs/cgroup/cgroup.controllers") ? "/sys/fs/cgroup" : existsSync("/sys/fs/cgroup/unified/cgroup.controllers") ? "/sys/fs/cgroup/unified" : undefined;
  if (v2 === undefined || root === undefined) return "no cgroup v1 memory hierarchy and no cgroup v2 tree is mounted under /sys/fs/cgroup";
  const parent = join(root, v2);
  if (!readFileSync(join(parent, "cgroup.subtree_control"), "utf8").includes("memory")) {
    try {
      writeFileSync(join(parent, "cgroup.subtree_control"), "+memory +pids");
    } catch (e) {
      return `cgroup v2: cannot enable the memory and pids controllers below ${parent} (${(e as Error).message})`;
    }
  }
  return { version: 2, memoryParent: parent, pidsParent: parent };
}

/**
 * Removes the empty groups servers that are gone left behind (their names carry the server's pid):
 * a server killed by kill -9 cannot remove its own. Returns how many such groups remain (not empty yet).
 *
 * @example
 * removeStaleCgroups() // 0
 */
export function removeStaleCgroups(): number {
  const p = plan();
  return typeof p === "string" ? 0 : removeStale(p);
}

function removeStale(p: CgroupPlan): number {
  let left = 0;
  for (const parent of new Set([p.memoryParent, p.pidsParent].filter((d): d is string => d !== undefined))) {
    for (const name of readdirSync(parent)) {
      const m = /^bunfaas-(\d+)-\d+$/.exec(name);
      if (m === null || existsSync(`/proc/${m[1]}`)) continue;
      try {
        rmdirSync(join(parent, name));
      } catch {
        left++; // not empty yet
      }
    }
  }
  return left;
}

/**
 * Whether executor cgroups can be made here (memoized): makes and removes a trial group.
 *
 * @example
 * const c = probeCgroups(); if (!c.ok) logger.log("warn", "no cgroups", { reason: c.reason });
 */
export function probeCgroups(): { ok: true; plan: CgroupPlan } | { ok: false; reason: string } {
  if (probed === undefined) {
    try {
      const p = plan();
      if (typeof p === "string") probed = { reason: p };
      else {
        removeStale(p);
        const trial = ExecutorCgroup.create(p, "probe", { hardLimitBytes: 256 * 1024 * 1024, maxProcesses: 64 });
        trial.remove();
        probed = { plan: p };
      }
    } catch (e) {
      probed = { reason: `cannot make a cgroup: ${(e as Error).message}` };
    }
  }
  return "plan" in probed ? { ok: true, plan: probed.plan } : { ok: false, reason: probed.reason };
}

function readNumber(path: string): number | undefined {
  try {
    return Number(readFileSync(path, "utf8").trim());
  } catch {
    return undefined;
  }
}

/** The cgroup of one executor. */
export class ExecutorCgroup {
  private constructor(
    private readonly version: 1 | 2,
    private readonly dirs: readonly string[],
  ) {}

  /** Makes `bunfaas-<server pid>-<n>` below the plan's parents with `limits`. Throws when it cannot. */
  static create(p: CgroupPlan, label: string, limits: GroupLimits): ExecutorCgroup {
    const name = label === "probe" ? `bunfaas-probe-${process.pid}` : `bunfaas-${process.pid}-${++counter}`;
    const dirs = [...new Set([p.memoryParent, p.pidsParent].filter((d): d is string => d !== undefined))].map((d) => join(d, name));
    const group = new ExecutorCgroup(p.version, dirs);
    try {
      for (const d of dirs) mkdirSync(d);
      const mem = dirs[0] as string;
      if (p.version === 1) {
        writeFileSync(join(mem, "memory.limit_in_bytes"), String(limits.hardLimitBytes));
        if (existsSync(join(mem, "memory.memsw.limit_in_bytes"))) writeFileSync(join(mem, "memory.memsw.limit_in_bytes"), String(limits.hardLimitBytes));
        if (dirs[1] !== undefined) writeFileSync(join(dirs[1], "pids.max"), String(limits.maxProcesses));
      } else {
        writeFileSync(join(mem, "memory.max"), String(limits.hardLimitBytes));
        if (existsSync(join(mem, "memory.swap.max"))) writeFileSync(join(mem, "memory.swap.max"), "0");
        writeFileSync(join(mem, "pids.max"), String(limits.maxProcesses));
      }
    } catch (e) {
      group.remove();
      throw e;
    }
    return group;
  }

  /** Whether a pids limit holds in this group (else RLIMIT_NPROC must bound forks). */
  get boundsProcesses(): boolean {
    return this.version === 2 || this.dirs.length > 1;
  }

  /** The `cgroup.procs` files a process writes its pid to, to join (it and all it starts). */
  get procsFiles(): string[] {
    return this.dirs.map((d) => join(d, "cgroup.procs"));
  }

  /** Memory charged to the group (resident memory, page cache and tmpfs of the whole tree). */
  usageBytes(): number | undefined {
    return readNumber(join(this.dirs[0] as string, this.version === 1 ? "memory.usage_in_bytes" : "memory.current"));
  }

  /** How many processes of the group the kernel killed for memory. */
  oomKills(): number {
    try {
      const text = readFileSync(join(this.dirs[0] as string, this.version === 1 ? "memory.oom_control" : "memory.events"), "utf8");
      return Number(/oom_kill (\d+)/.exec(text)?.[1] ?? 0);
    } catch {
      return 0;
    }
  }

  pids(): number[] {
    try {
      return readFileSync(this.procsFiles[0] as string, "utf8").split("\n").filter((l) => l !== "").map(Number);
    } catch {
      return [];
    }
  }

  /** SIGKILLs every process in the group. */
  killAll(): void {
    for (let round = 0; round < 3; round++) {
      const pids = this.pids();
      if (pids.length === 0) return;
      for (const pid of pids) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // gone
        }
      }
    }
  }

  /** Removes the group; false while processes (or dying ones) are still in it. */
  remove(): boolean {
    let removed = true;
    for (const d of [...this.dirs].reverse()) {
      try {
        if (existsSync(d)) rmdirSync(d);
      } catch {
        removed = false;
      }
    }
    return removed;
  }
}
