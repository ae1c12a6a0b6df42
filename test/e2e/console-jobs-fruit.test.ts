import { readFileSync } from 'node:fs';
import path from 'node:path';
import { migrations } from '../../migrations';
import { entities } from '../../src/app';
import { DEMO_ACCOUNTS } from '../../src/demo/seed';
import { type Database, openDatabase } from '../../src/platform/database';
import { JobRow } from '../../src/platform/jobs';
import { BoxRow } from '../../src/subscriptions';
import { type Console, type Receiver, aConsole, aPublishedBatchPushedTo, aReceiver } from './support/console';
import { eventually, screenshot, shanghaiTime, textOf } from './support/portal';

/**
 * The console's 任务 and 水果 areas as an operator uses them, against the demo service and its worker.
 * 任务: the demo factory's webhook is down, so the push of its forecast fails; the operator finds it from the
 * table per job type, reads its error, and once the receiver is back retries it (it is delivered); a scheduled
 * job is cancelled after a confirmation that asks why (in Chinese when the why is missing).
 * 水果: the catalogue in Chinese; an edit refused field by field in Chinese, then saved; the demo orchard commits
 * less mango than a week's boxes need, and the ship date shows who was short and what came instead; past the
 * cutoff, the picking list of the date, and its CSV.
 */
let c: Console;
let receiver: Receiver;

beforeAll(async () => {
  receiver = await aReceiver();
  // The receiver is on this machine (a development setting); a failed push is retried an hour later, so it stays failed while the test reads it.
  c = await aConsole('console-jobs-fruit', { WEBHOOK_ALLOW_PRIVATE_ADDRESSES: 'true', WEBHOOK_RETRY_BASE_MS: '3600000' });
});
afterAll(async () => {
  await c?.close();
  await receiver?.close();
});

const heading = (name: string) => c.page.getByRole('heading', { name, exact: true });
type Job = { id: string; name: string; state: string; attempts: number; lastError: string | null; nextRunAt: string | null; recurring: boolean };
type Entry = { method: string; route: string; reason: string | null; status: string };
const auditOf = async (subjectId: string) =>
  (await c.api.ok<{ items: Entry[] }>('GET', `/v1/audit-log?subjectId=${encodeURIComponent(subjectId)}&limit=100`)).items.reverse();

describe('任务', () => {
  test('a failed push: found from its job type, its error read, retried once the receiver is back, and delivered', async () => {
    const { page, api } = c;
    const { batch } = await aPublishedBatchPushedTo(c, receiver);
    const failed = await eventually('the push failed and waits for its retry', async () =>
      (await api.ok<{ items: Job[] }>('GET', '/v1/jobs?name=forecasts.push-batch&state=failed')).items.find((j) => j.nextRunAt !== null),
    );

    await page.getByRole('link', { name: '任务', exact: true }).click();
    await heading('任务').waitFor();
    // The table per job type: the push's row is marked, and says one failed job.
    const pushRow = page.getByTestId('job-summary-row').and(page.locator('[data-name="forecasts.push-batch"]'));
    expect(await textOf(pushRow.locator('th'))).toContain('推送预测批次到工厂');
    const failedCount = pushRow.getByRole('button', { name: '查看推送预测批次到工厂中失败待重试的任务（1 个）' });
    await failedCount.waitFor();
    expect(await pushRow.getAttribute('class')).toContain('job-troubled');
    await screenshot(page, 'console-jobs');

    // Its jobs, filtered to the failed ones: the error, the attempts and the next automatic try.
    await failedCount.click();
    const row = page.locator(`[data-job-id="${failed.id}"]`);
    expect(await textOf(row.getByTestId('job-state'))).toBe('失败待重试');
    expect(await page.getByLabel('状态').inputValue()).toBe('failed');
    expect(await page.getByTestId('job-row').count()).toBe(1);
    expect(await textOf(row.getByTestId('job-attempts'))).toBe('1 / 41');
    // The error as the job raised it (developers' words, shown as they are), shortened in the row, whole in its details.
    expect(await textOf(row.getByTestId('job-error'))).toContain(`push of batch ${batch.id} v${batch.version}, attempt 1`);
    expect(await textOf(row.getByTestId('job-next-run'))).toBe(shanghaiTime(failed.nextRunAt!));
    await row.getByText('详情').click();
    expect(await textOf(row.getByTestId('job-full-error'))).toBe(failed.lastError!);
    expect(failed.lastError).toContain('500');

    // The factory's ERP is back: retry, confirmed with a why; the worker runs it at once and the batch arrives.
    receiver.status = 200;
    await row.getByRole('button', { name: '重试' }).click();
    await row.getByLabel('原因').fill('工厂的 ERP 已恢复');
    await row.getByRole('button', { name: '确认重试' }).click();
    await eventually('the retried push delivered', async () => (await api.ok<Job>('GET', `/v1/jobs/${failed.id}`)).state === 'completed');
    expect(receiver.received.filter((id) => id === `${batch.id}:v${batch.version}`)).toHaveLength(2);
    // The list (failed only) no longer has it; the table's failed count is gone.
    await page.getByText('没有符合条件的任务。').waitFor();
    await pushRow.locator('[data-state="failed"]').getByText('0').waitFor();

    expect((await auditOf(failed.id)).map((e) => [e.method, e.route, e.status, e.reason])).toEqual([
      ['POST', '/v1/jobs/:id/retry', 'succeeded', '工厂的 ERP 已恢复'],
    ]);
  });

  test('a scheduled job is cancelled after a confirmation that asks why', async () => {
    const { page, api } = c;
    const [scheduled] = (await api.ok<{ items: Job[] }>('GET', '/v1/jobs?state=scheduled&limit=100')).items.filter((j) => !j.recurring);
    await page.getByLabel('任务类型').selectOption(scheduled.name);
    await page.getByLabel('状态').selectOption('scheduled');
    const row = page.locator(`[data-job-id="${scheduled.id}"]`);
    await row.getByRole('button', { name: '取消任务' }).click();
    expect(await textOf(row.getByRole('form'))).toContain('取消这个任务？取消后不会再执行');
    // No why: refused, said in Chinese under the field; the job is still scheduled.
    await row.getByRole('button', { name: '确认取消' }).click();
    expect(await textOf(page.locator(`#job-reason-${scheduled.id}-error`))).toBe('必须填写。');
    expect((await api.ok<Job>('GET', `/v1/jobs/${scheduled.id}`)).state).toBe('scheduled');
    await screenshot(page, 'console-jobs-cancel');

    await row.getByLabel('原因').fill('运营测试：不再需要');
    await row.getByRole('button', { name: '确认取消' }).click();
    await eventually('the job is cancelled', async () => (await api.ok<Job>('GET', `/v1/jobs/${scheduled.id}`)).state === 'cancelled');
    await page.getByLabel('状态').selectOption('cancelled');
    expect(await textOf(page.locator(`[data-job-id="${scheduled.id}"]`).getByTestId('job-state'))).toBe('已取消');
    expect((await auditOf(scheduled.id)).map((e) => [e.route, e.status, e.reason])).toEqual([
      ['/v1/jobs/:id/cancel', 'refused', null],
      ['/v1/jobs/:id/cancel', 'succeeded', '运营测试：不再需要'],
    ]);
  });
});

describe('水果', () => {
  test('the catalogue in Chinese; an edit refused field by field in Chinese, then saved', async () => {
    const { page, api } = c;
    await page.getByRole('link', { name: '水果', exact: true }).click();
    await heading('水果目录').waitFor();
    const mango = page.getByTestId('fruit-row').and(page.locator('[data-fruit="mango"]'));
    expect(await textOf(mango.locator('th'))).toContain('芒果');
    expect(await textOf(mango.getByTestId('fruit-ripening'))).toBe('3–4 天');
    expect(await textOf(mango.getByTestId('fruit-edible'))).toBe('第 4–6 天');
    // Avocado ripens longer than it keeps: said so.
    expect(await textOf(page.locator('[data-fruit="avocado"]').getByTestId('fruit-edible'))).toBe('成熟期比保鲜期长，排盒时不会被计入');

    await mango.getByRole('link', { name: '编辑' }).click();
    await page.getByRole('heading', { name: /^编辑水果：芒果/ }).waitFor();
    // The same origin twice.
    await page.getByRole('button', { name: '添加产地' }).click();
    const origins = page.getByLabel('产地');
    await origins.last().fill(await origins.first().inputValue());
    await page.getByTestId('season').last().getByLabel('5月').check();
    await page.getByRole('button', { name: '保存' }).click();
    const lastOrigin = (await page.getByTestId('season').count()) - 1;
    expect(await textOf(page.locator(`#season-${lastOrigin}-origin-error`))).toBe('产地不能重复。');
    expect(await textOf(page.getByRole('alert'))).toBe('填写的内容有误，请按提示修改。');
    await page.getByTestId('season').last().getByRole('button', { name: '删除这个产地' }).click();
    // Ripe at the earliest after it is ripe at the latest.
    await page.getByLabel('最短成熟天数').fill('5');
    await page.getByRole('button', { name: '保存' }).click();
    expect(await textOf(page.locator('#ripening-min-error'))).toBe('不能大于最长成熟天数（4 天）。');
    expect(await page.locator('[id^="season-"][id$="-error"]').count()).toBe(0);
    await screenshot(page, 'console-fruit-editor');

    // Fixed: a day longer to ripen, a day longer to keep; the preview says what that means before saving.
    await page.getByLabel('最短成熟天数').fill('3');
    await page.getByLabel('最长成熟天数').fill('5');
    await page.getByLabel('保鲜天数').fill('5');
    expect(await textOf(page.getByTestId('edible-preview'))).toBe('按现在的数字：保证可食 第 5–7 天。');
    await page.getByRole('button', { name: '保存' }).click();
    await page.getByText('已保存。').waitFor();
    const saved = (await api.ok<{ items: { id: string; ripeningDays: number[]; goodDays: number; seasons: unknown[] }[] }>('GET', '/v1/fruits')).items.find(
      (f) => f.id === 'mango',
    )!;
    expect(saved).toMatchObject({ ripeningDays: [3, 5], goodDays: 5 });
    expect((await auditOf('mango')).map((e) => [e.route, e.status])).toEqual([
      ['/v1/fruits/:id', 'refused'],
      ['/v1/fruits/:id', 'refused'],
      ['/v1/fruits/:id', 'succeeded'],
    ]);
  });

  test("an orchard short of mango: the ship date shows each box's share, what came instead, and the days short", async () => {
    const { page, api } = c;
    type Box = { id: string; shipDate: string; items: { fruitId: string; units: number }[] };
    type ShipDate = { shipDate: string; shortBoxes: number };
    const today = new Date().toLocaleString('sv-SE', { timeZone: 'Asia/Shanghai' }).slice(0, 10);
    const [first] = (await api.ok<{ items: ShipDate[] }>('GET', `/v1/ship-dates?from=${today}`)).items;
    const boxes = (await api.ok<{ items: Box[] }>('GET', `/v1/boxes?shipDate=${first.shipDate}&limit=100`)).items;
    // The fruit these boxes hold most of, and the week's line of the orchard's newest batch.
    const need = new Map<string, number>();
    for (const item of boxes.flatMap((b) => b.items)) need.set(item.fruitId, (need.get(item.fruitId) ?? 0) + item.units);
    const [fruitId] = [...need.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0];
    const orchard = await api.client.login(DEMO_ACCOUNTS.orchard.email, DEMO_ACCOUNTS.orchard.password);
    await api.ok('POST', `/v1/factories/${orchard.user.factoryId}/forecast-batches`);
    const [newest] = (await api.client.ok<{ items: { id: string }[] }>('GET', '/v1/factory/forecast-batches?limit=1', orchard.token)).items;
    const batch = await api.client.ok<{ lines: { id: string; sourceKey: string; shipWeek: string; expectedUnits: number }[] }>(
      'GET',
      `/v1/factory/forecast-batches/${newest.id}`,
      orchard.token,
    );
    const week = isoWeek(first.shipDate);
    const line = batch.lines.find((l) => l.sourceKey === `fruit:${fruitId}` && l.shipWeek === week)!;
    await api.client.ok('POST', `/v1/factory/forecast-batches/${newest.id}/acknowledge`, orchard.token);
    const committed = Math.floor(line.expectedUnits / 2);
    await api.client.ok('POST', `/v1/factory/forecast-batches/${newest.id}/commit`, orchard.token, {
      lines: [{ lineId: line.id, quantity: committed, shipBy: first.shipDate, reason: 'capacity' }],
    });
    const dated = await eventually('the boxes shared the shortfall', async () =>
      (await api.ok<{ items: ShipDate[] }>('GET', `/v1/ship-dates?from=${today}`)).items.find((d) => d.shipDate === first.shipDate && d.shortBoxes > 0),
    );

    await page.getByRole('link', { name: '返回水果目录' }).click();
    await page.getByRole('link', { name: '按发货日' }).click();
    await heading('按发货日').waitFor();
    const dateButton = page.getByTestId('ship-date').filter({ hasText: first.shipDate });
    // The dates are asked again as the page opens: the date now says its boxes are short.
    expect(await textOf(dateButton.filter({ hasText: '盒缺货' }))).toContain(`${dated.shortBoxes} 盒缺货`);
    await dateButton.click();
    const shortfall = page.getByTestId('shortfall').and(page.locator(`[data-fruit="${fruitId}"]`));
    expect(await textOf(shortfall.getByTestId('shortfall-summary'))).toMatch(
      new RegExp(`^果园承诺 ${committed}，本发货日的果盒需要 \\d+，分到 \\d+（(个|公斤)）。$`),
    );
    const shortRows = shortfall.getByTestId('shortfall-box').filter({ hasText: '被少分' });
    expect(await shortRows.count()).toBe(dated.shortBoxes);
    // Each box cut short says what it got instead, or which days are short.
    for (let i = 0; i < dated.shortBoxes; i++) {
      const row = shortRows.nth(i);
      const instead = await textOf(row.getByTestId('box-instead'));
      const days = await textOf(row.getByTestId('box-short-days'));
      expect(instead !== '—' || days !== '—').toBe(true);
      if (instead !== '—') expect(instead).toMatch(/\p{Script=Han}+ ×\d+/u);
    }
    await screenshot(page, 'console-fruit-shortfall');
  });

  test('past the cutoff: the picking list of the ship date, and its CSV', async () => {
    const { page, api } = c;
    const today = new Date().toLocaleString('sv-SE', { timeZone: 'Asia/Shanghai' }).slice(0, 10);
    const [first] = (await api.ok<{ items: { shipDate: string }[] }>('GET', `/v1/ship-dates?from=${today}`)).items;
    expect(await textOf(page.getByText('这个发货日还没有锁定的果盒'))).toBeTruthy();

    // The service runs on the real clock: time passes for it by moving the date's cutoff into the past and the
    // 15-minute locking job's next run to now, in its own database, as a day of waiting would.
    const db: Database = await openDatabase({ kind: 'sqlite', file: path.join(c.dataDir, 'c2m.sqlite') }, entities, migrations);
    try {
      await db.transaction(async (tx) => {
        await tx.update(BoxRow, { shipDate: first.shipDate, status: 'planned' }, { cutoffAt: new Date(Date.now() - 60_000) });
        await tx.update(JobRow, { name: 'subscriptions.lock-due-boxes' }, { nextRunAt: new Date() });
      });
    } finally {
      await db.close();
    }
    const list = await eventually('the boxes are locked and picked', async () => {
      const picking = await api.ok<{ items: { fruitId: string; nameZh: string; units: number; boxes: number; orchardName: string }[] }>(
        'GET',
        `/v1/picking-lists?shipDate=${first.shipDate}`,
      );
      return picking.items.length > 0 && picking;
    });

    // The operator opens the page again.
    await page.reload();
    const table = page.getByTestId('picking-list');
    await table.waitFor();
    expect(await page.getByTestId('picking-row').count()).toBe(list.items.length);
    const firstRow = page.getByTestId('picking-row').first();
    expect(await textOf(firstRow)).toContain(list.items[0].nameZh);
    expect(await textOf(firstRow)).toContain(list.items[0].orchardName);
    await screenshot(page, 'console-fruit-picking');

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: '下载拣货单 CSV' }).click()]);
    expect(download.suggestedFilename()).toBe(`picking-list-${first.shipDate}.csv`);
    const csv = readFileSync((await download.path())!, 'utf8');
    expect(csv.startsWith('\uFEFF')).toBe(true);
    const rows = csv.slice(1).trim().split('\r\n');
    expect(rows[0]).toBe('发货日期 ship date,果园 orchard,水果 fruit,fruit,单位 unit,数量 units,箱数 boxes');
    expect(rows.slice(1).map((r) => r.split(',')[2])).toEqual(list.items.map((i) => i.nameZh));
  });
});

/** The ISO week of a date (2027-W14), computed here independently of the service. */
function isoWeek(date: string): string {
  const d = new Date(`${date}T00:00:00Z`);
  const day = (d.getUTCDay() + 6) % 7;
  d.setUTCDate(d.getUTCDate() - day + 3);
  const year = d.getUTCFullYear();
  const jan4 = new Date(Date.UTC(year, 0, 4));
  const week = 1 + Math.round(((d.getTime() - jan4.getTime()) / 86_400_000 - 3 + ((jan4.getUTCDay() + 6) % 7)) / 7);
  return `${year}-W${String(week).padStart(2, '0')}`;
}
