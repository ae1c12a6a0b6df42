import iconv from 'iconv-lite';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { DEMO_ACCOUNTS } from '../../src/demo/seed';
import { startService, type RunningService } from '../support/process';
import { ApiClient, launchBrowser, readNumber, requirePrerequisites, screenshot, textOf } from './support/portal';

/**
 * The factory portal for a planner's day, in Debian's chromium against the real service (the demo data):
 * a superseded version offers nothing to do and points to the newest; the newest is committed from its
 * own CSV, filled in as a planner would (one row wrong first, then fixed and saved by Excel in GB18030);
 * the orchard reads its batches' totals in kilograms and pieces apart. The tests run in order.
 */

interface Line {
  id: string;
  lineNo: number;
  firmUnits: number;
  highUnits: number;
  commitment?: { quantity: number; shipBy: string; reason: string | null };
}
interface Batch {
  id: string;
  version: number;
  status: string;
  lines: Line[];
  totals: { unit: 'piece' | 'kg'; firmUnits: number; expectedUnits: number }[];
}

let service: RunningService;
let api: ApiClient;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let page: Page;
let dataDir: string;
let portal: string;
let token: string;

beforeAll(async () => {
  requirePrerequisites();
  dataDir = mkdtempSync(path.join(tmpdir(), 'portal-csv-e2e-'));
  service = await startService({ DATA_DIR: dataDir, JOBS_POLL_INTERVAL_MS: '250' });
  portal = `${service.url}/portal`;
  api = new ApiClient(service.url);
  browser = await launchBrowser();
  page = browser.page;
}, 120_000);

afterAll(async () => {
  await browser?.close();
  service?.child.kill('SIGTERM');
  await service?.exited;
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

const heading = (name: string) => page.getByRole('heading', { level: 1, name, exact: true });

async function signIn(email: string, password: string): Promise<void> {
  await page.getByLabel('邮箱').fill(email);
  await page.getByLabel('密码').fill(password);
  await page.getByRole('button', { name: '登录' }).click();
  await heading('概览').waitFor();
}

/** A day from now as Excel writes a date back after a planner typed it (2027/1/31), and as the API says it (2027-01-31), in Shanghai. */
const daysAhead = (days: number) => {
  const iso = new Date(Date.now() + days * 86_400_000).toLocaleDateString('sv-SE', { timeZone: 'Asia/Shanghai' });
  const [y, m, d] = iso.split('-').map(Number);
  return { iso, excel: `${y}/${m}/${d}` };
};

/** A CSV record's fields as written, quotes and all (a quoted field may hold commas; the demo data's hold no line breaks): joined with commas again, the record is as it was. */
function rawFields(record: string): string[] {
  const fields = [''];
  let quoted = false;
  for (const ch of record) {
    if (ch === '"') quoted = !quoted;
    if (ch === ',' && !quoted) fields.push('');
    else fields[fields.length - 1] += ch;
  }
  return fields;
}

/** The downloaded CSV with some rows filled in, as a planner would: `fill` by line number, the other rows as they were. */
function filledIn(csv: string, fill: Record<number, { quantity: string; shipBy?: string; reason?: string }>): string {
  const [header, ...rows] = csv.replace(/^\uFEFF/, '').split('\r\n');
  const names = rawFields(header);
  const at = (name: string) => names.indexOf(name);
  const [line, quantity, shipBy, reason] = ['行 line', '承诺量 committed', '最晚出货 ship by', '原因 reason'].map(at);
  expect(Math.min(line, quantity, shipBy, reason)).toBeGreaterThanOrEqual(0);
  const filled = rows.map((row) => {
    if (row === '') return row;
    const cells = rawFields(row);
    const answer = fill[Number(cells[line])];
    if (answer) {
      cells[quantity] = answer.quantity;
      cells[shipBy] = answer.shipBy ?? '';
      cells[reason] = answer.reason ?? '';
    }
    return cells.join(',');
  });
  return [header, ...filled].join('\r\n');
}

async function upload(name: string, bytes: Buffer): Promise<void> {
  await page.getByLabel('选择填好的 CSV 文件').setInputFiles({ name, mimeType: 'text/csv', buffer: bytes });
  await page.getByTestId('upload-preview').waitFor();
}

describe('a planner commits the newest version from its CSV', () => {
  let v3: Batch;

  test('a superseded version has no acknowledge or commit buttons, says why, and links to the newest', async () => {
    await page.goto(`${portal}/`);
    await page.waitForURL('**/portal/sign-in');
    await signIn(DEMO_ACCOUNTS.factory.email, DEMO_ACCOUNTS.factory.password);
    token = (await api.login(DEMO_ACCOUNTS.factory.email, DEMO_ACCOUNTS.factory.password)).token;
    const list = await api.ok<{ items: Batch[] }>('GET', '/v1/factory/forecast-batches', token);
    const v2 = list.items.find((b) => b.version === 2)!;
    expect(v2.status).toBe('superseded');
    v3 = await api.ok<Batch>('GET', `/v1/factory/forecast-batches/${list.items[0].id}`, token);
    expect(v3.version).toBe(3);

    await page.getByRole('navigation').getByRole('link', { name: '预测批次', exact: true }).click();
    await page.getByRole('link', { name: 'v2', exact: true }).click();
    await heading('预测批次 v2').waitFor();
    expect(await textOf(page.getByTestId('superseded-notice'))).toContain('已被新版本取代');
    expect(await page.getByRole('button', { name: '确认收到此批次' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: /^承诺 第/ }).count()).toBe(0);
    expect(await page.getByTestId('csv-upload').count()).toBe(0);
    // The API refuses it all the same, with a code the portal says in Chinese.
    const refused = await api.call<{ code: string }>('POST', `/v1/factory/forecast-batches/${v2.id}/acknowledge`, token);
    expect([refused.status, refused.body.code]).toEqual([409, 'batch_superseded']);

    await page.getByRole('link', { name: '前往最新版本 v3' }).click();
    await heading('预测批次 v3').waitFor();
  });

  test('the filled-in CSV is previewed with its one wrong row in Chinese, nothing committed; the fixed file, saved by Excel in GB18030, is committed on confirmation', async () => {
    await page.getByRole('button', { name: '确认收到此批次' }).click();
    await page.getByTestId('csv-upload').waitFor();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: '下载 CSV' }).click()]);
    const csv = readFileSync(await download.path()).toString('utf8');

    const [a, b, c, d] = [...v3.lines].sort((x, y) => y.firmUnits - x.firmUnits || x.lineNo - y.lineNo);
    expect(c.firmUnits).toBeGreaterThan(0);
    const later = daysAhead(20);
    const answers = {
      [a.lineNo]: { quantity: String(a.firmUnits) },
      [b.lineNo]: { quantity: '一百' },
      [c.lineNo]: { quantity: String(c.firmUnits - 1), shipBy: later.excel, reason: '产能不足' },
      [d.lineNo]: { quantity: String(d.highUnits + 5) },
    };
    await upload('forecast-v3.csv', Buffer.from(filledIn(csv, answers), 'utf8'));
    const preview = page.getByTestId('upload-preview');
    // Three new answers, one row wrong; the others not filled in.
    const skipped = v3.lines.length - 4;
    expect(await textOf(page.getByTestId('upload-summary'))).toBe(`新增承诺 3 行，修改 0 行，不变 0 行，未填 ${skipped} 行，有误 1 行。`);
    const wrong = preview.locator(`[data-testid="upload-row"][data-outcome="invalid"]`);
    expect(await wrong.count()).toBe(1);
    expect(await textOf(wrong.getByTestId('upload-problems'))).toBe('承诺量：不是数字。');
    expect(await textOf(preview.locator('[data-testid="upload-row"][data-outcome="invalid"] td').nth(1))).toBe(String(b.lineNo));
    expect(await textOf(preview.getByRole('alert'))).toContain('有 1 行有误');
    // More than the forecast's high end is allowed, with a word of warning.
    const above = preview.locator('[data-testid="upload-row"]', { hasText: `${(d.highUnits + 5).toLocaleString('en-US')}，最晚` });
    expect(await textOf(above.getByTestId('upload-problems'))).toBe(`高于预计上限（${d.highUnits.toLocaleString('en-US')}），请确认。`);
    expect(await preview.getByRole('button', { name: /^确认提交/ }).count()).toBe(0);
    expect((await api.ok<Batch>('GET', `/v1/factory/forecast-batches/${v3.id}`, token)).lines.filter((l) => l.commitment)).toEqual([]);
    await screenshot(page, 'batch-csv-preview');

    // Fixed, and saved again by Excel on a Chinese Windows: GB18030, no byte-order mark.
    const fixed = iconv.encode(filledIn(csv, { ...answers, [b.lineNo]: { quantity: String(b.firmUnits) } }), 'gb18030');
    await upload('forecast-v3.csv', fixed);
    expect(await textOf(page.getByTestId('upload-summary'))).toBe(`新增承诺 4 行，修改 0 行，不变 0 行，未填 ${skipped} 行，有误 0 行。`);
    // The rows read as the campaign's Chinese labels, their answers as the batch will show them.
    expect(await textOf(preview.locator(`[data-testid="upload-row"]`, { hasText: '产能不足' }))).toContain(`${c.firmUnits - 1}，最晚 ${later.iso}`);
    expect(await textOf(preview)).toMatch(/冬季羽绒服联名预售.* · (黑色|藏青|橄榄绿) \/ /);
    await preview.getByRole('button', { name: '确认提交 4 行' }).click();
    await page.getByText('已从 CSV 提交 4 行的承诺。').waitFor();

    const after = await api.ok<Batch>('GET', `/v1/factory/forecast-batches/${v3.id}`, token);
    const answered = (line: Line) => after.lines.find((l) => l.id === line.id)!.commitment;
    expect(answered(a)).toMatchObject({ quantity: a.firmUnits, reason: null });
    expect(answered(b)).toMatchObject({ quantity: b.firmUnits, reason: null });
    expect(answered(c)).toEqual(expect.objectContaining({ quantity: c.firmUnits - 1, shipBy: later.iso, reason: 'capacity' }));
    expect(answered(d)).toMatchObject({ quantity: d.highUnits + 5 });
    expect(after.lines.filter((l) => l.commitment)).toHaveLength(4);
    expect(await textOf(page.locator(`[data-testid="batch-line"][data-line-no="${c.lineNo}"]`).getByTestId('line-commitment'))).toContain(
      `${c.firmUnits - 1}，最晚 ${later.iso}`,
    );
    await screenshot(page, 'batch-csv-committed');

    // The same file once more: nothing to commit, and nothing changes.
    await upload('forecast-v3.csv', fixed);
    expect(await textOf(page.getByTestId('upload-summary'))).toBe(`新增承诺 0 行，修改 0 行，不变 4 行，未填 ${skipped} 行，有误 0 行。`);
    await page.getByText('文件中的承诺与现在的相同，没有需要提交的。').waitFor();
    expect(await page.getByRole('button', { name: /^确认提交/ }).count()).toBe(0);
    expect(await api.ok<Batch>('GET', `/v1/factory/forecast-batches/${v3.id}`, token)).toEqual(after);
  });

  test('the orchard reads its batches’ totals in kilograms and pieces apart, as the API adds them up', async () => {
    await page.getByRole('button', { name: '退出登录' }).click();
    await page.waitForURL('**/portal/sign-in');
    await signIn(DEMO_ACCOUNTS.orchard.email, DEMO_ACCOUNTS.orchard.password);
    const orchardToken = (await api.login(DEMO_ACCOUNTS.orchard.email, DEMO_ACCOUNTS.orchard.password)).token;
    const [batch] = (await api.ok<{ items: Batch[] }>('GET', '/v1/factory/forecast-batches', orchardToken)).items;
    expect(batch.totals.map((u) => u.unit)).toEqual(['piece', 'kg']);
    await page.getByRole('navigation').getByRole('link', { name: '预测批次', exact: true }).click();
    const row = page.locator(`[data-testid="batch-row"][data-batch-id="${batch.id}"]`);
    const [pieces, kilograms] = batch.totals;
    const shown = await textOf(row.getByTestId('batch-firm'));
    expect(shown).toBe(`${pieces.firmUnits.toLocaleString('en-US')} 个 · ${kilograms.firmUnits.toLocaleString('en-US')} 公斤`);
    expect(readNumber(shown.split(' ')[0])).toBe(pieces.firmUnits);
    expect(await textOf(row.getByTestId('batch-expected'))).toBe(
      `${pieces.expectedUnits.toLocaleString('en-US')} 个 · ${kilograms.expectedUnits.toLocaleString('en-US')} 公斤`,
    );
    await screenshot(page, 'orchard-batches');
  });
});
