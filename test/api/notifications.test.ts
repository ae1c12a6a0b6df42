import { randomUUID } from 'node:crypto';
import type { TestApp } from '../support/app';
import { aConsumer, aFactoryWorld, type Caller } from '../support/builders';
import { anOpenCampaign, expectLedgerReconciles, paidPledge, pledge, sandboxSettles } from '../support/campaigns';
import { type TestClock, runDue } from '../support/clock';
import { formatBusinessTime } from '../../src/platform/calendar';

/** GET /v1/me/notifications: every message made from its kind and facts in the reader's language, Chinese by default. */
let t: TestApp;
let clock: TestClock;
let operator: Caller;
let factoryId: string;

beforeAll(async () => {
  ({ t, clock, operator, factoryId } = await aFactoryWorld());
});
afterEach(() => expectLedgerReconciles(t));
afterAll(() => t.close());

type Item = { kind: string; message: string; data: Record<string, unknown> };
const read = async (c: Caller, how: { lang?: string; accept?: string } = {}) => {
  const req = t.http.get(`/v1/me/notifications?limit=100${how.lang ? `&lang=${how.lang}` : ''}`).set(c.auth);
  if (how.accept) req.set('Accept-Language', how.accept);
  const res = await req.expect(200);
  return { language: res.headers['content-language'], items: res.body.items as Item[] };
};
const messageOf = (items: Item[], kind: string) => items.find((n) => n.kind === kind)?.message;

describe("consumer notifications in the reader's language", () => {
  test('a pledge from deposit to success: Chinese by default, English by Accept-Language or ?lang=, the same facts in both', async () => {
    const c = await anOpenCampaign(t, operator, factoryId, clock, {
      title: '冬季羽绒服 Winter jacket',
      depositCreditRate: '1.5',
      options: [
        { name: 'colour', label: { zh: '颜色', en: 'Colour' }, values: ['black', 'navy'], valueLabels: { black: { zh: '黑色', en: 'Black' } } },
        { name: 'size', values: ['M', 'L'] },
      ],
    });
    const consumer = await aConsumer(t);
    const others = await Promise.all([aConsumer(t), aConsumer(t)]);
    await paidPledge(t, consumer, c.id, { colour: 'black', size: 'M' }, 2);
    await paidPledge(t, others[0], c.id, { colour: 'navy', size: 'L' }, 2);
    await paidPledge(t, others[1], c.id, { colour: 'navy', size: 'L' }, 1);

    const zh = await read(consumer);
    expect(zh.language).toBe('zh-CN');
    // 999.99 × 0.10 → ¥100.00 a unit, × 2
    expect(messageOf(zh.items, 'deposit_received')).toBe('已收到「冬季羽绒服 Winter jacket」的定金 ¥200.00。');
    expect(zh.items.find((n) => n.kind === 'deposit_received')!.data).toEqual({ title: '冬季羽绒服 Winter jacket', amount: '200.00' });
    const en = await read(consumer, { accept: 'en-GB,en;q=0.9,zh;q=0.5' });
    expect(en.language).toBe('en');
    expect(messageOf(en.items, 'deposit_received')).toBe('Deposit of ¥200.00 received for "冬季羽绒服 Winter jacket".');
    expect((await read(consumer, { accept: 'zh-CN', lang: 'en' })).items.map((n) => n.message)).toEqual(en.items.map((n) => n.message));
    expect((await read(consumer, { accept: 'en', lang: 'zh-CN' })).items.map((n) => n.message)).toEqual(zh.items.map((n) => n.message));
    expect((await read(consumer, { accept: 'fr-FR' })).language).toBe('zh-CN');

    // Success at ¥699.50 (5 paid units): (699.50 − 150.00 credited) × 2 = ¥1099.00, due in 48 hours, shown in China time.
    await t.http.post(`/v1/campaigns/${c.id}/close`).set(operator.auth).expect(200);
    await runDue(t, clock);
    const decided = (await t.http.get(`/v1/campaigns/${c.id}`).expect(200)).body;
    const due = new Date(decided.balanceDueAt);
    expect(messageOf((await read(consumer)).items, 'campaign_succeeded')).toBe(
      `「冬季羽绒服 Winter jacket」已成团，成交价每件 ¥699.50。请在 ${formatBusinessTime(due)} 前支付尾款 ¥1099.00。`,
    );
    expect(messageOf((await read(consumer, { lang: 'en' })).items, 'campaign_succeeded')).toBe(
      `"冬季羽绒服 Winter jacket" succeeded at ¥699.50 a unit. Pay the balance of ¥1099.00 before ${formatBusinessTime(due, 'en')}.`,
    );
    expect(formatBusinessTime(due)).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d 北京时间$/);
  });

  test('a variant too few chose: its labels in each language; the refund said with its reason', async () => {
    const c = await anOpenCampaign(t, operator, factoryId, clock, {
      variantMinUnits: 2,
      options: [
        { name: 'colour', label: { zh: '颜色' }, values: ['black', 'navy'], valueLabels: { navy: { zh: '藏青', en: 'Navy' } } },
        { name: 'size', values: ['M', 'L'] },
      ],
    });
    const [lonely, crowd] = await Promise.all([aConsumer(t), aConsumer(t)]);
    await paidPledge(t, crowd, c.id, { colour: 'black', size: 'M' }, 3);
    await paidPledge(t, lonely, c.id, { colour: 'navy', size: 'L' }, 1);
    await t.http.post(`/v1/campaigns/${c.id}/close`).set(operator.auth).expect(200);
    await runDue(t, clock);
    expect(messageOf((await read(lonely)).items, 'variant_not_produced')).toBe(
      `「Winter down jacket, joint pre-order」的 藏青 / L 选择人数不足，不予生产。定金 ¥100.00 全额退还。`,
    );
    expect(messageOf((await read(lonely, { lang: 'en' })).items, 'variant_not_produced')).toBe(
      'Too few people chose Navy / L of "Winter down jacket, joint pre-order" for it to be made. Your deposit of ¥100.00 is refunded.',
    );
    expect(messageOf((await read(lonely)).items, 'refund_sent')).toBe('¥100.00 已退还给您（所选款式不生产）。');
    expect(messageOf((await read(lonely, { lang: 'en' })).items, 'refund_sent')).toBe('¥100.00 has been refunded to you (your variant is not being made).');
  });

  test('a declined deposit: the pledge expired, in both languages', async () => {
    const c = await anOpenCampaign(t, operator, factoryId, clock);
    const consumer = await aConsumer(t);
    const placed = await pledge(t, consumer, c.id, { colour: 'black', size: 'M' }, 1).expect(201);
    await sandboxSettles(t, placed.body.depositPayment.id, 'failed');
    expect(messageOf((await read(consumer)).items, 'pledge_expired')).toBe('您对「Winter down jacket, joint pre-order」的认购已失效：定金未按时支付。');
    expect(messageOf((await read(consumer, { lang: 'en' })).items, 'pledge_expired')).toBe(
      'Your pledge for "Winter down jacket, joint pre-order" expired: the deposit was not paid in time.',
    );
  });

  test('a notification stored before templates keeps its stored sentence, in every language', async () => {
    const consumer = await aConsumer(t);
    await t.db.transaction((tx) =>
      t.db.insertRows(tx, 'consumer_notifications', [
        {
          id: randomUUID(),
          user_id: consumer.userId,
          kind: 'deposit_received',
          campaign_id: null,
          pledge_id: null,
          message: 'Deposit of ¥100.00 received for "Old campaign".',
          data: JSON.stringify({ amount: '100.00' }),
          created_at: new Date(),
        },
      ]),
    );
    for (const lang of [undefined, 'en', 'zh-CN'])
      expect((await read(consumer, { lang })).items).toEqual([
        expect.objectContaining({ kind: 'deposit_received', message: 'Deposit of ¥100.00 received for "Old campaign".', data: { amount: '100.00' } }),
      ]);
  });

  test('a language we do not have is a 400', async () => {
    const consumer = await aConsumer(t);
    const res = await t.http.get('/v1/me/notifications?lang=de').set(consumer.auth).expect(400);
    expect(res.body.code).toBe('invalid_query');
  });
});
