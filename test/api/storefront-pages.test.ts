import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DateTime } from 'luxon';
import QRCode from 'qrcode';
import supertest from 'supertest';
import { businessDay } from '../../src/platform/calendar';
import { Metrics, createHttpApp } from '../../src/platform/http';
import { storefrontRouter } from '../../src/platform/http/storefront';
import { createLogger } from '../../src/platform/logger';
import { startTestApp, type TestApp } from '../support/app';
import { aConsumer, aFactory, anOperator, type Caller } from '../support/builders';
import { paidPledge } from '../support/campaigns';

/** A build of the storefront as Vite makes it: index.html with the two placeholders, a hashed script, a public file. */
const TEMPLATE =
  '<!doctype html><html lang="zh-CN"><head><meta charset="UTF-8"><!--app-head--></head><body><div id="root"></div><!--app-data--><script type="module" src="/assets/index-abc123.js"></script></body></html>';

let dist: string;
let t: TestApp;
let operator: Caller;
let factoryId: string;
beforeAll(async () => {
  dist = mkdtempSync(path.join(tmpdir(), 'storefront-dist-'));
  mkdirSync(path.join(dist, 'assets'));
  writeFileSync(path.join(dist, 'index.html'), TEMPLATE);
  writeFileSync(path.join(dist, 'assets', 'index-abc123.js'), 'console.log("storefront")');
  writeFileSync(path.join(dist, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  t = await startTestApp({ storefrontDist: dist, env: { PUBLIC_BASE_URL: 'https://shop.example.com/' } });
  operator = await anOperator(t);
  factoryId = (await aFactory(t, operator)).id;
});
afterAll(async () => {
  await t.close();
  rmSync(dist, { recursive: true, force: true });
});

/** A title that tries every way out of an attribute, an element and the JSON script. */
const HOSTILE_TITLE = `Down jacket </script><script>alert(1)</script> "q" 'a' & <!-- \u2028 end`;
/** 20:00 China time, 60 days from now: the card names the day as a Chinese reader says it ("12月20日截止"). */
const closing = DateTime.now().setZone('Asia/Shanghai').plus({ days: 60 }).set({ hour: 20, minute: 0, second: 0, millisecond: 0 });
const closesAt = closing.toJSDate();
const DEADLINE_ZH = `${closing.month}月${closing.day}日截止`;
const DEADLINE_EN = `Ends ${closing.setLocale('en-GB').toFormat('d LLL')}`;

async function campaign(overrides: Record<string, unknown> = {}, publish = true): Promise<{ id: string }> {
  const created = await t.http
    .post('/v1/campaigns')
    .set(operator.auth)
    .send({
      factoryId,
      title: HOSTILE_TITLE,
      productName: 'Down jacket',
      options: [{ name: 'colour', values: ['black', 'navy'] }],
      // ¥1,000 × 10% = a ¥100 deposit, counted twice (定金膨胀): "付定金 ¥100 抵 ¥200".
      referencePrice: '1000.00',
      depositRate: '0.10',
      depositCreditRate: '2',
      tiers: [
        { minUnits: 2, unitPrice: '900.00' },
        { minUnits: 4, unitPrice: '700.00' },
      ],
      opensAt: new Date(Date.now() - 60_000).toISOString(),
      closesAt: closesAt.toISOString(),
      balanceWindowHours: 48,
      expectedShipDate: businessDay(new Date(closesAt.getTime() + 30 * 86_400_000)),
      ...overrides,
    })
    .expect(201);
  if (publish) await t.http.post(`/v1/campaigns/${created.body.id}/publish`).set(operator.auth).expect(200);
  return created.body;
}

/** What a crawler reads: the meta tags by property or name, the <title>, and the initial data. */
function parsePage(html: string) {
  const meta = (key: string) => {
    const found = new RegExp(`<meta (?:property|name|itemprop)="${key}" content="([^"]*)">`).exec(html);
    return found ? unescape(found[1]) : undefined;
  };
  const unescape = (s: string) =>
    s
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&quot;/g, '"')
      .replace(/&#39;/g, "'")
      .replace(/&amp;/g, '&');
  const data = /<script type="application\/json" id="initial-data">([\s\S]*?)<\/script>/.exec(html);
  return { meta, title: unescape(/<title>([^<]*)<\/title>/.exec(html)?.[1] ?? ''), data: data ? JSON.parse(data[1]) : undefined };
}

describe('the campaign page /c/:id', () => {
  test('carries its share card: title, the deposit deal and price in Chinese, an absolute URL, no image when it has none', async () => {
    const c = await campaign();
    const res = await t.http.get(`/c/${c.id}`).expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.headers['cache-control']).toBe('no-cache');
    const page = parsePage(res.text);
    expect(page.title).toBe(`${HOSTILE_TITLE} | 拼单预售`);
    expect(page.meta('og:title')).toBe(HOSTILE_TITLE);
    expect(page.meta('og:description')).toBe(`付定金 ¥100 抵 ¥200 · 成团价 ¥900 · ${DEADLINE_ZH}`);
    expect(page.meta('description')).toBe(page.meta('og:description'));
    expect(page.meta('og:url')).toBe(`https://shop.example.com/c/${c.id}`);
    expect(page.meta('og:type')).toBe('product');
    expect(page.meta('twitter:card')).toBe('summary');
    expect(page.meta('og:image')).toBeUndefined();
  });

  test("the campaign's picture is the card's image", async () => {
    const c = await campaign({ imageUrl: 'https://img.example.com/jacket.jpg?w=600&h=315' });
    const page = parsePage((await t.http.get(`/c/${c.id}`).expect(200)).text);
    expect(page.meta('og:image')).toBe('https://img.example.com/jacket.jpg?w=600&h=315');
    expect(page.meta('twitter:card')).toBe('summary_large_image');
    expect(page.meta('twitter:image')).toBe(page.meta('og:image'));
  });

  test('the price follows the tier reached, and who joined', async () => {
    const c = await campaign();
    for (const _ of [1, 2]) await paidPledge(t, await aConsumer(t), c.id, { colour: 'black' }, 1);
    const page = parsePage((await t.http.get(`/c/${c.id}`).expect(200)).text);
    expect(page.meta('og:description')).toBe(`付定金 ¥100 抵 ¥200 · 成团价 ¥900 · 已有 2 人参与 · ${DEADLINE_ZH}`);
    for (const _ of [1, 2]) await paidPledge(t, await aConsumer(t), c.id, { colour: 'navy' }, 1);
    expect(parsePage((await t.http.get(`/c/${c.id}`).expect(200)).text).meta('og:description')).toBe(
      `付定金 ¥100 抵 ¥200 · 成团价 ¥700 · 已有 4 人参与 · ${DEADLINE_ZH}`,
    );
  });

  test('the deposit deal never promises more than the price: a credit larger than the price counts as the price', async () => {
    // ¥100 deposit × 10 would count ¥1,000, but a unit costs ¥900 at the first tier and ¥700 at the second.
    const c = await campaign({ depositCreditRate: '10' });
    expect(parsePage((await t.http.get(`/c/${c.id}`).expect(200)).text).meta('og:description')).toBe(`付定金 ¥100 抵 ¥900 · 成团价 ¥900 · ${DEADLINE_ZH}`);
    for (const _ of [1, 2, 3, 4]) await paidPledge(t, await aConsumer(t), c.id, { colour: 'black' }, 1);
    expect(parsePage((await t.http.get(`/c/${c.id}`).expect(200)).text).meta('og:description')).toBe(
      `付定金 ¥100 抵 ¥700 · 成团价 ¥700 · 已有 4 人参与 · ${DEADLINE_ZH}`,
    );
  });

  test("the first-paint data is the API's campaign, and a hostile title cannot break out of the page", async () => {
    const c = await campaign();
    const res = await t.http.get(`/c/${c.id}`).expect(200);
    const api = (await t.http.get(`/v1/campaigns/${c.id}`).expect(200)).body;
    const { data } = parsePage(res.text);
    const withoutCountdown = (dto: { progress: Record<string, unknown> }) => ({ ...dto, progress: { ...dto.progress, secondsLeft: 0 } });
    expect(withoutCountdown(data.campaign)).toEqual(withoutCountdown(api));
    expect(data.campaign.title).toBe(HOSTILE_TITLE);
    // Exactly the template's script and the data script; the title's </script><script> is inert text.
    expect(res.text.match(/<script/g)).toHaveLength(2);
    expect(res.text).not.toContain('<script>alert');
    expect(res.text).not.toContain('<!-- ');
    expect(res.text).toContain('\\u003c/script\\u003e');
    // The head stays one element per tag: no attribute was closed by the title's quotes.
    expect(res.text).toContain('content="Down jacket &lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt; &quot;q&quot; &#39;a&#39; &amp; &lt;!-- ');
  });

  test('English on ?lang=en or when the browser prefers it; Chinese otherwise', async () => {
    const c = await campaign();
    expect(parsePage((await t.http.get(`/c/${c.id}?lang=en`).expect(200)).text).meta('og:description')).toBe(
      `Deposit ¥100 counts as ¥200 · Group price ¥900 · ${DEADLINE_EN}`,
    );
    expect(parsePage((await t.http.get(`/c/${c.id}`).set('Accept-Language', 'en-GB,en;q=0.9').expect(200)).text).meta('og:description')).toMatch(/^Deposit/);
    expect(parsePage((await t.http.get(`/c/${c.id}`).set('Accept-Language', 'zh-CN,zh;q=0.9,en;q=0.8').expect(200)).text).meta('og:description')).toMatch(
      /^付定金/,
    );
    // WeChat adds its own parameters to a shared link; the page and its canonical URL do not change.
    const shared = parsePage((await t.http.get(`/c/${c.id}?from=singlemessage&isappinstalled=0`).expect(200)).text);
    expect(shared.meta('og:url')).toBe(`https://shop.example.com/c/${c.id}`);
  });

  test('an unknown campaign, a draft or a malformed id: the app shell with HTTP 404, not indexed', async () => {
    const draft = await campaign({}, false);
    for (const id of ['0b6d7a3e-6f37-4d43-9d55-0d0b58d9a1b2', draft.id, 'not-an-id']) {
      const res = await t.http.get(`/c/${id}`).expect(404);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.text).toContain('<div id="root">');
      expect(res.text).toContain('<meta name="robots" content="noindex">');
      expect(parsePage(res.text).data).toEqual({ campaign: null });
      expect(res.text).not.toContain(HOSTILE_TITLE.slice(0, 12) + ' </');
    }
  });
});

describe('the home page and the other screens', () => {
  test("/ paints the live campaigns and the fruit-box plans from the API's DTOs", async () => {
    const c = await campaign();
    const res = await t.http.get('/').expect(200);
    const page = parsePage(res.text);
    expect(page.meta('og:url')).toBe('https://shop.example.com/');
    expect(page.data.campaigns.map((x: { id: string }) => x.id)).toContain(c.id);
    const plans = (await t.http.get('/v1/subscription-plans').expect(200)).body.items;
    expect(plans.length).toBeGreaterThan(0);
    expect(page.data.plans).toEqual(plans);
  });

  test('every screen of the app answers the app, with its head filled in', async () => {
    for (const url of [
      '/signin',
      '/me',
      '/me/pledges/0b6d7a3e-6f37-4d43-9d55-0d0b58d9a1b2',
      '/pay/123',
      '/plans',
      '/plans/p1/subscribe',
      '/subscriptions/s1',
      '/shop/orders',
      '/shop/marks',
    ]) {
      const res = await t.http.get(url).expect(200);
      expect(res.headers['cache-control']).toBe('no-cache');
      expect(res.text).toContain('<div id="root">');
      expect(res.text).toContain('<title>拼单预售</title>');
      expect(parsePage(res.text).data).toEqual({});
    }
  });

  test('hashed assets are immutable; a missing one is a 404 problem; public files are served; index.html itself is never sent unfilled', async () => {
    const asset = await t.http.get('/assets/index-abc123.js').expect(200);
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const missing = await t.http.get('/assets/index-old999.js').expect(404);
    expect(missing.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect((await t.http.get('/favicon.svg').expect(200)).headers['content-type']).toMatch(/svg/);
    await t.http.get('/index.html').expect(301).expect('Location', '/');
  });

  test('its CSP keeps scripts same-origin, lets campaign pictures come from https hosts, and does not upgrade plain HTTP', async () => {
    const csp = (await t.http.get('/').expect(200)).headers['content-security-policy'];
    expect(csp).toContain("script-src 'self';");
    expect(csp).toContain("img-src 'self' data: https:");
    expect(csp).not.toContain('upgrade-insecure-requests');
  });

  test('the storefront never shadows the API, the portal, the docs or the probes', async () => {
    expect((await t.http.get('/v1/campaigns').expect(200)).headers['content-type']).toMatch(/json/);
    await t.http.get('/healthz').expect(200);
    expect((await t.http.get('/v1/nothing-here').expect(404)).body.code).toBe('route_not_found');
    expect((await t.http.get('/not-a-screen').expect(404)).body.code).toBe('route_not_found');
    expect((await t.http.get('/docs/').expect((r) => expect(r.status).toBeLessThan(500))).text).not.toContain(
      '<div id="root"></div><script type="application/json"',
    );
  });

  test('before the app is built, a screen is a 404 problem that says how to build it', async () => {
    const unbuilt = createHttpApp({
      logger: createLogger('silent'),
      metrics: new Metrics({ processMetrics: false }),
      bodyLimit: '100kb',
      corsOrigins: [],
      trustProxy: false,
      handlers: [storefrontRouter({ distDir: path.join(dist, 'not-built'), render: async () => ({ status: 200, head: '', data: {} }) })],
    });
    const res = await supertest(unbuilt).get('/c/0b6d7a3e-6f37-4d43-9d55-0d0b58d9a1b2').expect(404);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ status: 404, code: 'storefront_not_built' });
    expect(res.body.detail).toContain('npm --prefix storefront run build');
  });
});

describe('share tools', () => {
  test("GET /c/:id/qr.svg is a cacheable QR code of the campaign's absolute share link", async () => {
    const c = await campaign();
    const res = await t.http.get(`/c/${c.id}/qr.svg`).expect(200);
    expect(res.headers['content-type']).toMatch(/^image\/svg\+xml/);
    expect(res.headers['cache-control']).toBe('public, max-age=86400');
    const svg = res.text || res.body.toString();
    expect(svg).toBe(await QRCode.toString(`https://shop.example.com/c/${c.id}`, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 }));
    const etag = res.headers.etag;
    await t.http.get(`/c/${c.id}/qr.svg`).set('If-None-Match', etag).expect(304);
  });

  test('no QR code for a campaign that does not exist', async () => {
    expect((await t.http.get('/c/0b6d7a3e-6f37-4d43-9d55-0d0b58d9a1b2/qr.svg').expect(404)).body.code).toBe('not_found');
    expect((await t.http.get('/c/nope/qr.svg').expect(404)).body.code).toBe('not_found');
  });

  test('without a WeChat official account configured, the JS-SDK config says so and pages share by their meta tags', async () => {
    const res = await t.http.get('/v1/wechat/js-sdk-config').query({ url: 'https://shop.example.com/c/x' }).expect(200);
    expect(res.body).toEqual({ enabled: false });
    expect(res.headers['cache-control']).toBe('no-store');
    expect((await t.http.get('/v1/wechat/js-sdk-config').expect(400)).body.code).toBe('invalid_query');
    expect((await t.http.get('/v1/wechat/js-sdk-config').query({ url: 'javascript:alert(1)' }).expect(400)).body.code).toBe('invalid_query');
  });
});

describe('without PUBLIC_BASE_URL, behind a trusted proxy', () => {
  let behind: TestApp;
  beforeAll(async () => {
    behind = await startTestApp({ storefrontDist: dist, env: { TRUST_PROXY: '1' } });
  });
  afterAll(() => behind.close());

  test('share links and QR codes use the origin the proxy reports; a malformed host is never put in a link', async () => {
    const op = await anOperator(behind);
    const f = (await aFactory(behind, op)).id;
    const created = await behind.http
      .post('/v1/campaigns')
      .set(op.auth)
      .send({
        factoryId: f,
        title: 'Jacket',
        productName: 'Jacket',
        options: [{ name: 'colour', values: ['black'] }],
        referencePrice: '1000.00',
        depositRate: '0.10',
        tiers: [{ minUnits: 2, unitPrice: '900.00' }],
        opensAt: new Date(Date.now() - 60_000).toISOString(),
        closesAt: closesAt.toISOString(),
        balanceWindowHours: 48,
        expectedShipDate: businessDay(new Date(closesAt.getTime() + 30 * 86_400_000)),
      })
      .expect(201);
    const id = created.body.id;
    await behind.http.post(`/v1/campaigns/${id}/publish`).set(op.auth).expect(200);
    const proxied = (req: supertest.Test) => req.set('X-Forwarded-Proto', 'https').set('X-Forwarded-Host', 'shop.example.com');
    expect(parsePage((await proxied(behind.http.get(`/c/${id}`)).expect(200)).text).meta('og:url')).toBe(`https://shop.example.com/c/${id}`);
    const qr = await proxied(behind.http.get(`/c/${id}/qr.svg`)).expect(200);
    expect(qr.body.toString()).toBe(await QRCode.toString(`https://shop.example.com/c/${id}`, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 }));
    // Taken from a request, only the browser may keep it: no shared cache hands one client's host to another.
    expect(qr.headers['cache-control']).toBe('private, max-age=86400');
    const odd = await behind.http.get(`/c/${id}`).set('X-Forwarded-Host', 'shop.example.com"><script>x').expect(200);
    expect(parsePage(odd.text).meta('og:url')).toBe(`http://localhost/c/${id}`);
  });
});
