import { randomUUID } from 'node:crypto';
import { DEMO_ACCOUNTS } from '../../src/demo/seed';
import { eventually, screenshot } from './support/portal';
import { aConsole, type Console } from './support/console';
import { seriousViolations } from './support/storefront';

/**
 * 概览, the console's front page (docs/operator-console.md § 概览), in Debian's chromium against the demo service: the
 * demo consumer pledges twice in the demo's open campaign; the tiles show the figures of GET /v1/console/summary in
 * Chinese (pledges and units of the last hour among them), and each leads to its area.
 */
let run: Console;
interface Summary {
  depositsHeld: { pledges: number; amount: string };
  balancesOutstanding: { pledges: number; amount: string };
  refunds: { pending: number; processing: number; failed: number };
  webhookBatchesFailing: number;
  overdueBatches: number;
  lastHour: { pledges: number; units: number };
}

beforeAll(async () => {
  run = await aConsole('console-home');
  const { api } = run;
  const consumer = (await api.client.login(DEMO_ACCOUNTS.consumer.email, DEMO_ACCOUNTS.consumer.password)).token;
  const campaigns = await api.ok<{ items: { id: string; status: string; options: { name: string; values: string[] }[] }[] }>('GET', '/v1/campaigns?limit=100');
  const open = campaigns.items.find((c) => c.status === 'open')!;
  const variant = Object.fromEntries(open.options.map((o) => [o.name, o.values[0]!]));
  for (const quantity of [2, 1]) {
    await api.client.ok('POST', `/v1/campaigns/${open.id}/pledges`, consumer, { variant, quantity }, { 'Idempotency-Key': randomUUID() });
  }
}, 120_000);
afterAll(() => run?.close());

const tile = (id: string) => run.page.getByTestId(`tile-${id}`);
/** "12345.60" as the console writes it: ¥12,345.60 (written here independently of the app). */
const yuan = (amount: string) => {
  const [whole, fen] = amount.split('.');
  return `¥${whole!.replace(/\B(?=(\d{3})+$)/g, ',')}.${fen}`;
};

test('the tiles show the figures of the summary, in Chinese; the last hour has the two new pledges', async () => {
  const { page, api } = run;
  // The figures are read at most every few seconds: the page and the API are compared on the same reading.
  const summary = await eventually('the front page shows the figures the API gives', async () => {
    const s = await api.ok<Summary>('GET', '/v1/console/summary');
    await page.reload();
    await tile('pledges').waitFor();
    const shown = await tile('pledges').innerText();
    return (
      s.lastHour.pledges >= 2 && shown.includes(String(s.lastHour.pledges)) && (await tile('deposits').innerText()).includes(yuan(s.depositsHeld.amount)) && s
    );
  });
  expect(await page.getByRole('heading', { level: 1 }).innerText()).toBe('概览');
  expect(await tile('pledges').innerText()).toContain('近一小时预订');
  expect(await tile('pledges').innerText()).toContain(`共 ${summary.lastHour.units} 件`);
  expect(await tile('deposits').innerText()).toContain('托管中的定金');
  expect(await tile('deposits').innerText()).toContain(`${summary.depositsHeld.pledges} 笔预订`);
  expect(await tile('balances').innerText()).toContain(yuan(summary.balancesOutstanding.amount));
  expect(await tile('refunds-failed').innerText()).toContain(String(summary.refunds.failed));
  expect(await tile('webhooks').innerText()).toContain(String(summary.webhookBatchesFailing));
  expect(await tile('overdue').innerText()).toContain(String(summary.overdueBatches));
  expect(await page.getByText(/：\d+ 笔预订，\d+ 件。/).innerText()).toContain(`${summary.lastHour.pledges} 笔预订，${summary.lastHour.units} 件。`);
  expect(await seriousViolations(page)).toEqual([]);
  await screenshot(page, 'console-home');
});

test('each tile leads to the area where it is acted on', async () => {
  const { page } = run;
  for (const [id, path] of [
    ['deposits', '/portal/console/money'],
    ['job-lag', '/portal/console/jobs'],
    ['webhooks', '/portal/console/factories'],
    ['pledges', '/portal/console/campaigns'],
  ] as const) {
    await page.getByRole('navigation', { name: '控制台导航' }).getByRole('link', { name: '概览', exact: true }).click();
    await tile(id).click();
    await page.waitForURL(`**${path}`);
  }
});
