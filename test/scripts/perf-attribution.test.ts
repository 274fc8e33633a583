import { describe, expect, test } from "bun:test";
import { perfMap, readJitDump } from "../../scripts/lib/jit-dump.ts";
import { innermostJs, outermostJs, parsePerfScript, sumBy } from "../../scripts/lib/perf-samples.ts";

/** A jitdump as JSC writes it: the header, one code load, one record of another kind, one cut short. */
function dump(): Uint8Array {
  const name = new TextEncoder().encode("JSC-FTL: fetch#Bq9MHz\0");
  const loadSize = 16 + 40 + name.length + 4;
  const buf = new ArrayBuffer(40 + loadSize + 24 + 20);
  const v = new DataView(buf);
  v.setUint32(0, 0x4a695444, true);
  v.setUint32(4, 1, true);
  v.setUint32(8, 40, true);
  v.setUint32(20, 4242, true);
  let at = 40;
  v.setUint32(at, 0, true); // code load
  v.setUint32(at + 4, loadSize, true);
  v.setBigUint64(at + 32, 0x7fe50b171000n, true);
  v.setBigUint64(at + 40, 0x180n, true);
  new Uint8Array(buf).set(name, at + 56);
  at += loadSize;
  v.setUint32(at, 2, true); // debug info: skipped
  v.setUint32(at + 4, 24, true);
  at += 24;
  v.setUint32(at, 0, true); // a code load still being written
  v.setUint32(at + 4, 500, true);
  return new Uint8Array(buf);
}

const SCRIPT = `bun.exe  7416   327.869549:     333444 cpu-clock: 
\t           cf427 clock_gettime@@GLIBC_2.17+0x7 (/usr/lib/x86_64-linux-gnu/libc.so.6)
\t         5428c18 [unknown] (/opt/bun/bin/bun)
\t    7fe50b171685 JSC-FTL: executeAndAwait#CUSobe+0x1045 (/tmp/perf-7416.map)
\t    7fe50b171900 JSC-Thunk: CallTrampoline+0x10 (/tmp/perf-7416.map)
\t    7fe50b172000 JSC-DFG: fetch#Bq9MHz+0x93 (/tmp/perf-7416.map)
\t         18562c4 [unknown] (/opt/bun/bin/bun)

bun.exe  7416   327.869937:     333444 cpu-clock: 
\tffffffff82089165 _raw_spin_unlock_irq+0x15 ([kernel.kallsyms])
\t         2e09c4e [unknown] (/opt/bun/bin/bun)

JSC PerfLog  7417   327.870001:     333444 cpu-clock: 
\t    7fe50b172000 JSC-FTL: fetch#Bq9MHz+0x10 (/tmp/perf-7416.map)
`;

describe("profiling the main thread by JavaScript function", () => {
  test("a JIT dump's code loads become perf map lines; other and unfinished records are skipped", () => {
    const d = readJitDump(dump());
    expect(d).toEqual({ pid: 4242, code: [{ addr: 0x7fe50b171000n, size: 0x180n, name: "JSC-FTL: fetch#Bq9MHz" }] });
    expect(perfMap(d.code)).toBe("7fe50b171000 180 JSC-FTL: fetch#Bq9MHz\n");
    expect(() => readJitDump(new Uint8Array(64))).toThrow("not a jitdump");
  });

  test("samples are charged to their innermost and outermost JavaScript (thunks passed over), or to none", () => {
    const samples = parsePerfScript(SCRIPT);
    expect(samples.map((s) => [s.thread, s.tid, s.period, s.frames.length])).toEqual([["bun.exe", 7416, 333444, 6], ["bun.exe", 7416, 333444, 2], ["JSC PerfLog", 7417, 333444, 1]]);
    expect(samples[0]?.frames.map((f) => f.where)).toEqual(["libc", "bun", "jit", "jit", "jit", "bun"]);
    expect(samples.map(innermostJs)).toEqual(["executeAndAwait#CUSobe", undefined, "fetch#Bq9MHz"]);
    expect(samples.map(outermostJs)).toEqual(["fetch#Bq9MHz", undefined, "fetch#Bq9MHz"]); // a function's tiers under one name
    expect(sumBy(samples, innermostJs)).toEqual([["executeAndAwait#CUSobe", 333444], ["(no JavaScript)", 333444], ["fetch#Bq9MHz", 333444]]);
  });
});
