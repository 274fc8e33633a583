/**
 * Preloaded into a server by scripts/profile-allocations.ts (`BUN_OPTIONS=--preload <this file>`), not
 * imported. On SIGUSR2 it writes one line to stderr (the process's log): `HEAP-PROBE <json>` with the
 * JavaScript heap's cells by type (JavaScriptCore's `heapStats`), the size of what it holds and its
 * capacity. With the collector off (`BUN_JSC_useGC=0`) the difference of two lines is what was
 * allocated between them (the capacity grows by it; the size does not count what was never marked);
 * with it on and `HEAP_PROBE_COLLECT=1`, each line follows a full collection: what is kept.
 */
import { heapStats } from "bun:jsc";

process.on("SIGUSR2", () => {
  if (process.env.HEAP_PROBE_COLLECT === "1") Bun.gc(true);
  const h = heapStats();
  console.error(`HEAP-PROBE ${JSON.stringify({ heapSize: h.heapSize, heapCapacity: h.heapCapacity, cells: h.objectTypeCounts })}`);
});
