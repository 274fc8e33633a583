/**
 * Limits a child-process executor puts on itself before it serves any job, through libc (bun:ffi):
 * a parent-death signal (the executor dies with the server, kill -9 included, when nothing else
 * guarantees it), RLIMIT_NPROC (a fork bomb stays bounded where no cgroup pids limit exists) and
 * RLIMIT_FSIZE (no file grows without bound).
 * User code runs later in the same process and cannot raise a hard limit (no CAP_SYS_RESOURCE).
 */
import { dlopen, FFIType, ptr } from "bun:ffi";

export interface ProcessLimits {
  /** Die with SIGKILL when this process (the pool's) exits; checked again after setting it. */
  readonly parentPid?: number;
  /** RLIMIT_NPROC, soft and hard (threads count too: leave room for the runtime's own). */
  readonly maxProcesses?: number;
  /** RLIMIT_FSIZE: no file written grows past this. */
  readonly maxFileBytes?: number;
}

const PR_SET_PDEATHSIG = 1;
const SIGKILL = 9;
const RLIMIT_NPROC = 6;
const RLIMIT_FSIZE = 1;

/**
 * Applies `limits`; returns what was done, for the pool's log. Throws when a limit asked for cannot
 * be set (an executor without its limits must not serve).
 *
 * @example
 * applyProcessLimits({ parentPid: 1234, maxProcesses: 256 }) // "pdeathsig, RLIMIT_NPROC=256"
 */
export function applyProcessLimits(limits: ProcessLimits): string {
  if (limits.parentPid === undefined && limits.maxProcesses === undefined && limits.maxFileBytes === undefined) return "";
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
    const set = (resource: number, name: string, value: number | undefined): void => {
      if (value === undefined) return;
      const n = BigInt(value);
      if (libc.symbols.setrlimit(resource, ptr(new BigUint64Array([n, n]))) !== 0) throw new Error(`setrlimit(${name}, ${n}) failed`);
      done.push(`${name}=${n}`);
    };
    set(RLIMIT_NPROC, "RLIMIT_NPROC", limits.maxProcesses);
    set(RLIMIT_FSIZE, "RLIMIT_FSIZE", limits.maxFileBytes);
  } finally {
    libc.close();
  }
  return done.join(", ");
}
