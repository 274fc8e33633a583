/**
 * CPU per task: what each process of a deployment spent over the measured throughput rounds, divided
 * by the tasks those rounds ran. Both systems' processes share the machine's cores; where the rounds
 * keep them all busy, throughput is about the cores busy over the CPU per task, so this is the
 * figure behind a throughput ratio that does not move with the machine's pace as much as tasks/s do.
 *
 * @example
 * const read = cpuReader([{ role: "redis", pid: 10 }, { role: "api", pid: 11 }]);
 * const before = read();
 * // ... rounds of 20,000 tasks over 1,500 ms ...
 * const spent = spentBetween(before, read(), 20_000, 1_500);
 * perTask(spent); // { byRole: { redis: 24.1, api: 9.6, client: 1.4 }, total: 35.1, coresBusy: 0.47 }
 */
import { clientCpuMicros, readProcStats, treeMicros } from "../lib/cpu.ts";

/** CPU time in microseconds by process role ("redis", "api", "dispatcher", "workers", "server", "client", ...) at one moment. */
export type CpuReading = Readonly<Record<string, number>>;

/** What the processes spent over some rounds: microseconds by role, the tasks the rounds ran, their wall time. */
export interface CpuSpent {
  readonly micros: Readonly<Record<string, number>>;
  readonly tasks: number;
  readonly ms: number;
}

/** A process whose CPU is read under a role (processes of one role add up). */
export interface RoleProcess {
  readonly role: string;
  readonly pid: number;
}

/**
 * A reader of the CPU time of `processes` (each with every process under it: a sandboxed executor is
 * a child) and of this process as "client".
 */
export function cpuReader(processes: readonly RoleProcess[]): () => CpuReading {
  return () => {
    const stats = readProcStats();
    const reading: Record<string, number> = {};
    for (const p of processes) reading[p.role] = (reading[p.role] ?? 0) + treeMicros(stats, p.pid);
    reading.client = clientCpuMicros();
    return reading;
  };
}

/** The CPU spent between two readings by the roles both hold, over `tasks` tasks in `ms` of wall time. */
export function spentBetween(before: CpuReading, after: CpuReading, tasks: number, ms: number): CpuSpent {
  const micros: Record<string, number> = {};
  for (const role of Object.keys(after)) {
    const was = before[role];
    if (was !== undefined) micros[role] = Math.max(0, (after[role] as number) - was);
  }
  return { micros, tasks, ms };
}

/** Several measurements as one (their CPU, tasks and time added), or undefined when none has any. */
export function together(spent: readonly (CpuSpent | undefined)[]): CpuSpent | undefined {
  const present = spent.filter((s): s is CpuSpent => s !== undefined);
  if (present.length === 0) return undefined;
  const micros: Record<string, number> = {};
  for (const s of present) for (const [role, us] of Object.entries(s.micros)) micros[role] = (micros[role] ?? 0) + us;
  return { micros, tasks: present.reduce((n, s) => n + s.tasks, 0), ms: present.reduce((n, s) => n + s.ms, 0) };
}

export interface PerTask {
  /** Microseconds of CPU per task by role. */
  readonly byRole: Readonly<Record<string, number>>;
  /** Microseconds of CPU per task, every role together. */
  readonly total: number;
  /** CPU time over wall time: how many cores the processes kept busy on average. */
  readonly coresBusy: number;
}

/** CPU per task (us) by role and in all, and the cores kept busy. */
export function perTask(s: CpuSpent): PerTask {
  const byRole: Record<string, number> = {};
  let sum = 0;
  for (const [role, us] of Object.entries(s.micros)) {
    byRole[role] = s.tasks > 0 ? us / s.tasks : 0;
    sum += us;
  }
  return { byRole, total: s.tasks > 0 ? sum / s.tasks : 0, coresBusy: s.ms > 0 ? sum / (s.ms * 1000) : 0 };
}
