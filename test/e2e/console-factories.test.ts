import { randomUUID } from 'node:crypto';
import { DEMO_ACCOUNTS } from '../../src/demo/seed';
import { type Console, type Receiver, aConsole, aPublishedBatchPushedTo, aReceiver } from './support/console';
import { eventually, screenshot, shanghaiTime, textOf } from './support/portal';

/**
 * The console's 工厂与果园 area as an operator uses it, against the demo service: onboard a factory, add its
 * portal user (who then signs in), issue an API key (shown once, copied, and it works), disable the user; then
 * the demo factory's webhook fails: the list of factories says so, its page shows the failing batch with its
 * next automatic retry, "send test" says what the receiver answered, and after the receiver is fixed,
 * "redeliver" delivers the batch.
 */
let c: Console;
let receiver: Receiver;

beforeAll(async () => {
  receiver = await aReceiver();
  // The receiver is on this machine (a development setting); retries an hour apart, so the one planned stays planned while the test reads it.
  c = await aConsole('console-factories', { WEBHOOK_ALLOW_PRIVATE_ADDRESSES: 'true', WEBHOOK_RETRY_BASE_MS: '3600000' });
  await c.context.grantPermissions(['clipboard-read', 'clipboard-write']);
});
afterAll(async () => {
  await c?.close();
  await receiver?.close();
});

const heading = (name: string) => c.page.getByRole('heading', { name, exact: true });

describe('工厂与果园', () => {
  const name = '宁波晨光针织厂';
  const planner = { email: `planner-${randomUUID().slice(0, 8)}@chenguang.example.com`, password: 'chenguang-2026-plan' };
  let factoryId: string;
  let demoFactoryId: string;

  test('onboard a factory: its page opens, a portal user is added and signs in', async () => {
    const { page } = c;
    await page.getByRole('link', { name: '工厂与果园', exact: true }).click();
    await heading('工厂与果园').waitFor();
    // The demo's factory and orchard are listed with their kind and users.
    const demoRow = page.getByTestId('factory-row').filter({ hasText: '杭州羽绒服装厂' });
    expect(await textOf(demoRow)).toContain('工厂');

    // The API's field errors, in Chinese under their fields: an empty name and a bad email.
    await page.getByLabel('联系邮箱').fill('not-an-email');
    await page.getByRole('button', { name: '办理入驻' }).click();
    expect(await textOf(page.locator('#onboard-email-error'))).toBe('请填写有效的邮箱。');
    expect(await textOf(page.locator('#onboard-name-error'))).toBe('必须填写。');

    await page.getByLabel('工厂或果园名称').fill(name);
    await page.getByLabel('联系邮箱').fill('hello@chenguang.example.com');
    await page.getByRole('button', { name: '办理入驻' }).click();
    await page.getByRole('heading', { name: new RegExp(`^${name}`) }).waitFor();
    factoryId = page.url().split('/').at(-1)!;
    expect(await textOf(page.getByText('还没有门户用户。'))).toBeTruthy();

    await page.getByLabel('邮箱', { exact: true }).fill(planner.email);
    await page.getByLabel('姓名').fill('王计划');
    await page.getByLabel('初始密码').fill('short');
    await page.getByRole('button', { name: '添加用户' }).click();
    expect(await textOf(page.locator('#user-password-error'))).toBe('至少 10 个字。');
    await page.getByLabel('初始密码').fill(planner.password);
    await page.getByRole('button', { name: '添加用户' }).click();
    const userRow = page.getByTestId('user-row').filter({ hasText: planner.email });
    expect(await textOf(userRow)).toContain('王计划');
    expect(await textOf(userRow)).toContain('可用');
    // The new user signs in to the portal.
    const session = await c.api.client.login(planner.email, planner.password);
    expect(session.user.factoryId).toBe(factoryId);
  });

  test('issue an API key: the secret is shown once with a copy button, and it works; revoked, it does not', async () => {
    const { page } = c;
    await page.getByLabel('密钥名称（例如 ERP 系统）').fill('ERP 系统');
    await page.getByRole('button', { name: '签发新密钥' }).click();
    const secret = await textOf(page.getByTestId('api-key-secret'));
    expect(secret).toMatch(/^c2mk_/);
    await page.getByRole('button', { name: '复制' }).click();
    await page.getByRole('button', { name: '已复制' }).waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);
    expect((await c.api.client.call('GET', '/v1/factory/forecast', secret)).status).toBe(200);
    expect(await textOf(page.getByTestId('key-row').filter({ hasText: 'ERP 系统' }))).toContain('有效');
    await screenshot(page, 'console-factories-factory');

    // Gone after a reload: the secret is never shown again.
    await page.reload();
    await heading('API 密钥').waitFor();
    expect(await page.getByTestId('api-key-secret').count()).toBe(0);

    const keyRow = page.getByTestId('key-row').filter({ hasText: 'ERP 系统' });
    await keyRow.getByRole('button', { name: '吊销' }).click();
    await keyRow.getByRole('button', { name: '确定吊销' }).click();
    expect(await textOf(keyRow.locator('.badge').filter({ hasText: '已吊销' }))).toMatch(/^已吊销（\d{4}-\d{2}-\d{2} \d{2}:\d{2}）$/);
    expect((await c.api.client.call('GET', '/v1/factory/forecast', secret)).status).toBe(401);
  });

  test('disable a portal user with a reason: signed out at once, sign-in refused; enabled again', async () => {
    const { page } = c;
    const session = await c.api.client.login(planner.email, planner.password);
    const userRow = page.getByTestId('user-row').filter({ hasText: planner.email });
    await userRow.getByRole('button', { name: '停用' }).click();
    // Without a reason the API refuses, and says so under the field.
    await userRow.getByRole('button', { name: '确定停用' }).click();
    expect(await textOf(userRow.locator('.field-error'))).toBe('必须填写。');
    await userRow.getByLabel('停用原因').fill('已离职');
    await userRow.getByRole('button', { name: '确定停用' }).click();
    expect(await textOf(userRow.locator('.badge').filter({ hasText: '已停用' }))).toMatch(/^已停用（\d{4}-\d{2}-\d{2} \d{2}:\d{2}）$/);
    expect((await c.api.client.call('GET', '/v1/factory/forecast', session.token)).status).toBe(401);
    const refused = await c.api.client.call<{ code: string }>('POST', '/v1/auth/login', undefined, planner);
    expect(refused).toMatchObject({ status: 403, body: { code: 'account_disabled' } });

    await userRow.getByRole('button', { name: '重新启用' }).click();
    await userRow.locator('.badge').filter({ hasText: '可用' }).waitFor();
    await c.api.client.login(planner.email, planner.password);
  });

  test("a failing webhook: the list says so, the factory's page shows the next retry; send test; redeliver once the receiver is fixed", async () => {
    const { page, api } = c;
    // The demo factory points its webhook at its ERP, which fails (HTTP 500); a paid pledge, and an operator publishes v4.
    const { factory, batch } = await aPublishedBatchPushedTo(c, receiver);
    type Delivery = { id: string; batchId: string; attempt: number; delivered: boolean; nextAttemptAt: string | null };
    // The worker's first attempt fails, and it plans the retry.
    const failed = await eventually('the push failed and its retry is planned', async () =>
      (await api.ok<{ items: Delivery[] }>('GET', `/v1/factories/${factory.user.factoryId}/webhook-deliveries?status=failing`)).items.find(
        (d) => d.batchId === batch.id && d.nextAttemptAt !== null && Date.parse(d.nextAttemptAt) > Date.now(),
      ),
    );

    await page.getByRole('link', { name: '工厂与果园', exact: true }).click();
    const health = page.getByTestId('factory-row').filter({ hasText: '杭州羽绒服装厂' }).getByTestId('webhook-health');
    // The list shows what it had at once, and asks again: the failure arrives.
    const healthText = await textOf(health.filter({ hasText: '推送失败' }));
    expect(healthText).toContain('1 个批次推送失败');
    expect(healthText).toContain(`下次重试：${shanghaiTime(failed.nextAttemptAt!)}`);
    await screenshot(page, 'console-factories');

    await page.getByRole('link', { name: '杭州羽绒服装厂' }).click();
    await heading('失败的推送').waitFor();
    expect(await textOf(page.getByTestId('webhook-url'))).toContain(receiver.url);
    const row = page.getByTestId('failing-row').filter({ hasText: `v${batch.version}` });
    expect(await textOf(row.getByTestId('last-error'))).toBe('对方系统返回 HTTP 500');
    expect(await textOf(row.getByTestId('next-attempt'))).toBe(`将于 ${shanghaiTime(failed.nextAttemptAt!)} 自动重试`);

    // Send test, the receiver still failing: said at once, in Chinese.
    await page.getByRole('button', { name: '发送测试' }).click();
    expect(await textOf(page.getByTestId('test-result'))).toMatch(/^测试推送失败：对方系统返回 HTTP 500（\d{4}-\d{2}-\d{2} \d{2}:\d{2}）。$/);
    await screenshot(page, 'console-factories-failing');

    // The factory fixes its ERP; the test passes, and redeliver delivers the batch.
    receiver.status = 200;
    await page.getByRole('button', { name: '发送测试' }).click();
    await page.getByTestId('test-result').filter({ hasText: '测试推送成功' }).waitFor();
    expect(await textOf(page.getByTestId('test-result'))).toMatch(/^测试推送成功：对方系统返回 HTTP 200，耗时 \d+ 毫秒/);
    await row.getByRole('button', { name: '重新推送' }).click();
    await page.getByText('没有失败的推送。').waitFor();
    expect(receiver.received.filter((id) => id === `${batch.id}:v${batch.version}`)).toHaveLength(2);
    const newest = page.getByTestId('delivery-row').filter({ hasText: '手动推送' }).first();
    expect(await textOf(newest)).toContain(`v${batch.version}`);
    expect(await textOf(newest)).toContain('成功');

    demoFactoryId = factory.user.factoryId!;
    await page.getByRole('link', { name: '返回工厂与果园列表' }).click();
    expect(await textOf(health.filter({ hasText: '正常' }))).toContain('最近一次推送');
  });
  test('each of those actions is in the audit log: who, what, why, the outcome, and no password or key', async () => {
    type Entry = { actor: { email: string | null }; method: string; route: string; reason: string | null; summary: string | null; status: string };
    const entries = async (subjectId: string) =>
      (await c.api.ok<{ items: Entry[] }>('GET', `/v1/audit-log?subjectId=${subjectId}&limit=100`)).items.filter((e) => e.status !== 'refused');
    const actions = (list: Entry[]) => list.map((e) => `${e.method} ${e.route}`).sort();
    const onboarded = await entries(factoryId);
    expect(actions(onboarded)).toEqual(
      [
        'DELETE /v1/factories/:id/api-keys/:keyId',
        'POST /v1/factories',
        'POST /v1/factories/:id/api-keys',
        'POST /v1/factories/:id/users',
        'POST /v1/factories/:id/users/:userId/disable',
        'POST /v1/factories/:id/users/:userId/enable',
      ].sort(),
    );
    for (const e of onboarded) expect(e).toMatchObject({ actor: { email: DEMO_ACCOUNTS.operator.email }, status: 'succeeded' });
    expect(onboarded.find((e) => e.route.endsWith('/disable'))!.reason).toBe('已离职');
    expect(JSON.stringify(onboarded)).not.toContain(planner.password);
    const demo = await entries(demoFactoryId);
    expect(actions(demo)).toEqual([
      'POST /v1/factories/:id/forecast-batches',
      'POST /v1/factories/:id/webhook-deliveries/:deliveryId/redeliver',
      'POST /v1/factories/:id/webhook/test',
      'POST /v1/factories/:id/webhook/test',
    ]);
  });
});
