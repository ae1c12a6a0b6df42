import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { DEMO_ACCOUNTS } from '../../src/demo/seed';
import { verifySignatureHeader } from '../../src/platform/signature';
import { startService, type RunningService } from '../support/process';
import {
  ApiClient,
  LAPTOP,
  PHONE,
  eventually,
  launchBrowser,
  readNumber,
  requirePrerequisites,
  screenshot,
  shanghaiTime,
  startReceiver,
  textOf,
} from './support/portal';

/**
 * The factory portal in Debian's chromium against the real service (its own process, the embedded
 * SQLite default, the demo data), as factory staff use it: the demo factory signs in, reads its
 * overview and a campaign, acknowledges and commits a forecast batch, downloads its CSV, switches
 * language, sets its webhook and reads its accuracy; then the demo orchard signs in on the same
 * browser and sees none of it. The tests run in order and share the browser, like one working day.
 */

interface Units {
  firmUnits: number;
  expectedUnits: number;
  lowUnits: number;
  highUnits: number;
}
interface Forecast {
  campaigns: { campaignId: string; title: string; closesAt: string; totals: Units; variants: (Units & { variant: string })[] }[];
  supplies: (Units & { kind: string; sourceKey: string; title: string })[];
  weeks: (Units & { week: string; unit: string })[];
}
interface Campaign {
  id: string;
  title: string;
  closesAt: string;
  progress: { nextTier: { minUnits: number; unitPrice: string; unitsNeeded: number } | null };
}
interface Line extends Units {
  id: string;
  shipWeek: string;
  lineNo: number;
  kind: string;
  sourceKey: string;
  change: string;
  firmUnitsChange: number;
  variant: string;
  previousFirmUnits: number | null;
  commitment?: { quantity: number; shipBy: string; reason: string | null; carriedFromVersion: number | null };
}
interface Batch {
  id: string;
  version: number;
  publishedAt: string;
  status: string;
  acknowledgedAt: string | null;
  lines: Line[];
}
interface Problem {
  code: string;
  errors?: { path: string; message: string; reason?: string; limit?: number }[];
}

let service: RunningService;
let api: ApiClient;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let page: Page;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
let dataDir: string;
let portal: string;

/** What the factory owns, gathered as the day goes on: none of it may ever reach the orchard's screens. */
const factoryData = { names: ['杭州羽绒服装厂', 'Hangzhou Down Apparel'], ids: [] as string[], campaignId: '', batchId: '' };

beforeAll(async () => {
  requirePrerequisites();
  dataDir = mkdtempSync(path.join(tmpdir(), 'portal-e2e-'));
  receiver = await startReceiver();
  // The factory's webhook receiver runs on this machine: a development setting, as the default refuses internal addresses.
  service = await startService({ DATA_DIR: dataDir, JOBS_POLL_INTERVAL_MS: '250', WEBHOOK_ALLOW_PRIVATE_ADDRESSES: 'true' });
  portal = `${service.url}/portal`;
  api = new ApiClient(service.url);
  browser = await launchBrowser();
  page = browser.page;
}, 120_000);

afterAll(async () => {
  await browser?.close();
  service?.child.kill('SIGTERM');
  await service?.exited;
  await receiver?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

const SESSION_KEY = 'c2m-portal.session';
const tokenInBrowser = () => page.evaluate((key) => (JSON.parse(localStorage.getItem(key)!) as { token: string }).token, SESSION_KEY);
const heading = (name: string) => page.getByRole('heading', { level: 1, name, exact: true });
const navLink = (name: string) => page.getByRole('navigation').getByRole('link', { name, exact: true });

async function signIn(email: string, password: string): Promise<void> {
  await page.getByLabel('邮箱').fill(email);
  await page.getByLabel('密码').fill(password);
  await page.getByRole('button', { name: '登录' }).click();
}

/** An amount from the API as the portal writes it: "1368.00" → ¥1,368.00 (from the text, never a float). */
const yuan = (amount: string) =>
  amount.replace(/^(-?)(\d+)\.(\d{2})$/, (_all, sign: string, whole: string, fen: string) => `${sign}¥${whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}.${fen}`);

/** The page scrolls up and down only: wide tables scroll inside their own box on a phone. */
async function expectNoSidewaysScrolling(): Promise<void> {
  expect(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
}

describe('the factory portal, as the demo factory uses it', () => {
  let token: string;
  let forecast: Forecast;
  let v3: Batch;
  let shortLine: Line;

  test('signs in with the demo account, in Chinese although the browser is English, and lands on its own overview', async () => {
    await page.goto(`${portal}/`);
    await page.waitForURL('**/portal/sign-in');
    expect(await page.getAttribute('html', 'lang')).toBe('zh-CN');
    await screenshot(page, 'sign-in');
    await signIn(DEMO_ACCOUNTS.factory.email, DEMO_ACCOUNTS.factory.password);
    await heading('概览').waitFor();
    await page.getByTestId('factory-name').filter({ hasText: '杭州羽绒服装厂' }).waitFor();
    token = await tokenInBrowser();
  });

  test('the overview shows the numbers the API gives the same token: firm and expected units, days left, the next price tier', async () => {
    const before = await api.ok<Forecast>('GET', '/v1/factory/forecast', token);
    await page.reload();
    const card = page.getByTestId('campaign-card');
    const shown = {
      firm: readNumber(await textOf(card.getByTestId('firm-units'))),
      expected: readNumber(await textOf(card.getByTestId('expected-units'))),
      totalFirm: readNumber(await textOf(page.getByTestId('total-firm'))),
      totalExpected: readNumber(await textOf(page.getByTestId('total-expected'))),
    };
    const after = await api.ok<Forecast>('GET', '/v1/factory/forecast', token);
    forecast = after;
    expect(await card.count()).toBe(after.campaigns.length);
    const [was, is] = [before.campaigns[0], after.campaigns[0]];
    factoryData.campaignId = is.campaignId;
    factoryData.ids.push(is.campaignId);
    factoryData.names.push(is.title);
    expect(await card.getAttribute('data-campaign-id')).toBe(is.campaignId);

    // Firm units are paid deposits: the same whenever asked.
    expect(shown.firm).toBe(is.totals.firmUnits);
    expect(shown.totalFirm).toBe(after.weeks.reduce((total, w) => total + w.firmUnits, 0));
    // Expected units project the rest of the pledge window from the pledge rate, so they drift as time
    // passes: the page's figure lies between the API's just before and just after the page loaded.
    const expectedRange = [was.totals.expectedUnits, is.totals.expectedUnits].sort((a, b) => a - b);
    expect(shown.expected).toBeGreaterThanOrEqual(expectedRange[0]);
    expect(shown.expected).toBeLessThanOrEqual(expectedRange[1]);
    expect(shown.totalExpected).toBe(shown.expected);

    const campaign = await api.ok<Campaign>('GET', `/v1/campaigns/${is.campaignId}`, token);
    const meta = await textOf(card.locator('.card-meta'));
    expect(meta).toContain(`还剩 ${Math.ceil((Date.parse(campaign.closesAt) - Date.now()) / 86_400_000)} 天`);
    const next = campaign.progress.nextTier!;
    expect(await textOf(card.locator('.tier-next'))).toBe(
      `再有 ${next.unitsNeeded.toLocaleString('en-US')} 件付定金，全员单价降到 ¥${Number(next.unitPrice).toFixed(2)}`,
    );
    // Both charts are drawn: pledges per day and units per ISO week of ship date.
    await page.locator('figure', { hasText: '每日认购件数' }).locator('.recharts-bar-rectangle').first().waitFor();
    await page.locator('figure', { hasText: '按出货周' }).locator('.recharts-bar-rectangle').first().waitFor();
    await screenshot(page, 'overview');
  });

  test('a campaign shows its colour × size matrix with firm, expected and range per cell, its terms in ¥ and its daily chart', async () => {
    const [campaign] = forecast.campaigns;
    await page.getByTestId('campaign-card').getByRole('link', { name: campaign.title }).click();
    await heading(campaign.title).waitFor();
    const matrix = page.getByTestId('variant-matrix');
    await matrix.waitFor();
    expect(await matrix.locator('tbody tr').count()).toBe(3);
    // Options and values read as their display labels; the cells keep the API's variant keys.
    expect(await matrix.locator('tbody th').allInnerTexts()).toEqual(['黑色', '藏青', '橄榄绿']);
    expect(await matrix.locator('thead th').allInnerTexts()).toEqual(['颜色', 'S', 'M', 'L', 'XL', '合计']);
    // Each colour's, each size's and the whole campaign's firm units: the API's added up.
    const firm = (pick: (variant: string) => boolean) => campaign.variants.filter((v) => pick(v.variant)).reduce((total, v) => total + v.firmUnits, 0);
    const rowTotals = await matrix.getByTestId('row-total').allInnerTexts();
    ['black', 'navy', 'olive'].forEach((colour, i) => expect(rowTotals[i]).toContain(`确定 ${firm((v) => v.startsWith(`colour=${colour};`))}`));
    const columnTotals = await matrix.getByTestId('column-total').allInnerTexts();
    ['S', 'M', 'L', 'XL'].forEach((size, i) => expect(columnTotals[i]).toContain(`确定 ${firm((v) => v.endsWith(`;size=${size}`))}`));
    expect(await textOf(matrix.getByTestId('matrix-total'))).toContain(`确定 ${firm(() => true)}`);
    for (const v of campaign.variants) {
      const cell = await textOf(matrix.locator(`td[data-variant="${v.variant}"]`));
      expect(cell).toContain(`确定 ${v.firmUnits}`);
      expect(cell).toContain(`${v.lowUnits}–${v.highUnits}`);
    }
    // A variant nobody pledged for still has its cell, so the gap shows.
    expect(await textOf(matrix.locator('td[data-variant="colour=navy;size=S"]'))).toBe('暂无认购');
    const terms = await textOf(page.locator('.terms'));
    expect(terms).toContain('¥1,000.00');
    expect(terms).toContain('¥100.00');
    const daily = page.locator('figure', { hasText: '每日认购件数' });
    await daily.locator('.recharts-bar-rectangle').first().waitFor();
    // The legend names the bars in their order (left to right in each day), not sorted by its text.
    expect(await daily.locator('.recharts-legend-item-text').allInnerTexts()).toEqual(['认购件数', '已付定金件数']);
    await screenshot(page, 'campaign');
  });

  test('the batches list shows each version with its publishing time in Shanghai and its status', async () => {
    await navLink('预测批次').click();
    await heading('预测批次').waitFor();
    const list = await api.ok<{ items: Batch[] }>('GET', '/v1/factory/forecast-batches', token);
    expect(list.items.map((b) => b.version)).toEqual([3, 2, 1]);
    const rows = page.getByTestId('batch-row');
    await rows.first().waitFor();
    expect(await rows.count()).toBe(3);
    factoryData.batchId = list.items[0].id;
    for (const [i, b] of list.items.entries()) {
      factoryData.ids.push(b.id);
      const row = await textOf(rows.nth(i));
      expect(row).toContain(`v${b.version}`);
      expect(row).toContain(shanghaiTime(b.publishedAt));
      // Only the newest version waits for an answer; the older ones, never acknowledged, are superseded.
      expect(row).toContain(i === 0 ? '新批次' : '已被新版本取代');
    }
    await screenshot(page, 'batches');
  });

  test("a batch highlights each line's change since the previous version", async () => {
    const list = await api.ok<{ items: Batch[] }>('GET', '/v1/factory/forecast-batches', token);
    const v2 = await api.ok<Batch>('GET', `/v1/factory/forecast-batches/${list.items.find((b) => b.version === 2)!.id}`, token);
    await page.getByRole('link', { name: 'v2', exact: true }).click();
    await heading('预测批次 v2').waitFor();
    const changed = v2.lines.find((l) => l.change === 'changed' && l.firmUnitsChange !== 0)!;
    const row = page.locator(`[data-testid="batch-line"][data-line-no="${changed.lineNo}"]`);
    expect(await row.getAttribute('class')).toBe('change-changed');
    const text = await textOf(row);
    expect(text).toContain('有变化');
    expect(text).toContain(`+${changed.firmUnitsChange}`);
    const count = (change: string) => v2.lines.filter((l) => l.change === change).length;
    expect(await textOf(page.getByTestId('change-summary'))).toContain(`新增 ${count('new')} 行，变化 ${count('changed')} 行`);
    for (const line of v2.lines.filter((l) => l.change === 'new')) {
      expect(await page.locator(`[data-testid="batch-line"][data-line-no="${line.lineNo}"]`).getAttribute('class')).toBe('change-new');
    }
  });

  test('acknowledging the newest batch marks it acknowledged, here and in the API', async () => {
    await page.getByRole('link', { name: '预测批次', exact: true }).first().click();
    await page.getByRole('link', { name: 'v3', exact: true }).click();
    await heading('预测批次 v3').waitFor();
    await page.getByRole('button', { name: '确认收到此批次' }).click();
    await page.getByText(/^已于 .+ 确认$/).waitFor();
    expect(await textOf(page.getByTestId('batch-status'))).toBe('已确认');
    const list = await api.ok<{ items: Batch[] }>('GET', '/v1/factory/forecast-batches', token);
    v3 = await api.ok<Batch>('GET', `/v1/factory/forecast-batches/${list.items[0].id}`, token);
    expect(v3.status).toBe('acknowledged');
    expect(await textOf(page.getByText(/^已于 .+ 确认$/))).toBe(`已于 ${shanghaiTime(v3.acknowledgedAt!)} 确认`);
  });

  test("committing a short quantity without a reason shows the API's message next to the field; with a reason it is saved", async () => {
    shortLine = v3.lines.reduce((most, l) => (l.firmUnits > most.firmUnits ? l : most));
    const short = shortLine.firmUnits - 2;
    await page.getByRole('button', { name: `承诺 第 ${shortLine.lineNo} 行` }).click();
    const form = page.getByRole('form', { name: `第 ${shortLine.lineNo} 行的承诺` });
    await form.getByLabel('承诺数量').fill(String(short));
    const shipBy = await form.getByLabel('最晚出货日期').inputValue();
    await form.getByRole('button', { name: '提交承诺' }).click();

    // What the API says about this answer (a refused commitment changes nothing), in Chinese from its reason, next to the field.
    const refused = await api.call<Problem>('POST', `/v1/factory/forecast-batches/${v3.id}/commit`, token, {
      lines: [{ lineId: shortLine.id, quantity: short, shipBy }],
    });
    expect(refused.status).toBe(400);
    expect(refused.body.errors!.find((e) => e.path === 'body.lines.0.reason')).toMatchObject({ reason: 'reason_required', limit: shortLine.firmUnits });
    const reason = form.getByLabel('少于确定量的原因');
    expect(await textOf(form.locator(`#commit-${shortLine.id}-reason-error`))).toBe(`承诺数量低于确定量（${shortLine.firmUnits}）时，请选择原因。`);
    expect(await reason.getAttribute('aria-invalid')).toBe('true');
    expect(await reason.getAttribute('aria-describedby')).toBe(`commit-${shortLine.id}-reason-error`);
    await screenshot(page, 'batch-commit-error');

    await reason.selectOption('capacity');
    await form.getByRole('button', { name: '提交承诺' }).click();
    await page.getByText(`第 ${shortLine.lineNo} 行的承诺已保存。`).waitFor();
    const row = page.locator(`[data-testid="batch-line"][data-line-no="${shortLine.lineNo}"]`);
    const commitment = await textOf(row.getByTestId('line-commitment'));
    expect(commitment).toContain(`${short}，最晚 ${shipBy}`);
    expect(commitment).toContain('产能不足');
    const saved = (await api.ok<Batch>('GET', `/v1/factory/forecast-batches/${v3.id}`, token)).lines.find((l) => l.id === shortLine.id)!;
    expect(saved.commitment).toMatchObject({ quantity: short, shipBy, reason: 'capacity' });
    await screenshot(page, 'batch');
  });

  test('the CSV download is the batch with a UTF-8 byte-order mark, Chinese names intact, the commitment in it', async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: '下载 CSV' }).click()]);
    expect(download.suggestedFilename()).toBe('forecast-v3.csv');
    const bytes = readFileSync(await download.path());
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const rows = bytes.toString('utf8').slice(1).split('\r\n').filter(Boolean);
    expect(rows[0]).toContain('活动 campaign');
    expect(rows).toHaveLength(1 + v3.lines.length);
    const committed = rows.find((r) => r.startsWith(`3,${shanghaiTime(v3.publishedAt)},${shortLine.lineNo},`))!;
    expect(committed).toContain('冬季羽绒服联名预售');
    // The commitment, then the line's kind and source key (the campaign's id), then its colour and its size, each in its own column.
    expect(shortLine.kind).toBe('campaign');
    expect(committed).toMatch(
      new RegExp(
        `,${shortLine.firmUnits - 2},\\d{4}-\\d{2}-\\d{2},capacity,campaign,${shortLine.sourceKey},${shortLine.variant.replace(/colour=(.*);size=(.*)/, '$1,$2')}$`,
      ),
    );
    expect(rows[0].endsWith(',规格 colour,规格 size')).toBe(true);
  });

  test('a new version carries the commitment over to its unchanged line, and "commit all unchanged" answers the others in one click', async () => {
    // A pledge on another variant changes that line's firm units only; an operator publishes v4.
    const operator = await api.login(DEMO_ACCOUNTS.operator.email, DEMO_ACCOUNTS.operator.password);
    const consumer = await api.login(DEMO_ACCOUNTS.consumer.email, DEMO_ACCOUNTS.consumer.password);
    const other = v3.lines.find((l) => l.kind === 'campaign' && l.sourceKey === shortLine.sourceKey && l.id !== shortLine.id)!;
    const variant = Object.fromEntries(other.variant.split(';').map((pair) => pair.split('=')));
    const pledge = await api.ok<{ id: string; depositPayment: { id: string } }>(
      'POST',
      `/v1/campaigns/${other.sourceKey}/pledges`,
      consumer.token,
      { variant, quantity: 1 },
      { 'Idempotency-Key': randomUUID() },
    );
    await api.ok('POST', `/v1/payments/${pledge.depositPayment.id}/sandbox-checkout`, consumer.token, { outcome: 'pay' });
    await eventually(
      'the deposit is paid',
      async () => (await api.ok<{ status: string }>('GET', `/v1/pledges/${pledge.id}`, consumer.token)).status === 'active',
    );
    const factoryId = (await api.login(DEMO_ACCOUNTS.factory.email, DEMO_ACCOUNTS.factory.password)).user.factoryId!;
    const { batch: published } = await api.ok<{ batch: Batch }>('POST', `/v1/factories/${factoryId}/forecast-batches`, operator.token);
    factoryData.ids.push(published.id);
    expect(published.version).toBe(4);

    await page.getByRole('link', { name: '预测批次', exact: true }).first().click();
    await page.getByRole('link', { name: 'v4', exact: true }).click();
    await heading('预测批次 v4').waitFor();
    const v4 = await api.ok<Batch>('GET', `/v1/factory/forecast-batches/${published.id}`, token);
    const carried = v4.lines.find((l) => l.sourceKey === shortLine.sourceKey && l.variant === shortLine.variant)!;
    expect(carried.commitment).toMatchObject({ quantity: shortLine.firmUnits - 2, reason: 'capacity', carriedFromVersion: 3 });
    const carriedRow = page.locator(`[data-testid="batch-line"][data-line-no="${carried.lineNo}"]`);
    expect(await textOf(carriedRow.getByTestId('line-commitment'))).toContain('沿用 v3 的承诺');
    // The ship week with its dates.
    expect(await textOf(carriedRow)).toMatch(new RegExp(`${carried.shipWeek} · \\d+月\\d+日–(\\d+月)?\\d+日`));
    // The variant in the campaign's Chinese labels (颜色 black is 黑色), the size as it is.
    const { colour, size } = Object.fromEntries(carried.variant.split(';').map((pair) => pair.split('='))) as { colour: string; size: string };
    const colours: Record<string, string> = { black: '黑色', navy: '藏青', olive: '橄榄绿' };
    expect(await textOf(carriedRow)).toContain(`${colours[colour]} / ${size}`);
    expect(await textOf(page.getByTestId('batch-status'))).toBe('新批次');

    await page.getByRole('button', { name: '确认收到此批次' }).click();
    const open = v4.lines.filter((l) => l.previousFirmUnits === l.firmUnits && !l.commitment);
    expect(open.length).toBeGreaterThan(0);
    await page.getByRole('button', { name: `一键承诺未变的 ${open.length} 行` }).click();
    await page.getByText(`已为 ${open.length} 行提交承诺。`).waitFor();
    const after = await api.ok<Batch>('GET', `/v1/factory/forecast-batches/${published.id}`, token);
    for (const line of after.lines) {
      if (line.previousFirmUnits === line.firmUnits) expect(line.commitment).toBeDefined();
      else expect(line.commitment).toBeUndefined();
    }
    for (const line of open) {
      const answered = after.lines.find((l) => l.id === line.id)!;
      expect(answered.commitment).toMatchObject({ quantity: line.firmUnits, reason: null, carriedFromVersion: null });
      expect(await textOf(page.locator(`[data-testid="batch-line"][data-line-no="${line.lineNo}"]`).getByTestId('line-commitment'))).toContain(
        `${line.firmUnits.toLocaleString('en-US')}，最晚 ${answered.commitment!.shipBy}`,
      );
    }
    expect(await page.getByRole('button', { name: /^一键承诺未变的/ }).count()).toBe(0);
    await screenshot(page, 'batch-carry-over');
  });

  test('on a phone the batch and the overview fit the screen: tables scroll inside their box, not the page', async () => {
    await page.setViewportSize(PHONE);
    try {
      await page.getByTestId('batch-lines').waitFor();
      await expectNoSidewaysScrolling();
      await screenshot(page, 'phone-batch');
      await navLink('概览').click();
      await page.getByTestId('campaign-card').waitFor();
      await expectNoSidewaysScrolling();
      await screenshot(page, 'phone-overview');
    } finally {
      await page.setViewportSize(LAPTOP);
    }
  });

  test('switching to English changes every label, keeps numbers and Shanghai times, and is remembered', async () => {
    await page.goto(`${portal}/`);
    await heading('概览').waitFor();
    await page.getByRole('button', { name: 'Switch to English' }).click();
    try {
      await heading('Overview').waitFor();
      expect(await page.getAttribute('html', 'lang')).toBe('en');
      expect(await textOf(page.getByTestId('campaign-card').locator('.card-meta'))).toMatch(/Days left: \d+/);
      await page.reload();
      await heading('Overview').waitFor();
      await navLink('Forecast batches').waitFor();
      await page.locator('figure', { hasText: 'Units pledged per day' }).locator('.recharts-bar-rectangle').first().waitFor();
      await screenshot(page, 'overview-en');
      await page.getByRole('button', { name: '切换到中文' }).click();
      await heading('概览').waitFor();
    } finally {
      // The rest of the day is in Chinese, whatever happened here.
      await page.evaluate(() => localStorage.setItem('c2m-portal.language', 'zh'));
    }
  });

  test('deliveries: the webhook URL is set, its secret shown once signs the next push, and the attempt is logged', async () => {
    await navLink('数据推送').click();
    await heading('数据推送').waitFor();
    expect(await textOf(page.getByTestId('webhook-state'))).toContain('尚未设置推送地址');
    expect(await textOf(page.locator('.state-empty'))).toBe('还没有推送记录。');
    await page.getByLabel('推送地址（URL）').fill(receiver.url);
    await page.getByRole('button', { name: '保存地址' }).click();
    const secret = await textOf(page.getByTestId('webhook-secret'));
    expect(secret).toMatch(/^whsec_/);
    factoryData.ids.push(receiver.url);

    // A new pledge, then an operator publishes: the new version goes to the webhook, signed with that secret.
    const consumer = await api.login(DEMO_ACCOUNTS.consumer.email, DEMO_ACCOUNTS.consumer.password);
    const [campaign] = (await api.ok<Forecast>('GET', '/v1/factory/forecast', token)).campaigns;
    const placed = await api.ok<{ depositPayment: { id: string } }>(
      'POST',
      `/v1/campaigns/${campaign.campaignId}/pledges`,
      consumer.token,
      { variant: { colour: 'navy', size: 'S' }, quantity: 1 },
      { 'Idempotency-Key': randomUUID() },
    );
    // The demo's consumer pays on the sandbox checkout sheet (the demo leaves deposits to it).
    await api.ok('POST', `/v1/payments/${placed.depositPayment.id}/sandbox-checkout`, consumer.token, { outcome: 'pay' });
    await eventually(
      'the deposit is paid',
      async () => (await api.ok<Forecast>('GET', '/v1/factory/forecast', token)).campaigns[0].totals.firmUnits === campaign.totals.firmUnits + 1,
    );
    const operator = await api.login(DEMO_ACCOUNTS.operator.email, DEMO_ACCOUNTS.operator.password);
    const factoryId = (await api.login(DEMO_ACCOUNTS.factory.email, DEMO_ACCOUNTS.factory.password)).user.factoryId!;
    const { batch } = await api.ok<{ batch: Batch }>('POST', `/v1/factories/${factoryId}/forecast-batches`, operator.token);
    factoryData.ids.push(batch.id);
    const push = await eventually('the push arrives', async () =>
      receiver.pushes.find((p) => (JSON.parse(p.body.toString()) as { batch: Batch }).batch.version === batch.version),
    );
    expect(verifySignatureHeader(secret, String(push.headers['x-c2m-signature']), push.body).valid).toBe(true);
    await eventually('the attempt is logged', async () => (await api.ok<{ total: number }>('GET', '/v1/factory/webhook-deliveries', token)).total > 0);

    await page.reload();
    const row = await textOf(page.getByTestId('delivery-row').first());
    expect(row).toContain(`v${batch.version}`);
    expect(row).toContain('成功');
    expect(row).toContain('HTTP 200');
    expect(await textOf(page.getByTestId('webhook-state'))).toContain(receiver.url);
    expect(await page.getByTestId('webhook-secret').count()).toBe(0);

    await page.getByRole('button', { name: '更换签名密钥' }).click();
    await page.getByRole('button', { name: '确定更换' }).click();
    const rotated = await textOf(page.getByTestId('webhook-secret'));
    expect(rotated).toMatch(/^whsec_/);
    expect(rotated).not.toBe(secret);
    await screenshot(page, 'deliveries');
  });

  test('accuracy: once a campaign completes, each version’s error is charted and tabled', async () => {
    // A small campaign that runs its whole course: pledged, forecast, closed, balance paid, completed.
    const operator = await api.login(DEMO_ACCOUNTS.operator.email, DEMO_ACCOUNTS.operator.password);
    const consumer = await api.login(DEMO_ACCOUNTS.consumer.email, DEMO_ACCOUNTS.consumer.password);
    const factoryId = (await api.login(DEMO_ACCOUNTS.factory.email, DEMO_ACCOUNTS.factory.password)).user.factoryId!;
    const now = Date.now();
    const created = await api.ok<Campaign>('POST', '/v1/campaigns', operator.token, {
      factoryId,
      title: '春季风衣联名预售 Spring trench coat',
      productName: 'Trench coat',
      options: [{ name: 'size', values: ['M', 'L'] }],
      referencePrice: '800.00',
      depositRate: '0.10',
      tiers: [{ minUnits: 2, unitPrice: '720.00' }],
      opensAt: new Date(now - 86_400_000).toISOString(),
      closesAt: new Date(now + 12 * 3_600_000).toISOString(),
      balanceWindowHours: 24,
      expectedShipDate: new Date(now + 30 * 86_400_000).toISOString().slice(0, 10),
    });
    factoryData.ids.push(created.id);
    factoryData.names.push('春季风衣');
    await api.ok('POST', `/v1/campaigns/${created.id}/publish`, operator.token);
    const pledge = await api.ok<{ id: string; depositPayment: { id: string } }>(
      'POST',
      `/v1/campaigns/${created.id}/pledges`,
      consumer.token,
      { variant: { size: 'L' }, quantity: 2 },
      { 'Idempotency-Key': randomUUID() },
    );
    await api.ok('POST', `/v1/payments/${pledge.depositPayment.id}/sandbox-checkout`, consumer.token, { outcome: 'pay' });
    await eventually(
      'the deposit is paid',
      async () => (await api.ok<{ status: string }>('GET', `/v1/pledges/${pledge.id}`, consumer.token)).status === 'active',
    );
    await api.ok('POST', `/v1/factories/${factoryId}/forecast-batches`, operator.token);
    await api.ok('POST', `/v1/campaigns/${created.id}/close`, operator.token);
    await eventually(
      'the balance is due',
      async () => (await api.ok<{ status: string }>('GET', `/v1/pledges/${pledge.id}`, consumer.token)).status === 'awaiting_balance',
    );
    const balance = await api.ok<{ balancePayment: { id: string } }>('POST', `/v1/pledges/${pledge.id}/balance-payment`, consumer.token, undefined, {
      'Idempotency-Key': randomUUID(),
    });
    await api.ok('POST', `/v1/payments/${balance.balancePayment.id}/sandbox-checkout`, consumer.token, { outcome: 'pay' });
    await eventually('the campaign completes', async () => (await api.ok<{ status: string }>('GET', `/v1/campaigns/${created.id}`)).status === 'completed');
    // The factory produced to plan: it committed to the 2 units of the decision's batch (the newest batch with the campaign's units).
    const { items: newest } = await api.ok<{ items: { id: string }[] }>('GET', '/v1/factory/forecast-batches?limit=5', token);
    for (const { id } of newest) {
      const lines = (
        await api.ok<{ lines: { id: string; campaignId: string | null; firmUnits: number }[] }>('GET', `/v1/factory/forecast-batches/${id}`, token)
      ).lines.filter((l) => l.campaignId === created.id && l.firmUnits > 0);
      if (lines.length === 0) continue;
      await api.ok('POST', `/v1/factory/forecast-batches/${id}/acknowledge`, token);
      const shipBy = new Date(now + 30 * 86_400_000).toISOString().slice(0, 10);
      await api.ok('POST', `/v1/factory/forecast-batches/${id}/commit`, token, { lines: lines.map((l) => ({ lineId: l.id, quantity: l.firmUnits, shipBy })) });
      break;
    }
    const accuracy = await api.ok<{
      versions: { version: number; mapePercent: number | null }[];
      campaigns: { campaignId: string; plannedUnits: number | null; actualUnits: number }[];
      plan: { plannedUnits: number; paidUnits: number; ratio: number | null };
    }>('GET', '/v1/factory/forecast-accuracy', token);
    expect(accuracy.versions.length).toBeGreaterThan(0);
    expect(accuracy.campaigns.find((c) => c.campaignId === created.id)).toMatchObject({ plannedUnits: 2, actualUnits: 2 });

    await navLink('准确度').click();
    await heading('预测准确度').waitFor();
    const rows = page.getByTestId('accuracy-versions').locator('tbody tr');
    await rows.first().waitFor();
    expect(await rows.count()).toBe(accuracy.versions.length);
    for (const [i, v] of accuracy.versions.entries()) {
      const row = await textOf(rows.nth(i));
      expect(row).toContain(`v${v.version}`);
      if (v.mapePercent !== null) expect(row).toContain(`${v.mapePercent.toLocaleString('en-US')}%`);
    }
    // Produced to plan against finally paid: the one line that says the bullwhip is gone, and the campaign's row (2 made, 2 paid).
    const ratio = new Intl.NumberFormat('zh-CN', { minimumFractionDigits: 2, maximumFractionDigits: 3 }).format(accuracy.plan.ratio!);
    expect(await textOf(page.getByTestId('plan-summary'))).toBe(
      `按计划生产 ${accuracy.plan.plannedUnits} 件，最终付款 ${accuracy.plan.paidUnits} 件：生产 ÷ 付款 = ${ratio}。越接近 1，生产的就越正是消费者已付款的——不再层层加量，牛鞭效应消失了。`,
    );
    expect(await textOf(page.getByTestId('accuracy-plan').locator('tbody tr', { hasText: '春季风衣' }))).toMatch(
      /^春季风衣联名预售 Spring trench coat\s*2\s*2\s*1\.00$/,
    );
    await page.locator('figure', { hasText: '各版本的误差' }).locator('.recharts-bar-rectangle').first().waitFor();
    await page.locator('figure', { hasText: '春季风衣' }).locator('.recharts-line-curve').waitFor();
    await screenshot(page, 'accuracy');
  });

  test('settlements: the completed campaign has its statement, the list downloads as CSV, and a payout shows as paid once the operator confirms it', async () => {
    interface Statement {
      id: string;
      campaignTitle: string;
      net: string;
      balancesReceived: string;
      platformFee: string;
    }
    const title = '春季风衣联名预售 Spring trench coat';
    const statement = await eventually('the statement is made', async () =>
      (await api.ok<{ items: Statement[] }>('GET', '/v1/statements?limit=100', token)).items.find((s) => s.campaignTitle === title),
    );
    factoryData.ids.push(statement.id);
    await navLink('结算').click();
    await heading('结算').waitFor();
    const row = page.locator(`[data-statement-id="${statement.id}"]`);
    expect(await textOf(row.locator('th'))).toBe(title);
    expect(await textOf(row.getByTestId('statement-net'))).toBe(yuan(statement.net));
    expect(await textOf(row.getByTestId('statement-platformFee'))).toBe(yuan(statement.platformFee));
    expect(await textOf(row)).toContain('待付款');

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: '下载结算单 CSV' }).click()]);
    expect(download.suggestedFilename()).toBe('statements.csv');
    const bytes = readFileSync(await download.path());
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const line = bytes
      .toString('utf8')
      .split('\r\n')
      .find((r) => r.startsWith(statement.id))!;
    expect(line).toContain(title);
    expect(line).toContain(`,${statement.net},`);

    // The operator pays it as a bank transfer, and confirms it from the bank's record.
    const operator = await api.login(DEMO_ACCOUNTS.operator.email, DEMO_ACCOUNTS.operator.password);
    const factoryId = (await api.login(DEMO_ACCOUNTS.factory.email, DEMO_ACCOUNTS.factory.password)).user.factoryId!;
    await api.ok('PUT', `/v1/factories/${factoryId}/payee`, operator.token, {
      accountName: '杭州羽绒服装厂',
      accountNumber: '6222020200112233445',
      bankName: '中国工商银行杭州分行',
      bankCode: '102331000013',
    });
    const batch = await api.ok<{ id: string; payouts: { id: string; factoryId: string; amount: string }[] }>(
      'POST',
      '/v1/payout-batches',
      operator.token,
      undefined,
      { 'Idempotency-Key': randomUUID() },
    );
    const payout = batch.payouts.find((p) => p.factoryId === factoryId)!;
    factoryData.ids.push(payout.id);
    await api.ok('POST', `/v1/payout-batches/${batch.id}/approve`, operator.token, { method: 'bank_file' }, { 'Idempotency-Key': randomUUID() });
    await eventually(
      'the payout is in the bank file',
      async () => (await api.ok<{ status: string }>('GET', `/v1/payouts/${payout.id}`, token)).status === 'sent',
    );
    await api.ok('POST', `/v1/payouts/${payout.id}/confirm`, operator.token, undefined, { 'Idempotency-Key': randomUUID() });

    await page.reload();
    const paid = page.locator(`[data-payout-id="${payout.id}"]`);
    expect(await textOf(paid.getByTestId('payout-amount'))).toBe(yuan(payout.amount));
    expect(await textOf(paid.getByTestId('payout-status'))).toBe('已到账');
    expect(await textOf(row)).toContain('已安排付款');
    await screenshot(page, 'settlements');
  });

  test('signing out returns to sign-in with a message, ends the session on the server, and the portal is closed until the next sign-in', async () => {
    const list = await api.ok<{ items: Batch[] }>('GET', '/v1/factory/forecast-batches?limit=100', token);
    factoryData.ids.push(...list.items.map((b) => b.id));
    // Signed out from one of its batches: the next user must not be brought back to it.
    await page.goto(`${portal}/batches/${factoryData.batchId}`);
    await page.getByRole('heading', { level: 1, name: /^预测批次 v\d+$/ }).waitFor();
    await page.getByRole('button', { name: '退出登录' }).click();
    await page.waitForURL('**/portal/sign-in');
    expect(await textOf(page.getByTestId('sign-in-notice'))).toBe('您已退出登录。');
    expect(await page.evaluate((key) => localStorage.getItem(key), SESSION_KEY)).toBeNull();
    // A copy of the token (another tab, a leaked log) stops working too.
    expect((await api.call('GET', '/v1/me', token)).status).toBe(401);
    await page.goto(`${portal}/batches`);
    await page.waitForURL('**/portal/sign-in');
  });
});

describe('the demo orchard, on the same browser after the factory signed out', () => {
  let token: string;

  test('signs in with the keyboard alone and sees its fruit per ISO week', async () => {
    await page.getByLabel('邮箱').focus();
    await page.keyboard.type(DEMO_ACCOUNTS.orchard.email);
    await page.keyboard.press('Tab');
    await page.keyboard.type(DEMO_ACCOUNTS.orchard.password);
    await page.keyboard.press('Enter');
    await page.getByTestId('factory-name').filter({ hasText: '海南阳光果园' }).waitFor();
    // Its own overview, not the factory's batch it signed out from nor the batches asked for after: a new user starts at home.
    await heading('概览').waitFor();
    expect(new URL(page.url()).pathname.replace(/\/$/, '')).toBe('/portal');
    await navLink('预测批次').focus();
    await page.keyboard.press('Enter');
    await heading('预测批次').waitFor();
    await navLink('概览').focus();
    await page.keyboard.press('Enter');
    await heading('概览').waitFor();
    token = await tokenInBrowser();
    const forecast = await api.ok<Forecast>('GET', '/v1/factory/forecast', token);
    await page.getByTestId('supply-row').first().waitFor();
    expect(await page.getByTestId('supply-row').count()).toBe(new Set(forecast.supplies.map((s) => s.sourceKey)).size);
    // Kilograms and pieces are never added together: the totals are per unit, as the API gives them.
    const expectedIn = (unit: string) => forecast.weeks.filter((w) => w.unit === unit).reduce((total, w) => total + w.expectedUnits, 0);
    expect(await textOf(page.getByTestId('total-expected'))).toBe(`${expectedIn('kg')} 公斤 · ${expectedIn('piece')} 个`);
    expect(await page.getByTestId('campaign-card').count()).toBe(0);
    await page.locator('figure', { hasText: '按出货周' }).locator('.recharts-bar-rectangle').first().waitFor();
    await screenshot(page, 'orchard-overview');
  });

  test('acknowledges its batch and commits fruit for a week', async () => {
    await navLink('预测批次').click();
    await page.getByRole('link', { name: 'v1', exact: true }).click();
    await heading('预测批次 v1').waitFor();
    await page.getByRole('button', { name: '确认收到此批次' }).click();
    await page.getByText(/^已于 .+ 确认$/).waitFor();
    const list = await api.ok<{ items: Batch[] }>('GET', '/v1/factory/forecast-batches', token);
    const batch = await api.ok<Batch>('GET', `/v1/factory/forecast-batches/${list.items[0].id}`, token);
    const line = batch.lines[0];
    await page.getByRole('button', { name: `承诺 第 ${line.lineNo} 行` }).click();
    const form = page.getByRole('form', { name: `第 ${line.lineNo} 行的承诺` });
    await form.getByLabel('承诺数量').fill(String(line.expectedUnits));
    await form.getByRole('button', { name: '提交承诺' }).click();
    await page.getByText(`第 ${line.lineNo} 行的承诺已保存。`).waitFor();
    const saved = (await api.ok<Batch>('GET', `/v1/factory/forecast-batches/${batch.id}`, token)).lines.find((l) => l.id === line.id)!;
    expect(saved.commitment?.quantity).toBe(line.expectedUnits);
    await screenshot(page, 'orchard-batch');
  });

  test("sees none of the factory's data on any screen, even at the factory's own addresses", async () => {
    const screens = ['/', '/batches', '/deliveries', '/accuracy', '/settlements', `/campaigns/${factoryData.campaignId}`, `/batches/${factoryData.batchId}`];
    for (const screen of screens) {
      await page.goto(`${portal}${screen}`);
      await page.locator('h1, .state').first().waitFor();
      await page.waitForFunction(() => document.querySelector('.state-loading') === null);
      const html = await page.content();
      for (const secret of [...factoryData.names, ...factoryData.ids])
        expect({ screen, leaked: html.includes(secret) ? secret : null }).toEqual({ screen, leaked: null });
    }
    // The factory's campaign and batch addresses are simply not found.
    await page.goto(`${portal}/campaigns/${factoryData.campaignId}`);
    expect(await textOf(page.getByRole('alert'))).toContain('找不到这个活动。');
    await page.goto(`${portal}/batches/${factoryData.batchId}`);
    expect(await textOf(page.getByRole('alert'))).toContain('找不到这条记录。');
  });
});

describe('a session the API no longer accepts', () => {
  test('a refused token in storage sends the user to sign-in with a message, and back to where they were after signing in', async () => {
    const orchard = await api.login(DEMO_ACCOUNTS.orchard.email, DEMO_ACCOUNTS.orchard.password);
    const session = {
      token: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.not-our-signature',
      expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
      user: orchard.user,
    };
    await page.evaluate(([key, value]) => localStorage.setItem(key, value), [SESSION_KEY, JSON.stringify(session)]);
    await page.goto(`${portal}/deliveries`);
    await page.waitForURL('**/portal/sign-in');
    expect(await textOf(page.getByTestId('sign-in-notice'))).toBe('登录已过期或已失效，请重新登录。');
    await screenshot(page, 'session-expired');
    await signIn(DEMO_ACCOUNTS.orchard.email, DEMO_ACCOUNTS.orchard.password);
    await heading('数据推送').waitFor();
    expect(new URL(page.url()).pathname).toBe('/portal/deliveries');
  });

  test('an expired session is ended before any request, with the same message', async () => {
    const stored = await page.evaluate((key) => JSON.parse(localStorage.getItem(key)!) as { expiresAt: string }, SESSION_KEY);
    await page.evaluate(
      ([key, value]) => localStorage.setItem(key, value),
      [SESSION_KEY, JSON.stringify({ ...stored, expiresAt: new Date(Date.now() - 60_000).toISOString() })],
    );
    await page.goto(`${portal}/`);
    await page.waitForURL('**/portal/sign-in');
    expect(await textOf(page.getByTestId('sign-in-notice'))).toBe('登录已过期或已失效，请重新登录。');
    expect(await page.evaluate((key) => localStorage.getItem(key), SESSION_KEY)).toBeNull();
  });
});
