import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FreshCache } from '../../src/platform/fresh-cache';
import { startTestApp, type TestApp } from '../support/app';
import { aConsumer, aFactory, anOperator, type Caller } from '../support/builders';
import { anOpenCampaign, paidPledge } from '../support/campaigns';
import { TestClock } from '../support/clock';

/** The service as deployed: public campaign reads through a cache of at most one second. */
let t: TestApp;
let operator: Caller;
let factoryId: string;
let server: Server;
let base: string;
const clock = new TestClock();
beforeAll(async () => {
  t = await startTestApp({ clock, env: { CAMPAIGN_CACHE_MS: '1000' } });
  operator = await anOperator(t);
  factoryId = (await aFactory(t, operator)).id;
  server = t.app.http.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.close();
  await t.close();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('public campaign reads: validators and short caching', () => {
  test('GET /v1/campaigns/:id carries an ETag and a one-second public Cache-Control; If-None-Match answers 304 with no body', async () => {
    const c = await anOpenCampaign(t, operator, factoryId, clock);
    const first = await t.http.get(`/v1/campaigns/${c.id}`).expect(200);
    expect(first.headers['cache-control']).toBe('public, max-age=1');
    expect(first.headers.vary).toMatch(/Authorization/);
    expect(first.headers.etag).toMatch(/^W\/"[A-Za-z0-9_-]+"$/);
    const again = await t.http.get(`/v1/campaigns/${c.id}`).set('If-None-Match', first.headers.etag).expect(304);
    expect(again.text).toBe('');
    // Another validator (an older version) gets the whole answer.
    await t.http.get(`/v1/campaigns/${c.id}`).set('If-None-Match', 'W/"older"').expect(200);
  });

  test('the countdown alone does not change the ETag: a live campaign revalidates to 304 while nothing else changed', async () => {
    const c = await anOpenCampaign(t, operator, factoryId, clock);
    const first = await t.http.get(`/v1/campaigns/${c.id}`).expect(200);
    await sleep(2100);
    const later = await t.http.get(`/v1/campaigns/${c.id}`).expect(200);
    expect(later.body.progress.secondsLeft).toBeLessThan(first.body.progress.secondsLeft);
    expect(later.headers.etag).toBe(first.headers.etag);
    await t.http.get(`/v1/campaigns/${c.id}`).set('If-None-Match', first.headers.etag).expect(304);
  });

  test('a pledge shows within the bound: any read that starts a second after it was paid sees it, and the ETag moves on', async () => {
    const c = await anOpenCampaign(t, operator, factoryId, clock);
    const before = await t.http.get(`/v1/campaigns/${c.id}`).expect(200);
    expect(before.body.progress.paidUnits).toBe(0);
    await paidPledge(t, await aConsumer(t), c.id, { colour: 'black', size: 'M' }, 2);
    const paidAt = performance.now();
    await sleep(1000 - (performance.now() - paidAt) + 5);
    const after = await t.http.get(`/v1/campaigns/${c.id}`).expect(200);
    expect(after.body.progress).toMatchObject({ paidUnits: 2, pledgers: 1 });
    expect(after.headers.etag).not.toBe(before.headers.etag);
    await t.http.get(`/v1/campaigns/${c.id}`).set('If-None-Match', before.headers.etag).expect(200);
  });

  test('many readers of one hot campaign at the same moment cost one database read', async () => {
    const c = await anOpenCampaign(t, operator, factoryId, clock);
    await sleep(1001);
    const loadsBefore = t.app.services.campaignReads.loads;
    const started = performance.now();
    const answers = await Promise.all(
      Array.from({ length: 200 }, () =>
        fetch(`${base}/v1/campaigns/${c.id}`).then(async (r) => ({ status: r.status, body: (await r.json()) as { id: string } })),
      ),
    );
    const elapsedMs = performance.now() - started;
    expect(answers.every((a) => a.status === 200 && a.body.id === c.id)).toBe(true);
    // Real concurrency over real HTTP, 200 requests in flight together: one read for each second they
    // took to be answered (on a loaded machine they may straddle a second or two), never one per request.
    expect(t.app.services.campaignReads.loads - loadsBefore).toBeLessThanOrEqual(1 + Math.floor(elapsedMs / 1000));
  });

  test('the public list is validated and cached the same way', async () => {
    const first = await t.http.get('/v1/campaigns?status=open&limit=5').expect(200);
    expect(first.headers['cache-control']).toBe('public, max-age=1');
    await t.http.get('/v1/campaigns?status=open&limit=5').set('If-None-Match', first.headers.etag).expect(304);
  });

  test('an operator reads around the cache (drafts, changes at once), and no shared cache may keep what an operator sees', async () => {
    const c = await anOpenCampaign(t, operator, factoryId, clock);
    await t.http.get(`/v1/campaigns/${c.id}`).expect(200);
    await paidPledge(t, await aConsumer(t), c.id, { colour: 'navy', size: 'L' }, 1);
    const seen = await t.http.get(`/v1/campaigns/${c.id}`).set(operator.auth).expect(200);
    expect(seen.body.progress.paidUnits).toBe(1);
    expect(seen.headers['cache-control']).toBe('private, no-cache');
    await t.http.get(`/v1/campaigns/${c.id}`).set(operator.auth).set('If-None-Match', seen.headers.etag).expect(304);
    expect((await t.http.get('/v1/campaigns?status=draft').set(operator.auth).expect(200)).headers['cache-control']).toBe('private, no-cache');
  });
});

describe('FreshCache (the single-flight cache behind them), on its own clock', () => {
  function controlled() {
    let now = 0;
    const loads: { resolve: (v: number) => void; reject: (e: Error) => void }[] = [];
    const cache = new FreshCache<string, number>({ maxAgeMs: 1000, maxEntries: 2, now: () => now });
    const load = () => new Promise<number>((resolve, reject) => loads.push({ resolve, reject }));
    return { cache, load, loads, tick: (ms: number) => (now += ms) };
  }

  test('answers are at most maxAge old, counted from the start of the read', async () => {
    const { cache, load, loads, tick } = controlled();
    const a = cache.get('k', load);
    tick(300);
    loads[0].resolve(1);
    expect(await a).toBe(1);
    tick(699);
    expect(await cache.get('k', load)).toBe(1);
    tick(1);
    const b = cache.get('k', load);
    expect(loads).toHaveLength(2);
    loads[1].resolve(2);
    expect(await b).toBe(2);
  });

  test('a read that takes longer than maxAge is not joined by later requests, and a slow older read never replaces a newer one', async () => {
    const { cache, load, loads, tick } = controlled();
    const old = cache.get('k', load);
    tick(1000);
    const newer = cache.get('k', load);
    expect(loads).toHaveLength(2);
    loads[1].resolve(2);
    expect(await newer).toBe(2);
    loads[0].resolve(1);
    expect(await old).toBe(1);
    // What the key holds did not go back to the older read.
    expect(await cache.get('k', load)).toBe(2);
    expect(loads).toHaveLength(2);
  });

  test('a failed read is not kept: every waiter gets the error, the next request reads again', async () => {
    const { cache, load, loads } = controlled();
    const waiters = [cache.get('k', load), cache.get('k', load)];
    expect(cache.loads).toBe(1);
    loads[0].reject(new Error('database gone'));
    await expect(Promise.all(waiters)).rejects.toThrow('database gone');
    const retry = cache.get('k', load);
    loads[1].resolve(3);
    expect(await retry).toBe(3);
  });

  test('at most maxEntries keys are kept', async () => {
    const { cache, loads } = controlled();
    for (const key of ['a', 'b', 'c']) await cache.get(key, async () => key.charCodeAt(0));
    expect(cache.loads).toBe(3);
    await cache.get('a', async () => 0);
    expect(cache.loads).toBe(4);
    expect(loads).toHaveLength(0);
  });
});
