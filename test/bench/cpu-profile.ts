// Where a process's CPU went, from a V8 CPU profile (node --cpu-prof): the functions with the most time of their
// own, and the time spent in each package or source folder counting everything it called. For the reports'
// "where the time goes" sections, made by the benchmark itself.
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

export interface ProfileShare {
  name: string;
  ms: number;
  percent: number;
}

/** A V8 CPU profile, as `node --cpu-prof` writes it or the inspector's Profiler.stop returns it. */
export interface CpuProfile {
  nodes: ProfileNode[];
  samples?: number[];
  timeDeltas?: number[];
}

export interface ProfileSummary {
  /** Milliseconds sampled in the window, idle included. */
  sampledMs: number;
  idlePercent: number;
  /** Self time: the function itself, not what it called. */
  topFunctions: ProfileShare[];
  /** Inclusive time per package (node_modules) or source folder (src/…), each counted once per sample. */
  topAreas: ProfileShare[];
}

/** Summarises a profile file's samples taken between `fromMs` and `toMs` after the profile started (the load's window). */
export function summariseProfileFile(file: string, window: { fromMs: number; toMs: number }, top = 12): ProfileSummary {
  return summariseProfile(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, window, top);
}

/** Summarises a profile's samples in the window (by default all of them). */
export function summariseProfile(profile: CpuProfile, window = { fromMs: 0, toMs: Infinity }, top = 12): ProfileSummary {
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const self = new Map<number, number>();
  let at = 0;
  samples.forEach((id, i) => {
    at += (deltas[i] ?? 0) / 1000;
    // The inspector's own dispatch of Profiler.stop, in a profile taken through the inspector: not the work measured.
    const { functionName, url } = byId.get(id)!.callFrame;
    if (functionName === 'dispatch' && !url) return;
    if (at >= window.fromMs && at <= window.toMs) self.set(id, (self.get(id) ?? 0) + (deltas[i] ?? 0) / 1000);
  });
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const functions = new Map<string, number>();
  const areas = new Map<string, number>();
  for (const [id, ms] of self) {
    add(functions, functionName(byId.get(id)!), ms);
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const area = areaOf(byId.get(cur)!);
      if (area && !seen.has(area)) {
        seen.add(area);
        add(areas, area, ms);
      }
    }
  }
  const share = (m: Map<string, number>) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, ms]) => ({ name, ms: Math.round(ms), percent: Math.round((ms / total) * 1000) / 10 }));
  return {
    sampledMs: Math.round(total),
    idlePercent: Math.round(((functions.get('(idle)') ?? 0) / total) * 1000) / 10,
    topFunctions: share(functions),
    topAreas: share(areas),
  };
}

function add(m: Map<string, number>, key: string, ms: number): void {
  m.set(key, (m.get(key) ?? 0) + ms);
}

function functionName({ callFrame: c }: ProfileNode): string {
  const where = c.url ? ` (${shortUrl(c.url)}:${c.lineNumber + 1})` : '';
  return `${c.functionName || '(anonymous)'}${where}`;
}

/** The package (node_modules) or source folder a frame belongs to; Node's own internals are named by module. */
function areaOf({ callFrame: c }: ProfileNode): string | undefined {
  const pkg = /node_modules\/((@[^/]+\/)?[^/]+)/.exec(c.url);
  if (pkg) return pkg[1];
  const src = /\/(src\/[^/]+(\/[^/]+)?)\//.exec(c.url);
  if (src) return src[1];
  // Node's own modules by name (HTTP parsing, sockets); its shared internals (streams, timers) would count everything.
  if (c.url.startsWith('node:') && !c.url.startsWith('node:internal')) return c.url;
  if (c.functionName === '(garbage collector)') return '(garbage collector)';
  return undefined;
}

function shortUrl(url: string): string {
  return url
    .replace(/^.*node_modules\//, '')
    .replace(/^file:\/\/.*?\/(src|test)\//, '$1/')
    .replace(/^\/.*?\/(src|test)\//, '$1/');
}
