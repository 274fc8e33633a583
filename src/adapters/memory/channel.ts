import type { TaskEvents } from "../../domain/ports.ts";
import type { Task } from "../../domain/task.ts";

type Listener = (ids: readonly string[], finished?: ReadonlyMap<string, Task>) => void;

/**
 * An in-process broadcast of task ids (task events, cancel signals): a synchronous fan-out to the
 * listeners of this process.
 *
 * @example
 * const events = new MemoryChannel();
 * const stop = events.subscribe((ids) => console.log(ids));
 * events.publish(["t-1"]); // logs ["t-1"]
 */
export class MemoryChannel implements TaskEvents {
  private readonly listeners = new Set<Listener>();

  /** Sends the ids (and, as the Redis APPLY script does, the finished tasks themselves when given). */
  publish(taskIds: readonly string[], finished?: ReadonlyMap<string, Task>): void {
    for (const l of this.listeners) l(taskIds, finished);
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
