import axe from 'axe-core';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { startService, type RunningService } from '../../support/process';
import { randomUUID } from 'node:crypto';
import { DEMO_ACCOUNTS } from '../../../src/demo/seed';
import { ApiClient, CHROMIUM, LAPTOP, PHONE, SCREENSHOTS, eventually, launchChromium, requirePrerequisites } from './portal';

export const STOREFRONT_DIST = path.join(__dirname, '../../../storefront/dist');

export function requireStorefrontPrerequisites(): void {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (the browser tests never download one)`);
  if (!existsSync(path.join(STOREFRONT_DIST, 'index.html'))) throw new Error('the storefront is not built: npm ci at the root, or npm run build:storefront');
}

/**
 * A phone in Debian's chromium: 390×844, touch, a fresh profile whose zone and language are not China's
 * (the storefront must speak Chinese and show Shanghai times anyway). CSP is bypassed only so the test can
 * inject axe-core into the page; the app itself never needs it.
 */
export const launchPhone = () =>
  launchChromium('storefront', { viewport: PHONE, hasTouch: true, bypassCSP: true, permissions: ['clipboard-read', 'clipboard-write'] });

interface AxeResult {
  violations: { id: string; impact: string | null; help: string; nodes: { target: unknown[] }[] }[];
}

/** axe-core in the page: the serious and critical violations of WCAG 2.x A/AA rules, as "rule: selectors" lines (none expected). */
export async function seriousViolations(page: Page): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ content: axe.source });
  const result = (await page.evaluate(() =>
    (window as unknown as { axe: { run(context: unknown, options: unknown): Promise<unknown> } }).axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
      resultTypes: ['violations'],
    }),
  )) as AxeResult;
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.help}): ${v.nodes.map((n) => JSON.stringify(n.target)).join(' ')}`);
}

/** "1400.00" as the storefront writes it: ¥1,400 (cents only when there are some). Written here independently of the app. */
export function yuan(amount: string): string {
  const [whole, cents] = amount.split('.');
  return `¥${Number(whole).toLocaleString('en-US')}${cents === '00' ? '' : `.${cents}`}`;
}

/**
 * What the phone's screen shows, for docs/: the viewport (390×844), not the whole page, since a full-page
 * capture paints the sticky header and the bottom bars in the middle of the page. Scrolled to `at` if given.
 */
export async function phoneScreenshot(page: Page, name: string, at?: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.evaluate((selector) => {
    if (selector) document.querySelector(selector)?.scrollIntoView({ block: 'start' });
    else window.scrollTo(0, 0);
    // The sticky header must not hide what was scrolled to.
    if (selector) window.scrollBy(0, -64);
  }, at ?? null);
  await page.evaluate(() => document.fonts.ready);
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`) });
}

/** Every screen: no serious or critical accessibility violation, no sideways scrolling on a phone; photographed for docs/. */
export async function checkScreen(page: Page, name: string, at?: string): Promise<void> {
  expect(await seriousViolations(page)).toEqual([]);
  expect(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
  await phoneScreenshot(page, `storefront-${name}`, at);
}

/** After a browser test: the browser closed, the service stopped, its data removed (each only if it was started). */
export async function tearDown(run: { browser?: { close(): Promise<void> }; service?: RunningService; dataDir?: string }): Promise<void> {
  await run.browser?.close();
  run.service?.child.kill('SIGTERM');
  await run.service?.exited;
  if (run.dataDir) rmSync(run.dataDir, { recursive: true, force: true });
}

/**
 * The service with its demo data in its own process, the demo operator signed in through the API, and both screens
 * a feature spans: the factory portal on a laptop and the storefront on a phone (CSP bypassed only so that the test
 * can put axe-core into the pages). `close()` ends all of it.
 */
export async function aDemoWithPortalAndPhone(name: string, env: Record<string, string> = {}) {
  requirePrerequisites();
  requireStorefrontPrerequisites();
  const dataDir = mkdtempSync(path.join(tmpdir(), `${name}-e2e-`));
  const service = await startService({ DATA_DIR: dataDir, JOBS_POLL_INTERVAL_MS: '250', ...env });
  const api = new ApiClient(service.url);
  const operator = (await api.login(DEMO_ACCOUNTS.operator.email, DEMO_ACCOUNTS.operator.password)).token;
  const portal = await launchChromium(`${name}-portal`, { viewport: LAPTOP, bypassCSP: true });
  const phone = await launchPhone();
  const close = async () => {
    await portal.close();
    await tearDown({ browser: phone, service, dataDir });
  };
  return { service, api, operator, portal, phone, close };
}

/**
 * The service in its own process, as the demo runs it, for a buyer's whole path: payments wait for the sandbox
 * checkout sheet (no auto-confirm); the operator's sandbox routes and the sandbox SMS outbox are on.
 */
export async function startSandboxStore(name: string): Promise<{ service: RunningService; dataDir: string }> {
  const dataDir = mkdtempSync(path.join(tmpdir(), `${name}-e2e-`));
  const service = await startService({
    DATA_DIR: dataDir,
    JOBS_POLL_INTERVAL_MS: '250',
    SANDBOX_AUTO_CONFIRM: 'false',
    SANDBOX_TEST_ROUTES: 'true',
    SANDBOX_CHECKOUT: 'true',
  });
  return { service, dataDir };
}

/**
 * The share kit's copy text (docs/shop-owners.md § Sharing): the campaign's title, the deposit deal, the
 * deadline and the shop owner's link, not a word about earning; 复制文案 puts exactly it on the clipboard.
 */
export async function checkKitCopyText(page: Page, kit: Locator, title: string, link: string): Promise<void> {
  const text = await eventually('the copy text has the deposit deal', async () => {
    const value = await kit.getByTestId('kit-text').inputValue();
    return value.includes('定金') && value;
  });
  expect(text).toContain(`【${title}】`);
  expect(text).toContain('截止');
  expect(text).toContain(link);
  expect(text).not.toMatch(/赚|奖励|佣金/);
  await kit.getByRole('button', { name: '复制文案' }).click();
  await kit.getByTestId('kit-copied').waitFor();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(text);
}

/** A new consumer made a shop owner through the API (applied, approved by `operator`): their token and shop code. */
export async function aShopOwnerThroughApi(api: ApiClient, operator: string, name: string): Promise<{ token: string; code: string }> {
  const email = `shop-${randomUUID().slice(0, 8)}@example.test`;
  const token = (await api.ok<{ token: string }>('POST', '/v1/auth/register', undefined, { email, password: 'correct horse battery' })).token;
  const applied = await api.ok<{ id: string }>('POST', '/v1/shop-applications', token, { name, phone: '13812345678', wechatId: 'e2e_shop' });
  const shop = await api.ok<{ code: string }>('POST', `/v1/shop-applications/${applied.id}/approve`, operator);
  return { token, code: shop.code };
}
