/**
 * A process and everything it started, read from the host's /proc (Linux): the fallback for capping
 * and killing an executor's tree where no cgroup can be made. Reads
 * /proc/<pid>/task/<tid>/children where the kernel has it, else scans every /proc/<pid>/stat.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";

const HAS_CHILDREN_FILES = existsSync(`/proc/${process.pid}/task/${process.pid}/children`);

function read(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

function childrenOf(pid: number): number[] {
  const out: number[] = [];
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    for (const c of (read(`/proc/${pid}/task/${tid}/children`) ?? "").split(" ")) if (c !== "" && c !== "\n") out.push(Number(c));
  }
  return out;
}

/** pid -> parent pid of every process on the host (the slow path). */
function parentTable(): Map<number, number[]> {
  const kids = new Map<number, number[]>();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const stat = read(`/proc/${name}/stat`);
    if (stat === undefined) continue;
    const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    const list = kids.get(ppid) ?? [];
    list.push(Number(name));
    kids.set(ppid, list);
  }
  return kids;
}

/**
 * `pid` and all its descendants, parents before children.
 *
 * @example
 * processTree(child.pid) // [4711, 4712, 4790]
 */
export function processTree(pid: number): number[] {
  const table = HAS_CHILDREN_FILES ? undefined : parentTable();
  const out: number[] = [];
  const todo = [pid];
  while (todo.length > 0) {
    const p = todo.shift() as number;
    if (out.includes(p)) continue;
    out.push(p);
    todo.push(...(table === undefined ? childrenOf(p) : (table.get(p) ?? [])));
  }
  return out.filter((p) => p === pid || existsSync(`/proc/${p}`));
}

/**
 * Resident memory (VmRSS) of one process in bytes; 0 when gone or a zombie.
 *
 * @example
 * residentBytes(process.pid) // 52428800
 */
export function residentBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(read(`/proc/${pid}/status`) ?? "");
  return m === null ? 0 : Number(m[1]) * 1024;
}

/**
 * The sum of VmRSS over `pid` and its descendants (shared pages count once per process).
 *
 * @example
 * treeResidentBytes(child.pid) > cap // the executor and what it spawned, together
 */
export function treeResidentBytes(pid: number): number {
  let total = 0;
  for (const p of processTree(pid)) total += residentBytes(p);
  return total;
}

/**
 * SIGKILLs `pid` and every descendant: stops them all first, so none forks between the walk and the kill.
 *
 * @example
 * killTree(child.pid)
 */
export function killTree(pid: number): void {
  // Stop everything first so nothing forks between the walk and the kill, then kill.
  const seen = processTree(pid);
  for (const p of seen) signal(p, "SIGSTOP");
  for (const p of [...new Set([...seen, ...processTree(pid)])]) signal(p, "SIGKILL");
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}
