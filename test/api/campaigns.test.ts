import { randomUUID } from 'node:crypto';
import { CampaignRow } from '../../src/campaigns';
import { businessDay } from '../../src/platform/calendar';
import { startTestApp, type TestApp } from '../support/app';
import { aConsumer, aFactory, anOperator, type Caller } from '../support/builders';
import { anOpenCampaign } from '../support/campaigns';
import { TestClock, runDue } from '../support/clock';

let t: TestApp;
let operator: Caller;
let factoryId: string;
const clock = new TestClock();
beforeAll(async () => {
  t = await startTestApp({ clock });
  operator = await anOperator(t);
  factoryId = (await aFactory(t, operator)).id;
});
afterAll(() => t.close());

const valid = () => ({
  factoryId,
  title: 'Down jacket',
  productName: 'Down jacket',
  options: [{ name: 'colour', values: ['black', 'navy'] }],
  referencePrice: '1000.00',
  depositRate: '0.10',
  tiers: [
    { minUnits: 500, unitPrice: '900.00' },
    { minUnits: 1000, unitPrice: '700.00' },
  ],
  opensAt: new Date(Date.now() - 60_000).toISOString(),
  closesAt: new Date(Date.now() + 7 * 86_400_000).toISOString(),
  balanceWindowHours: 72,
  expectedShipDate: businessDay(new Date(Date.now() + 60 * 86_400_000)),
});

describe('creating a campaign', () => {
  test('an operator creates a draft; the deposit is the reference price × the rate, to the fen', async () => {
    const res = await t.http
      .post('/v1/campaigns')
      .set(operator.auth)
      .send({ ...valid(), referencePrice: '333.33', depositRate: '0.15', tiers: [{ minUnits: 10, unitPrice: '300.00' }] })
      .expect(201);
    // 333.33 × 0.15 = 49.9995 → 50.00
    expect(res.body).toMatchObject({ status: 'draft', depositPerUnit: '50.00', depositCreditRate: '1', tiers: [{ minUnits: 10, unitPrice: '300.00' }] });
  });

  test.each([
    [
      'tiers out of order',
      {
        tiers: [
          { minUnits: 1000, unitPrice: '700.00' },
          { minUnits: 500, unitPrice: '900.00' },
        ],
      },
      'body.tiers.1.minUnits',
    ],
    [
      'a tier that is not cheaper',
      {
        tiers: [
          { minUnits: 500, unitPrice: '900.00' },
          { minUnits: 1000, unitPrice: '950.00' },
        ],
      },
      'body.tiers.1.unitPrice',
    ],
    ['a tier above the reference price', { tiers: [{ minUnits: 1, unitPrice: '1000.01' }] }, 'body.tiers.0.unitPrice'],
    ['a deposit above 20% of the lowest tier price (定金, Civil Code art. 586)', { tiers: [{ minUnits: 1, unitPrice: '499.99' }] }, 'body.depositRate'],
    ['a window that has passed', { closesAt: new Date(Date.now() - 1000).toISOString() }, 'body.closesAt'],
    [
      'a window that closes before it opens',
      { opensAt: new Date(Date.now() + 86_400_000).toISOString(), closesAt: new Date(Date.now() + 3600_000).toISOString() },
      'body.closesAt',
    ],
    ['a cap below the threshold', { maxUnits: 100 }, 'body.maxUnits'],
    ['a deposit rate above 1', { depositRate: '1.5' }, 'body.depositRate'],
    ['a deposit of 0.00', { referencePrice: '0.04', depositRate: '0.1', tiers: [{ minUnits: 1, unitPrice: '0.04' }] }, 'body.depositRate'],
    ['money as a number', { referencePrice: 1000 }, 'body.referencePrice'],
    ['money with three decimals', { referencePrice: '1000.001' }, 'body.referencePrice'],
    ['money without its two decimals', { referencePrice: '1000' }, 'body.referencePrice'],
    [
      'a tier price with one decimal',
      {
        tiers: [
          { minUnits: 500, unitPrice: '900.00' },
          { minUnits: 1000, unitPrice: '700.5' },
        ],
      },
      'body.tiers.1.unitPrice',
    ],
    [
      'repeated option names',
      {
        options: [
          { name: 'size', values: ['M'] },
          { name: 'size', values: ['L'] },
        ],
      },
      'body.options',
    ],
    ['repeated option values', { options: [{ name: 'size', values: ['M', 'M'] }] }, 'body.options.0.values'],
    ['no tiers', { tiers: [] }, 'body.tiers'],
    ['a ship date before the close', { expectedShipDate: '2020-01-01' }, 'body.expectedShipDate'],
    ['a status chosen by the caller', { status: 'open' }, 'body'],
    [
      'a value label for a value the option does not have',
      { options: [{ name: 'colour', values: ['black'], valueLabels: { navy: { zh: '藏青' } } }] },
      'body.options.0.valueLabels.navy',
    ],
    ['a label in a language we do not show', { options: [{ name: 'colour', label: { fr: 'Couleur' }, values: ['black'] }] }, 'body.options.0.label'],
    ['an empty label', { options: [{ name: 'colour', label: { zh: ' ' }, values: ['black'] }] }, 'body.options.0.label.zh'],
    ['a display name as the option key', { options: [{ name: '颜色', values: ['black'] }] }, 'body.options.0.name'],
    ['an image that is not https', { imageUrl: 'http://img.example.com/jacket.jpg' }, 'body.imageUrl'],
    ['an image on an address rather than a domain', { imageUrl: 'https://127.0.0.1/jacket.jpg' }, 'body.imageUrl'],
    ['an image that is not a URL', { imageUrl: 'javascript:alert(1)' }, 'body.imageUrl'],
  ])('%s is a 400 naming the field, and creates nothing', async (_label, patch, path) => {
    const before = await t.db.read((tx) => tx.count(CampaignRow));
    const res = await t.http
      .post('/v1/campaigns')
      .set(operator.auth)
      .send({ ...valid(), ...patch })
      .expect(400);
    expect(res.body.code).toBe('validation_failed');
    expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(path);
    expect(await t.db.read((tx) => tx.count(CampaignRow))).toBe(before);
  });

  describe('the ship date is checked against the China calendar day of the close (Asia/Shanghai, UTC+8)', () => {
    /** An instant ten days ahead at the given UTC time, and the UTC calendar date it falls on. */
    const closing = (utcTime: string) => {
      const utcDay = new Date(Date.now() + 10 * 86_400_000).toISOString().slice(0, 10);
      return { closesAt: `${utcDay}T${utcTime}:00Z`, utcDay, nextDay: new Date(Date.parse(`${utcDay}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10) };
    };
    test.each([
      ['a close at 15:59 UTC (23:59 in China) may ship that day', '15:59', 'utcDay', 201],
      ['a close at 16:00 UTC (midnight in China: the next day) may not ship on the UTC day', '16:00', 'utcDay', 400],
      ['a close at 23:00 UTC (07:00 the next day in China) may not ship on the UTC day', '23:00', 'utcDay', 400],
      ['a close at 23:00 UTC (07:00 the next day in China) may ship on that China day', '23:00', 'nextDay', 201],
    ] as const)('%s', async (_label, time, shipOn, status) => {
      const c = closing(time);
      const res = await t.http
        .post('/v1/campaigns')
        .set(operator.auth)
        .send({ ...valid(), closesAt: c.closesAt, expectedShipDate: c[shipOn] })
        .expect(status);
      if (status === 400)
        expect(res.body.errors).toEqual([{ path: 'body.expectedShipDate', message: expect.stringContaining(c.nextDay), reason: 'before_close' }]);
    });
  });

  test('options carry Chinese and English display labels; the DTO always has both, the key where none was given', async () => {
    const options = [
      {
        name: 'colour',
        label: { zh: '颜色', en: 'Colour' },
        values: ['black', 'navy'],
        valueLabels: { black: { zh: '黑色', en: 'Black' }, navy: { zh: '藏青' } },
      },
      { name: 'size', label: { zh: '尺码' }, values: ['M', 'L'] },
    ];
    const created = await t.http
      .post('/v1/campaigns')
      .set(operator.auth)
      .send({ ...valid(), options })
      .expect(201);
    const expected = [
      {
        name: 'colour',
        label: { zh: '颜色', en: 'Colour' },
        values: ['black', 'navy'],
        valueLabels: { black: { zh: '黑色', en: 'Black' }, navy: { zh: '藏青', en: 'navy' } },
      },
      { name: 'size', label: { zh: '尺码', en: 'size' }, values: ['M', 'L'], valueLabels: { M: { zh: 'M', en: 'M' }, L: { zh: 'L', en: 'L' } } },
    ];
    expect(created.body.options).toEqual(expected);
    await t.http.post(`/v1/campaigns/${created.body.id}/publish`).set(operator.auth).expect(200);
    expect((await t.http.get(`/v1/campaigns/${created.body.id}`).expect(200)).body.options).toEqual(expected);
    // The keys stay the API's: a pledge names the variant by them.
    const consumer = await aConsumer(t);
    await t.http
      .post(`/v1/campaigns/${created.body.id}/pledges`)
      .set(consumer.auth)
      .set('Idempotency-Key', 'labels')
      .send({ variant: { colour: 'navy', size: 'L' }, quantity: 1 })
      .expect(201);
    const byLabel = await t.http
      .post(`/v1/campaigns/${created.body.id}/pledges`)
      .set(consumer.auth)
      .set('Idempotency-Key', 'labels-2')
      .send({ variant: { colour: '藏青', size: 'L' }, quantity: 1 })
      .expect(400);
    expect(byLabel.body.code).toBe('invalid_variant');
  });

  test('options without labels (campaigns made before labels) show their keys in both languages', async () => {
    const created = await t.http.post('/v1/campaigns').set(operator.auth).send(valid()).expect(201);
    expect(created.body.options).toEqual([
      {
        name: 'colour',
        label: { zh: 'colour', en: 'colour' },
        values: ['black', 'navy'],
        valueLabels: { black: { zh: 'black', en: 'black' }, navy: { zh: 'navy', en: 'navy' } },
      },
    ]);
  });

  test('a campaign may carry a share-card image (https); none is null', async () => {
    expect((await t.http.post('/v1/campaigns').set(operator.auth).send(valid()).expect(201)).body.imageUrl).toBeNull();
    const res = await t.http
      .post('/v1/campaigns')
      .set(operator.auth)
      .send({ ...valid(), imageUrl: 'https://img.example.com/jackets/black "winter".jpg' })
      .expect(201);
    // Kept in its normalized form: nothing in it can close an HTML attribute.
    expect(res.body.imageUrl).toBe('https://img.example.com/jackets/black%20%22winter%22.jpg');
    await t.http.post(`/v1/campaigns/${res.body.id}/publish`).set(operator.auth).expect(200);
    expect((await t.http.get(`/v1/campaigns/${res.body.id}`).expect(200)).body.imageUrl).toBe('https://img.example.com/jackets/black%20%22winter%22.jpg');
  });

  test('a campaign for a factory that does not exist is a 404', async () => {
    await t.http
      .post('/v1/campaigns')
      .set(operator.auth)
      .send({ ...valid(), factoryId: '00000000-0000-4000-8000-0000000000ff' })
      .expect(404);
  });
});

describe('publishing, listing, closing', () => {
  test('a draft is visible to operators only; publishing opens it to everyone', async () => {
    const draft = (await t.http.post('/v1/campaigns').set(operator.auth).send(valid()).expect(201)).body;
    const consumer = await aConsumer(t);
    await t.http.get(`/v1/campaigns/${draft.id}`).expect(404);
    await t.http.get(`/v1/campaigns/${draft.id}`).set(consumer.auth).expect(404);
    expect((await t.http.get('/v1/campaigns?limit=100')).body.items.some((c: { id: string }) => c.id === draft.id)).toBe(false);
    expect((await t.http.get('/v1/campaigns?status=draft')).body.items).toEqual([]);
    expect((await t.http.get('/v1/campaigns?limit=100&status=draft').set(operator.auth)).body.items.some((c: { id: string }) => c.id === draft.id)).toBe(true);

    const published = await t.http.post(`/v1/campaigns/${draft.id}/publish`).set(operator.auth).expect(200);
    expect(published.body.status).toBe('open');
    expect((await t.http.get(`/v1/campaigns/${draft.id}`).expect(200)).body).toMatchObject({
      status: 'open',
      progress: { paidUnits: 0, pledgers: 0, currentTier: null, nextTier: { minUnits: 500, unitsNeeded: 500 } },
    });
    expect((await t.http.post(`/v1/campaigns/${draft.id}/publish`).set(operator.auth).expect(409)).body.code).toBe('campaign_not_draft');
  });

  test('a draft discarded (cancelled) without being published stays hidden; one cancelled after publishing stays public', async () => {
    const listed = async (id: string, status = '') =>
      (await t.http.get(`/v1/campaigns?limit=100${status}`).expect(200)).body.items.some((c: { id: string }) => c.id === id);
    const discarded = (await t.http.post('/v1/campaigns').set(operator.auth).send(valid()).expect(201)).body;
    const cancel = (id: string, reason: string) =>
      t.http.post(`/v1/campaigns/${id}/cancel`).set(operator.auth).set('Idempotency-Key', randomUUID()).send({ reason }).expect(200);
    await cancel(discarded.id, '草稿作废，不再上架');
    const consumer = await aConsumer(t);
    await t.http.get(`/v1/campaigns/${discarded.id}`).expect(404);
    await t.http.get(`/v1/campaigns/${discarded.id}`).set(consumer.auth).expect(404);
    expect(await listed(discarded.id)).toBe(false);
    expect(await listed(discarded.id, '&status=cancelled')).toBe(false);
    await t.http
      .post(`/v1/campaigns/${discarded.id}/quote`)
      .send({ variant: { colour: 'black' }, quantity: 1 })
      .expect(404);
    await t.http.get(`/c/${discarded.id}`).expect(404);
    // Operators still see it, with why.
    expect((await t.http.get(`/v1/campaigns/${discarded.id}`).set(operator.auth).expect(200)).body.status).toBe('cancelled');

    const published = await anOpenCampaign(t, operator, factoryId, clock);
    await cancel(published.id, '工厂产能不足，无法按期生产');
    expect((await t.http.get(`/v1/campaigns/${published.id}`).expect(200)).body.status).toBe('cancelled');
    expect(await listed(published.id, '&status=cancelled')).toBe(true);
  });

  test('a campaign opening later is scheduled until then', async () => {
    const res = await t.http
      .post('/v1/campaigns')
      .set(operator.auth)
      .send({ ...valid(), opensAt: new Date(Date.now() + 86_400_000).toISOString() })
      .expect(201);
    expect((await t.http.post(`/v1/campaigns/${res.body.id}/publish`).set(operator.auth).expect(200)).body.status).toBe('scheduled');
    const consumer = await aConsumer(t);
    const early = await t.http
      .post(`/v1/campaigns/${res.body.id}/pledges`)
      .set(consumer.auth)
      .set('Idempotency-Key', 'early')
      .send({ variant: { colour: 'black' }, quantity: 1 })
      .expect(409);
    expect(early.body.code).toBe('campaign_not_open');

    // Closed before it opened: decided failed with nothing in it, its window opening and closing at that moment.
    const closed = (await t.http.post(`/v1/campaigns/${res.body.id}/close`).set(operator.auth).expect(200)).body;
    expect(closed.opensAt).toBe(closed.closesAt);
    expect(Date.parse(closed.closesAt)).toBeLessThanOrEqual(clock.now().getTime());
    await runDue(t, clock);
    expect((await t.http.get(`/v1/campaigns/${res.body.id}`).expect(200)).body).toMatchObject({
      status: 'failed',
      opensAt: closed.opensAt,
      closesAt: closed.closesAt,
    });
  });

  test('lists filter by status and factory and page through', async () => {
    const other = await aFactory(t, operator);
    const mine = await anOpenCampaign(t, operator, other.id, clock);
    const listed = (await t.http.get(`/v1/campaigns?factoryId=${other.id}&status=open`).expect(200)).body;
    expect(listed).toMatchObject({ total: 1, items: [{ id: mine.id }] });
    expect((await t.http.get('/v1/campaigns?status=bogus').expect(400)).body.code).toBe('invalid_query');
  });

  test('closing a draft or a decided campaign is refused', async () => {
    const draft = (await t.http.post('/v1/campaigns').set(operator.auth).send(valid()).expect(201)).body;
    expect((await t.http.post(`/v1/campaigns/${draft.id}/close`).set(operator.auth).expect(409)).body.code).toBe('campaign_not_open');
    await t.http
      .post(`/v1/campaigns/${draft.id}/cancel`)
      .set(operator.auth)
      .set('Idempotency-Key', `cancel-${draft.id}`)
      .send({ reason: '工厂停产，活动取消' })
      .expect(200);
    expect(
      (
        await t.http
          .post(`/v1/campaigns/${draft.id}/cancel`)
          .set(operator.auth)
          .set('Idempotency-Key', `again-${draft.id}`)
          .send({ reason: '工厂停产，活动取消' })
          .expect(409)
      ).body.code,
    ).toBe('campaign_final');
  });
});
