/**
 * The evaluation's plots, drawn with svg.ts from the sections' results: file name -> SVG text.
 */
import { ISOLATIONS, MODES } from "./floors.ts";
import type { ModesSection } from "./modes.ts";
import type { RecoverySection } from "./recovery.ts";
import type { ScalingKind, ScalingSection } from "./scaling.ts";
import { barChart, lineChart, type LineSeries } from "./svg.ts";
import type { UnevenSection } from "./uneven.ts";

export interface PlotInput {
  readonly modes?: ModesSection;
  readonly scaling?: ScalingSection;
  readonly uneven?: UnevenSection;
  readonly recovery?: RecoverySection;
}

const SCALING_NAMES: Record<ScalingKind, string> = { cpuWeak: "CPU-bound, weak", cpuStrong: "CPU-bound, strong", sleepWeak: "sleeping, weak", sleepStrong: "sleeping, strong" };

/**
 * Every plot the given results allow, by file name.
 *
 * @example
 * for (const [name, svg] of Object.entries(plots({ scaling }))) await Bun.write(`out/${name}`, svg);
 */
export function plots(r: PlotInput): Record<string, string> {
  const out: Record<string, string> = {};
  const m = r.modes;
  if (m !== undefined && m.results.length > 0) {
    const modes = MODES.filter((mode) => m.results.some((x) => x.mode === mode));
    const isolations = ISOLATIONS.filter((iso) => m.results.some((x) => x.isolation === iso));
    out["throughput.svg"] = barChart({
      title: `No-op throughput, ${m.sizes.tasks.toLocaleString("en-US")} tasks per round (median of ${m.sizes.rounds})`,
      yLabel: "tasks/s",
      seriesNames: isolations.map((i) => `${i} isolation`),
      groups: modes.map((mode) => ({ label: mode, values: isolations.map((iso) => m.results.find((x) => x.mode === mode && x.isolation === iso)?.throughput ?? Number.NaN) })),
      ...(m.bullmq !== undefined && { reference: { y: m.bullmq.throughput, label: `BullMQ ${Math.round(m.bullmq.throughput).toLocaleString("en-US")} jobs/s` } }),
    });
    for (const iso of isolations) {
      const series: LineSeries[] = modes.flatMap((mode) => {
        const x = m.results.find((y) => y.mode === mode && y.isolation === iso);
        return x === undefined ? [] : [{ name: mode, points: x.cdf.map((p) => ({ x: p.value, y: p.fraction })) }];
      });
      if (m.bullmq !== undefined) series.push({ name: "BullMQ", dashed: true, points: m.bullmq.cdf.map((p) => ({ x: p.value, y: p.fraction })) });
      out[`latency-cdf-${iso}.svg`] = lineChart({
        title: `One task at a time, submit to result: latency CDF (${iso} isolation)`,
        xLabel: "latency (ms, log scale)",
        yLabel: "fraction of tasks",
        xLog: true,
        yMin: 0,
        yMax: 1,
        legend: "bottom-right",
        series,
      });
    }
  }
  const s = r.scaling;
  if (s !== undefined) {
    const kinds = Object.keys(SCALING_NAMES) as ScalingKind[];
    const series: LineSeries[] = kinds.map((k) => ({ name: SCALING_NAMES[k], dots: true, points: s.series[k].map((p) => ({ x: p.executors, y: p.efficiency })) }));
    series.push({ name: `bound: min(1, ${s.cores} cores / N)`, dashed: true, points: s.series.cpuWeak.map((p) => ({ x: p.executors, y: p.bound })) });
    const top = Math.max(1.1, ...kinds.flatMap((k) => s.series[k].map((p) => p.efficiency + 0.05)));
    out["scaling.svg"] = lineChart({
      title: `Scaling efficiency vs 1 executor (embedded, thread isolation, ${s.cores} cores)`,
      xLabel: "executors (--workers N)",
      yLabel: "efficiency",
      xLog: true,
      xMin: 1,
      xMax: 8,
      xTicks: [1, 2, 4, 8],
      yMin: 0,
      yMax: top,
      legend: "bottom-left",
      series,
    });
  }
  const u = r.uneven;
  if (u !== undefined && u.runs.length > 0) {
    const workers = u.runs[0]?.workers.map((w) => w.worker) ?? [];
    out["uneven.svg"] = barChart({
      title: `Push vs pull: ${u.tasks} sleeping tasks, ${Math.round(u.longShare * 100)}% of ${u.longMs} ms, the rest ${u.shortMs} ms`,
      yLabel: "seconds after the first submit",
      seriesNames: [...workers.map((w) => `${w}: last task done`), "all done"],
      groups: u.runs.map((run) => ({ label: run.mode, values: [...workers.map((w) => (run.workers.find((x) => x.worker === w)?.lastMs ?? Number.NaN) / 1000), run.ms / 1000] })),
      reference: { y: u.lowerBoundMs / 1000, label: "lower bound (total sleep / running slots)" },
    });
  }
  const rec = r.recovery;
  if (rec !== undefined && rec.runs.length > 0) {
    const series: LineSeries[] = rec.runs.flatMap((run) => [
      { name: `${run.mode}, undisturbed`, dashed: true, points: run.baselineTimeline.map(([t, d]) => ({ x: t / 1000, y: d })) },
      { name: `${run.mode}, worker 1 killed`, points: run.timeline.map(([t, d]) => ({ x: t / 1000, y: d })) },
    ]);
    out["recovery.svg"] = lineChart({
      title: `Tasks done over time, ${rec.runs[0]?.tasks} tasks of ${rec.sleepMs} ms, a worker killed (SIGKILL)`,
      xLabel: "seconds after the first submit",
      yLabel: "tasks done",
      xMin: 0,
      yMin: 0,
      legend: "bottom-right",
      series,
      markers: rec.runs.map((run) => ({ x: run.killAtMs / 1000, label: `kill (${run.mode})` })),
    });
  }
  return out;
}
