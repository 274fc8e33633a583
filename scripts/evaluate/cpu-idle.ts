/**
 * A way to make the machine's idle CPUs poll for the length of a run, and the report's line on how
 * they waited (machine.ts reads that from sysfs).
 *
 * One task at a time, every hop between our processes and threads (and BullMQ's) wakes a thread that
 * sleeps, often on a CPU that has gone idle. On a virtual machine whose idle CPUs halt (the cpuidle
 * driver `haltpoll` with `guest_halt_poll_ns` 0, as on this project's machines), waking such a CPU goes
 * through the hypervisor: the woken thread waits tens of microseconds for its CPU, and the waker spends
 * about as much sending the wake-up. A CPU latency request of 0 us (Linux PM QoS: a process writes the
 * number to /dev/cpu_dma_latency and holds the file open; closing it drops the request) makes idle CPUs
 * poll instead, so a wake-up is a flag the polling CPU sees at once. `--idle-poll` holds one for the
 * whole run, so BullMQ and ours are measured alike; the report says which way a run was made.
 */
import { closeSync, openSync, writeSync } from "node:fs";
import type { CpuIdle } from "./machine.ts";

export const CPU_LATENCY_DEVICE = "/dev/cpu_dma_latency";

export interface CpuLatencyHold {
  /** Drops the request (closes the file); harmless when called again. */
  release(): void;
}

/**
 * Holds a CPU latency request of `us` microseconds until released (or until this process exits).
 * Throws, naming the device and why, when it cannot be opened for writing (it needs root, or write
 * access granted to the device).
 *
 * @example
 * const hold = holdCpuLatency(0); // idle CPUs poll from here on
 * try { await measure(); } finally { hold.release(); }
 */
export function holdCpuLatency(us: number, device = CPU_LATENCY_DEVICE): CpuLatencyHold {
  if (!Number.isInteger(us) || us < 0) throw new Error(`a CPU latency request is a whole number of microseconds, got ${us}`);
  let fd: number | undefined;
  try {
    fd = openSync(device, "w");
    const value = Buffer.alloc(4);
    value.writeInt32LE(us);
    writeSync(fd, value);
  } catch (e) {
    if (fd !== undefined) closeSync(fd);
    throw new Error(`cannot hold a CPU latency request on ${device} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}): it needs root or write access to that device`);
  }
  let open = true;
  return {
    release() {
      if (!open) return;
      open = false;
      closeSync(fd as number);
    },
  };
}

/**
 * The report's line on how idle CPUs waited during a run.
 *
 * @example
 * idleText({ driver: "haltpoll", governor: "haltpoll", haltPollNs: 0 }, false);
 * // "haltpoll driver, haltpoll governor, guest halt polling 0 ns; idle CPUs as the machine has them (no CPU latency request held)"
 */
export function idleText(idle: CpuIdle, polled: boolean): string {
  const how = `${idle.driver} driver, ${idle.governor} governor${idle.haltPollNs === undefined ? "" : `, guest halt polling ${idle.haltPollNs} ns`}`;
  const held = polled
    ? `idle CPUs polling: a CPU latency request of 0 us held on ${CPU_LATENCY_DEVICE} for the whole run (--idle-poll), BullMQ's rounds included`
    : "idle CPUs as the machine has them (no CPU latency request held)";
  return `${how}; ${held}`;
}
