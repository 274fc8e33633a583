/**
 * CPU time spent by a process, for benchmarks that report the cost of a task per process.
 *
 * @example
 * const before = cpuMicros(pid);
 * // ... work ...
 * console.log(`${(cpuMicros(pid) - before) / tasks} us per task`);
 */
import { readFileSync, readdirSync } from "node:fs";

const TICK_US = 10_000; // Linux reports utime and stime in clock ticks of 1/100 s (USER_HZ)

/** What one /proc/<pid>/stat line says of CPU: the parent, the process's own time, its reaped children's. */
export interface ProcStat {
  readonly ppid: number;
  /** utime + stime in microseconds (every thread of the process). */
  readonly own: number;
  /** cutime + cstime in microseconds: children that exited and were waited for. */
  readonly reaped: number;
  /** Its niceness (-20 to 19). */
  readonly nice: number;
}

/** Reads a /proc/<pid>/stat line (the command name in parentheses may hold spaces and parentheses). */
export function parseStat(line: string): ProcStat {
  const fields = line.slice(line.lastIndexOf(")") + 2).split(" ");
  // from the state (field 3 of stat): ppid is field 4, utime 14, stime 15, cutime 16, cstime 17, nice 19
  const tick = (i: number): number => Number(fields[i]) * TICK_US;
  return { ppid: Number(fields[1]), own: tick(11) + tick(12), reaped: tick(13) + tick(14), nice: Number(fields[16]) };
}

/** User + system CPU time of process `pid` (all its threads) in microseconds, from /proc/<pid>/stat. */
export function cpuMicros(pid: number): number {
  return parseStat(readFileSync(`/proc/${pid}/stat`, "utf8")).own;
}

/**
 * CPU time of `root` and every process under it that is still running, plus what their exited
 * children spent (reaped), in microseconds. A sandboxed executor is a long-lived child of its
 * dispatcher or worker, whose time /proc/<pid>/stat alone leaves out.
 *
 * @example
 * treeMicros(new Map([[10, { ppid: 1, own: 5, reaped: 0, nice: 0 }], [11, { ppid: 10, own: 7, reaped: 2, nice: 0 }]]), 10); // 14
 */
export function treeMicros(stats: ReadonlyMap<number, ProcStat>, root: number): number {
  const children = new Map<number, number[]>();
  for (const [pid, s] of stats) {
    const siblings = children.get(s.ppid);
    if (siblings === undefined) children.set(s.ppid, [pid]);
    else siblings.push(pid);
  }
  let sum = 0;
  const seen = new Set<number>();
  const stack = [root];
  while (stack.length > 0) {
    const pid = stack.pop() as number;
    const s = stats.get(pid);
    if (s === undefined || seen.has(pid)) continue;
    seen.add(pid);
    sum += s.own + s.reaped;
    stack.push(...(children.get(pid) ?? []));
  }
  return sum;
}

/** Every process's stat line under `proc` (a process gone between listing and reading is left out). */
export function readProcStats(proc = "/proc"): Map<number, ProcStat> {
  const stats = new Map<number, ProcStat>();
  for (const name of readdirSync(proc)) {
    if (!/^\d+$/.test(name)) continue;
    try {
      stats.set(Number(name), parseStat(readFileSync(`${proc}/${name}/stat`, "utf8")));
    } catch {
      // exited meanwhile
    }
  }
  return stats;
}

/** used_cpu_user + used_cpu_sys of a redis-server, from `INFO cpu`, in microseconds. */
export function redisCpuMicros(info: string): number {
  const read = (name: string): number => Number(new RegExp(`^${name}:([\\d.]+)`, "m").exec(info)?.[1] ?? 0);
  return (read("used_cpu_user") + read("used_cpu_sys")) * 1e6;
}

/** User + system CPU time of this process (all its threads) in microseconds. */
export function clientCpuMicros(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}
