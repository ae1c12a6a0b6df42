import { DEMO_ACCOUNTS } from '../../src/demo/seed';
import { aConsole, signInOnPage, type Console } from './support/console';
import { seriousViolations } from './support/storefront';

/**
 * The operator console's frame (docs/operator-console.md) in Debian's chromium against the real service with the
 * demo data: one sign-in for the portal app; the demo operator lands on the console and sees only its navigation,
 * the demo factory lands on its portal, sees only the portal's, never downloads the console's code, and finds no
 * console at /console.
 */
let run: Console;
beforeAll(async () => {
  run = await aConsole('console');
}, 120_000);
afterAll(() => run?.close());

const CONSOLE_NAV = ['概览', '活动', '工厂与果园', '资金', '任务', '水果', '审计日志'];
const FACTORY_NAV = ['概览', '预测批次', '数据推送', '准确度', '结算', '新品概念', '红黑榜'];

const navNames = (name: string) =>
  run.page
    .getByRole('navigation', { name, exact: true })
    .getByRole('link')
    .allInnerTexts()
    .then((texts) => texts.map((text) => text.trim()));
const heading = (name: string) => run.page.getByRole('heading', { level: 1, name, exact: true });

test('the demo operator, sent from /console to sign in, lands on the console: its navigation only, each area a screen of its own', async () => {
  const { page, service } = run;
  expect(new URL(page.url()).pathname).toMatch(/^\/portal\/console\/?$/);
  await heading('概览').waitFor();
  expect(await page.getByTestId('operator-name').innerText()).toBe('Demo operator');
  expect(await navNames('控制台导航')).toEqual(CONSOLE_NAV);
  expect(await page.getByRole('navigation', { name: '主导航' }).count()).toBe(0);
  expect(await page.title()).toBe('运营控制台 · C2M');
  expect(await seriousViolations(page)).toEqual([]);

  for (const [index, area] of ['campaigns', 'factories', 'money', 'jobs', 'fruit', 'audit'].entries()) {
    const label = CONSOLE_NAV[index + 1]!;
    await page.getByRole('navigation', { name: '控制台导航' }).getByRole('link', { name: label, exact: true }).click();
    await heading(label).waitFor();
    expect(new URL(page.url()).pathname).toBe(`/portal/console/${area}`);
    expect(await page.getByRole('link', { name: label, exact: true }).getAttribute('aria-current')).toBe('page');
  }

  // A factory's screen is not the operator's: any other address of the portal leads back to the console.
  await page.goto(`${service.url}/portal/batches`);
  await page.waitForURL('**/portal/console');
  await heading('概览').waitFor();
  // An unknown console screen is the portal's not-found, inside the console's frame.
  await page.goto(`${service.url}/portal/console/no-such-area`);
  await page.getByText('找不到这个页面。').waitFor();
  expect(await navNames('控制台导航')).toEqual(CONSOLE_NAV);
});

test('the console speaks English on request and Chinese again', async () => {
  const { page, service } = run;
  await page.goto(`${service.url}/portal/console/audit`);
  await heading('审计日志').waitFor();
  await page.getByRole('button', { name: 'Switch to English' }).click();
  await heading('Audit log').waitFor();
  expect(await navNames('Console')).toEqual(['Overview', 'Campaigns', 'Factories & orchards', 'Money', 'Jobs', 'Fruit', 'Audit log']);
  await page.getByRole('button', { name: '切换到中文' }).click();
  await heading('审计日志').waitFor();
});

test('after the operator signs out, the demo factory signs in on the same browser: its portal, its navigation only, and not a byte of the console', async () => {
  const { page, service } = run;
  await page.getByRole('button', { name: '退出登录' }).click();
  await page.waitForURL('**/portal/sign-in');
  await signInOnPage(page, DEMO_ACCOUNTS.factory);
  await page.getByTestId('factory-name').filter({ hasText: '杭州羽绒服装厂' }).waitFor();
  expect(new URL(page.url()).pathname).toMatch(/^\/portal\/?$/);
  expect(await navNames('主导航')).toEqual(FACTORY_NAV);
  expect(await page.getByRole('navigation', { name: '控制台导航' }).count()).toBe(0);

  // Loaded afresh (the operator's visit had fetched the console's chunk into this tab): the factory's pages never ask for it.
  const scripts: string[] = [];
  page.on('request', (request) => {
    if (request.resourceType() === 'script') scripts.push(new URL(request.url()).pathname);
  });
  await page.reload();
  await heading('概览').waitFor();
  await page.goto(`${service.url}/console`);
  await page.waitForURL('**/portal/console/');
  await page.getByText('找不到这个页面。').waitFor();
  expect(await navNames('主导航')).toEqual(FACTORY_NAV);
  expect(await page.getByRole('navigation', { name: '控制台导航' }).count()).toBe(0);
  await page.goto(`${service.url}/portal/console/audit`);
  await page.getByText('找不到这个页面。').waitFor();
  expect(scripts.length).toBeGreaterThan(0);
  expect(scripts.filter((script) => /ConsoleApp/.test(script))).toEqual([]);
});
