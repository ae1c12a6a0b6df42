// How a benchmark's cost grows with the data: a line chart (SVG, log-scale sizes) written next to its
// report in docs/benchmarks/, and a verdict (flat, sub-linear, linear, worse) for the report's sentence.
import { writeFileSync } from 'node:fs';
import path from 'node:path';

export interface Point {
  x: number;
  y: number;
}

export interface ChartSeries {
  name: string;
  points: Point[];
}

export interface LineChart {
  title: string;
  xLabel: string;
  yLabel: string;
  series: ChartSeries[];
  /** Sizes 10× apart sit evenly on a log scale; true by default. */
  logX?: boolean;
  /** For series orders of magnitude apart (a tally and a full scan); false by default. */
  logY?: boolean;
}

export type GrowthVerdict = 'flat' | 'sub-linear' | 'linear' | 'worse than linear';

/**
 * The slope of log(cost) against log(size), least squares: 0 when the cost does not move with the size,
 * 1 when it is proportional, 2 when quadratic. Needs two or more points, all positive.
 */
export function growthSlope(points: readonly Point[]): number {
  if (points.length < 2 || points.some((p) => !(p.x > 0 && p.y > 0))) throw new Error('growth needs two or more points with positive size and cost');
  const xs = points.map((p) => Math.log(p.x));
  const ys = points.map((p) => Math.log(p.y));
  const mx = mean(xs);
  const my = mean(ys);
  const sxx = xs.reduce((s, x) => s + (x - mx) ** 2, 0);
  if (sxx === 0) throw new Error('growth needs two or more different sizes');
  return xs.reduce((s, x, i) => s + (x - mx) * (ys[i] - my), 0) / sxx;
}

/**
 * The verdict from the slope. Sizes are 10× apart and the machine is shared, so the bands are wide:
 * below 0.2 (under ×1.6 per 10× the size, within the noise; a B-tree's log n is 0.1 here) is flat, below 0.8
 * sub-linear (√n, or a fixed cost that still dominates the small size), up to 1.2 linear (×6.3 to ×16 per 10×;
 * n log n is 1.1 here), above that worse.
 */
export function growthVerdict(points: readonly Point[]): GrowthVerdict {
  const slope = growthSlope(points);
  if (slope < 0.2) return 'flat';
  if (slope < 0.8) return 'sub-linear';
  if (slope <= 1.2) return 'linear';
  return 'worse than linear';
}

/** "linear (slope 0.97: ×95 cost for ×100 size; ×9.1, ×10 per step)", for a report's sentence. */
export function describeGrowth(points: readonly Point[]): string {
  const sorted = [...points].sort((a, b) => a.x - b.x);
  const [first, last] = [sorted[0], sorted.at(-1)!];
  const times = (v: number) => `×${v >= 10 ? Math.round(v) : Math.round(v * 10) / 10}`;
  // The steps show where a curve bends: a fixed cost that hides the growth at the small size, or a cache outgrown at the large one.
  const steps = sorted.slice(1).map((p, i) => times(p.y / sorted[i].y));
  return `${growthVerdict(points)} (slope ${Math.round(growthSlope(points) * 100) / 100}: ${times(last.y / first.y)} cost for ${times(last.x / first.x)} size; ${steps.join(', ')} per step)`;
}

const WIDTH = 760;
const PLOT = { left: 80, right: 700, top: 50, bottom: 350 };
const LEGEND_LINE = 18;
const COLOURS = ['#c8102e', '#1f5fa8', '#2e8540', '#b36b00', '#6b3fa0', '#555555'];
const FONT = `system-ui, -apple-system, 'Segoe UI', 'PingFang SC', 'Noto Sans CJK SC', 'Microsoft YaHei', sans-serif`;

/** A small hand-written SVG line chart: axes with ticks, one line per series with its points labelled, a legend below. */
export function svgLineChart(chart: LineChart): string {
  const height = PLOT.bottom + 70 + chart.series.length * LEGEND_LINE;
  const points = chart.series.flatMap((s) => s.points);
  if (points.length === 0) throw new Error('a chart needs points');
  const logX = chart.logX ?? true;
  const logY = chart.logY ?? false;
  const x = axis(
    points.map((p) => p.x),
    logX,
    PLOT.left,
    PLOT.right,
  );
  const y = axis(
    points.map((p) => p.y),
    logY,
    PLOT.bottom,
    PLOT.top,
  );
  const text = (tx: number, ty: number, body: string, attrs = '') => `<text x="${r(tx)}" y="${r(ty)}"${attrs ? ` ${attrs}` : ''}>${escapeXml(body)}</text>`;
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="${FONT}" font-size="12">`,
    `<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    text(WIDTH / 2, 28, chart.title, 'text-anchor="middle" font-size="16" font-weight="bold"'),
    // Grid and ticks.
    ...x.ticks.map(
      (t) =>
        `<line x1="${r(x.at(t))}" y1="${PLOT.top}" x2="${r(x.at(t))}" y2="${PLOT.bottom}" stroke="#e5e5e5"/>` +
        text(x.at(t), PLOT.bottom + 18, formatNumber(t), 'text-anchor="middle"'),
    ),
    ...y.ticks.map(
      (t) =>
        `<line x1="${PLOT.left}" y1="${r(y.at(t))}" x2="${PLOT.right}" y2="${r(y.at(t))}" stroke="#e5e5e5"/>` +
        text(PLOT.left - 8, y.at(t) + 4, formatNumber(t), 'text-anchor="end"'),
    ),
    `<path d="M${PLOT.left},${PLOT.top} V${PLOT.bottom} H${PLOT.right}" fill="none" stroke="#333333"/>`,
    text((PLOT.left + PLOT.right) / 2, PLOT.bottom + 42, `${chart.xLabel}${logX ? ' (log scale)' : ''}`, 'text-anchor="middle"'),
    text(
      18,
      (PLOT.top + PLOT.bottom) / 2,
      `${chart.yLabel}${logY ? ' (log scale)' : ''}`,
      `text-anchor="middle" transform="rotate(-90 18 ${(PLOT.top + PLOT.bottom) / 2})"`,
    ),
    // The lines, their points (with their values) and the legend.
    ...chart.series.flatMap((s, i) => {
      const colour = COLOURS[i % COLOURS.length];
      const sorted = [...s.points].sort((a, b) => a.x - b.x);
      const legendY = PLOT.bottom + 66 + i * LEGEND_LINE;
      return [
        `<polyline points="${sorted.map((p) => `${r(x.at(p.x))},${r(y.at(p.y))}`).join(' ')}" fill="none" stroke="${colour}" stroke-width="2"/>`,
        ...sorted.map(
          (p) =>
            `<circle cx="${r(x.at(p.x))}" cy="${r(y.at(p.y))}" r="4" fill="${colour}"><title>${escapeXml(`${s.name}: ${formatNumber(p.x)} → ${formatNumber(p.y)}`)}</title></circle>` +
            text(x.at(p.x) + 6, y.at(p.y) - 8, formatNumber(p.y), `fill="${colour}" font-size="11"`),
        ),
        `<line x1="${PLOT.left}" y1="${legendY}" x2="${PLOT.left + 24}" y2="${legendY}" stroke="${colour}" stroke-width="2"/>`,
        text(PLOT.left + 30, legendY + 4, s.name),
      ];
    }),
    '</svg>',
  ];
  return `${out.join('\n')}\n`;
}

/** Writes the chart as docs/benchmarks/<name>-growth.svg; returns the file's name, for the report's link. */
export function writeGrowthChart(name: string, chart: LineChart, dir = path.join(__dirname, '../../docs/benchmarks')): string {
  const file = `${name}-growth.svg`;
  writeFileSync(path.join(dir, file), svgLineChart(chart));
  return file;
}

interface Axis {
  ticks: number[];
  at(value: number): number;
}

/** A linear axis from 0 (or a log axis over whole powers of ten) covering the values, mapped onto [from, to] pixels. */
function axis(values: number[], log: boolean, from: number, to: number): Axis {
  const min = Math.min(...values);
  const max = Math.max(...values);
  if (log) {
    const lo = Math.floor(Math.log10(min));
    const hi = Math.max(lo + 1, Math.ceil(Math.log10(max)));
    const ticks = Array.from({ length: hi - lo + 1 }, (_, i) => 10 ** (lo + i));
    return { ticks, at: (v) => from + ((Math.log10(v) - lo) / (hi - lo)) * (to - from) };
  }
  // 1, 2 or 5 times a power of ten per step, about five steps from 0 to above the largest value.
  const rough = (max > 0 ? max : 1) / 5;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= rough)!;
  const top = Math.ceil((max > 0 ? max : 1) / step) * step;
  const ticks = Array.from({ length: Math.round(top / step) + 1 }, (_, i) => i * step);
  return { ticks, at: (v) => from + (v / top) * (to - from) };
}

/** 1,000,000 → "1M", 100000 → "100k", 1234.5 → "1,235", 2.345 → "2.35". */
export function formatNumber(v: number): string {
  for (const [unit, size] of [
    ['M', 1e6],
    ['k', 1e3],
  ] as const)
    if (Math.abs(v) >= size && v % size === 0) return `${(v / size).toLocaleString('en')}${unit}`;
  return (Math.abs(v) >= 100 ? Math.round(v) : Math.round(v * 100) / 100).toLocaleString('en');
}

function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}

const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
const r = (v: number) => Math.round(v * 10) / 10;
