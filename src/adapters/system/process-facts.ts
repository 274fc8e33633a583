/**
 * Facts about this process for GET /metrics: resident memory now, and when it started.
 *
 * @example
 * processFacts() // { residentMemoryBytes: 48_250_880, startTimeSeconds: 1_767_225_600.123 }
 */
export function processFacts(): { residentMemoryBytes: number; startTimeSeconds: number } {
  return { residentMemoryBytes: process.memoryUsage.rss(), startTimeSeconds: performance.timeOrigin / 1000 };
}
