import type { IdChannel } from "../../domain/ports.ts";

/**
 * An in-process broadcast of task ids (task events, cancel signals): a synchronous fan-out to the
 * listeners of this process.
 *
 * @example
 * const events = new MemoryChannel();
 * const stop = events.subscribe((ids) => console.log(ids));
 * events.publish(["t-1"]); // logs ["t-1"]
 */
export class MemoryChannel implements IdChannel {
  private readonly listeners = new Set<(ids: readonly string[]) => void>();

  publish(taskIds: readonly string[]): void {
    for (const l of this.listeners) l(taskIds);
  }

  subscribe(listener: (taskIds: readonly string[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
