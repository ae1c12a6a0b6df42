import { randomUUID } from 'node:crypto';
import { DEMO_ACCOUNTS } from '../../src/demo/seed';
import { wilsonLowerBound } from '../../src/marks';
import { screenshot, textOf } from './support/portal';
import { aDemoWithPortalAndPhone, aShopOwnerThroughApi, checkScreen, seriousViolations } from './support/storefront';

/**
 * 红黑榜 (docs/selection.md § 红黑榜) in Debian's chromium against the real service with the demo data: the demo shop
 * owner marks an origin from 店主中心 → 红黑榜 and the demo factory's product from its campaign page, two other shop
 * owners mark through the API; the lists show the counts and the Wilson bound (computed here independently); a mark
 * is withdrawn; the factory reads its product's marks with reasons (never who) in the portal and answers once, and
 * the answer shows on the shop owners' list. Marks count from account age 0 here (MARKS_MIN_ACCOUNT_AGE_DAYS), the
 * shop owners' activity is a visit through their link.
 */
let demo: Awaited<ReturnType<typeof aDemoWithPortalAndPhone>>;
let service: typeof demo.service;
let api: typeof demo.api;
let portal: typeof demo.portal;
let phone: typeof demo.phone;
let operator: string;
let campaign: { id: string; title: string };

const ORIGIN = '赣南';

beforeAll(async () => {
  // The lists are read right after marks are made: no public read cache (it keeps a list up to a second; tested in the API tests).
  demo = await aDemoWithPortalAndPhone('marks', { MARKS_MIN_ACCOUNT_AGE_DAYS: '0', CAMPAIGN_CACHE_MS: '0' });
  ({ service, api, operator, portal, phone } = demo);
  const factoryId = (await api.login(DEMO_ACCOUNTS.factory.email, DEMO_ACCOUNTS.factory.password)).user.factoryId;
  const campaigns = await api.ok<{ items: { id: string; title: string; factoryId: string; status: string }[] }>('GET', '/v1/campaigns?limit=100');
  campaign = campaigns.items.find((c) => c.factoryId === factoryId && c.status === 'open')!;
  // The demo shop owner has had a visit through their link: their marks count.
  const shop = await api.ok<{ application: { code: string } }>('GET', '/v1/me/shop', await shopOwnerToken());
  await api.ok('POST', '/v1/shop-visits', undefined, { code: shop.application.code, visitorId: `visitor-${randomUUID()}` });
}, 120_000);

afterAll(() => demo?.close());

async function shopOwnerToken(): Promise<string> {
  return (await api.login(DEMO_ACCOUNTS.shopOwner.email, DEMO_ACCOUNTS.shopOwner.password)).token;
}

/** A new consumer made an active shop owner through the API: their token. */
async function anActiveShopOwner(): Promise<string> {
  const { token, code } = await aShopOwnerThroughApi(api, operator, '评价小店');
  await api.ok('POST', '/v1/shop-visits', undefined, { code, visitorId: `visitor-${randomUUID()}` });
  return token;
}

/** "20.7%": the bound as the API gives it (four decimals) written as a percentage, from the formula checked by its unit test. */
const percent = (part: number, total: number) => `${((Math.round(wilsonLowerBound(part, total) * 10_000) / 10_000) * 100).toFixed(1)}%`;

/** The same in the portal, which writes at most one decimal in Chinese number formatting: "9.5%". */
const portalPercent = (part: number, total: number) =>
  `${new Intl.NumberFormat('zh-CN', { maximumFractionDigits: 1 }).format((Math.round(wilsonLowerBound(part, total) * 10_000) / 10_000) * 100)}%`;

test('the demo shop owner marks an origin from 店主中心 → 红黑榜; the lists show counts and the Wilson bound; a mark is withdrawn', async () => {
  const page = phone.page;
  await page.goto(`${service.url}/signin?next=/shop`);
  await page.getByRole('tab', { name: '邮箱' }).click();
  await page.getByLabel('邮箱').fill(DEMO_ACCOUNTS.shopOwner.email);
  await page.getByLabel('密码').fill(DEMO_ACCOUNTS.shopOwner.password);
  await page.getByRole('button', { name: '登录', exact: true }).click();
  await page.getByRole('heading', { level: 1, name: '店主中心' }).waitFor();
  await page.getByTestId('shop-marks-link').click();
  await page.getByRole('heading', { level: 1, name: '红黑榜' }).waitFor();

  const form = page.getByTestId('mark-form');
  await form.getByLabel('类别').selectOption('origin');
  await form.getByLabel('名称').fill(` ${ORIGIN}  `);
  await form.getByTestId('mark-red').click();
  await form.getByLabel('理由').fill('甜度高，回购多');
  await form.getByTestId('mark-submit').click();
  await page.getByText(`已提交：${ORIGIN} · 红`).waitFor();

  // Two other shop owners: one red, one black, the same origin however they type it.
  await api.ok('PUT', '/v1/marks/mine', await anActiveShopOwner(), { kind: 'origin', subject: `${ORIGIN} `, color: 'red', reason: '果形好' });
  await api.ok('PUT', '/v1/marks/mine', await anActiveShopOwner(), { kind: 'origin', subject: ORIGIN, color: 'black', reason: '今年偏酸' });

  await page.getByRole('tab', { name: '产地' }).click();
  const row = page.getByTestId('board-item').filter({ hasText: ORIGIN });
  expect(await textOf(row.getByTestId('board-counts'))).toBe(`红 2 · 黑 1 · 推荐度下限 ${percent(2, 3)}`);
  await page.getByTestId('board-black').click();
  expect(await textOf(row.getByTestId('board-counts'))).toBe(`红 2 · 黑 1 · 不推荐度下限 ${percent(1, 3)}`);
  expect(await textOf(page.getByTestId('my-mark'))).toContain('甜度高，回购多');
  await checkScreen(page, 'marks');

  // Withdrawn: gone from the shop owner's marks and from the counts.
  await page.getByTestId('my-mark').filter({ hasText: ORIGIN }).getByTestId('withdraw').click();
  await page.getByText('你还没有评价过。').waitFor();
  await page.getByTestId('board-red').click();
  expect(await textOf(row.getByTestId('board-counts'))).toBe(`红 1 · 黑 1 · 推荐度下限 ${percent(1, 2)}`);
});

test("the demo shop owner marks the factory's product 黑 from its campaign page", async () => {
  const page = phone.page;
  await page.goto(`${service.url}/c/${campaign.id}`);
  const section = page.getByTestId('mark-this');
  await section.getByRole('heading', { name: '店主评价（红黑榜）' }).waitFor();
  await section.getByTestId('mark-black').click();
  await section.getByLabel('理由').fill('包装太薄，运输易压坏');
  await section.getByTestId('mark-submit').click();
  expect(await textOf(section.getByTestId('my-campaign-mark'))).toBe('你的评价：黑 · 包装太薄，运输易压坏');
  expect(await seriousViolations(page)).toEqual([]);
  const mine = await api.ok<{ items: { color: string; subject: { ref: string } }[] }>(
    'GET',
    '/v1/marks/mine?kind=campaign&subject=' + campaign.id,
    await shopOwnerToken(),
  );
  expect(mine.items.map((m) => [m.subject.ref, m.color])).toEqual([[campaign.id, 'black']]);
});

test("the factory reads its product's marks with reasons, never who, answers once in the portal, and the answer shows on the list", async () => {
  await api.ok('PUT', '/v1/marks/mine', await anActiveShopOwner(), { kind: 'campaign', subject: campaign.id, color: 'red', reason: '面料好，好卖' });
  const page = portal.page;
  await page.goto(`${service.url}/portal/`);
  await page.getByLabel('邮箱').fill(DEMO_ACCOUNTS.factory.email);
  await page.getByLabel('密码').fill(DEMO_ACCOUNTS.factory.password);
  await page.getByRole('button', { name: '登录' }).click();
  await page.getByRole('navigation').getByRole('link', { name: '红黑榜', exact: true }).click();
  await page.getByRole('heading', { level: 1, name: '红黑榜' }).waitFor();
  const row = page.getByTestId('mark-subject-row').filter({ hasText: campaign.title });
  const cells = await row.locator('td').allInnerTexts();
  expect(cells).toEqual(['1', '1', portalPercent(1, 2), portalPercent(1, 2), '未回复']);
  await row.getByRole('link').click();

  await page.getByRole('heading', { level: 1, name: `商品 · ${campaign.title}` }).waitFor();
  const reasons = await textOf(page.getByTestId('subject-marks'));
  expect(reasons).toContain('包装太薄，运输易压坏');
  expect(reasons).toContain('面料好，好卖');
  // Never who: the demo shop owner's shop name and e-mail are nowhere on the page.
  const body = await textOf(page.locator('main'));
  expect(body).not.toContain(DEMO_ACCOUNTS.shopOwner.email);
  expect(body).not.toContain('评价小店');

  await page.getByLabel('回复内容').fill('已改用五层加厚纸箱，下批起发货。');
  await page.getByRole('button', { name: '提交回复' }).click();
  expect(await textOf(page.getByTestId('marks-answer'))).toContain('已改用五层加厚纸箱，下批起发货。');
  expect(await seriousViolations(page)).toEqual([]);
  await screenshot(page, 'portal-marks');

  // A second answer through the API is refused; the shop owners' list shows the one answer.
  const factory = (await api.login(DEMO_ACCOUNTS.factory.email, DEMO_ACCOUNTS.factory.password)).token;
  const subjectId = new URL(page.url()).pathname.split('/').pop()!;
  const again = await api.call<{ code: string }>('POST', `/v1/factory/marks/${subjectId}/answer`, factory, { answer: '再回复一次' });
  expect([again.status, again.body.code]).toEqual([409, 'marks_already_answered']);
  const shop = phone.page;
  await shop.goto(`${service.url}/shop/marks`);
  await shop.getByRole('heading', { level: 1, name: '红黑榜' }).waitFor();
  await shop.getByTestId('board-black').click();
  const listed = shop.getByTestId('board-item').filter({ hasText: campaign.title });
  expect(await textOf(listed.getByTestId('board-answer'))).toBe('厂家回复：已改用五层加厚纸箱，下批起发货。');
});
