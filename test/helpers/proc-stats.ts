import { readdirSync, readFileSync } from "node:fs";

/** OS threads, open file descriptors and resident memory of a process (Linux /proc). */
export function procStats(pid: number | "self" = "self"): { threads: number; fds: number; rssMb: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const field = (name: string): number => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1] ?? NaN);
  return { threads: field("Threads"), fds: readdirSync(`/proc/${pid}/fd`).length, rssMb: Math.round(field("VmRSS") / 1024) };
}
