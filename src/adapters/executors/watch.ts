/**
 * What the pool's ticker finds about one executor, from the pool's own records only (the start
 * model, when it last heard from the executor, what the host measures of its process tree): it failed
 * to start in time, idles too long, is over its memory cap, stalls (a blocked event loop), or holds a
 * job past its deadline. Also who is to blame for a deadline: a job whose executor was silent while
 * others ran beside it may have been charged their time.
 */
import type { ExecutorRecord, Held } from "./executor-record.ts";
import type { PoolTimings } from "./pool-options.ts";

export type Finding =
  | { readonly kind: "start-timeout" }
  | { readonly kind: "idle" }
  | { readonly kind: "memory"; readonly usedBytes: number | undefined }
  | { readonly kind: "stall" }
  | { readonly kind: "deadline"; readonly job: Held };

/**
 * The findings on `e` at `now`, most severe first; marks running jobs `blurred` while the executor is
 * silent with several running. `judge` is false right after this process itself paused (messages may
 * wait unread): silence is not judged then.
 *
 * @example
 * for (const f of inspect(e, Date.now(), true, timings, 512 << 20)) act(f)
 */
export function inspect(e: ExecutorRecord, now: number, judge: boolean, t: PoolTimings, memoryLimitBytes: number | undefined): Finding[] {
  if (!e.ready) return now - e.spawnedAt > t.startTimeoutMs ? [{ kind: "start-timeout" }] : [];
  if (e.count === 0) return now - e.idleSince >= t.idleMs ? [{ kind: "idle" }] : [];
  if (memoryLimitBytes !== undefined) {
    const used = e.host.memoryBytes();
    if (e.host.killedForMemory() || (used !== undefined && used > memoryLimitBytes)) return [{ kind: "memory", usedBytes: used }];
  }
  const found: Finding[] = [];
  const silent = now - e.lastHeard;
  const running = e.model.runningJobs();
  if (judge && silent > t.suspectMs && running.length > 1) for (const h of running) h.blurred = true;
  if (judge && silent > t.stallMs && !e.stalled) found.push({ kind: "stall" });
  const late = running.find((h) => h.startedAt !== undefined && now - h.startedAt >= h.job.timeoutMs);
  if (late !== undefined) found.push({ kind: "deadline", job: late });
  return found;
}

/**
 * Who answers for `h` passing its deadline.
 *
 * @example
 * const { ambiguous, unstarted } = deadlineBlame(e, late); // ambiguous: re-run the started ones alone
 * Takes back the executor's unstarted jobs first (it is
 * about to be killed). Ambiguous when `h` was blurred and other started jobs remain: any of them may
 * have blocked the event loop that `h` was waiting on.
 */
export function deadlineBlame(e: ExecutorRecord, h: Held): { ambiguous: boolean; unstarted: ReadonlySet<Held> } {
  const unstarted = new Set(e.jobs().filter((x) => x !== h && e.recall(x)));
  const ambiguous = h.blurred && !h.alone && e.jobs().some((x) => x !== h && !unstarted.has(x));
  return { ambiguous, unstarted };
}
