import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { ALIPAY_EXAMPLES, FakeAlipay } from '../support/fake-alipay';
import { FakeWechatPay, WECHATPAY_TEST_MERCHANT as MERCHANT } from '../support/fake-wechat-pay';
import { startService, type RunningService } from '../support/process';
import { ApiClient, LAPTOP, PHONE, launchChromium } from './support/portal';
import { phoneScreenshot, requireStorefrontPrerequisites, seriousViolations, yuan } from './support/storefront';

/**
 * The storefront's checkout against a service configured with WeChat Pay and Alipay, each played by its
 * local fake (test/support/fake-*.ts), the service in its own process as in production: the buyer picks
 * 微信支付 on a computer and is shown the QR code, the fake "pays" and notifies, and the page goes to
 * the order, paid; on a phone the buyer picks 支付宝, is sent to Alipay's cashier (the fake's), pays and
 * comes back to the page, which finds the payment paid. Inside WeChat the page says what it cannot do
 * there. A provider's failure reaches the screen in Chinese, by its code. (The demo's sandbox sheet is
 * test/e2e/storefront.test.ts.)
 */

const IPHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';
const IN_WECHAT = `${IPHONE.replace(' Safari/604.1', '')} MicroMessenger/8.0.50(0x1800323c) NetType/WIFI Language/zh_CN`;
const SESSION_KEY = 'c2m-store.session';

interface Payment {
  id: string;
  status: string;
  amount: string;
  provider: string;
}
interface Pledge {
  id: string;
  status: string;
  depositPayment: Payment;
}
interface Campaign {
  id: string;
  options: { name: string; values: string[] }[];
}

let service: RunningService;
let api: ApiClient;
let dataDir: string;
let wechat: FakeWechatPay;
let alipay: FakeAlipay;
let campaign: Campaign;

beforeAll(async () => {
  requireStorefrontPrerequisites();
  const merchant = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const wechatKey = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const alipayApp = generateKeyPairSync('rsa', { modulusLength: 2048 });
  wechat = await FakeWechatPay.start({
    mchid: MERCHANT.mchid,
    appid: MERCHANT.appid,
    apiV3Key: MERCHANT.apiV3Key,
    merchant: { serial: MERCHANT.serial, publicKey: merchant.publicKey },
    platformKeys: [{ id: MERCHANT.publicKeyId, privateKey: wechatKey.privateKey }],
  });
  alipay = await FakeAlipay.start({ appId: ALIPAY_EXAMPLES.appId, appPublicKey: alipayApp.publicKey });
  // Alipay notifies the URL it was given: the service's own address, so its port is chosen before it starts.
  const port = await freePort();
  dataDir = mkdtempSync(path.join(tmpdir(), 'storefront-checkout-e2e-'));
  service = await startService({
    DATA_DIR: dataDir,
    PORT: String(port),
    JOBS_POLL_INTERVAL_MS: '250',
    SANDBOX_AUTO_CONFIRM: 'false',
    // Not the demo: no sandbox sheet among the providers.
    SANDBOX_CHECKOUT: 'false',
    // WeChat Pay takes only https notify URLs: the fake sends to its path on the service (notifyOrigin).
    ...wechat.serviceEnv(merchant.privateKey, MERCHANT.publicKeyId, 'https://shop.example.com/v1/payments/notifications/wechatpay'),
    ALIPAY_APP_ID: ALIPAY_EXAMPLES.appId,
    ALIPAY_PRIVATE_KEY: String(alipayApp.privateKey.export({ type: 'pkcs1', format: 'pem' })),
    ALIPAY_PUBLIC_KEY: alipay.alipayPublicKey,
    ALIPAY_NOTIFY_URL: `http://127.0.0.1:${port}/v1/payments/notifications/alipay`,
    ALIPAY_GATEWAY_URL: alipay.gatewayUrl,
  });
  wechat.notifyOrigin = service.url;
  api = new ApiClient(service.url);
  [campaign] = (await api.ok<{ items: Campaign[] }>('GET', '/v1/campaigns?status=open')).items;
}, 120_000);

afterAll(async () => {
  service?.child.kill('SIGTERM');
  await service?.exited;
  await wechat?.close();
  await alipay?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

function freePort(): Promise<number> {
  const server = createServer();
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    }),
  );
}

/** A new consumer's pledge of one unit of the demo campaign, its deposit unpaid. */
async function anUnpaidDeposit(): Promise<{ token: string; pledge: Pledge }> {
  const email = `buyer-${randomUUID().slice(0, 8)}@example.test`;
  const { token } = await api.ok<{ token: string }>('POST', '/v1/auth/register', undefined, { email, password: 'correct horse battery' });
  const variant = Object.fromEntries(campaign.options.map((o) => [o.name, o.values[0]]));
  const pledge = await api.ok<Pledge>('POST', `/v1/campaigns/${campaign.id}/pledges`, token, { variant, quantity: 1 }, { 'Idempotency-Key': randomUUID() });
  return { token, pledge };
}

/** The browser signed in as that consumer (as the sign-in form leaves it), on the deposit's checkout. */
async function openCheckout(page: Page, token: string, paymentId: string): Promise<void> {
  const me = await api.ok<{ id: string }>('GET', '/v1/me', token);
  await page.goto(`${service.url}/`);
  await page.evaluate(
    ([key, value]) => localStorage.setItem(key, value),
    [SESSION_KEY, JSON.stringify({ token, expiresAt: new Date(Date.now() + 3600_000).toISOString(), user: { ...me, role: 'consumer' } })],
  );
  await page.goto(`${service.url}/pay/${paymentId}`);
  await page.getByRole('heading', { level: 1, name: '收银台' }).waitFor();
}

const choices = (page: Page) => page.getByRole('list', { name: '选择支付方式' }).getByRole('button');

/** A fresh browser for one test, closed after it whatever happens. */
async function inBrowser(name: string, options: Parameters<typeof launchChromium>[1], use: (page: Page) => Promise<void>): Promise<void> {
  const browser = await launchChromium(name, { bypassCSP: true, ...options });
  try {
    await use(browser.page);
  } finally {
    await browser.close();
  }
}

async function checkScreen(page: Page, name: string): Promise<void> {
  expect(await seriousViolations(page)).toEqual([]);
  expect(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
  await phoneScreenshot(page, name);
}

test('on a computer: 微信支付 shows the QR code; paid at WeChat Pay, the page goes to the order, 已付定金', async () => {
  await inBrowser('checkout-desktop', { viewport: LAPTOP }, async (page) => {
    const { token, pledge } = await anUnpaidDeposit();
    await openCheckout(page, token, pledge.depositPayment.id);
    // The service's providers, in Chinese; no sandbox sheet (the service does not offer it).
    expect(await choices(page).allInnerTexts()).toEqual(['微信支付', '支付宝']);
    expect(await page.getByTestId('pay-amount').innerText()).toBe(yuan(pledge.depositPayment.amount));

    // WeChat Pay is busy: said in Chinese, by the API's code; the buyer tries again.
    wechat.failNext(1, { status: 500, code: 'SYSTEM_ERROR', message: 'System error' }, '/v3/pay/transactions/native');
    await page.getByRole('button', { name: '微信支付' }).click();
    await page.getByRole('alert').getByText('支付平台暂时出错，没有扣款，请稍后重试或换一种支付方式。').waitFor();

    await page.getByRole('button', { name: '微信支付' }).click();
    const qr = page.getByRole('img', { name: '微信支付付款二维码' });
    await qr.waitFor();
    expect(await qr.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0)).toBe(true);
    await page.getByText('请用微信扫一扫付款').waitFor();
    await checkScreen(page, 'storefront-checkout-qr');

    // The buyer scans and pays: WeChat Pay notifies the service, and the page, asking every few seconds, notices.
    const no = pledge.depositPayment.id.replaceAll('-', '');
    expect(wechat.orders.get(no)).toMatchObject({ trade_type: 'NATIVE' });
    expect((await wechat.pay(no)).status).toBe(204);
    await page.waitForURL(`**/me/pledges/${pledge.id}`, { timeout: 15_000 });
    await page.getByTestId('pledge-state').getByText('已付定金', { exact: true }).waitFor();
    expect((await api.ok<Pledge>('GET', `/v1/pledges/${pledge.id}`, token)).status).toBe('active');
  });
});

test('on a phone: 支付宝 sends the buyer to Alipay, who pays and comes back to the page; it finds the order paid', async () => {
  await inBrowser('checkout-phone', { viewport: PHONE, hasTouch: true, isMobile: true, userAgent: IPHONE }, async (page) => {
    const { token, pledge } = await anUnpaidDeposit();
    await openCheckout(page, token, pledge.depositPayment.id);
    await choices(page).first().waitFor();
    await checkScreen(page, 'storefront-checkout');

    // English on the sheet's own switch (the sheet covers the header's): the same choice.
    await page.getByRole('dialog').getByRole('button', { name: 'English' }).click();
    const inEnglish = page.getByRole('list', { name: 'Choose how to pay' });
    await inEnglish.waitFor();
    expect(await inEnglish.getByRole('button').allInnerTexts()).toEqual(['WeChat Pay', 'Alipay']);
    await page.getByRole('dialog').getByRole('button', { name: '中文' }).click();
    await choices(page).first().waitFor();

    await page.getByRole('button', { name: '支付宝' }).click();
    await page.waitForURL(`${alipay.baseUrl}/gateway.do?**`);
    await page.getByText(`支付宝收银台：`).waitFor();
    await page.getByRole('button', { name: '确认付款' }).click();

    // Back on /pay/:id (with Alipay's return parameters): the payment is paid, so on to the order.
    await page.waitForURL(`**/me/pledges/${pledge.id}`, { timeout: 15_000 });
    await page.getByTestId('pledge-state').getByText('已付定金', { exact: true }).waitFor();
    const [notification] = alipay.notifications;
    expect(notification.answer).toEqual({ status: 200, body: 'success' });
    expect((await api.ok<Pledge>('GET', `/v1/pledges/${pledge.id}`, token)).status).toBe('active');
  });
});

test('inside WeChat: no JSAPI without an openid, so WeChat Pay is its QR code and Alipay says to open the browser', async () => {
  await inBrowser('checkout-wechat', { viewport: PHONE, hasTouch: true, isMobile: true, userAgent: IN_WECHAT }, async (page) => {
    const { token, pledge } = await anUnpaidDeposit();
    await openCheckout(page, token, pledge.depositPayment.id);
    const alipayButton = page.getByRole('button', { name: '支付宝' });
    await alipayButton.waitFor();
    expect(await alipayButton.isDisabled()).toBe(true);
    expect(await page.getByText('微信内无法打开支付宝').isVisible()).toBe(true);
    await checkScreen(page, 'storefront-checkout-wechat');
    await page.getByRole('button', { name: '微信支付' }).click();
    await page.getByRole('img', { name: '微信支付付款二维码' }).waitFor();
    expect(wechat.orders.get(pledge.depositPayment.id.replaceAll('-', ''))).toMatchObject({ trade_type: 'NATIVE' });
  });
});
