import type { Page } from 'playwright-core';
import { DEMO_ACCOUNTS } from '../../src/demo/seed';
import { screenshot, textOf } from './support/portal';
import { aDemoWithPortalAndPhone, aShopOwnerThroughApi, checkScreen, seriousViolations } from './support/storefront';

/**
 * Product concepts (docs/selection.md) in Debian's chromium against the real service with the demo data: the demo
 * factory proposes a concept in the portal (新品概念); an operator opens its trial and picks applicants (API, as
 * operators do until their console); the demo shop owner applies and rates it on the phone from 店主中心 →
 * 新品试用与评分, two other shop owners through the API; the factory's concept page then shows the index with its
 * band and n, the four dimension means, the comments, the stated intent and the gate, as computed here
 * independently from the ratings.
 */
interface Concept {
  id: string;
  phase: string;
  index: { value: number; ratings: number; low: number; high: number };
}

let demo: Awaited<ReturnType<typeof aDemoWithPortalAndPhone>>;
let service: typeof demo.service;
let api: typeof demo.api;
let portal: typeof demo.portal;
let phone: typeof demo.phone;
let operator: string;
let conceptId: string;

const TITLE = '轻薄羽绒背心 Light down vest';

beforeAll(async () => {
  demo = await aDemoWithPortalAndPhone('concepts');
  ({ service, api, operator, portal, phone } = demo);
}, 120_000);

afterAll(() => demo?.close());

/** A new consumer made a shop owner through the API, applied for the concept's sample: their token. */
async function anApplicant(): Promise<string> {
  const { token } = await aShopOwnerThroughApi(api, operator, '试用小店');
  await api.ok('POST', `/v1/concepts/${conceptId}/trial-applications`, token);
  return token;
}

test('the demo factory proposes a concept from 新品概念 and sees it as a draft awaiting review', async () => {
  const page: Page = portal.page;
  await page.goto(`${service.url}/portal/`);
  await page.getByLabel('邮箱').fill(DEMO_ACCOUNTS.factory.email);
  await page.getByLabel('密码').fill(DEMO_ACCOUNTS.factory.password);
  await page.getByRole('button', { name: '登录' }).click();
  await page.getByRole('navigation').getByRole('link', { name: '新品概念', exact: true }).click();
  await page.getByRole('heading', { level: 1, name: '新品概念' }).waitFor();
  await page.getByText('还没有新品概念。').waitFor();

  await page.getByRole('button', { name: '提出新概念' }).click();
  const form = page.getByTestId('concept-form');
  await form.getByLabel('新品名称').fill(TITLE);
  await form.getByLabel('介绍').fill('90% 白鸭绒，可收纳进口袋。');
  await form.getByLabel('图片链接（每行一个，https）').fill('https://img.example.com/vest.jpg');
  await form.getByLabel('规格（每行一个：英文名: 值1, 值2）').fill('colour: black, navy\nsize: M, L, XL');
  await form.getByLabel('目标价（元）').fill('199');
  await form.getByLabel('起订量（件）').fill('500');
  await form.getByLabel('试用名额').fill('3');
  // A bad photo link is refused beside the form, named by its field's Chinese label (never the API's field path), and nothing is made.
  await form.getByLabel('图片链接（每行一个，https）').fill('http://img.example.com/vest.jpg');
  await form.getByRole('button', { name: '提交' }).click();
  const refusal = await textOf(form.getByRole('alert'));
  expect(refusal).toContain('图片链接（每行一个，https）：');
  expect(refusal).not.toContain('photoUrls');
  await form.getByLabel('图片链接（每行一个，https）').fill('https://img.example.com/vest.jpg');
  await form.getByRole('button', { name: '提交' }).click();

  await page.getByRole('heading', { level: 1, name: TITLE }).waitFor();
  conceptId = page.url().split('/concepts/')[1];
  expect(await textOf(page.getByTestId('concept-phase'))).toBe('待运营审核');
  // No ratings yet: the index is the platform's default mean, on 0 ratings.
  expect(await textOf(page.getByTestId('concept-index'))).toBe('6.00');
  expect(await textOf(page.getByTestId('concept-ratings'))).toBe('基于 0 条评分');
  const mine = await api.ok<{ items: { id: string; title: string }[] }>(
    'GET',
    '/v1/factory/concepts',
    (await api.login(DEMO_ACCOUNTS.factory.email, DEMO_ACCOUNTS.factory.password)).token,
  );
  expect(mine.items.map((c) => [c.id, c.title])).toEqual([[conceptId, TITLE]]);
});

test('the demo shop owner applies from 店主中心 → 新品试用与评分, is picked, and rates it; the rating can be changed', async () => {
  await api.ok('POST', `/v1/concepts/${conceptId}/open-trial`, operator);
  const page = phone.page;
  await page.goto(`${service.url}/signin?next=/shop`);
  await page.getByRole('tab', { name: '邮箱' }).click();
  await page.getByLabel('邮箱').fill(DEMO_ACCOUNTS.shopOwner.email);
  await page.getByLabel('密码').fill(DEMO_ACCOUNTS.shopOwner.password);
  await page.getByRole('button', { name: '登录', exact: true }).click();
  await page.getByRole('heading', { level: 1, name: '店主中心' }).waitFor();
  await page.getByTestId('shop-trials-link').click();
  await page.getByRole('heading', { level: 1, name: '新品试用与评分' }).waitFor();

  const trial = page.locator(`[data-concept-id="${conceptId}"]`);
  expect(await textOf(trial)).toContain(TITLE);
  expect(await textOf(trial)).toContain('目标价 ¥199');
  await trial.getByRole('button', { name: '申请试用' }).click();
  await trial.getByText('已申请，等待运营挑选。').waitFor();

  const applications = await api.ok<{ items: { id: string }[] }>('GET', `/v1/concepts/${conceptId}/trial-applications`, operator);
  await api.ok('POST', `/v1/concepts/${conceptId}/picks`, operator, { applicationIds: applications.items.map((a) => a.id) });
  await page.reload();
  await trial.getByText('你已被选中试用，请在试用结束前打分。').waitFor();

  const form = trial.getByTestId('rating-form');
  await form.getByLabel('性能/品质').selectOption('9');
  await form.getByLabel('价格接受度').selectOption('7');
  await form.getByLabel('设计').selectOption('8');
  await form.getByLabel('包装').selectOption('6');
  await form.getByLabel('评语（可不填）').fill('很轻，收纳方便，拉链可以更顺滑。');
  await form.getByLabel('会', { exact: true }).check();
  await form.getByLabel('预订件数').fill('30');
  await form.getByRole('button', { name: '提交评分' }).click();
  await form.getByText('评分已保存，试用结束前都可以修改。').waitFor();
  expect(await seriousViolations(page)).toEqual([]);
  await checkScreen(page, 'trials');

  // Changed: packaging 6 → 8; still one rating.
  await form.getByLabel('包装').selectOption('8');
  await form.getByRole('button', { name: '修改评分' }).click();
  await form.getByText('评分已保存，试用结束前都可以修改。').waitFor();
});

test("the factory's concept page shows the index with its band and n, the dimension means, comments, intent and the gate", async () => {
  const others = [await anApplicant(), await anApplicant()];
  const applications = await api.ok<{ items: { id: string; status: string }[] }>('GET', `/v1/concepts/${conceptId}/trial-applications`, operator);
  await api.ok('POST', `/v1/concepts/${conceptId}/picks`, operator, {
    applicationIds: applications.items.filter((a) => a.status === 'applied').map((a) => a.id),
  });
  const ratings = [
    { performance: 9, priceAcceptance: 7, design: 8, packaging: 8 },
    { performance: 6, priceAcceptance: 5, design: 7, packaging: 6 },
    { performance: 8, priceAcceptance: 8, design: 9, packaging: 7 },
  ];
  await api.ok('PUT', `/v1/concepts/${conceptId}/my-rating`, others[0], { ...ratings[1], comment: '版型偏大', wouldPreorder: false, preorderUnits: 0 });
  await api.ok('PUT', `/v1/concepts/${conceptId}/my-rating`, others[1], { ...ratings[2], wouldPreorder: true, preorderUnits: 10 });

  // Computed here from the ratings: the only rated concept, so m is its own mean and the index equals it;
  // s is the scores' standard deviation, the band ± 1.96 s / √(10 + 3).
  const scores = ratings.map((r) => (r.performance + r.priceAcceptance + r.design + r.packaging) / 4);
  const mean = scores.reduce((a, b) => a + b, 0) / 3;
  const s = Math.sqrt(scores.reduce((a, x) => a + (x - mean) ** 2, 0) / 2);
  const half = (1.96 * s) / Math.sqrt(13);
  const page = portal.page;
  await page.reload();
  await page.getByRole('heading', { level: 1, name: TITLE }).waitFor();
  expect(await textOf(page.getByTestId('concept-phase'))).toBe('试用中');
  expect(await textOf(page.getByTestId('concept-index'))).toBe(mean.toFixed(2));
  expect(await textOf(page.getByTestId('concept-band'))).toBe(`95% 区间 ${(mean - half).toFixed(2)}–${(mean + half).toFixed(2)}`);
  expect(await textOf(page.getByTestId('concept-ratings'))).toBe('基于 3 条评分');
  const dimensions = await textOf(page.getByTestId('concept-dimensions'));
  for (const [name, key] of [
    ['性能/品质', 'performance'],
    ['价格接受度', 'priceAcceptance'],
    ['设计', 'design'],
    ['包装', 'packaging'],
  ] as const)
    expect(dimensions).toContain(`${name}\n${(ratings.reduce((a, r) => a + r[key], 0) / 3).toFixed(2)}`);
  const intent = await textOf(page.getByTestId('concept-intent'));
  expect(intent).toContain('愿意预订\n2');
  expect(intent).toContain('占评分店主\n67%');
  expect(intent).toContain('意向件数\n40');
  const comments = await textOf(page.getByTestId('concept-comments'));
  expect(comments).toContain('很轻，收纳方便，拉链可以更顺滑。');
  expect(comments).toContain('版型偏大');
  // Three ratings are below the default gate of 20.
  expect(await textOf(page.getByTestId('concept-gate'))).toBe('未达到');
  expect(await seriousViolations(page)).toEqual([]);
  await screenshot(page, 'portal-concept');

  const concept = await api.ok<Concept>('GET', `/v1/concepts/${conceptId}`, operator);
  expect(concept.index).toMatchObject({ value: Number(mean.toFixed(2)), ratings: 3 });
});
