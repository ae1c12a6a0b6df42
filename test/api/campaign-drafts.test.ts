import { randomUUID } from 'node:crypto';
import { businessDay, startOfBusinessDay } from '../../src/platform/calendar';
import type { TestApp } from '../support/app';
import { aConsumer, aFactory, aFactoryWorld, type Caller } from '../support/builders';
import { paidPledge } from '../support/campaigns';
import type { TestClock } from '../support/clock';

/** The operator's console works on drafts: edit one, preview it as consumers will see it, read its warnings; cancel with a reason. */
let t: TestApp;
let clock: TestClock;
let operator: Caller;
let factoryId: string;
beforeAll(async () => {
  ({ t, clock, operator, factoryId } = await aFactoryWorld());
});
afterAll(() => t.close());

const DAY = 86_400_000;
/** Noon China time `days` from now: a close that surprises no one. */
const noonIn = (days: number) => new Date(startOfBusinessDay(businessDay(new Date(clock.now().getTime() + days * DAY))).getTime() + 12 * 3600_000);

/** A down jacket with Chinese labels, ¥1,000, a ¥100 deposit, ¥900 from 10 units and ¥700 from 20: terms with no warning. */
const body = (patch: Record<string, unknown> = {}) => ({
  factoryId,
  title: '冬季羽绒服联名预售',
  productName: '羽绒服',
  options: [
    { name: 'colour', label: { zh: '颜色', en: 'Colour' }, values: ['black', 'navy'], valueLabels: { black: { zh: '黑色' }, navy: { zh: '藏青' } } },
    { name: 'size', label: { zh: '尺码' }, values: ['M', 'L'] },
  ],
  referencePrice: '1000.00',
  depositRate: '0.10',
  tiers: [
    { minUnits: 10, unitPrice: '900.00' },
    { minUnits: 20, unitPrice: '700.00' },
  ],
  opensAt: clock.now().toISOString(),
  closesAt: noonIn(7).toISOString(),
  balanceWindowHours: 72,
  expectedShipDate: businessDay(new Date(clock.now().getTime() + 60 * DAY)),
  ...patch,
});
const create = async (patch: Record<string, unknown> = {}) => (await t.http.post('/v1/campaigns').set(operator.auth).send(body(patch)).expect(201)).body;
const edit = (id: string, patch: unknown, who: Caller = operator) =>
  t.http
    .patch(`/v1/campaigns/${id}`)
    .set(who.auth)
    .send(patch as object);
const read = async (id: string) => (await t.http.get(`/v1/campaigns/${id}`).set(operator.auth).expect(200)).body;
const cancel = (id: string, reason?: string) =>
  t.http
    .post(`/v1/campaigns/${id}/cancel`)
    .set(operator.auth)
    .set('Idempotency-Key', randomUUID())
    .send(reason === undefined ? {} : { reason });

describe('editing a draft (PATCH /v1/campaigns/:id)', () => {
  test('the fields given replace the draft’s; the rest, the description included, stay as they were', async () => {
    const draft = await create({ description: '90% 白鸭绒' });
    const res = await edit(draft.id, { title: '羽绒服 · 第二版', tiers: [{ minUnits: 15, unitPrice: '850.00' }], maxUnits: 40 }).expect(200);
    expect(res.body).toMatchObject({
      id: draft.id,
      status: 'draft',
      title: '羽绒服 · 第二版',
      description: '90% 白鸭绒',
      tiers: [{ minUnits: 15, unitPrice: '850.00' }],
      maxUnits: 40,
      depositPerUnit: '100.00',
      warnings: [],
    });
    expect(await read(draft.id)).toMatchObject({
      title: '羽绒服 · 第二版',
      description: '90% 白鸭绒',
      tiers: [{ minUnits: 15, unitPrice: '850.00' }],
      maxUnits: 40,
    });
  });

  test('a new reference price or rate sets the deposit again; null clears an optional field', async () => {
    const draft = await create({ maxUnits: 100, perConsumerLimit: 5 });
    const res = await edit(draft.id, { referencePrice: '1200.00', depositRate: '0.05', maxUnits: null }).expect(200);
    expect(res.body).toMatchObject({ referencePrice: '1200.00', depositPerUnit: '60.00', maxUnits: null, perConsumerLimit: 5 });
  });

  test('the draft as edited must pass the create rules, which may name a field the edit did not touch; nothing changes', async () => {
    const draft = await create();
    // ¥400 as the cheapest price: the ¥100 deposit would be 25% of it, above the 20% the law allows.
    const refused = await edit(draft.id, { tiers: [{ minUnits: 10, unitPrice: '400.00' }] }).expect(400);
    expect(refused.body).toMatchObject({ code: 'validation_failed' });
    expect(refused.body.errors).toEqual([expect.objectContaining({ path: 'body.depositRate', reason: 'deposit_over_legal_share', limit: 80 })]);
    const backwards = await edit(draft.id, {
      tiers: [
        { minUnits: 20, unitPrice: '900.00' },
        { minUnits: 10, unitPrice: '800.00' },
      ],
    }).expect(400);
    expect(backwards.body.errors).toEqual([expect.objectContaining({ path: 'body.tiers.1.minUnits', reason: 'tiers_not_ascending' })]);
    const past = await edit(draft.id, { closesAt: new Date(clock.now().getTime() - 1000).toISOString() }).expect(400);
    expect(past.body.errors).toEqual([expect.objectContaining({ path: 'body.closesAt', reason: 'not_in_future' })]);
    expect(await read(draft.id)).toMatchObject({ tiers: body().tiers, closesAt: draft.closesAt });
  });

  test('malformed edits are refused with a reason per field', async () => {
    const draft = await create();
    expect((await edit(draft.id, {}).expect(400)).body.errors).toEqual([expect.objectContaining({ reason: 'empty_edit' })]);
    expect((await edit(draft.id, { status: 'open' }).expect(400)).body.errors).toEqual([expect.objectContaining({ reason: 'unknown_field' })]);
    expect((await edit(draft.id, { title: '' }).expect(400)).body.errors).toEqual([expect.objectContaining({ path: 'body.title', reason: 'required' })]);
    expect((await edit(draft.id, { factoryId: randomUUID() }).expect(404)).body.code).toBe('not_found');
    expect((await edit(randomUUID(), { title: 'x' }).expect(404)).body.code).toBe('not_found');
  });

  test('only a draft can be edited, and only by an operator', async () => {
    const draft = await create();
    const factory = await aFactory(t, operator);
    await edit(draft.id, { title: 'mine now' }, factory.user).expect(403);
    await t.http.post(`/v1/campaigns/${draft.id}/publish`).set(operator.auth).expect(200);
    expect((await edit(draft.id, { title: 'too late' }).expect(409)).body.code).toBe('campaign_not_draft');
    const cancelled = await create();
    await cancel(cancelled.id, '不再需要这个草稿').expect(200);
    expect((await edit(cancelled.id, { title: 'too late' }).expect(409)).body.code).toBe('campaign_not_draft');
    expect((await read(draft.id)).title).toBe(body().title);
  });
});

describe('warnings', () => {
  test('returned with the draft when created and edited, with the operator’s read of a draft, and gone once edited away', async () => {
    // ¥100 × 7 = ¥700: at the 20-unit tier a consumer pays the deposit and nothing more.
    const draft = await create({ depositCreditRate: '7', balanceWindowHours: 12 });
    expect(draft.warnings.map((w: { code: string }) => w.code)).toEqual(['deposit_credit_covers_price', 'balance_window_short']);
    expect((await read(draft.id)).warnings).toEqual(draft.warnings);
    const fixed = await edit(draft.id, { depositCreditRate: '2', balanceWindowHours: 48 }).expect(200);
    expect(fixed.body.warnings).toEqual([]);
    expect((await read(draft.id)).warnings).toEqual([]);
  });

  test('a published campaign’s read carries no warnings (they were answered at publish); nobody else sees them', async () => {
    const draft = await create({ balanceWindowHours: 12 });
    const published = await t.http.post(`/v1/campaigns/${draft.id}/publish`).set(operator.auth).expect(200);
    expect(published.body.warnings).toEqual([expect.objectContaining({ code: 'balance_window_short' })]);
    expect(await read(draft.id)).not.toHaveProperty('warnings');
    const publicRead = await t.http.get(`/v1/campaigns/${draft.id}`).expect(200);
    expect(publicRead.body).not.toHaveProperty('warnings');
    expect(publicRead.body).not.toHaveProperty('cancelReason');
  });
});

describe('the preview (POST /v1/campaigns/preview)', () => {
  test('shows the terms as consumers will see them, per unit, with the warnings, and saves nothing', async () => {
    const before = (await t.http.get('/v1/campaigns?status=draft&limit=1').set(operator.auth).expect(200)).body.total;
    const res = await t.http
      .post('/v1/campaigns/preview')
      .set(operator.auth)
      .send(body({ depositCreditRate: '7.5', maxUnits: 30, options: [{ name: 'colour', values: ['black'], valueLabels: { black: { zh: '黑色' } } }] }))
      .expect(200);
    expect(res.body).toMatchObject({
      title: '冬季羽绒服联名预售',
      options: [{ name: 'colour', label: { zh: 'colour', en: 'colour' }, values: ['black'], valueLabels: { black: { zh: '黑色', en: 'black' } } }],
      variants: 1,
      depositPerUnit: '100.00',
      depositCreditPerUnit: '750.00',
      refundIfNotReached: '100.00',
      threshold: 10,
      maxUnits: 30,
      tiers: [
        { minUnits: 10, unitPrice: '900.00', saving: '100.00', depositCredit: '750.00', balance: '150.00' },
        // The credit is never more than the price: ¥700 of the ¥750, and nothing left to pay.
        { minUnits: 20, unitPrice: '700.00', saving: '300.00', depositCredit: '700.00', balance: '0.00' },
      ],
      balanceDueAt: new Date(noonIn(7).getTime() + 72 * 3600_000).toISOString(),
    });
    expect(res.body.warnings).toEqual([
      expect.objectContaining({
        code: 'deposit_credit_covers_price',
        field: 'depositCreditRate',
        params: { credit: '750.00', minUnits: 20, unitPrice: '700.00' },
      }),
      expect.objectContaining({ code: 'label_missing_zh', params: { keys: 'colour' } }),
    ]);
    expect((await t.http.get('/v1/campaigns?status=draft&limit=1').set(operator.auth).expect(200)).body.total).toBe(before);
  });

  test('refused as a create would be: the same fields and reasons, an unknown factory, operators only', async () => {
    const bad = body({ tiers: [{ minUnits: 10, unitPrice: '1000.01' }], closesAt: 'soon' });
    const created = await t.http.post('/v1/campaigns').set(operator.auth).send(bad).expect(400);
    const previewed = await t.http.post('/v1/campaigns/preview').set(operator.auth).send(bad).expect(400);
    expect(previewed.body.errors).toEqual(created.body.errors);
    expect(previewed.body.errors).toEqual([expect.objectContaining({ path: 'body.closesAt', reason: 'invalid_date' })]);
    await t.http
      .post('/v1/campaigns/preview')
      .set(operator.auth)
      .send(body({ factoryId: randomUUID() }))
      .expect(404);
    await t.http
      .post('/v1/campaigns/preview')
      .set((await aConsumer(t)).auth)
      .send(body())
      .expect(403);
  });
});

describe('cancelling with a reason', () => {
  test('the reason is required (4 characters at least) and kept on the campaign for operators', async () => {
    const draft = await create();
    await t.http.post(`/v1/campaigns/${draft.id}/publish`).set(operator.auth).expect(200);
    await paidPledge(t, await aConsumer(t), draft.id, { colour: 'black', size: 'M' }, 1);
    expect((await cancel(draft.id).expect(400)).body.errors).toEqual([expect.objectContaining({ path: 'body.reason', reason: 'required' })]);
    expect((await cancel(draft.id, '取消').expect(400)).body.errors).toEqual([expect.objectContaining({ path: 'body.reason', reason: 'too_short', limit: 4 })]);
    expect((await read(draft.id)).status).toBe('open');
    const res = await cancel(draft.id, '  工厂产能不足，无法按期生产  ').expect(200);
    expect(res.body).toMatchObject({ status: 'cancelled', cancelReason: '工厂产能不足，无法按期生产' });
    expect(await read(draft.id)).toMatchObject({ status: 'cancelled', cancelReason: '工厂产能不足，无法按期生产' });
    expect((await t.http.get(`/v1/campaigns/${draft.id}`).expect(200)).body).not.toHaveProperty('cancelReason');
  });
});

describe('finding campaigns by title (GET /v1/campaigns?q=)', () => {
  test('the text is matched anywhere in the title, % and _ as themselves, for operators and everyone', async () => {
    const tag = `羽绒-${randomUUID().slice(0, 8)}`;
    const draft = await create({ title: `${tag} 100%_鹅绒` });
    const other = await create({ title: `${tag} 100 鸭绒` });
    const find = async (q: string, who?: Caller) =>
      (
        await t.http
          .get(`/v1/campaigns?q=${encodeURIComponent(q)}`)
          .set(who ? who.auth : {})
          .expect(200)
      ).body.items.map((c: { id: string }) => c.id);
    expect(await find(tag, operator)).toEqual(expect.arrayContaining([draft.id, other.id]));
    expect(await find(`${tag} 100%_`, operator)).toEqual([draft.id]);
    expect(await find('%', operator)).toContain(draft.id);
    expect(await find(`${tag} 100_`, operator)).toEqual([]);
    // Drafts are the operators' own; published ones anyone finds.
    expect(await find(tag)).toEqual([]);
    await t.http.post(`/v1/campaigns/${other.id}/publish`).set(operator.auth).expect(200);
    expect(await find(tag)).toEqual([other.id]);
    // Control characters are no one's title.
    await t.http.get('/v1/campaigns?q=%00').set(operator.auth).expect(400);
  });
});

describe('the audit log', () => {
  test('lists each edit, preview, publish and cancel of an operator, with the cancel’s reason', async () => {
    const draft = await create();
    await edit(draft.id, { title: '羽绒服 · 审计' }).expect(200);
    await edit(draft.id, { tiers: [] }).expect(400);
    await t.http.post('/v1/campaigns/preview').set(operator.auth).send(body()).expect(200);
    await t.http.post(`/v1/campaigns/${draft.id}/publish`).set(operator.auth).expect(200);
    await cancel(draft.id, '工厂产能不足，无法按期生产').expect(200);
    type Entry = { method: string; route: string; subjectId: string | null; reason: string | null; status: string; actor: { userId: string } };
    const entries = (await t.http.get(`/v1/audit-log?subjectId=${draft.id}&limit=100`).set(operator.auth).expect(200)).body.items as Entry[];
    expect(entries.map((e) => [e.method, e.route, e.status, e.reason]).reverse()).toEqual([
      ['POST', '/v1/campaigns', 'succeeded', null],
      ['PATCH', '/v1/campaigns/:id', 'succeeded', null],
      ['PATCH', '/v1/campaigns/:id', 'refused', null],
      ['POST', '/v1/campaigns/:id/publish', 'succeeded', null],
      ['POST', '/v1/campaigns/:id/cancel', 'succeeded', '工厂产能不足，无法按期生产'],
    ]);
    expect(entries.every((e) => e.actor.userId === operator.userId)).toBe(true);
    const previews = (await t.http.get('/v1/audit-log?action=POST%20/v1/campaigns/preview&limit=1').set(operator.auth).expect(200)).body.items as Entry[];
    expect(previews[0]).toMatchObject({ route: '/v1/campaigns/preview', status: 'succeeded', actor: { userId: operator.userId } });
  });
});
