import { describeGrowth, formatNumber, growthSlope, growthVerdict, svgLineChart } from '../bench/growth';

const sizes = [10_000, 100_000, 1_000_000];
const costs = (f: (x: number) => number) => sizes.map((x) => ({ x, y: f(x) }));

/** The benchmarks' growth verdicts: the slope of log(cost) against log(size), in bands (test/bench/growth.ts). */
describe('growthVerdict', () => {
  test('a cost that does not move, or moves within the noise (slope under 0.2), is flat', () => {
    expect(growthVerdict(costs(() => 3))).toBe('flat');
    expect(growthSlope(costs(() => 3))).toBe(0);
    // ×1.5 per 10×: slope log10(1.5) = 0.18.
    expect(growthVerdict(costs((x) => 1.5 ** Math.log10(x)))).toBe('flat');
    expect(growthVerdict(costs((x) => 1e6 / x))).toBe('flat');
  });

  test('log n is flat at these sizes, √n sub-linear; proportional is linear, and n log n still is; n² is worse', () => {
    expect(growthVerdict(costs((x) => Math.log(x)))).toBe('flat');
    expect(growthVerdict(costs((x) => Math.sqrt(x)))).toBe('sub-linear');
    expect(growthSlope(costs((x) => 2 * x))).toBeCloseTo(1, 10);
    expect(growthVerdict(costs((x) => 2 * x))).toBe('linear');
    expect(growthVerdict(costs((x) => x * Math.log(x)))).toBe('linear');
    expect(growthSlope(costs((x) => x * x))).toBeCloseTo(2, 10);
    expect(growthVerdict(costs((x) => x * x))).toBe('worse than linear');
  });

  test('the band edges: slope 0.2 is sub-linear, 0.8 linear, 1.2 linear, just above 1.2 worse', () => {
    const slope = (s: number) => costs((x) => x ** s);
    expect(growthVerdict(slope(0.19))).toBe('flat');
    expect(growthVerdict(slope(0.2))).toBe('sub-linear');
    expect(growthVerdict(slope(0.79))).toBe('sub-linear');
    expect(growthVerdict(slope(0.8))).toBe('linear');
    expect(growthVerdict(slope(1.2))).toBe('linear');
    expect(growthVerdict(slope(1.21))).toBe('worse than linear');
  });

  test('needs two sizes and positive numbers', () => {
    expect(() => growthVerdict([{ x: 10, y: 1 }])).toThrow();
    expect(() =>
      growthVerdict([
        { x: 10, y: 1 },
        { x: 10, y: 2 },
      ]),
    ).toThrow();
    expect(() =>
      growthVerdict([
        { x: 10, y: 0 },
        { x: 100, y: 2 },
      ]),
    ).toThrow();
  });

  test('describeGrowth says the verdict, the slope, the factor over all the sizes and at each step', () => {
    expect(describeGrowth(costs((x) => x / 1000))).toBe('linear (slope 1: ×100 cost for ×100 size; ×10, ×10 per step)');
    expect(describeGrowth(costs(() => 4))).toBe('flat (slope 0: ×1 cost for ×100 size; ×1, ×1 per step)');
    // A fixed cost hides the growth at the small size: the verdict says sub-linear, the steps say where it bends.
    expect(describeGrowth(costs((x) => 400 + x / 300))).toBe('sub-linear (slope 0.47: ×8.6 cost for ×100 size; ×1.7, ×5.1 per step)');
  });
});

describe('svgLineChart', () => {
  const chart = svgLineChart({
    title: 'Live forecast <p95> & size',
    xLabel: 'pledges',
    yLabel: 'ms',
    series: [
      { name: 'tallies', points: costs(() => 4) },
      { name: 'full scan', points: costs((x) => x / 1000) },
    ],
  });

  test('is one SVG document with the title, both axis labels (x on a log scale) and a legend entry per series, escaped', () => {
    expect(chart.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(chart.trimEnd().endsWith('</svg>')).toBe(true);
    expect(chart).toContain('Live forecast &lt;p95&gt; &amp; size');
    expect(chart).toContain('>pledges (log scale)</text>');
    expect(chart).toContain('>ms</text>');
    expect(chart).toContain('>tallies</text>');
    expect(chart).toContain('>full scan</text>');
  });

  test('has every point, a line per series, and the sizes as ticks at even steps', () => {
    expect(chart.match(/<circle /g)).toHaveLength(6);
    expect(chart.match(/<polyline /g)).toHaveLength(2);
    for (const label of ['10k', '100k', '1M', 'full scan: 1M → 1k']) expect(chart).toContain(label);
    const xOf = (label: string) => Number(new RegExp(`<text x="([\\d.]+)" y="[\\d.]+" text-anchor="middle">${label}</text>`).exec(chart)![1]);
    expect(xOf('100k') - xOf('10k')).toBeCloseTo(xOf('1M') - xOf('100k'), 5);
  });

  test('on a log y axis too, a line that grows 10× per step rises evenly', () => {
    const log = svgLineChart({ title: 't', xLabel: 'x', yLabel: 'y', logY: true, series: [{ name: 's', points: costs((x) => x / 100) }] });
    const ys = [...log.matchAll(/<circle cx="[\d.]+" cy="([\d.]+)"/g)].map((m) => Number(m[1]));
    expect(ys).toHaveLength(3);
    expect(ys[0] - ys[1]).toBeCloseTo(ys[1] - ys[2], 5);
  });
});

describe('formatNumber', () => {
  test('round thousands and millions are short; from 100 up whole numbers, below two decimals', () => {
    expect(formatNumber(1_000_000)).toBe('1M');
    expect(formatNumber(10_000_000)).toBe('10M');
    expect(formatNumber(100_000)).toBe('100k');
    expect(formatNumber(1234.5)).toBe('1,235');
    expect(formatNumber(2.345)).toBe('2.35');
    expect(formatNumber(0)).toBe('0');
  });
});
