import { randomUUID } from 'node:crypto';
import { DEMO_ACCOUNTS, DEMO_CONSUMER_PHONE } from '../../src/demo/seed';
import { type Console, aConsole } from './support/console';
import { eventually, screenshot, shanghaiTime, textOf } from './support/portal';
import { seriousViolations } from './support/storefront';

/**
 * The console's 资金 area as an operator uses it (docs/operator-console.md § 资金), in Debian's chromium against the
 * demo service: a refund the bank refused for good is listed with its error and attempts, sent again with a reason
 * (confirmed, audited) and paid out once; the demo consumer's records are found by their phone as people type it;
 * the refund's page tells its story with its journal entries; the ledger board is green, with balances and what
 * is owed.
 */
let c: Console;
let consumer: string;
let pledge: { id: string; deposit: string; depositPayment: { id: string } };
let refundId: string;

interface Refund {
  id: string;
  pledgeId: string | null;
  status: string;
  attempts: number;
  lastError: string | null;
}

beforeAll(async () => {
  // The sandbox's refund faults are told over HTTP (test mode).
  c = await aConsole('console-money', { SANDBOX_TEST_ROUTES: 'true' });
  const { api } = c;
  consumer = (await api.client.login(DEMO_ACCOUNTS.consumer.email, DEMO_ACCOUNTS.consumer.password)).token;
  const campaigns = await api.client.ok<{ items: { id: string; title: string; status: string }[] }>('GET', '/v1/campaigns?status=open&limit=100');
  const jacket = campaigns.items.find((x) => x.title.includes('羽绒服'))!;
  pledge = await api.client.ok(
    'POST',
    `/v1/campaigns/${jacket.id}/pledges`,
    consumer,
    { variant: { colour: 'black', size: 'L' }, quantity: 1 },
    { 'Idempotency-Key': randomUUID() },
  );
  await api.ok('POST', `/v1/payments/${pledge.depositPayment.id}/sandbox/complete`);
  // The bank will refuse the next refund for good: the refund job leaves it for an operator.
  await api.ok('POST', '/v1/sandbox/refund-faults', { kind: 'reject_for_good' });
  await api.client.ok('POST', `/v1/pledges/${pledge.id}/cancel`, consumer, undefined, { 'Idempotency-Key': randomUUID() });
  const refused = await eventually('the refund is refused', async () =>
    (await api.ok<{ items: Refund[] }>('GET', '/v1/refunds?problem=attention&limit=100')).items.find((r) => r.pledgeId === pledge.id && r.status === 'failed'),
  );
  refundId = refused.id;
}, 180_000);
afterAll(() => c?.close());

const heading = (name: string) => c.page.getByRole('heading', { name, exact: true });
/** An amount as the console writes it: ¥1,234.50. */
const yuan = (amount: string) => {
  const [whole, fen] = amount.split('.');
  return `¥${Number(whole).toLocaleString('en-US')}.${fen}`;
};

test('a refused refund is listed with its error and attempts; sent again with a reason, it is paid out once', async () => {
  const { page, api } = c;
  await page.getByRole('navigation', { name: '控制台导航' }).getByRole('link', { name: '资金', exact: true }).click();
  await heading('需要处理的退款').waitFor();
  const row = page.locator(`tr[data-testid="refund-row"][data-id="${refundId}"]`);
  const text = await textOf(row);
  expect(text).toContain('失败');
  expect(text).toContain('用户取消预订');
  expect(text).toContain(yuan(pledge.deposit));
  expect(text).toContain('sandbox: the bank rejected the refund for good');
  expect(await row.locator('td').nth(3).innerText()).toBe('1');
  expect(await seriousViolations(page)).toEqual([]);
  await screenshot(page, 'console-money-refunds');

  // Sending it again asks why; without a reason the API refuses, under the field, in Chinese.
  await row.getByRole('button', { name: '重新发送' }).click();
  await row.getByRole('button', { name: `确定重新发送 ${yuan(pledge.deposit)} 的退款` }).click();
  expect(await textOf(row.locator('.field-error'))).toBe('必须填写。');
  await row.getByLabel('重新发送的原因').fill('银行已恢复，用户来电催促');
  await row.getByRole('button', { name: `确定重新发送 ${yuan(pledge.deposit)} 的退款` }).click();
  expect(await textOf(page.getByTestId('retry-outcome'))).toBe('退款已重新发送，支付渠道已付出。');
  await row.waitFor({ state: 'detached' });

  // Paid out once: one payment_refund_sent entry; asked again, it was already paid out.
  const record = await api.ok<{ status: string; ledger: { kind: string }[] }>('GET', `/v1/console/money/refunds/${refundId}`);
  expect(record.status).toBe('succeeded');
  expect(record.ledger.filter((e) => e.kind === 'payment_refund_sent')).toHaveLength(1);
  const again = await api.ok<{ outcome: string }>('POST', `/v1/refunds/${refundId}/retry`, { reason: '再试一次' }, { 'Idempotency-Key': randomUUID() });
  expect(again.outcome).toBe('already_paid_out');

  // Audited: who, which refund, why.
  const audit = await api.ok<{ items: { subjectId: string; reason: string; status: string; actor: { email: string } }[] }>(
    'GET',
    `/v1/audit-log?action=${encodeURIComponent('POST /v1/refunds/:id/retry')}`,
  );
  expect(audit.items.filter((e) => e.subjectId === refundId && e.reason === '银行已恢复，用户来电催促')).toEqual([
    expect.objectContaining({ status: 'succeeded', actor: expect.objectContaining({ email: DEMO_ACCOUNTS.operator.email }) }),
  ]);
});

test("the consumer's records by their phone, as typed; a refund's page: its story and its journal entries", async () => {
  const { page } = c;
  const national = DEMO_CONSUMER_PHONE.replace('+86', '');
  await page.getByLabel('编号、手机号、邮箱或活动名称').fill(`${national.slice(0, 3)} ${national.slice(3, 7)} ${national.slice(7)}`);
  await page.getByRole('button', { name: '查找', exact: true }).click();
  const results = page.getByTestId('search-results');
  expect(await textOf(results.getByTestId('read-as'))).toContain(`${national.slice(0, 3)}****${national.slice(-4)}`);
  const pledgeRow = results.getByTestId('found-pledges').locator(`tr[data-id="${pledge.id}"]`);
  expect(await textOf(pledgeRow)).toContain('已取消');
  // The variant in the campaign's own labels.
  expect(await textOf(pledgeRow)).toContain('黑色 / L × 1');
  const refundRow = results.getByTestId('found-refunds').locator(`tr[data-id="${refundId}"]`);
  expect(await textOf(refundRow)).toContain('已退款');
  // Nothing of anyone else: every row is the demo consumer's.
  for (const consumerCell of await results.locator('tbody tr').all()) expect(await consumerCell.innerText()).toContain(`${national.slice(0, 3)}****`);
  expect(await seriousViolations(page)).toEqual([]);
  await screenshot(page, 'console-money-search');

  await refundRow.getByRole('link').click();
  await page.getByTestId('money-record').waitFor();
  expect(await textOf(page.getByTestId('record-summary'))).toBe('用户取消预订');
  expect(await textOf(page.getByTestId('status').first())).toBe('已退款');
  const timeline = page.getByTestId('record-timeline');
  for (const event of ['决定退款', '退款已付出', '付款成功']) expect(await textOf(timeline)).toContain(event);
  const ledger = page.getByTestId('record-ledger');
  expect(await textOf(ledger.locator('tbody[data-kind="payment_refund_sent"]'))).toContain('退款已付出');
  expect(await textOf(ledger.locator('tbody[data-kind="deposit_refunded"]'))).toContain('退还定金');
  expect(await page.getByTestId('record-facts').innerText()).toContain('尝试次数');
  expect(await seriousViolations(page)).toEqual([]);
  await screenshot(page, 'console-money-record');

  // Its pledge, from the related records: the deposit paid and refunded, in its Chinese variant.
  await page.getByTestId('record-related').locator('tr[data-kind="pledges"]').getByRole('link').click();
  await page.getByRole('heading', { name: new RegExp(`^预订 ${pledge.id}`) }).waitFor();
  expect(await textOf(page.getByTestId('record-amounts'))).toContain(yuan(pledge.deposit));
  const created = await c.api.ok<{ timeline: { at: string; event: string }[] }>('GET', `/v1/console/money/pledges/${pledge.id}`);
  expect(await textOf(page.getByTestId('record-timeline').locator('tr[data-event="pledge_created"]'))).toContain(
    shanghaiTime(created.timeline.find((e) => e.event === 'pledge_created')!.at),
  );
});

test('the ledger board: every reconcile check green, the totals, balances, and what is owed', async () => {
  const { page, api } = c;
  await page.getByRole('link', { name: '对账与余额' }).click();
  const verdict = await textOf(page.getByTestId('board-verdict'));
  const board = await api.ok<{ ok: boolean; checks: { check: string; ok: boolean }[]; totals: Record<string, string> }>('GET', '/v1/console/ledger');
  expect(board.ok).toBe(true);
  expect(verdict).toBe(`全部 ${board.checks.length} 项检查通过`);
  const checks = page.getByTestId('checks').locator('li');
  expect(await checks.count()).toBe(board.checks.length);
  for (const check of await checks.all()) expect(await check.getAttribute('data-ok')).toBe('true');
  expect(await textOf(page.getByTestId('checks').locator('li[data-check="money_accounted_for"]'))).toContain('收到的每一分钱都有去向');
  const received = page.getByTestId('totals').locator('div').filter({ hasText: /^收款/ });
  expect((await textOf(received)).replace(/\s+/g, ' ')).toBe(`收款 ${yuan(board.totals.received)}`);
  expect(await textOf(page.getByTestId('balances').locator('tr[data-account="gateway"]'))).toContain('渠道资金');
  expect(await seriousViolations(page)).toEqual([]);
  await screenshot(page, 'console-money-ledger');

  // English, one click away.
  await page.locator('button.language-switch').click();
  await page.getByRole('heading', { name: 'Reconcile', exact: true }).waitFor();
  expect(await textOf(page.getByTestId('board-verdict'))).toBe(`All ${board.checks.length} checks hold`);
  await page.locator('button.language-switch').click();
  await heading('对账').waitFor();
});
