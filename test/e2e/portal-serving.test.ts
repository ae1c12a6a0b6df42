import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import supertest from 'supertest';
import { Metrics, createHttpApp } from '../../src/platform/http';
import { portalRouter } from '../../src/platform/http/portal';
import { createLogger } from '../../src/platform/logger';

/** How the API serves the factory portal's built files: the same HTTP stack as the service, a dist folder of our own. */
function serving(distDir: string) {
  return supertest(
    createHttpApp({
      logger: createLogger('silent'),
      metrics: new Metrics({ processMetrics: false }),
      bodyLimit: '100kb',
      corsOrigins: [],
      trustProxy: false,
      handlers: [portalRouter(distDir)],
    }),
  );
}

let dist: string;
beforeAll(() => {
  dist = mkdtempSync(path.join(tmpdir(), 'portal-dist-'));
  mkdirSync(path.join(dist, 'assets'));
  writeFileSync(path.join(dist, 'index.html'), '<!doctype html><title>portal</title><div id="root"></div>');
  writeFileSync(path.join(dist, 'assets', 'index-abc123.js'), 'console.log("portal")');
});
afterAll(() => rmSync(dist, { recursive: true, force: true }));

describe('the factory portal at /portal', () => {
  test('every screen path answers the app, asked again on each visit so a release is picked up at once', async () => {
    for (const url of ['/portal/', '/portal/batches', '/portal/batches/0b6d7a3e-6f37-4d43-9d55-0d0b58d9a1b2', '/portal/sign-in']) {
      const res = await serving(dist).get(url).expect(200);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.headers['cache-control']).toBe('no-cache');
      expect(res.text).toContain('<div id="root">');
    }
    await serving(dist).get('/portal').expect(301).expect('Location', '/portal/');
  });

  test('/console, the address operators are given, leads to the console in the portal app, screen for screen', async () => {
    await serving(dist).get('/console').expect(302).expect('Location', '/portal/console/');
    await serving(dist).get('/console/').expect(302).expect('Location', '/portal/console/');
    await serving(dist).get('/console/audit').expect(302).expect('Location', '/portal/console/audit');
    const screen = await serving(dist).get('/portal/console/audit').expect(200);
    expect(screen.text).toContain('<div id="root">');
  });

  test('hashed assets are cached for a year; a missing one is a 404, never the app served as a script', async () => {
    const asset = await serving(dist).get('/portal/assets/index-abc123.js').expect(200);
    expect(asset.headers['content-type']).toMatch(/javascript/);
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const missing = await serving(dist).get('/portal/assets/index-old999.js').expect(404);
    expect(missing.headers['content-type']).toMatch(/^application\/problem\+json/);
  });

  test('its scripts and API calls stay same-origin, and plain HTTP (a LAN address) is not upgraded to https', async () => {
    const csp = (await serving(dist).get('/portal/').expect(200)).headers['content-security-policy'];
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('upgrade-insecure-requests');
  });

  test('before the app is built, /portal says how to build it: a 404 problem, not a server error', async () => {
    const res = await serving(path.join(dist, 'not-built')).get('/portal/').expect(404);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ status: 404, code: 'portal_not_built' });
    expect(res.body.detail).toContain('npm --prefix factory-portal run build');
  });

  test('outside /portal nothing changes: other paths are not the portal', async () => {
    const res = await serving(dist).get('/portalx').expect(404);
    expect(res.body.code).toBe('route_not_found');
  });
});
