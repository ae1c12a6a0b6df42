import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { Router } from 'express';
import supertest from 'supertest';
import { Metrics, createHttpApp } from '../../src/platform/http';
import { WebApp } from '../../src/platform/http/web-app';
import { createLogger } from '../../src/platform/logger';

/** A web app's assets as the service serves them, from a dist folder of our own: one script with a gzipped copy, one without. */
const SCRIPT = `console.log(${JSON.stringify('拼单'.repeat(500))});`;
let dist: string;
let http: ReturnType<typeof supertest>;
beforeAll(() => {
  dist = mkdtempSync(path.join(tmpdir(), 'web-app-assets-'));
  mkdirSync(path.join(dist, 'assets'));
  writeFileSync(path.join(dist, 'index.html'), '<!doctype html><div id="root"></div>');
  writeFileSync(path.join(dist, 'assets', 'index-abc123.js'), SCRIPT);
  writeFileSync(path.join(dist, 'assets', 'index-abc123.js.gz'), gzipSync(SCRIPT, { level: 9 }));
  writeFileSync(path.join(dist, 'assets', 'plain-def456.js'), 'console.log(1)');
  const app = new WebApp({ distDir: dist, assetNoun: 'test asset', notBuilt: { code: 'not_built', detail: 'build it' } });
  const router = Router();
  router.use('/assets', app.assets());
  http = supertest(
    createHttpApp({
      logger: createLogger('silent'),
      metrics: new Metrics({ processMetrics: false }),
      bodyLimit: '100kb',
      corsOrigins: [],
      trustProxy: false,
      handlers: [router],
    }),
  );
});
afterAll(() => rmSync(dist, { recursive: true, force: true }));

describe("a built web app's assets", () => {
  test('a browser that takes gzip gets the gzipped copy the build wrote, as the same script, cached for a year', async () => {
    const res = await http
      .get('/assets/index-abc123.js')
      .set('Accept-Encoding', 'gzip, deflate, br')
      .buffer(true)
      .parse((r, done) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => done(null, Buffer.concat(chunks)));
      });
    expect(res.status).toBe(200);
    expect(res.headers['content-encoding']).toBe('gzip');
    expect(res.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(res.headers.vary).toMatch(/Accept-Encoding/);
    // supertest has already inflated it: the bytes are the script's, and far fewer of them went over the wire.
    expect((res.body as Buffer).toString('utf8')).toBe(SCRIPT);
    expect(Number(res.headers['content-length'])).toBeLessThan(Buffer.byteLength(SCRIPT) / 5);
  });

  test('a client that does not take gzip gets the plain file; a file without a gzipped copy is sent plain', async () => {
    const plain = await http.get('/assets/index-abc123.js').set('Accept-Encoding', 'identity').expect(200);
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.text).toBe(SCRIPT);
    expect(plain.headers.vary).toMatch(/Accept-Encoding/);
    const other = await http.get('/assets/plain-def456.js').set('Accept-Encoding', 'gzip').expect(200);
    expect(other.headers['content-encoding']).toBeUndefined();
    expect(other.text).toBe('console.log(1)');
  });

  test('the gzipped copies are not addressable around the rules: a missing asset is still a 404 problem, and paths cannot leave assets/', async () => {
    const missing = await http.get('/assets/index-old999.js').set('Accept-Encoding', 'gzip').expect(404);
    expect(missing.body.code).toBe('not_found');
    for (const url of ['/assets/..%2Findex.html', '/assets/%2e%2e/index.html', '/assets/../index.html']) {
      const res = await http.get(url).set('Accept-Encoding', 'gzip');
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(res.text).not.toContain('<div id="root">');
    }
  });
});
