import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import jsQR from 'jsqr';
import type { Page } from 'playwright-core';
import { PNG } from 'pngjs';
import { DEMO_ACCOUNTS } from '../../src/demo/seed';
import { startService, type RunningService } from '../support/process';
import { ApiClient } from './support/portal';
import { checkKitCopyText, checkScreen as checkPhoneScreen, launchPhone, requireStorefrontPrerequisites, tearDown, yuan } from './support/storefront';

/**
 * Shop owners in the storefront (docs/shop-owners.md), in Debian's chromium at phone size against the real
 * service: a shop owner's page /s/:code; a buyer who arrives through a share link, signs up, and is bound to
 * that shop owner (我的店主); the shop owner's share kit on a campaign page (link, what a unit earns at their
 * rate, copy text, a poster whose QR code is their link); and their 店主中心 showing the visit, the buyer's
 * pledge and their level. In order, one browser.
 */
interface Campaign {
  id: string;
  title: string;
  options: { name: string; values: string[] }[];
  tiers: { unitPrice: string }[];
  progress: { currentTier: { unitPrice: string } | null };
}

let service: RunningService;
let api: ApiClient;
let browser: Awaited<ReturnType<typeof launchPhone>>;
let page: Page;
let dataDir: string;
let origin: string;
let operator: string;
let demo: Campaign;
let owner: { token: string; code: string };
let buyer: { email: string; password: string };

const SHOP_NAME = '小芳的果园铺';
const GREETING = '每周新鲜水果，一起拼更便宜';

beforeAll(async () => {
  requireStorefrontPrerequisites();
  dataDir = mkdtempSync(path.join(tmpdir(), 'storefront-shops-e2e-'));
  service = await startService({ DATA_DIR: dataDir, JOBS_POLL_INTERVAL_MS: '250', SANDBOX_AUTO_CONFIRM: 'false', SANDBOX_TEST_ROUTES: 'true' });
  origin = service.url;
  api = new ApiClient(origin);
  operator = (await api.login(DEMO_ACCOUNTS.operator.email, DEMO_ACCOUNTS.operator.password)).token;
  demo = (await api.ok<{ items: Campaign[] }>('GET', '/v1/campaigns?status=open')).items[0];
  const plan = (await api.ok<{ items: { id: string }[] }>('GET', '/v1/subscription-plans')).items[0];

  // A shop owner: applies (free), is approved, chooses the demo campaign and a fruit plan for their page.
  const email = `shop-${randomUUID().slice(0, 8)}@example.test`;
  const token = (await api.ok<{ token: string }>('POST', '/v1/auth/register', undefined, { email, password: 'correct horse battery' })).token;
  const applied = await api.ok<{ id: string }>('POST', '/v1/shop-applications', token, { name: SHOP_NAME, phone: '13812345678', wechatId: 'xiaofang_88' });
  const approved = await api.ok<{ code: string }>('POST', `/v1/shop-applications/${applied.id}/approve`, operator);
  await api.ok('PUT', '/v1/me/shop', token, { greeting: GREETING, campaignIds: [demo.id], planIds: [plan.id] });
  owner = { token, code: approved.code };
  buyer = { email: `buyer-${randomUUID().slice(0, 8)}@example.test`, password: 'correct horse battery' };

  browser = await launchPhone();
  page = browser.page;
}, 120_000);

afterAll(() => tearDown({ browser, service, dataDir }));

const heading = (name: string) => page.getByRole('heading', { level: 1, name, exact: true });

const checkScreen = (name: string, at?: string) => checkPhoneScreen(page, name, at);

test("the shop page shows the shop owner's name, greeting and choices, every link carrying their code; an unknown code says 店铺不存在", async () => {
  await page.goto(`${origin}/s/${owner.code.toLowerCase()}`);
  await heading(SHOP_NAME).waitFor();
  await page.getByText(GREETING).waitFor();
  const card = page.getByTestId('campaign-card');
  expect(await card.textContent()).toContain(demo.title);
  expect(await card.getAttribute('href')).toBe(`/c/${demo.id}?s=${owner.code}`);
  expect(await page.getByTestId('plan-card').first().getAttribute('href')).toMatch(new RegExp(`/subscribe\\?s=${owner.code}$`));
  await checkScreen('shop');

  const missing = await page.goto(`${origin}/s/ZZZZ22`);
  expect(missing?.status()).toBe(404);
  await heading('店铺不存在').waitFor();
  await page.getByRole('link', { name: '返回首页' }).waitFor();
});

test('a buyer who arrives through a share link and signs up is bound to that shop owner: 我的店主', async () => {
  await page.evaluate(() => localStorage.clear());
  await page.goto(`${origin}/c/${demo.id}?s=${owner.code}`);
  await page.getByRole('heading', { level: 1, name: demo.title }).waitFor();
  const remembered = await page.evaluate(() => JSON.parse(localStorage.getItem('c2m-store.shop') ?? 'null') as { code: string } | null);
  expect(remembered?.code).toBe(owner.code);

  // Signs up later, from the 我的 tab: the binding is sent right after, once.
  await page.getByRole('link', { name: '我的' }).click();
  await page.getByRole('tab', { name: '邮箱' }).click();
  await page.getByRole('button', { name: '没有账号？用邮箱注册' }).click();
  await page.getByLabel('邮箱').fill(buyer.email);
  await page.getByLabel('密码').fill(buyer.password);
  await page.getByRole('button', { name: '注册并登录' }).click();
  await heading('我的').waitFor();
  await page.getByTestId('my-shop').getByText(`${SHOP_NAME}（店铺码 ${owner.code}）`).waitFor();
  expect(await page.evaluate(() => localStorage.getItem('c2m-store.shop'))).toBeNull();
  await checkScreen('my-shop-owner');

  const token = (await api.login(buyer.email, buyer.password)).token;
  const binding = await api.ok<{ binding: { code: string } | null }>('GET', '/v1/me/shop-binding', token);
  expect(binding.binding?.code).toBe(owner.code);
  // The buyer pledges (paid through the operator's sandbox route): attributed to the shop owner.
  const variant = Object.fromEntries(demo.options.map((o) => [o.name, o.values[0]]));
  const placed = await api.ok<{ depositPayment: { id: string } }>(
    'POST',
    `/v1/campaigns/${demo.id}/pledges`,
    token,
    { variant, quantity: 2 },
    { 'Idempotency-Key': randomUUID() },
  );
  await api.ok('POST', `/v1/payments/${placed.depositPayment.id}/sandbox/complete`, operator);
});

test("the shop owner's share kit: their link, a text to copy, and a poster whose QR code is their link", async () => {
  await page.getByRole('button', { name: '退出登录' }).click();
  const me = await api.ok<Record<string, unknown>>('GET', '/v1/me', owner.token);
  await page.evaluate(
    ([value]) => localStorage.setItem('c2m-store.session', value),
    [JSON.stringify({ token: owner.token, expiresAt: new Date(Date.now() + 3600_000).toISOString(), user: { ...me, role: 'consumer' } })],
  );
  await api.ok('PUT', `/v1/campaigns/${demo.id}/commission-rate`, operator, { rate: '0.03' });
  const now = await api.ok<Campaign>('GET', `/v1/campaigns/${demo.id}`);
  await page.goto(`${origin}/c/${demo.id}`);
  const kit = page.getByTestId('shop-kit');
  await kit.waitFor();
  const link = `${origin}/c/${demo.id}?s=${owner.code}`;
  expect(await kit.getByTestId('kit-link').inputValue()).toBe(link);
  // The operator's rate on this campaign, 3%, on the price now: what one unit would earn, "about" (the final price decides).
  const price = now.progress.currentTier?.unitPrice ?? now.tiers[0].unitPrice;
  const fen = Math.round((Math.round(Number(price) * 100) * 3) / 100);
  await kit
    .getByTestId('kit-earn')
    .getByText(`每件约赚 ${yuan((fen / 100).toFixed(2))}`)
    .waitFor();
  await checkKitCopyText(page, kit, demo.title, link);

  // The poster to save: a PNG whose QR code, decoded, is the shop owner's link.
  const href = await kit.getByTestId('kit-poster-download').getAttribute('href');
  expect(href).toBe(`/c/${demo.id}/poster.png?s=${owner.code}`);
  const poster = await fetch(origin + href);
  expect(poster.status).toBe(200);
  expect(poster.headers.get('content-type')).toBe('image/png');
  const png = PNG.sync.read(Buffer.from(await poster.arrayBuffer()));
  expect(jsQR(new Uint8ClampedArray(png.data.buffer, png.data.byteOffset, png.data.length), png.width, png.height)?.data).toBe(link);
  await checkScreen('shop-kit', '[data-testid="shop-kit"]');
});

test('店主中心 shows the visit through the link and the buyer’s pledge', async () => {
  await page.getByRole('link', { name: '我的' }).click();
  await page.getByTestId('shop-center-link').click();
  await heading('店主中心').waitFor();
  const row = page.locator(`[data-testid="shop-campaign"][data-campaign-id="${demo.id}"]`);
  await row.waitFor();
  expect(await row.getByTestId('pledges').textContent()).toBe('1');
  expect(await row.getByTestId('units').textContent()).toBe('2');
  expect(Number(await row.getByTestId('visits').textContent())).toBeGreaterThanOrEqual(1);
  // No purchase completed yet (a deposit only): no commission, the first level, and the sales the next one needs.
  expect(await page.getByTestId('commission-pending').textContent()).toBe('¥0');
  await page.getByTestId('shop-level').getByText('等级：店主').waitFor();
  await page.getByText('再完成 ¥2,000 销售额，升级为金牌店主').waitFor();
  await checkScreen('shop-center');
});
