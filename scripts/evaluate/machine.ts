/**
 * Facts about the machine and software an evaluation ran on, for the report: CPU model and cores
 * (/proc/cpuinfo), memory, OS, Bun, Node, Redis and BullMQ versions, how idle CPUs wait, and the load
 * average.
 */
import { readFileSync } from "node:fs";
import { loadavg, release, totalmem } from "node:os";
import { join } from "node:path";
import { bullmqVersion } from "./bullmq.ts";

export interface Machine {
  readonly cpuModel: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly os: string;
  readonly bun: string;
  readonly node: string;
  readonly redis: string;
  readonly bullmq: string;
  /** How idle CPUs wait (absent from results written before it was read). */
  readonly cpuIdle?: CpuIdle;
}

/**
 * CPU model and logical core count from the text of /proc/cpuinfo.
 *
 * @example
 * parseCpuinfo("processor\t: 0\nmodel name\t: Xeon\n\nprocessor\t: 1\nmodel name\t: Xeon\n"); // { model: "Xeon", cores: 2 }
 */
export function parseCpuinfo(text: string): { model: string; cores: number } {
  const models = [...text.matchAll(/^model name\s*:\s*(.+)$/gm)].map((m) => (m[1] as string).trim());
  const cores = [...text.matchAll(/^processor\s*:/gm)].length;
  return { model: models[0] ?? "unknown", cores };
}

function read(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}

/** How idle CPUs wait (the report's CPU idle row; cpu-idle.ts makes them poll). */
export interface CpuIdle {
  /** The cpuidle driver and governor (sysfs), "unknown" where not readable. */
  readonly driver: string;
  readonly governor: string;
  /** haltpoll's guest_halt_poll_ns: how long an idle CPU polls before it halts (absent without that module). */
  readonly haltPollNs?: number;
}

/**
 * Reads how idle CPUs wait, from the sysfs under `sys`.
 *
 * @example
 * cpuIdle(); // { driver: "haltpoll", governor: "haltpoll", haltPollNs: 0 }
 */
export function cpuIdle(sys = "/sys"): CpuIdle {
  const text = (path: string): string | undefined => read(join(sys, path)).trim() || undefined;
  const poll = text("module/haltpoll/parameters/guest_halt_poll_ns");
  return {
    driver: text("devices/system/cpu/cpuidle/current_driver") ?? "unknown",
    governor: text("devices/system/cpu/cpuidle/current_governor_ro") ?? text("devices/system/cpu/cpuidle/current_governor") ?? "unknown",
    ...(poll !== undefined && /^\d+$/.test(poll) && { haltPollNs: Number(poll) }),
  };
}

function version(argv: string[], pattern: RegExp): string {
  try {
    const r = Bun.spawnSync(argv, { stdout: "pipe", stderr: "pipe" });
    return pattern.exec(r.stdout.toString())?.[1] ?? "unknown";
  } catch {
    return "not found";
  }
}

/**
 * Reads the machine's facts now.
 *
 * @example
 * const m = machine(); // { cpuModel: "Intel(R) Xeon(R) Processor", cores: 2, ... }
 */
export function machine(): Machine {
  const cpu = parseCpuinfo(read("/proc/cpuinfo"));
  const osName = /^PRETTY_NAME="?([^"\n]+)"?$/m.exec(read("/etc/os-release"))?.[1] ?? process.platform;
  return {
    cpuModel: cpu.model,
    cores: cpu.cores,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os: `${osName}, Linux ${release()}`,
    bun: Bun.version,
    node: version(["node", "--version"], /v?(\S+)/),
    redis: version(["redis-server", "--version"], /v=(\S+)/),
    bullmq: bullmqVersion(),
    cpuIdle: cpuIdle(),
  };
}

/**
 * The 1, 5 and 15 minute load averages, rounded to two decimals.
 *
 * @example
 * load(); // [2.73, 2.3, 2.45]
 */
export function load(): [number, number, number] {
  const [a, b, c] = loadavg().map((v) => Math.round(v * 100) / 100);
  return [a ?? 0, b ?? 0, c ?? 0];
}
