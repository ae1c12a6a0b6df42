import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import jsQR from 'jsqr';
import type { Page } from 'playwright-core';
import { PNG } from 'pngjs';
import { DEMO_ACCOUNTS } from '../../src/demo/seed';
import type { RunningService } from '../support/process';
import { ApiClient, eventually, textOf } from './support/portal';
import { checkKitCopyText, checkScreen, launchPhone, requireStorefrontPrerequisites, startSandboxStore, tearDown, yuan } from './support/storefront';

/**
 * Issue #18's browser bar, end to end, as people use it on their phones (docs/shop-owners.md): a consumer
 * applies to be a shop owner in 我的 and is approved; on a campaign page their share kit gives the poster to
 * save, whose QR code is their link, and the copy text; a second consumer opens that link in a browser of
 * their own, signs up while pledging, is bound to the shop owner (我的店主), pays the deposit on the
 * sandbox checkout; the campaign succeeds, the consumer pays the balance; the shop owner's 店主中心 shows the
 * order and units through their link and the completed sale, the commission exact to the fen. In order.
 *
 * Through the API only what has no UI for these people: the operator's approval, commission rate and the
 * campaign's creation and close (the operator works in the factory portal / API, not the storefront).
 */
interface Campaign {
  id: string;
  title: string;
  options: { name: string; label: { zh: string }; values: string[]; valueLabels: Record<string, { zh: string }> }[];
}
interface Pledge {
  id: string;
  status: string;
  shopCode?: string | null;
  balance: string | null;
}

let service: RunningService;
let api: ApiClient;
let dataDir: string;
let origin: string;
let operator: string;
let campaign: Campaign;
let ownerBrowser: Awaited<ReturnType<typeof launchPhone>>;
let buyerBrowser: Awaited<ReturnType<typeof launchPhone>> | undefined;
let owner: Page;
let buyer: Page;
let code: string;
let pledgeId: string;
let buyerToken: string;

const SHOP_NAME = '阿梅的好物小铺';
const PASSWORD = 'correct horse battery';
// The campaign's one tier and the operator's rate: 3 units at ¥79.90 = ¥239.70; 3.5% of it is ¥8.3895, ¥8.39 to the fen.
const UNIT_PRICE = '79.90';
const UNITS = 3;
const RATE = '0.035';

/** Exact money in fen: `amount × factor`, rounded half up to the fen, as yuan with two decimals. */
function times(amount: string, factor: string): string {
  const [whole, cents] = amount.split('.');
  const fen = BigInt(whole) * 100n + BigInt(cents);
  const [, decimals = ''] = factor.split('.');
  const scale = 10n ** BigInt(decimals.length);
  const scaled = fen * BigInt(factor.replace('.', ''));
  const rounded = (scaled * 2n + scale) / (scale * 2n);
  return `${rounded / 100n}.${String(rounded % 100n).padStart(2, '0')}`;
}

beforeAll(async () => {
  requireStorefrontPrerequisites();
  // Payments wait for the sandbox checkout sheet (no auto-confirm), as a buyer pays in the demo.
  ({ service, dataDir } = await startSandboxStore('shop-lifecycle'));
  origin = service.url;
  api = new ApiClient(origin);
  operator = (await api.login(DEMO_ACCOUNTS.operator.email, DEMO_ACCOUNTS.operator.password)).token;

  // Operator (API): a campaign of the demo factory that succeeds at one unit, at one price, and the shop owners' rate on it.
  const factories = await api.ok<{ items: { id: string; kind: string }[] }>('GET', '/v1/factories', operator);
  const now = Date.now();
  const created = await api.ok<Campaign>('POST', '/v1/campaigns', operator, {
    factoryId: factories.items.find((f) => f.kind === 'manufacturer')!.id,
    title: '店主拼单：云南蓝莓',
    productName: '云南蓝莓',
    options: [{ name: 'size', label: { zh: '规格', en: 'Size' }, values: ['box'], valueLabels: { box: { zh: '125克×4盒', en: '125 g × 4' } } }],
    referencePrice: '99.00',
    depositRate: '0.10',
    tiers: [{ minUnits: 1, unitPrice: UNIT_PRICE }],
    opensAt: new Date(now - 60_000).toISOString(),
    closesAt: new Date(now + 3600_000).toISOString(),
    balanceWindowHours: 48,
    expectedShipDate: new Date(now + 30 * 86_400_000).toISOString().slice(0, 10),
  });
  campaign = await api.ok<Campaign>('POST', `/v1/campaigns/${created.id}/publish`, operator);
  await api.ok('PUT', `/v1/campaigns/${campaign.id}/commission-rate`, operator, { rate: RATE });

  ownerBrowser = await launchPhone();
  owner = ownerBrowser.page;
}, 120_000);

afterAll(async () => {
  await buyerBrowser?.close();
  await tearDown({ browser: ownerBrowser, service, dataDir });
});

const heading = (page: Page, name: string) => page.getByRole('heading', { level: 1, name, exact: true });

/** Signs up with email and password in the sign-in form the page shows (the 我的 page or the pledge sheet). */
async function signUp(page: Page, email: string): Promise<void> {
  await page.getByRole('tab', { name: '邮箱' }).click();
  await page.getByRole('button', { name: '没有账号？用邮箱注册' }).click();
  await page.getByLabel('邮箱').fill(email);
  await page.getByLabel('密码').fill(PASSWORD);
  await page.getByRole('button', { name: '注册并登录' }).click();
}

test('a consumer signs up and applies to be a shop owner in 我的; once an operator approves, 店主中心 is theirs', async () => {
  await owner.goto(`${origin}/`);
  await owner.getByRole('link', { name: '我的' }).click();
  await signUp(owner, `owner-${randomUUID().slice(0, 8)}@example.test`);
  await heading(owner, '我的').waitFor();

  const form = owner.getByTestId('shop-apply');
  await form.getByRole('heading', { name: '成为店主' }).waitFor();
  await form.getByText('免费申请，无需购买或缴费。').waitFor();
  // Nothing filled in: said, nothing sent.
  await form.getByRole('button', { name: '提交申请' }).click();
  await form.getByText('请填写店铺名称、手机号和微信号。').waitFor();
  await form.getByLabel('店铺名称').fill(SHOP_NAME);
  await form.getByLabel('手机号').fill('13912345678');
  await form.getByLabel('微信号').fill('amei_goods');
  await checkScreen(owner, 'shop-apply', '[data-testid="shop-apply"]');
  await form.getByRole('button', { name: '提交申请' }).click();
  await form.getByText(`已提交“${SHOP_NAME}”的店主申请，等待平台审核。`).waitFor();

  // Operator (API: operators decide in the portal / API, not in the storefront): the application is approved.
  const pending = await api.ok<{ items: { id: string; name: string }[] }>('GET', '/v1/shop-applications?status=pending', operator);
  const application = pending.items.find((a) => a.name === SHOP_NAME)!;
  code = (await api.ok<{ code: string }>('POST', `/v1/shop-applications/${application.id}/approve`, operator)).code;

  await owner.reload();
  await owner.getByTestId('shop-center-link').click();
  await heading(owner, '店主中心').waitFor();
  await owner.getByText(`店铺码 ${code}`).waitFor();
  await owner.getByTestId('shop-level').getByText('等级：店主').waitFor();
  expect(await owner.getByTestId('shop-apply').count()).toBe(0);
});

test('the share kit on a campaign: the poster saved from its download link has a QR code that is their link, and the copy text carries it', async () => {
  await owner.goto(`${origin}/c/${campaign.id}`);
  const kit = owner.getByTestId('shop-kit');
  await kit.waitFor();
  const link = `${origin}/c/${campaign.id}?s=${code}`;
  expect(await kit.getByTestId('kit-link').inputValue()).toBe(link);
  // What a unit earns at the operator's rate on the price now (the only tier): ¥79.90 × 3.5% = ¥2.7965 → ¥2.80.
  await kit
    .getByTestId('kit-earn')
    .getByText(`每件约赚 ${yuan(times(UNIT_PRICE, RATE))}`)
    .waitFor();

  // The poster, saved as the phone saves it: the download of the kit's 保存海报 link, a PNG whose QR code is the link.
  const [download] = await Promise.all([owner.waitForEvent('download'), kit.getByTestId('kit-poster-download').click()]);
  expect(download.suggestedFilename()).toBe(`poster-${campaign.id}.png`);
  const png = PNG.sync.read(readFileSync(await download.path()));
  expect(png.width).toBe(750);
  expect(jsQR(new Uint8ClampedArray(png.data.buffer, png.data.byteOffset, png.data.length), png.width, png.height)?.data).toBe(link);

  // The copy text: the campaign, the deposit deal, the deadline and the link; not a word about earning.
  await checkKitCopyText(owner, kit, campaign.title, link);
});

test('a friend opens the link in their own browser, signs up while pledging, is bound (我的店主) and pays the deposit', async () => {
  buyerBrowser = await launchPhone();
  buyer = buyerBrowser.page;
  await buyer.goto(`${origin}/c/${campaign.id}?s=${code}`);
  await heading(buyer, campaign.title).waitFor();
  const option = campaign.options[0];
  await buyer
    .getByRole('group', { name: option.label.zh, exact: true })
    .getByRole('radio', { name: option.valueLabels[option.values[0]].zh, exact: true })
    .check();
  for (let n = 1; n < UNITS; n++) await buyer.getByRole('button', { name: '增加一件' }).click();
  await buyer.getByTestId('pledge-button').click();
  const sheet = buyer.getByRole('dialog', { name: '登录后参与拼单' });
  await sheet.waitFor();
  const email = `friend-${randomUUID().slice(0, 8)}@example.test`;
  await signUp(buyer, email);

  // Signed up, the pledge goes on to the sandbox checkout for the deposit of 3 units.
  await buyer.waitForURL(/\/pay\//);
  await heading(buyer, '收银台').waitFor();
  buyerToken = (await api.login(email, PASSWORD)).token;
  const [pledge] = (await api.ok<{ items: (Pledge & { deposit: string })[] }>('GET', '/v1/me/pledges', buyerToken)).items;
  pledgeId = pledge.id;
  expect(await textOf(buyer.getByTestId('pay-amount'))).toBe(yuan(pledge.deposit));
  await buyer.getByRole('button', { name: `确认支付 ${yuan(pledge.deposit)}` }).click();
  await buyer.waitForURL(`**/me/pledges/${pledge.id}`);
  await buyer.getByTestId('pledge-state').getByText('已付定金', { exact: true }).waitFor();

  await buyer.getByRole('link', { name: '我的' }).click();
  await heading(buyer, '我的').waitFor();
  await buyer.getByTestId('my-shop').getByText(`${SHOP_NAME}（店铺码 ${code}）`).waitFor();
});

test('the campaign succeeds, the friend pays the balance, and 店主中心 shows the order, the units and the completed sale', async () => {
  // Operator (API): the campaign is closed; it reached its one tier, so every pledge owes its balance.
  await api.ok('POST', `/v1/campaigns/${campaign.id}/close`, operator);
  const balance = await eventually('the pledge awaits its balance', async () => {
    const p = await api.ok<Pledge>('GET', `/v1/pledges/${pledgeId}`, buyerToken);
    return p.status === 'awaiting_balance' ? (p.balance ?? undefined) : undefined;
  });
  await buyer.goto(`${origin}/me/pledges/${pledgeId}`);
  await buyer.getByTestId('pledge-state').getByText('待付尾款', { exact: true }).waitFor();
  await buyer.getByRole('button', { name: `付尾款 ${yuan(balance)}` }).click();
  await buyer.waitForURL(/\/pay\//);
  await buyer.getByRole('button', { name: `确认支付 ${yuan(balance)}` }).click();
  await buyer.waitForURL(`**/me/pledges/${pledgeId}`);
  await buyer.getByTestId('pledge-state').getByText('已完成', { exact: true }).waitFor();

  // The shop owner's 店主中心: one order of 3 units through their link, and ¥239.70 of completed sales toward their level.
  const sale = times(UNIT_PRICE, String(UNITS));
  await owner.goto(`${origin}/shop`);
  await heading(owner, '店主中心').waitFor();
  const row = owner.locator(`[data-testid="shop-campaign"][data-campaign-id="${campaign.id}"]`);
  await row.waitFor();
  expect(await textOf(row.getByTestId('pledges'))).toBe('1');
  expect(await textOf(row.getByTestId('units'))).toBe(String(UNITS));
  expect(Number(await textOf(row.getByTestId('visits')))).toBeGreaterThanOrEqual(1);
  await owner
    .getByTestId('shop-level')
    .getByText(`已完成销售额 ${yuan(sale)}`)
    .waitFor();
  // The commission it earned, pending until the sale is final: 3.5% of ¥239.70 = ¥8.3895 → ¥8.39, on the page.
  expect(times(sale, RATE)).toBe('8.39');
  await owner
    .getByTestId('commission-pending')
    .getByText(yuan(times(sale, RATE)), { exact: true })
    .waitFor();
  expect(await textOf(owner.getByTestId('commission-settled'))).toBe(yuan('0.00'));
  expect(await textOf(owner.getByTestId('commission-paid'))).toBe(yuan('0.00'));
  await checkScreen(owner, 'shop-center-sale');
});
