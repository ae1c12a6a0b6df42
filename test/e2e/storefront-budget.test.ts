import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

/**
 * The campaign page is opened from a chat on a phone: its first load of JavaScript must stay within
 * 100 kB gzipped (issue #15). Measured from the build `npm ci` makes (storefront/dist): the entry script
 * of index.html and every chunk it imports statically, transitively — what the browser must fetch before
 * the page can run. Lazily loaded pages (import()) are not counted: they load when opened.
 */
const DIST = path.join(__dirname, '../../storefront/dist');
const BUDGET_BYTES = 100 * 1024;

function staticImports(file: string): string[] {
  const code = readFileSync(path.join(DIST, file), 'utf8');
  const found = new Set<string>();
  // `import … from "./x.js"` and bare `import "./x.js"`; never `import("./x.js")`, which is lazy.
  for (const m of code.matchAll(/\bimport\s*(?:[\w$*{}\s,]+?\s*from\s*)?["']([^"']+\.js)["']/g)) {
    found.add(path.posix.join(path.posix.dirname(file), m[1]));
  }
  return [...found];
}

function firstLoad(): { files: string[]; gzipBytes: number } {
  const html = readFileSync(path.join(DIST, 'index.html'), 'utf8');
  const entries = [...html.matchAll(/<script[^>]+type="module"[^>]+src="\/([^"]+)"/g)].map((m) => m[1]);
  expect(entries).toHaveLength(1);
  const seen = new Set<string>();
  const queue = [...entries];
  while (queue.length) {
    const file = queue.shift()!;
    if (seen.has(file)) continue;
    seen.add(file);
    queue.push(...staticImports(file));
  }
  const files = [...seen];
  return { files, gzipBytes: files.reduce((sum, f) => sum + gzipSync(readFileSync(path.join(DIST, f)), { level: 9 }).length, 0) };
}

describe('the storefront build', () => {
  beforeAll(() => {
    if (!existsSync(path.join(DIST, 'index.html'))) throw new Error('the storefront is not built: npm ci at the root, or npm run build:storefront');
  });

  test('keeps the server placeholders for the head and the first-paint data', () => {
    const html = readFileSync(path.join(DIST, 'index.html'), 'utf8');
    expect(html).toContain('<!--app-head-->');
    expect(html).toContain('<!--app-data-->');
  });

  test('the first load of the campaign page is at most 100 kB of gzipped JavaScript', () => {
    const { files, gzipBytes } = firstLoad();
    // React is in it (the vendor chunk) and the lazily loaded pages are not.
    expect(files.some((f) => /vendor-/.test(f))).toBe(true);
    expect(files.some((f) => /(Pay|Subscription|Me)-/.test(f))).toBe(false);
    process.stdout.write(`storefront first load: ${files.join(', ')} = ${(gzipBytes / 1024).toFixed(1)} kB gzipped (budget 100 kB)\n`);
    expect(gzipBytes).toBeLessThanOrEqual(BUDGET_BYTES);
  });
});
