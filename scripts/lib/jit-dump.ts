/**
 * JavaScriptCore's JIT dump (`BUN_JSC_useJITDump=1`, `BUN_JSC_jitDumpDirectory=<dir>`): the code it
 * compiled, with names, in the jitdump format perf reads. perf attaches to a running server after the
 * dump was opened, so `perf inject --jit` finds nothing; a perf map (/tmp/perf-<pid>.map) written
 * from the dump names the JIT frames instead.
 *
 * @example
 * const dump = readJitDump(readFileSync("jit-123-122.dump"));
 * writeFileSync(`/tmp/perf-${dump.pid}.map`, perfMap(dump.code));
 */

export interface JitCode {
  readonly addr: bigint;
  readonly size: bigint;
  /** JSC's name: "JSC-FTL: fetch#Bq9MHz" (tier, function, code-block hash). */
  readonly name: string;
}

const MAGIC = 0x4a695444; // "JiTD"
const CODE_LOAD = 0;

/** The process a dump is of and its code-load records, in order; other records are skipped. */
export function readJitDump(bytes: Uint8Array): { readonly pid: number; readonly code: JitCode[] } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.byteLength < 40 || view.getUint32(0, true) !== MAGIC) throw new Error("not a jitdump file (no JiTD magic)");
  const out: JitCode[] = [];
  const utf8 = new TextDecoder();
  for (let at = view.getUint32(8, true); at + 16 <= bytes.byteLength; ) {
    const id = view.getUint32(at, true);
    const size = view.getUint32(at + 4, true);
    if (size < 16 || at + size > bytes.byteLength) break; // a record still being written
    if (id === CODE_LOAD) {
      const nameAt = at + 56;
      const end = bytes.indexOf(0, nameAt);
      out.push({ addr: view.getBigUint64(at + 32, true), size: view.getBigUint64(at + 40, true), name: utf8.decode(bytes.subarray(nameAt, end < 0 ? nameAt : end)) });
    }
    at += size;
  }
  return { pid: view.getUint32(20, true), code: out };
}

/** The perf map text of `entries`: "start size name" per line, in hex. */
export function perfMap(entries: readonly JitCode[]): string {
  return entries.map((e) => `${e.addr.toString(16)} ${e.size.toString(16)} ${e.name}\n`).join("");
}
