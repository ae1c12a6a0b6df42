import { summariseProfile } from '../bench/cpu-profile';

/** root → handler (src/pledges/x.ts) → query (node_modules/mysql2/…), and the idle node. */
const profile = {
  nodes: [
    { id: 1, callFrame: { functionName: '(root)', url: '', lineNumber: -1 }, children: [2, 4, 5] },
    { id: 2, callFrame: { functionName: 'handle', url: 'file:///app/src/pledges/x.ts', lineNumber: 9 }, children: [3] },
    { id: 3, callFrame: { functionName: 'query', url: 'file:///app/node_modules/mysql2/lib/c.js', lineNumber: 0 } },
    { id: 4, callFrame: { functionName: '(idle)', url: '', lineNumber: -1 } },
    { id: 5, callFrame: { functionName: 'dispatch', url: '', lineNumber: -1 } },
  ],
  // 1 ms each: handle 2, query 3, idle 5, the inspector's dispatch 4 (not counted).
  samples: [2, 2, 3, 3, 3, 4, 4, 4, 4, 4, 5, 5, 5, 5],
  timeDeltas: Array.from({ length: 14 }, () => 1000),
};

describe('CPU profile summary (the benchmarks\' "where the time goes")', () => {
  test("self time per function and inclusive time per package or source folder, the inspector's own dispatch left out", () => {
    const summary = summariseProfile(profile);
    expect(summary.sampledMs).toBe(10);
    expect(summary.idlePercent).toBe(50);
    expect(summary.topFunctions).toEqual([
      { name: '(idle)', ms: 5, percent: 50 },
      { name: 'query (mysql2/lib/c.js:1)', ms: 3, percent: 30 },
      { name: 'handle (src/pledges/x.ts:10)', ms: 2, percent: 20 },
    ]);
    expect(summary.topAreas).toEqual([
      { name: 'src/pledges', ms: 5, percent: 50 },
      { name: 'mysql2', ms: 3, percent: 30 },
    ]);
  });

  test('only the samples inside the window count', () => {
    expect(summariseProfile(profile, { fromMs: 0.5, toMs: 5.5 }).topFunctions).toEqual([
      { name: 'query (mysql2/lib/c.js:1)', ms: 3, percent: 60 },
      { name: 'handle (src/pledges/x.ts:10)', ms: 2, percent: 40 },
    ]);
  });
});
