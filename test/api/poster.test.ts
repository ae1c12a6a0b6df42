import { randomUUID } from 'node:crypto';
import jsQR from 'jsqr';
import { DateTime } from 'luxon';
import { PNG } from 'pngjs';
import { Posters, posterContent, posterSvg } from '../../src/storefront/poster';
import { startTestApp, type TestApp } from '../support/app';
import { aFactory, anOperator, type Caller } from '../support/builders';
import { aDraftCampaign, anOpenCampaign } from '../support/campaigns';
import { TestClock } from '../support/clock';
import { aShopOwner } from '../support/shops';

let t: TestApp;
let operator: Caller;
let factoryId: string;
/** An approved shop owner's code: a poster carries no other. */
let shopCode: string;
const clock = new TestClock();
beforeAll(async () => {
  t = await startTestApp({ clock, env: { PUBLIC_BASE_URL: 'https://shop.example.com' } });
  operator = await anOperator(t);
  factoryId = (await aFactory(t, operator)).id;
  shopCode = (await aShopOwner(t, operator)).code;
});
afterAll(() => t.close());

/** 20:00 China time in 30 days: the poster says "M月d日 20:00 截止". */
const closing = DateTime.now().setZone('Asia/Shanghai').plus({ days: 30 }).set({ hour: 20, minute: 0, second: 0, millisecond: 0 });

/** ¥1,000 × 10% = a ¥100 deposit counted twice (定金膨胀): "定金 ¥100 抵 ¥200"; ¥900 for 3, ¥700 for 5. */
const aCampaign = (title: string) =>
  anOpenCampaign(t, operator, factoryId, clock, {
    title,
    referencePrice: '1000.00',
    depositCreditRate: '2',
    tiers: [
      { minUnits: 3, unitPrice: '900.00' },
      { minUnits: 5, unitPrice: '700.00' },
    ],
    closesAt: closing.toJSDate().toISOString(),
  });

function decode(body: Buffer): { width: number; height: number; qr: string | undefined } {
  const png = PNG.sync.read(body);
  const code = jsQR(new Uint8ClampedArray(png.data.buffer, png.data.byteOffset, png.data.length), png.width, png.height);
  return { width: png.width, height: png.height, qr: code?.data };
}

const png = (req: ReturnType<TestApp['http']['get']>) =>
  req.buffer(true).parse((res, done) => {
    const chunks: Buffer[] = [];
    res.on('data', (chunk: Buffer) => chunks.push(chunk));
    res.on('end', () => done(null, Buffer.concat(chunks)));
  });

test("a phone-sized PNG whose QR code is the campaign's link with the shop code; cached by its ETag", async () => {
  const c = await aCampaign('Winter down jacket, joint pre-order');
  // Codes are case-insensitive: the poster's link carries the code as it is given out.
  const res = await png(t.http.get(`/c/${c.id}/poster.png`).query({ s: shopCode.toLowerCase() })).expect(200);
  expect(res.headers['content-type']).toBe('image/png');
  expect(res.headers['content-disposition']).toBe(`inline; filename="poster-${c.id}.png"`);
  expect(res.headers['cache-control']).toBe('public, max-age=60');
  expect(decode(res.body as Buffer)).toEqual({ width: 750, height: 1334, qr: `https://shop.example.com/c/${c.id}?s=${shopCode}` });

  await t.http.get(`/c/${c.id}/poster.png`).query({ s: shopCode }).set('If-None-Match', res.headers.etag).expect(304);
  const plain = await png(t.http.get(`/c/${c.id}/poster.png`)).expect(200);
  expect(plain.headers.etag).not.toBe(res.headers.etag);
  expect(decode(plain.body as Buffer).qr).toBe(`https://shop.example.com/c/${c.id}`);
});

test('the poster says the price, the reference price, the deposit deal and the deadline in China time', async () => {
  const c = await aCampaign('Winter down jacket, joint pre-order');
  const dto = (await t.http.get(`/v1/campaigns/${c.id}`).expect(200)).body;
  const content = posterContent(dto, 'https://shop.example.com/c/x');
  expect(content).toMatchObject({
    price: '¥900',
    priceLabel: '成团价',
    lowest: '人越多越便宜 · 最低 ¥700',
    reference: '参考价 ¥1000',
    deposit: '定金 ¥100 抵 ¥200',
    deadline: `${closing.month}月${closing.day}日 20:00 截止`,
    product: null,
  });
  expect(posterSvg(content)).toContain('定金 ¥100 抵 ¥200');
});

test('a burst of requests for one poster costs one render; another shop code is another picture', async () => {
  const c = await aCampaign('Winter down jacket, joint pre-order');
  const dto = (await t.http.get(`/v1/campaigns/${c.id}`).expect(200)).body;
  const posters = new Posters({ maxAgeMs: 60_000 });
  const burst = await Promise.all(Array.from({ length: 5 }, () => posters.of(posterContent(dto, `https://shop.example.com/c/${c.id}?s=Shop42`))));
  expect(posters.renders).toBe(1);
  expect(new Set(burst.map((p) => p.etag)).size).toBe(1);
  await posters.of(posterContent(dto, `https://shop.example.com/c/${c.id}?s=Shop43`));
  expect(posters.renders).toBe(2);
});

test("a title with XML's special characters is drawn as text, and a long one is cut short", async () => {
  const hostile = `Down <jacket> & "hood" 'x' ]]> <!-- \u0001 </svg><svg onload="alert(1)">`;
  const c = await aCampaign(hostile);
  const res = await png(t.http.get(`/c/${c.id}/poster.png`)).expect(200);
  expect(decode(res.body as Buffer)).toMatchObject({ width: 750, qr: `https://shop.example.com/c/${c.id}` });
  const svg = posterSvg(posterContent((await t.http.get(`/v1/campaigns/${c.id}`)).body, 'https://shop.example.com/c/x'));
  expect(svg).not.toContain('<jacket>');
  expect(svg).not.toContain('onload="');
  expect(svg).toContain('>Down &lt;jacket&gt; &amp;');

  const long = await aCampaign('冬季加厚羽绒服'.repeat(20));
  const svgOfLong = posterSvg(posterContent((await t.http.get(`/v1/campaigns/${long.id}`)).body, 'https://shop.example.com/c/x'));
  expect(svgOfLong.match(/font-size="48" font-weight="700" fill="#222"/g)).toHaveLength(3);
  expect(svgOfLong).toContain('…');
  await png(t.http.get(`/c/${long.id}/poster.png`)).expect(200);
});

test('emoji, which the renderer cannot draw (each would be an empty box), are left out; a line is never cut inside a character', async () => {
  const c = await aCampaign('🔥爆款🍊 赣南脐橙 👨‍👩‍👧‍👦 家庭装 🇨🇳 ©');
  const svg = posterSvg(posterContent((await t.http.get(`/v1/campaigns/${c.id}`)).body, 'https://shop.example.com/c/x'));
  const titles = [...svg.matchAll(/font-size="48" font-weight="700" fill="#222">([^<]*)</g)].map((m) => m[1]);
  expect(titles).toEqual(['爆款 赣南脐橙 家庭装 ©']);
  expect(svg).not.toMatch(/\p{Extended_Pictographic}\uFE0F|\p{Emoji_Presentation}|\u200D/u);
  await png(t.http.get(`/c/${c.id}/poster.png`)).expect(200);

  // An accented letter written as a letter and its combining mark (e + ◌́) stays whole across the title's lines.
  const content = posterContent((await t.http.get(`/v1/campaigns/${c.id}`)).body, 'https://shop.example.com/c/x');
  const lines = [...posterSvg({ ...content, title: 'e\u0301'.repeat(60) }).matchAll(/font-size="48" font-weight="700" fill="#222">([^<]*)</g)].map((m) => m[1]);
  expect(lines).toHaveLength(3);
  for (const line of lines) expect(line.replace(/…$/, '')).toMatch(/^(e\u0301)+$/);
});

test('no poster for a campaign that does not exist or is a draft, nor with a code no approved shop has; a bad shop code is refused', async () => {
  expect((await t.http.get(`/c/${randomUUID()}/poster.png`).expect(404)).body.code).toBe('not_found');
  const draft = await aDraftCampaign(t, operator, factoryId, clock);
  expect((await t.http.get(`/c/${draft.id}/poster.png`).expect(404)).body.code).toBe('not_found');
  const c = await aCampaign('Down jacket');
  for (const s of ['abc', 'x'.repeat(13), 'shop-1', '店铺代码'])
    expect((await t.http.get(`/c/${c.id}/poster.png`).query({ s }).expect(400)).body.code).toBe('invalid_query');
  // Well formed, but no approved shop has it: the poster would print a link that binds no one.
  for (const s of ['ZZZZ22', 'Shop42']) {
    const res = await t.http.get(`/c/${c.id}/poster.png`).query({ s }).expect(404);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.body.code).toBe('not_found');
  }
});
