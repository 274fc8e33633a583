import type { TaskEvents } from "../../domain/ports.ts";

/** In-process "task finished" notifications: a synchronous fan-out to listeners. */
export class MemoryTaskEvents implements TaskEvents {
  private readonly listeners = new Set<(ids: readonly string[]) => void>();

  publish(taskIds: readonly string[]): void {
    for (const l of this.listeners) l(taskIds);
  }

  subscribe(listener: (taskIds: readonly string[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
