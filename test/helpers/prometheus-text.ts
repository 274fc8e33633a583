/**
 * A small, strict parser of Prometheus text exposition format 0.0.4 for tests: it throws on any line it
 * does not understand, on a sample before its family's HELP and TYPE, on a family seen twice, and on
 * samples whose name does not belong to the current family. `value(name, labels)` reads one sample.
 *
 * @example
 * const m = parsePrometheus(await (await fetch(`${url}/metrics`)).text());
 * m.value("faas_tasks_finished_total", { status: "COMPLETED" }) // 3
 */
export interface ParsedFamily {
  readonly name: string;
  readonly help: string;
  readonly type: string;
  readonly samples: { name: string; labels: Record<string, string>; value: number }[];
}

export interface ParsedMetrics {
  readonly families: Map<string, ParsedFamily>;
  /** The sample with exactly these labels; throws when missing. */
  value(name: string, labels?: Record<string, string>): number;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const SUFFIXES: Record<string, string[]> = { counter: [""], gauge: [""], histogram: ["_bucket", "_sum", "_count"], untyped: [""] };

export function parsePrometheus(text: string): ParsedMetrics {
  if (text.length > 0 && !text.endsWith("\n")) throw new Error("exposition text must end with a line feed");
  const families = new Map<string, ParsedFamily>();
  const helps = new Map<string, string>();
  let current: ParsedFamily | undefined;
  for (const line of text.split("\n")) {
    if (line === "") continue;
    if (line.startsWith("# HELP ")) {
      const [, name, help] = /^# HELP (\S+) (.*)$/.exec(line) ?? [];
      if (name === undefined || !NAME.test(name)) throw new Error(`bad HELP line: ${line}`);
      if (helps.has(name) || families.has(name)) throw new Error(`family ${name} described twice`);
      helps.set(name, unescape(help ?? "", false));
      continue;
    }
    if (line.startsWith("# TYPE ")) {
      const [, name, type] = /^# TYPE (\S+) (counter|gauge|histogram|summary|untyped)$/.exec(line) ?? [];
      if (name === undefined || type === undefined) throw new Error(`bad TYPE line: ${line}`);
      if (families.has(name)) throw new Error(`family ${name} typed twice`);
      if (!helps.has(name)) throw new Error(`TYPE before HELP for ${name}`);
      current = { name, help: helps.get(name) as string, type, samples: [] };
      families.set(name, current);
      continue;
    }
    if (line.startsWith("#")) continue; // a comment
    const sample = parseSample(line);
    if (current === undefined) throw new Error(`sample before any TYPE line: ${line}`);
    const suffix = sample.name.slice(current.name.length);
    if (!sample.name.startsWith(current.name) || !(SUFFIXES[current.type] ?? []).includes(suffix)) {
      throw new Error(`sample ${sample.name} does not belong to family ${current.name} (${current.type})`);
    }
    current.samples.push(sample);
  }
  return {
    families,
    value(name, labels = {}) {
      const want = JSON.stringify(Object.entries(labels).sort());
      for (const f of families.values()) {
        for (const s of f.samples) if (s.name === name && JSON.stringify(Object.entries(s.labels).sort()) === want) return s.value;
      }
      throw new Error(`no sample ${name} ${want}`);
    },
  };
}

function parseSample(line: string): { name: string; labels: Record<string, string>; value: number } {
  const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)( -?\d+)?$/.exec(line);
  if (m === null) throw new Error(`bad sample line: ${line}`);
  const labels: Record<string, string> = {};
  let rest = (m[2] ?? "{}").slice(1, -1);
  while (rest.length > 0) {
    const lm = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)/.exec(rest);
    if (lm === null) throw new Error(`bad labels in: ${line}`);
    const key = lm[1] as string;
    if (key in labels) throw new Error(`label ${key} twice in: ${line}`);
    labels[key] = unescape(lm[2] as string, true);
    rest = rest.slice(lm[0].length);
  }
  return { name: m[1] as string, labels, value: parseValue(m[3] as string, line) };
}

function parseValue(s: string, line: string): number {
  if (s === "+Inf") return Number.POSITIVE_INFINITY;
  if (s === "-Inf") return Number.NEGATIVE_INFINITY;
  if (s === "NaN") return Number.NaN;
  if (!/^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s)) throw new Error(`bad value "${s}" in: ${line}`);
  return Number(s);
}

function unescape(s: string, quotes: boolean): string {
  return s.replace(/\\(.)/g, (all, c: string) => {
    if (c === "\\") return "\\";
    if (c === "n") return "\n";
    if (c === '"' && quotes) return '"';
    throw new Error(`bad escape ${all}`);
  });
}

/**
 * Checks a histogram family: buckets cumulative (never decreasing), `le` bounds increasing and ending
 * in +Inf, and the +Inf bucket equal to `_count`. Returns the cumulative counts by bound.
 */
export function checkHistogram(m: ParsedMetrics, name: string): { bounds: number[]; cumulative: number[]; sum: number; count: number } {
  const f = m.families.get(name);
  if (f === undefined || f.type !== "histogram") throw new Error(`${name} is not a histogram`);
  const buckets = f.samples.filter((s) => s.name === `${name}_bucket`);
  const bounds = buckets.map((s) => (s.labels.le === "+Inf" ? Number.POSITIVE_INFINITY : Number(s.labels.le)));
  const cumulative = buckets.map((s) => s.value);
  for (let i = 1; i < buckets.length; i++) {
    if (!((bounds[i] as number) > (bounds[i - 1] as number))) throw new Error(`${name}: le bounds not increasing at ${i}`);
    if ((cumulative[i] as number) < (cumulative[i - 1] as number)) throw new Error(`${name}: buckets not cumulative at le=${bounds[i]}`);
  }
  if (bounds.at(-1) !== Number.POSITIVE_INFINITY) throw new Error(`${name}: last bucket is not le="+Inf"`);
  const count = m.value(`${name}_count`);
  if (cumulative.at(-1) !== count) throw new Error(`${name}: +Inf bucket ${cumulative.at(-1)} differs from _count ${count}`);
  return { bounds, cumulative, sum: m.value(`${name}_sum`), count };
}
