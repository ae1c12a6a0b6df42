import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DEMO_ACCOUNTS } from '../../src/demo/seed';
import { verifySignatureHeader } from '../../src/platform/signature';
import { startService, type RunningService } from '../support/process';
import { signInOnPage } from './support/console';
import { ApiClient, LAPTOP, eventually, launchChromium, requirePrerequisites, screenshot, shanghaiTime, textOf } from './support/portal';
import { tearDown } from './support/storefront';

/**
 * The factory portal's webhook buttons (数据推送), as the demo factory's planner uses them: saving a URL offers to
 * push the current batch there at once; "send test" says what the ERP answered; a failed push shows when it will be
 * retried, and "redeliver" pushes it again once the ERP is fixed. Against the demo service and a real receiver.
 */
let service: RunningService;
let dataDir: string;
let browser: Awaited<ReturnType<typeof launchChromium>>;
let api: ApiClient;

/** The factory's ERP on this machine: answers `status`, keeps what it got. */
const erp = {
  status: 200,
  received: [] as { eventId: string; signature: string; body: Buffer }[],
  server: undefined as Server | undefined,
  url: '',
};

beforeAll(async () => {
  requirePrerequisites();
  erp.server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      erp.received.push({ eventId: String(req.headers['x-c2m-event-id']), signature: String(req.headers['x-c2m-signature']), body: Buffer.concat(chunks) });
      res.writeHead(erp.status).end();
    });
  });
  await new Promise<void>((resolve) => erp.server!.listen(0, '127.0.0.1', resolve));
  erp.url = `http://127.0.0.1:${(erp.server.address() as AddressInfo).port}/erp/forecasts`;
  dataDir = mkdtempSync(path.join(tmpdir(), 'portal-webhooks-e2e-'));
  // The ERP is on this machine (a development setting); retries an hour apart, so the planned one stays planned while the test reads it.
  service = await startService({ DATA_DIR: dataDir, JOBS_POLL_INTERVAL_MS: '250', WEBHOOK_ALLOW_PRIVATE_ADDRESSES: 'true', WEBHOOK_RETRY_BASE_MS: '3600000' });
  api = new ApiClient(service.url);
  browser = await launchChromium('portal-webhooks', { viewport: LAPTOP });
}, 120_000);
afterAll(async () => {
  await tearDown({ browser, service, dataDir });
  await new Promise((resolve) => erp.server?.close(resolve));
});

describe('数据推送: the webhook buttons', () => {
  let token: string;
  let secret: string;

  test('saving a URL offers to push the current batch at once; pushed, it arrives signed', async () => {
    const { page } = browser;
    await page.goto(`${service.url}/portal/`);
    await page.waitForURL('**/portal/sign-in');
    await signInOnPage(page, DEMO_ACCOUNTS.factory);
    await page.getByRole('navigation').getByRole('link', { name: '数据推送', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: '数据推送' }).waitFor();
    token = (await api.login(DEMO_ACCOUNTS.factory.email, DEMO_ACCOUNTS.factory.password)).token;
    const [newest] = (await api.ok<{ items: { id: string; version: number }[] }>('GET', '/v1/factory/forecast-batches?limit=1', token)).items;

    await page.getByLabel('推送地址（URL）').fill(erp.url);
    await page.getByRole('button', { name: '保存地址' }).click();
    secret = await textOf(page.getByTestId('webhook-secret'));
    const saved = page.getByTestId('webhook-saved');
    expect(await textOf(saved)).toContain(`要把当前批次（v${newest.version}）立即推送到新地址吗？`);
    await saved.getByRole('button', { name: `立即推送 v${newest.version}` }).click();
    expect(await textOf(page.getByTestId('push-result'))).toBe(`v${newest.version} 已推送到新地址（HTTP 200）。`);

    const [push] = erp.received.filter((r) => r.eventId === `${newest.id}:v${newest.version}`);
    expect(verifySignatureHeader(secret, push.signature, push.body).valid).toBe(true);
    expect(JSON.parse(push.body.toString())).toMatchObject({ type: 'forecast_batch.published', batch: { id: newest.id, version: newest.version } });
    const row = page.getByTestId('delivery-row').filter({ hasText: '手动推送' }).first();
    expect(await textOf(row)).toContain(`v${newest.version}`);
    expect(await textOf(row)).toContain('成功');
  });

  test('send test: a signed test event, and what the ERP answered, said at once', async () => {
    const { page } = browser;
    await page.getByRole('button', { name: '发送测试' }).click();
    expect(await textOf(page.getByTestId('test-result'))).toMatch(/^测试推送成功：对方系统返回 HTTP 200，耗时 \d+ 毫秒（\d{4}-\d{2}-\d{2} \d{2}:\d{2}）。$/);
    const test = erp.received.at(-1)!;
    expect(test.eventId).toMatch(/^test:/);
    expect(JSON.parse(test.body.toString())).toMatchObject({ type: 'webhook.test', eventId: test.eventId });
    expect(verifySignatureHeader(secret, test.signature, test.body).valid).toBe(true);

    erp.status = 503;
    await page.getByRole('button', { name: '发送测试' }).click();
    await page.getByTestId('test-result').filter({ hasText: '测试推送失败' }).waitFor();
    expect(await textOf(page.getByTestId('test-result'))).toMatch(/^测试推送失败：对方系统返回 HTTP 503（\d{4}-\d{2}-\d{2} \d{2}:\d{2}）。$/);
  });

  test('a failed push shows its next retry; redeliver, once the ERP is fixed, delivers it', async () => {
    const { page } = browser;
    // A paid pledge changes the forecast; an operator publishes the next version, which the ERP refuses (503).
    const operator = await api.login(DEMO_ACCOUNTS.operator.email, DEMO_ACCOUNTS.operator.password);
    const consumer = await api.login(DEMO_ACCOUNTS.consumer.email, DEMO_ACCOUNTS.consumer.password);
    const factoryId = (await api.login(DEMO_ACCOUNTS.factory.email, DEMO_ACCOUNTS.factory.password)).user.factoryId!;
    const [campaign] = (await api.ok<{ campaigns: { campaignId: string }[] }>('GET', '/v1/factory/forecast', token)).campaigns;
    const pledge = await api.ok<{ id: string; depositPayment: { id: string } }>(
      'POST',
      `/v1/campaigns/${campaign.campaignId}/pledges`,
      consumer.token,
      { variant: { colour: 'black', size: 'L' }, quantity: 1 },
      { 'Idempotency-Key': randomUUID() },
    );
    await api.ok('POST', `/v1/payments/${pledge.depositPayment.id}/sandbox-checkout`, consumer.token, { outcome: 'pay' });
    await eventually(
      'the deposit is paid',
      async () => (await api.ok<{ status: string }>('GET', `/v1/pledges/${pledge.id}`, consumer.token)).status === 'active',
    );
    const { batch } = await api.ok<{ batch: { id: string; version: number } }>('POST', `/v1/factories/${factoryId}/forecast-batches`, operator.token);
    type Delivery = { batchId: string; nextAttemptAt: string | null };
    const failed = await eventually('the push failed and its retry is planned', async () =>
      (await api.ok<{ items: Delivery[] }>('GET', '/v1/factory/webhook-deliveries?status=failing', token)).items.find(
        (d) => d.batchId === batch.id && d.nextAttemptAt !== null && Date.parse(d.nextAttemptAt) > Date.now(),
      ),
    );

    await page.reload();
    const row = page
      .getByTestId('delivery-row')
      .filter({ hasText: `v${batch.version}` })
      .first();
    expect(await textOf(row.getByTestId('delivery-error'))).toBe('对方系统返回 HTTP 503');
    expect(await textOf(row.getByTestId('next-attempt'))).toBe(`将于 ${shanghaiTime(failed.nextAttemptAt!)} 自动重试`);
    await screenshot(page, 'deliveries-failing');

    erp.status = 200;
    await row.getByRole('button', { name: '重新推送' }).click();
    const redelivered = page
      .getByTestId('delivery-row')
      .filter({ hasText: '手动推送' })
      .filter({ hasText: `v${batch.version}` })
      .first();
    expect(await textOf(redelivered)).toContain('成功');
    expect(erp.received.filter((r) => r.eventId === `${batch.id}:v${batch.version}`)).toHaveLength(2);
    // The failed attempt no longer waits for a retry: its batch is delivered.
    expect(await page.getByTestId('next-attempt').count()).toBe(0);
  });
});
