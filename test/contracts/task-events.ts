/** The TaskEvents contract, run against every adapter. */
import { describe, expect, test } from "bun:test";
import type { TaskEvents } from "../../src/domain/ports.ts";
import { waitFor } from "../../scripts/lib/wait-for.ts";

export function describeTaskEvents(name: string, make: () => Promise<{ events: TaskEvents; close(): Promise<void> }>): void {
  describe(`TaskEvents contract: ${name}`, () => {
    test("published ids reach every subscriber until it unsubscribes", async () => {
      const f = await make();
      try {
        const a: string[] = [];
        const b: string[] = [];
        const offA = f.events.subscribe((ids) => a.push(...ids));
        f.events.subscribe((ids) => b.push(...ids));
        f.events.publish(["t1", "t2"]);
        await waitFor(() => a.length === 2 && b.length === 2, "both subscribers to hear t1 and t2");
        offA();
        f.events.publish(["t3"]);
        await waitFor(() => b.length === 3, "the remaining subscriber to hear t3");
        expect(a).toEqual(["t1", "t2"]);
        expect(b).toEqual(["t1", "t2", "t3"]);
      } finally {
        await f.close();
      }
    });
  });
}
