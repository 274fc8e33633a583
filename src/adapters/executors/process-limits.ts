/**
 * Limits a child-process executor puts on itself before it serves any job, through libc (bun:ffi):
 * a parent-death signal (the executor dies with the server, kill -9 included, when nothing else
 * guarantees it) and RLIMIT_NPROC (a fork bomb stays bounded where no cgroup pids limit exists).
 * User code runs later in the same process and cannot raise a hard limit (no CAP_SYS_RESOURCE).
 */
import { dlopen, FFIType, ptr } from "bun:ffi";

export interface ProcessLimits {
  /** Die with SIGKILL when this process (the pool's) exits; checked again after setting it. */
  readonly parentPid?: number;
  /** RLIMIT_NPROC, soft and hard (threads count too: leave room for the runtime's own). */
  readonly maxProcesses?: number;
}

const PR_SET_PDEATHSIG = 1;
const SIGKILL = 9;
const RLIMIT_NPROC = 6;

/**
 * Applies `limits`; returns what was done, for the pool's log. Throws when a limit asked for cannot
 * be set (an executor without its limits must not serve).
 *
 * @example
 * applyProcessLimits({ parentPid: 1234, maxProcesses: 256 }) // "pdeathsig, nproc=256"
 */
export function applyProcessLimits(limits: ProcessLimits): string {
  if (limits.parentPid === undefined && limits.maxProcesses === undefined) return "";
  const libc = dlopen("libc.so.6", {
    prctl: { args: [FFIType.i32, FFIType.u64, FFIType.u64, FFIType.u64, FFIType.u64], returns: FFIType.i32 },
    setrlimit: { args: [FFIType.i32, FFIType.ptr], returns: FFIType.i32 },
    getppid: { args: [], returns: FFIType.i32 },
  });
  const done: string[] = [];
  try {
    if (limits.parentPid !== undefined) {
      if (libc.symbols.prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) !== 0) throw new Error("prctl(PR_SET_PDEATHSIG) failed");
      // The parent may have died before the call: then nobody would ever send the signal.
      if (libc.symbols.getppid() !== limits.parentPid) process.exit(1);
      done.push("pdeathsig");
    }
    if (limits.maxProcesses !== undefined) {
      const n = BigInt(limits.maxProcesses);
      if (libc.symbols.setrlimit(RLIMIT_NPROC, ptr(new BigUint64Array([n, n]))) !== 0) throw new Error(`setrlimit(RLIMIT_NPROC, ${n}) failed`);
      done.push(`nproc=${n}`);
    }
  } finally {
    libc.close();
  }
  return done.join(", ");
}
