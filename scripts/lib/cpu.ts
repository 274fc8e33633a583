/**
 * CPU time spent by a process, for benchmarks that report the cost of a task per process.
 *
 * @example
 * const before = cpuMicros(pid);
 * // ... work ...
 * console.log(`${(cpuMicros(pid) - before) / tasks} us per task`);
 */
import { readFileSync } from "node:fs";

const TICK_US = 10_000; // Linux reports utime and stime in clock ticks of 1/100 s (USER_HZ)

/** User + system CPU time of process `pid` (all its threads) in microseconds, from /proc/<pid>/stat. */
export function cpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * TICK_US; // utime, stime (fields 14 and 15 of stat)
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
