import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Resvg } from '@resvg/resvg-js';
import jsQR from 'jsqr';
import { startTestApp, type TestApp } from '../support/app';
import { aConsumer, aFactory, anOperator, type Caller } from '../support/builders';
import { aDraftCampaign, anOpenCampaign, paidPledge, pledge } from '../support/campaigns';
import { TestClock } from '../support/clock';
import { aShopOwner } from '../support/shops';

/**
 * Sharing through a shop owner's links (docs/shop-owners.md): visits counted once per visitor, shop,
 * campaign and China day; share-link lookups rate-limited; the shop owner's dashboard; the shop page's
 * share card; the share kit's QR code carrying the shop code.
 */
let t: TestApp;
let clock: TestClock;
let operator: Caller;
let factoryId: string;
let dist: string;

beforeAll(async () => {
  // A build of the storefront as Vite makes it (the pages' head and data are what is tested here, not the app).
  dist = mkdtempSync(path.join(tmpdir(), 'storefront-dist-'));
  mkdirSync(path.join(dist, 'assets'));
  writeFileSync(path.join(dist, 'index.html'), '<!doctype html><html><head><!--app-head--></head><body><div id="root"></div><!--app-data--></body></html>');
  clock = new TestClock();
  t = await startTestApp({ clock, storefrontDist: dist, env: { PUBLIC_BASE_URL: 'https://shop.example.com' } });
  operator = await anOperator(t);
  factoryId = (await aFactory(t, operator)).id;
});
afterAll(async () => {
  await t.close();
  rmSync(dist, { recursive: true, force: true });
});

const visit = (body: object) => t.http.post('/v1/shop-visits').send(body);
const dashboard = (owner: Caller) => t.http.get('/v1/me/shop/dashboard').set(owner.auth);
const visitCount = () => t.db.read(async (tx) => Number((await t.db.sql<{ n: number | string }>(tx, 'SELECT COUNT(*) AS n FROM shop_visits')).rows[0].n));
const DAY = 86_400_000;

describe('visits through share links', () => {
  test('a visitor counts once per shop, campaign and China day; the next day, another visitor or another page count again', async () => {
    const shop = await aShopOwner(t, operator);
    const c = await anOpenCampaign(t, operator, factoryId, clock, { title: '赣南脐橙 Navel oranges' });
    const [ana, ben] = ['visitor-ana-' + randomUUID(), 'visitor-ben-' + randomUUID()];

    // Ana opens the campaign link three times and the shop page once; codes are case-insensitive.
    for (const code of [shop.code, shop.code.toLowerCase(), shop.code]) await visit({ code, campaignId: c.id, visitorId: ana }).expect(204);
    await visit({ code: shop.code, visitorId: ana }).expect(204);
    await visit({ code: shop.code, campaignId: c.id, visitorId: ben }).expect(204);

    let seen = (await dashboard(shop.owner).expect(200)).body;
    expect(seen).toMatchObject({ code: shop.code, name: '小芳的果园铺', shopPage: { visits: 1, visitsToday: 1 } });
    expect(seen.campaigns).toEqual([{ campaignId: c.id, title: '赣南脐橙 Navel oranges', visits: 2, visitsToday: 2, pledges: 0, units: 0 }]);

    // A day later Ana is counted again; yesterday's visits are still in the total, not in today's.
    clock.offsetMs += DAY;
    try {
      await visit({ code: shop.code, campaignId: c.id, visitorId: ana }).expect(204);
      seen = (await dashboard(shop.owner).expect(200)).body;
      expect(seen.campaigns[0]).toMatchObject({ visits: 3, visitsToday: 1 });
      expect(seen.shopPage).toEqual({ visits: 1, visitsToday: 0 });
    } finally {
      clock.offsetMs -= DAY;
    }
  });

  test('an unknown code, an unknown or draft campaign, a bad visitor id: refused, nothing counted', async () => {
    const shop = await aShopOwner(t, operator);
    const draft = await aDraftCampaign(t, operator, factoryId, clock);
    const before = await visitCount();
    const visitorId = 'visitor-' + randomUUID();

    const unknown = await visit({ code: 'ZZZZ22', visitorId }).expect(404);
    expect(unknown.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(unknown.body.code).toBe('not_found');
    await visit({ code: shop.code, campaignId: randomUUID(), visitorId }).expect(404);
    await visit({ code: shop.code, campaignId: draft.id, visitorId }).expect(404);
    for (const bad of [
      { code: 'ZZ', visitorId },
      { code: shop.code, visitorId: 'short' },
      { code: shop.code, visitorId: 'has spaces in it' },
      { code: shop.code, visitorId, campaignId: 'not-an-id' },
      { code: shop.code, visitorId, shopId: shop.id },
    ]) {
      const res = await visit(bad).expect(400);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    }
    expect(await visitCount()).toBe(before);
  });
});

describe('the dashboard', () => {
  test("per campaign, the pledges and units attributed to this shop owner, whose deposit is paid; others' are not theirs", async () => {
    const shop = await aShopOwner(t, operator, { name: '阿明好物', phone: '13700001111', wechatId: 'aming' });
    const other = await aShopOwner(t, operator, { name: '别家', phone: '13700002222', wechatId: 'other' });
    const [oranges, jackets, quiet] = await Promise.all([
      anOpenCampaign(t, operator, factoryId, clock, { title: 'Oranges', maxUnits: 100 }),
      anOpenCampaign(t, operator, factoryId, clock, { title: 'Jackets', maxUnits: 100 }),
      anOpenCampaign(t, operator, factoryId, clock, { title: 'Quiet one' }),
    ]);
    await t.http
      .put('/v1/me/shop')
      .set(shop.owner.auth)
      .send({ greeting: '', campaignIds: [quiet.id, oranges.id], planIds: [] })
      .expect(200);
    const [mine1, mine2, theirs, nobodys] = await Promise.all([aConsumer(t), aConsumer(t), aConsumer(t), aConsumer(t)]);
    for (const [consumer, code] of [
      [mine1, shop.code],
      [mine2, shop.code],
      [theirs, other.code],
    ] as const)
      await t.http.post('/v1/me/shop-binding').set(consumer.auth).send({ code }).expect(200);

    const variant = { colour: 'black', size: 'M' };
    await paidPledge(t, mine1, oranges.id, variant, 2);
    await paidPledge(t, mine2, oranges.id, variant, 3);
    await paidPledge(t, mine2, jackets.id, variant, 1);
    // A pledge whose deposit is not paid yet is not counted; nor are another shop's, nor a consumer bound to none.
    await pledge(t, mine1, jackets.id, variant, 4).expect(201);
    await paidPledge(t, theirs, oranges.id, variant, 5);
    await paidPledge(t, nobodys, jackets.id, variant, 6);

    const seen = (await dashboard(shop.owner).expect(200)).body;
    expect(seen).toMatchObject({ code: shop.code, name: '阿明好物', shopPage: { visits: 0, visitsToday: 0 } });
    // No completed sale yet (deposits only): the first level, and what the next needs.
    expect(seen.level).toEqual({
      level: 'shop_owner',
      nameZh: '店主',
      bonusRate: '0',
      completedSales: '0.00',
      next: { level: 'gold', nameZh: '金牌店主', salesNeeded: '2000.00' },
    });
    // Most units first; the shop's chosen campaign with no activity is listed too.
    expect(seen.campaigns).toEqual([
      { campaignId: oranges.id, title: 'Oranges', visits: 0, visitsToday: 0, pledges: 2, units: 5 },
      { campaignId: jackets.id, title: 'Jackets', visits: 0, visitsToday: 0, pledges: 1, units: 1 },
      { campaignId: quiet.id, title: 'Quiet one', visits: 0, visitsToday: 0, pledges: 0, units: 0 },
    ]);
    expect((await dashboard(other.owner).expect(200)).body.campaigns).toEqual([
      { campaignId: oranges.id, title: 'Oranges', visits: 0, visitsToday: 0, pledges: 1, units: 5 },
    ]);
  });

  test('only an approved shop owner has one: a consumer 403 not_a_shop_owner, an operator 403, no token 401', async () => {
    const consumer = await aConsumer(t);
    const refused = await dashboard(consumer).expect(403);
    expect(refused.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(refused.body.code).toBe('not_a_shop_owner');
    await t.http.get('/v1/me/shop/dashboard').set(operator.auth).expect(403);
    await t.http.get('/v1/me/shop/dashboard').expect(401);
  });
});

describe('share-link lookups are rate-limited', () => {
  let limited: TestApp;
  beforeAll(async () => {
    limited = await startTestApp({ clock, env: { SHOP_LOOKUPS_PER_MINUTE: '3' } });
  });
  afterAll(() => limited.close());

  test('shop pages, visits, and posters or QR codes with ?s= per client address, bindings per account: then 429 too_many_shop_lookups, Chinese first, nothing counted', async () => {
    const op = await anOperator(limited);
    const shop = await aShopOwner(limited, op);
    const c = await anOpenCampaign(limited, op, (await aFactory(limited, op)).id, clock);
    const visitorId = 'visitor-' + randomUUID();
    // One count for the address, whichever public way a code is resolved: the shop page's API, a QR code with ?s=, a visit.
    await limited.http.get(`/v1/shops/${shop.code}`).expect(200);
    await limited.http.get(`/c/${c.id}/qr.svg`).query({ s: shop.code }).expect(200);
    await limited.http.post('/v1/shop-visits').send({ code: shop.code, visitorId }).expect(204);
    const refused = [
      await limited.http.get(`/v1/shops/ZZZZ22`),
      await limited.http.post('/v1/shop-visits').send({ code: shop.code, visitorId: visitorId + 'x' }),
      await limited.http.get(`/s/ZZZZ22`),
      await limited.http.get(`/c/${c.id}/poster.png`).query({ s: 'ZZZZ22' }),
      await limited.http.get(`/c/${c.id}/qr.svg`).query({ s: 'ZZZZ22' }),
    ];
    for (const res of refused) {
      expect(res.status).toBe(429);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(res.body.code).toBe('too_many_shop_lookups');
      expect(res.body.detail).toMatch(/^一分钟内查询店铺次数过多/);
    }
    // A QR code without a shop code resolves none: not limited.
    await limited.http.get(`/c/${c.id}/qr.svg`).expect(200);
    const counted = await limited.db.read(async (tx) => (await limited.db.sql(tx, 'SELECT visitor_id FROM shop_visits')).rows.length);
    expect(counted).toBe(1);

    // Bindings count per account: this consumer has three, another consumer from the same address has their own.
    const [first, second] = await Promise.all([aConsumer(limited), aConsumer(limited)]);
    for (let i = 0; i < 3; i++) await limited.http.post('/v1/me/shop-binding').set(first.auth).send({ code: shop.code }).expect(200);
    const tooMany = await limited.http.post('/v1/me/shop-binding').set(first.auth).send({ code: shop.code }).expect(429);
    expect(tooMany.body.code).toBe('too_many_shop_lookups');
    await limited.http.post('/v1/me/shop-binding').set(second.auth).send({ code: shop.code }).expect(200);
  });
});

describe('the shop page and the share kit', () => {
  test("/s/:code is served with the shop's share card; an unknown code is 404 with 店铺不存在", async () => {
    const shop = await aShopOwner(t, operator, { name: '小芳的果园铺', phone: '13600001234', wechatId: 'xf', greeting: '每周新鲜水果，团购更便宜' });
    const page = await t.http.get(`/s/${shop.code.toLowerCase()}`).expect(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.text).toContain('<title>小芳的果园铺 |');
    expect(page.text).toContain('content="每周新鲜水果，团购更便宜"');
    const missing = await t.http.get('/s/ZZZZ22').expect(404);
    expect(missing.text).toContain('<title>店铺不存在 |');
    expect(missing.text).toContain('noindex');
  });

  test("the QR code with ?s= is the campaign's link carrying the shop code; a code no approved shop has is 404", async () => {
    const shop = await aShopOwner(t, operator);
    const c = await anOpenCampaign(t, operator, factoryId, clock);
    const svg = await t.http.get(`/c/${c.id}/qr.svg`).query({ s: shop.code.toLowerCase() }).expect(200);
    expect(svg.headers['content-type']).toMatch(/image\/svg\+xml/);
    const image = new Resvg(svg.text || (svg.body as Buffer).toString(), { fitTo: { mode: 'width', value: 400 }, background: 'white' }).render();
    const decoded = jsQR(new Uint8ClampedArray(image.pixels), image.width, image.height);
    expect(decoded?.data).toBe(`https://shop.example.com/c/${c.id}?s=${shop.code}`);
    for (const s of ['ZZZZ22', 'bad code', ''])
      expect((await t.http.get(`/c/${c.id}/qr.svg`).query({ s }).expect(404)).headers['content-type']).toMatch(/application\/problem\+json/);
  });
});
