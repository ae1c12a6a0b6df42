import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { DEMO_ACCOUNTS } from '../../../src/demo/seed';
import { startService } from '../../support/process';
import { ApiClient, LAPTOP, eventually, launchChromium, requirePrerequisites } from './portal';
import { tearDown } from './storefront';

/** The demo operator's calls: the service's API with the operator's token already given. */
export class OperatorApi {
  constructor(
    /** The API as any client calls it (to log in as someone else, or call with another token). */
    readonly client: ApiClient,
    /** The demo operator's bearer token (a session of its own, beside the browser's). */
    readonly token: string,
  ) {}

  call<T>(method: string, url: string, body?: unknown, headers: Record<string, string> = {}) {
    return this.client.call<T>(method, url, this.token, body, headers);
  }

  /** A call that must succeed. */
  ok<T>(method: string, url: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
    return this.client.ok<T>(method, url, this.token, body, headers);
  }
}

/** Signs in on the portal's sign-in page (where `page` is) as the given account. */
export async function signInOnPage(page: Page, account: { email: string; password: string }): Promise<void> {
  await page.getByLabel('邮箱').fill(account.email);
  await page.getByLabel('密码').fill(account.password);
  await page.getByRole('button', { name: '登录' }).click();
}

/**
 * The operator console as an operator uses it (docs/operator-console.md): the service with its demo data in its
 * own process, Debian's chromium on a laptop (downloads accepted; CSP bypassed only so a test can put axe-core
 * into the page) that went to /console and signed in there as the demo operator, and is on the console's front
 * page. `api` calls with the operator's token; `dataDir` is the service's (its SQLite file). `close()` ends all of it.
 */
export async function aConsole(name: string, env: Record<string, string> = {}) {
  requirePrerequisites();
  const dataDir = mkdtempSync(path.join(tmpdir(), `${name}-e2e-`));
  const service = await startService({ DATA_DIR: dataDir, JOBS_POLL_INTERVAL_MS: '250', ...env });
  const browser = await launchChromium(`${name}-console`, { viewport: LAPTOP, acceptDownloads: true, bypassCSP: true });
  const close = () => tearDown({ browser, service, dataDir });
  try {
    const client = new ApiClient(service.url);
    const api = new OperatorApi(client, (await client.login(DEMO_ACCOUNTS.operator.email, DEMO_ACCOUNTS.operator.password)).token);
    const { page, context } = browser;
    await page.goto(`${service.url}/console`);
    await page.waitForURL('**/portal/sign-in');
    await signInOnPage(page, DEMO_ACCOUNTS.operator);
    await page.getByRole('navigation', { name: '控制台导航' }).waitFor();
    return { service, api, page, context, dataDir, close };
  } catch (error) {
    await close();
    throw error;
  }
}

export type Console = Awaited<ReturnType<typeof aConsole>>;

/** A factory's ERP endpoint on this machine that answers `status` (set it to change the answer) to every push, and keeps each push's event id. */
export interface Receiver {
  url: string;
  status: number;
  received: string[];
  close(): Promise<void>;
}

export async function aReceiver(): Promise<Receiver> {
  const state = { status: 500, received: [] as string[] };
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      state.received.push(String(req.headers['x-c2m-event-id']));
      res.writeHead(state.status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(state, {
    url: `http://127.0.0.1:${port}/erp/c2m`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}

/**
 * A push that fails: the demo factory's webhook points at `receiver`, the demo consumer's paid pledge changes its
 * forecast, and the operator publishes a new version, which the receiver refuses while its status says so.
 */
export async function aPublishedBatchPushedTo(c: Console, receiver: Receiver) {
  const { api } = c;
  const factory = await api.client.login(DEMO_ACCOUNTS.factory.email, DEMO_ACCOUNTS.factory.password);
  await api.client.ok('PUT', '/v1/factory/webhook', factory.token, { url: receiver.url });
  const consumer = await api.client.login(DEMO_ACCOUNTS.consumer.email, DEMO_ACCOUNTS.consumer.password);
  const [campaign] = (await api.client.ok<{ campaigns: { campaignId: string }[] }>('GET', '/v1/factory/forecast', factory.token)).campaigns;
  const pledge = await api.client.ok<{ id: string; depositPayment: { id: string } }>(
    'POST',
    `/v1/campaigns/${campaign.campaignId}/pledges`,
    consumer.token,
    { variant: { colour: 'navy', size: 'M' }, quantity: 1 },
    { 'Idempotency-Key': randomUUID() },
  );
  await api.client.ok('POST', `/v1/payments/${pledge.depositPayment.id}/sandbox-checkout`, consumer.token, { outcome: 'pay' });
  await eventually(
    'the deposit is paid',
    async () => (await api.client.ok<{ status: string }>('GET', `/v1/pledges/${pledge.id}`, consumer.token)).status === 'active',
  );
  const { batch } = await api.ok<{ batch: { id: string; version: number } }>('POST', `/v1/factories/${factory.user.factoryId}/forecast-batches`);
  return { factory, batch };
}
