// After `vite build`: a gzipped copy (level 9) of every script and stylesheet in dist/assets, which the
// service sends to browsers that take gzip (src/platform/http/web-app.ts), so the first load a phone
// downloads is the size the budget test counts.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const assets = path.join(path.dirname(fileURLToPath(import.meta.url)), '../dist/assets');
for (const name of readdirSync(assets)) {
  if (!/\.(js|css)$/.test(name)) continue;
  writeFileSync(path.join(assets, `${name}.gz`), gzipSync(readFileSync(path.join(assets, name)), { level: 9 }));
}
