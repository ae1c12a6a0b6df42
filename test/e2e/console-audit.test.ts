import { readFileSync } from 'node:fs';
import { DEMO_ACCOUNTS } from '../../src/demo/seed';
import { screenshot, shanghaiTime } from './support/portal';
import { aConsole, type Console } from './support/console';
import { seriousViolations } from './support/storefront';

/**
 * 审计日志 in the console (docs/operator-console.md § 审计日志), in Debian's chromium against the demo service: the
 * demo operator's actions through the API (a factory onboarded, a shop application refused with a reason, a request
 * refused with 403) are listed newest first with Chinese verbs, the operator, the reason and the outcome; an action
 * without Chinese words shows its route; the filters narrow the list; the CSV holds what is shown.
 */
let run: Console;
let applicationId: string;
let factoryId: string;

beforeAll(async () => {
  run = await aConsole('console-audit');
  const { api } = run;
  factoryId = (await api.ok<{ id: string }>('POST', '/v1/factories', { name: '审计测试服装厂', kind: 'manufacturer', contactEmail: 'audit-e2e@example.com' }))
    .id;
  const consumer = (await api.client.login(DEMO_ACCOUNTS.consumer.email, DEMO_ACCOUNTS.consumer.password)).token;
  const application = await api.client.call<{ id: string }>('POST', '/v1/shop-applications', consumer, {
    name: '审计小店',
    phone: '13812345678',
    wechatId: 'audit_e2e',
  });
  applicationId = application.body.id;
  await api.ok('POST', `/v1/shop-applications/${applicationId}/refuse`, { reason: '营业执照照片看不清' });
  // Not an operator's route: refused, and recorded all the same.
  expect((await api.call('PUT', '/v1/marks/mine', { kind: 'origin', subject: '赣南', color: 'red', reason: '试试' })).status).toBe(403);
}, 120_000);
afterAll(() => run?.close());

const rows = () => run.page.getByTestId('audit-entry');
const cellsOf = async (index: number) => (await rows().nth(index).locator('td').allInnerTexts()).map((text) => text.trim());

test('the log lists the operator actions newest first, in Chinese, with who, why and the outcome', async () => {
  const { page } = run;
  await page.getByRole('navigation', { name: '控制台导航' }).getByRole('link', { name: '审计日志', exact: true }).click();
  await page.getByRole('heading', { level: 1, name: '审计日志' }).waitFor();
  await rows().first().waitFor();
  const log = await run.api.ok<{ items: { at: string }[] }>('GET', '/v1/audit-log?limit=3');

  const [refused, refusal, onboarding] = [await cellsOf(0), await cellsOf(1), await cellsOf(2)];
  // An action the console has no words for shows its method and route.
  expect(refused[2]).toContain('PUT /v1/marks/mine');
  expect(refused[4]).toBe('试试');
  expect(refused[5]).toContain('被拒绝');
  expect(refused[5]).toContain('HTTP 403');

  expect(refusal[0]).toBe(shanghaiTime(log.items[1]!.at));
  expect(refusal[1]).toContain('Demo operator');
  expect(refusal[1]).toContain(DEMO_ACCOUNTS.operator.email);
  expect(refusal[2]).toContain('拒绝店主申请');
  expect(refusal[3]).toBe(applicationId);
  expect(refusal[4]).toBe('营业执照照片看不清');
  expect(refusal[5]).toContain('成功');

  expect(onboarding[2]).toContain('创建工厂');
  expect(onboarding[3]).toBe(factoryId);
  expect(onboarding[6]).toContain('审计测试服装厂');
  expect(await seriousViolations(page)).toEqual([]);
  await screenshot(page, 'console-audit');
});

test('the filters narrow the list: by action, by subject, by operator; cleared, all again', async () => {
  const { page } = run;
  const total = await rows().count();
  await page.getByLabel('操作', { exact: true }).selectOption({ label: '拒绝店主申请' });
  await page.getByRole('button', { name: '筛选' }).click();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="audit-entry"]').length === 1);
  expect((await cellsOf(0))[4]).toBe('营业执照照片看不清');

  await page.getByRole('button', { name: '清除' }).click();
  await page.getByLabel('对象编号').fill(factoryId);
  await page.getByRole('button', { name: '筛选' }).click();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="audit-entry"]').length === 1);
  expect((await cellsOf(0))[2]).toContain('创建工厂');

  await page.getByRole('button', { name: '清除' }).click();
  await page.getByLabel('操作人').fill('nobody-such');
  await page.getByRole('button', { name: '筛选' }).click();
  await page.getByText('没有符合条件的操作记录。').waitFor();

  await page.getByRole('button', { name: '清除' }).click();
  await page.waitForFunction((n) => document.querySelectorAll('[data-testid="audit-entry"]').length === n, total);
});

test('the CSV is the filtered log, with a byte-order mark and the Chinese text intact', async () => {
  const { page } = run;
  await page.getByLabel('对象编号').fill(applicationId);
  await page.getByRole('button', { name: '筛选' }).click();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="audit-entry"]').length === 1);
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: '下载 CSV' }).click()]);
  expect(download.suggestedFilename()).toBe('audit-log.csv');
  const text = readFileSync((await download.path())!, 'utf8');
  expect(text.startsWith('\uFEFF')).toBe(true);
  const lines = text.slice(1).trim().split('\r\n');
  expect(lines).toHaveLength(2);
  expect(lines[1]).toContain('营业执照照片看不清');
  expect(lines[1]).toContain('/v1/shop-applications/:id/refuse');
});

test("an action on one of a factory's keys names the key under the factory, and the key's id finds it", async () => {
  const { page, api } = run;
  const key = await api.ok<{ id: string }>('POST', `/v1/factories/${factoryId}/api-keys`, { name: 'ERP' });
  expect((await api.call('DELETE', `/v1/factories/${factoryId}/api-keys/${key.id}`)).status).toBe(204);
  await page.getByRole('button', { name: '清除' }).click();
  await page.getByLabel('对象编号').fill(key.id);
  await page.getByRole('button', { name: '筛选' }).click();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="audit-entry"]').length === 1);
  const subject = (await cellsOf(0))[3];
  expect(subject).toContain(factoryId);
  expect(await rows().first().getByTestId('audit-param').innerText()).toBe(`keyId: ${key.id}`);
});
