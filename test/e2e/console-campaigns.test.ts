import { randomUUID } from 'node:crypto';
import { aConsole, type Console } from './support/console';
import { eventually, screenshot, shanghaiTime, textOf } from './support/portal';
import { seriousViolations } from './support/storefront';

/**
 * 活动 in the operator console (docs/operator-console.md § Campaigns), in Debian's chromium against the real service
 * with the demo data: the operator writes a draft whose deposit credit covers a tier's whole price, sees the warning in
 * the live preview and on the draft, edits it away, publishes, watches the progress after consumers pledge through
 * the API, and cancels another campaign with a reason.
 */
let run: Console;
beforeAll(async () => {
  run = await aConsole('console-campaigns');
}, 120_000);
afterAll(() => run?.close());

const DEMO_FACTORY = '杭州羽绒服装厂 Hangzhou Down Apparel Co.';
const heading = (name: string) => run.page.getByRole('heading', { level: 1, name, exact: true });
const warnings = () => run.page.getByTestId('campaign-warning');
/** The operator actions on a campaign in the audit log, oldest first: method, route, outcome, reason. */
const actions = async (id: string) => {
  type Entry = { method: string; route: string; status: string; reason: string | null };
  const { items } = await run.api.ok<{ items: Entry[] }>('GET', `/v1/audit-log?subjectId=${id}&limit=100`);
  return items.map((e) => [e.method, e.route, e.status, e.reason]).reverse();
};

test('an operator writes a draft, sees and edits away a warning, publishes it and watches its progress', async () => {
  const { page, api } = run;
  await page.getByRole('navigation', { name: '控制台导航' }).getByRole('link', { name: '活动', exact: true }).click();
  await heading('活动').waitFor();
  await page.getByRole('link', { name: '新建活动' }).click();
  await heading('新建活动草稿').waitFor();

  // Opened an hour ago, so that it takes pledges once published.
  const opensAt = shanghaiTime(new Date(Date.now() - 3600_000).toISOString()).replace(' ', 'T');
  await page.getByLabel('工厂', { exact: true }).selectOption({ label: DEMO_FACTORY });
  await page.getByLabel('活动标题').fill('春季冲锋衣联名预售');
  await page.getByLabel('产品名称').fill('冲锋衣');
  await page.getByLabel('选项代码（英文小写，如 colour）').fill('colour');
  await page.getByLabel('中文名称（如 颜色）').fill('颜色');
  await page.getByLabel('取值代码（如 black）').fill('black');
  await page.getByLabel('中文名称（如 黑色）').fill('黑色');
  await page.getByRole('button', { name: '添加取值' }).click();
  await page.locator('#cc-option-0-value-1').fill('navy');
  await page.locator('#cc-option-0-value-1-zh').fill('藏青');
  await page.getByLabel('参考价（元）').fill('1000');
  await page.getByLabel('定金比例（%）').fill('10');
  // ¥100 × 9 = ¥900: the whole price at the 3-unit tier.
  await page.getByLabel('定金膨胀倍数').fill('9');
  await page.getByLabel('件数起').fill('3');
  await page.getByLabel('单价（元）').fill('900');
  await page.getByLabel('开始认购（北京时间）').fill(opensAt);

  // The preview, from the server: the consumer's options in Chinese, the deposit, and nothing left to pay at ¥900.
  const preview = page.getByTestId('campaign-preview');
  await preview.getByText('黑色 · 藏青').waitFor();
  await preview.getByText('每件定金 ¥100.00').waitFor();
  const tierRow = preview.getByTestId('preview-tiers').getByRole('row', { name: /3 件起/ });
  await eventually('the tier shows no balance', async () => (await tierRow.innerText()).includes('¥0.00'));
  expect((await tierRow.innerText()).split(/\s+/).filter(Boolean)).toEqual(['3', '件起', '¥900.00', '¥100.00', '¥900.00', '¥0.00']);
  await eventually('the warning shows', async () => (await warnings().count()) === 1);
  expect(await warnings().getAttribute('data-code')).toBe('deposit_credit_covers_price');
  expect(await textOf(warnings())).toBe('定金膨胀后每件抵 ¥900.00，不低于 3 件档的单价 ¥900.00：达到这一档时消费者只付定金、没有尾款。');
  await page.getByLabel('活动标题').focus();
  await page.evaluate(() => window.scrollTo(0, 0));
  await screenshot(page, 'console-campaigns-editor');
  expect(await seriousViolations(page)).toEqual([]);

  // Saved as it is, the draft carries its warning.
  await page.getByRole('button', { name: '保存草稿' }).click();
  await heading('春季冲锋衣联名预售').waitFor();
  expect(await textOf(page.getByTestId('campaign-status'))).toBe('草稿');
  expect(await warnings().getAttribute('data-code')).toBe('deposit_credit_covers_price');
  const id = new URL(page.url()).pathname.split('/').pop()!;

  // Edited away: a credit of 2 leaves ¥700 to pay.
  await page.getByRole('link', { name: '编辑草稿' }).click();
  await heading('编辑草稿').waitFor();
  expect(await page.getByLabel('定金膨胀倍数').inputValue()).toBe('9');
  await page.getByLabel('定金膨胀倍数').fill('2');
  await page.getByTestId('campaign-warnings').getByText('没有提醒。').waitFor();
  await eventually('the balance is ¥700.00', async () => (await tierRow.innerText()).includes('¥700.00'));
  // A refused field is said in Chinese under the form, by its place in it.
  await page.getByLabel('单价（元）').fill('1200');
  expect(await textOf(page.getByTestId('campaign-field-errors'))).toContain('阶梯价 1 · 单价（元）：不能高于参考价。');
  await page.getByLabel('单价（元）').fill('900');
  await page.getByRole('button', { name: '保存草稿' }).click();
  await heading('春季冲锋衣联名预售').waitFor();
  await page.getByTestId('campaign-warnings').getByText('没有提醒。').waitFor();
  expect((await api.ok<{ depositCreditRate: string; warnings: unknown[] }>('GET', `/v1/campaigns/${id}`)).depositCreditRate).toBe('2');

  // Published after its confirmation.
  await page.getByRole('button', { name: '发布', exact: true }).click();
  expect(await textOf(page.getByRole('alertdialog'))).toContain('发布后条款不能再修改');
  await page.getByRole('button', { name: '发布 · 确定' }).click();
  await page.getByRole('status').getByText('已发布。').waitFor();
  await eventually('it is open', async () => (await textOf(page.getByTestId('campaign-status'))) === '进行中');

  // Two consumers pledge through the API and pay their deposits; the page follows by itself.
  for (const [variant, quantity] of [
    [{ colour: 'black' }, 2],
    [{ colour: 'navy' }, 1],
  ] as const) {
    const consumer = await api.client.ok<{ token: string }>('POST', '/v1/auth/register', undefined, {
      email: `buyer-${randomUUID().slice(0, 8)}@example.com`,
      password: 'correct horse battery',
    });
    const pledge = await api.client.ok<{ depositPayment: { id: string } }>(
      'POST',
      `/v1/campaigns/${id}/pledges`,
      consumer.token,
      { variant, quantity },
      { 'Idempotency-Key': randomUUID() },
    );
    await api.client.ok('POST', `/v1/payments/${pledge.depositPayment.id}/sandbox-checkout`, consumer.token, { outcome: 'pay' });
  }
  const figures = page.getByTestId('campaign-figures');
  const figure = async (name: string) =>
    (
      await textOf(
        figures
          .locator('div')
          .filter({ has: page.getByText(name, { exact: true }) })
          .locator('dd'),
      )
    ).trim();
  await eventually('the deposits show', async () => (await figure('已付定金件数')) === '3');
  expect(await figure('参与人数')).toBe('2');
  expect(await figure('已付定金金额')).toBe('¥300.00');
  expect(await textOf(page.getByTestId('campaign-variants').getByRole('row', { name: /黑色/ }))).toMatch(/黑色\s+2\s+2/);
  expect(await textOf(page.locator('.tier-next'))).toBe('已达到最高档价格');
  await screenshot(page, 'console-campaigns-detail');

  // The list: found by a word of its title, its progress against the threshold.
  await page.getByRole('link', { name: '全部活动' }).click();
  await heading('活动').waitFor();
  await page.getByLabel('按标题搜索').fill('冲锋衣');
  const row = page.getByTestId('campaign-row').filter({ hasText: '春季冲锋衣联名预售' });
  await eventually('only the campaign is listed', async () => (await page.getByTestId('campaign-row').count()) === 1);
  expect(await textOf(row.getByTestId('campaign-progress'))).toBe('3 / 3 件');
  expect(await textOf(row)).toContain('¥300.00');
  await page.getByLabel('按标题搜索').fill('');
  await page.getByLabel('状态', { exact: true }).selectOption({ label: '进行中' });
  await eventually('open campaigns only', async () => {
    const badges = await page.getByTestId('campaign-row').locator('.badge').allInnerTexts();
    return badges.length > 1 && badges.every((b) => b.trim() === '进行中');
  });
  await screenshot(page, 'console-campaigns-list');

  // Each of the operator's actions on it is in the audit log, oldest first: made, edited, published.
  expect(await actions(id)).toEqual([
    ['POST', '/v1/campaigns', 'succeeded', null],
    ['PATCH', '/v1/campaigns/:id', 'succeeded', null],
    ['POST', '/v1/campaigns/:id/publish', 'succeeded', null],
  ]);
});

test('an operator closes a campaign now, and cancels another with a reason, each after a confirmation', async () => {
  const { page, api, service } = run;
  const factories = await api.ok<{ items: { id: string; name: string }[] }>('GET', '/v1/factories?limit=100');
  const factoryId = factories.items.find((f) => f.name === DEMO_FACTORY)!.id;
  const now = Date.now();
  const body = {
    factoryId,
    title: '夏季防晒衣联名预售',
    productName: '防晒衣',
    options: [{ name: 'size', label: { zh: '尺码' }, values: ['M', 'L'] }],
    referencePrice: '300.00',
    depositRate: '0.10',
    tiers: [{ minUnits: 50, unitPrice: '240.00' }],
    opensAt: new Date(now - 3600_000).toISOString(),
    closesAt: new Date(now + 5 * 86_400_000).toISOString(),
    balanceWindowHours: 48,
    expectedShipDate: new Date(now + 40 * 86_400_000).toISOString().slice(0, 10),
  };
  const created = await api.ok<{ id: string }>('POST', '/v1/campaigns', body);
  await api.ok('POST', `/v1/campaigns/${created.id}/publish`);

  // Closed now, after its confirmation: with no deposit paid it does not reach its threshold.
  const other = await api.ok<{ id: string }>('POST', '/v1/campaigns', { ...body, title: '夏季防晒帽联名预售' });
  await api.ok('POST', `/v1/campaigns/${other.id}/publish`);
  await page.goto(`${service.url}/portal/console/campaigns/${other.id}`);
  await heading('夏季防晒帽联名预售').waitFor();
  await page.getByRole('button', { name: '立即截止' }).click();
  expect(await textOf(page.getByRole('alertdialog'))).toContain('立即结束认购');
  await page.getByRole('button', { name: '立即截止 · 确定' }).click();
  await eventually('it is decided', async () => (await textOf(page.getByTestId('campaign-status'))) === '未成团');
  expect((await actions(other.id)).at(-1)).toEqual(['POST', '/v1/campaigns/:id/close', 'succeeded', null]);

  await page.goto(`${service.url}/portal/console/campaigns/${created.id}`);
  await heading('夏季防晒衣联名预售').waitFor();

  await page.getByRole('button', { name: '取消活动' }).click();
  const dialog = page.getByRole('alertdialog');
  expect(await textOf(dialog)).toContain('所有已付款项都将退还给消费者');
  const confirm = page.getByRole('button', { name: '取消活动 · 确定' });
  await page.getByLabel('取消原因（必填，至少 4 个字）').fill('停产');
  expect(await confirm.isDisabled()).toBe(true);
  await page.getByLabel('取消原因（必填，至少 4 个字）').fill('面料供应商停产，无法按期交货');
  await screenshot(page, 'console-campaigns-cancel');
  await confirm.click();
  await page.getByRole('status').getByText('活动已取消，退款正在进行。').waitFor();
  await eventually('it is cancelled', async () => (await textOf(page.getByTestId('campaign-status'))) === '已取消');
  expect(await textOf(page.getByTestId('cancel-reason'))).toBe('取消原因：面料供应商停产，无法按期交货');
  expect(await page.getByRole('button', { name: '取消活动' }).count()).toBe(0);
  expect((await api.ok<{ cancelReason: string }>('GET', `/v1/campaigns/${created.id}`)).cancelReason).toBe('面料供应商停产，无法按期交货');
  expect((await actions(created.id)).at(-1)).toEqual(['POST', '/v1/campaigns/:id/cancel', 'succeeded', '面料供应商停产，无法按期交货']);
});
