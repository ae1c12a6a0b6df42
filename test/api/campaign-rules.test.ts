import { businessDay, startOfBusinessDay } from '../../src/platform/calendar';
import { startTestApp, type TestApp } from '../support/app';
import { aConsumer, aFactory, anOperator, type Caller } from '../support/builders';
import { anOpenCampaign, expectLedgerReconciles, paidPledge } from '../support/campaigns';
import { TestClock } from '../support/clock';

/** Rules of a campaign's terms that operators and consumers meet: variant values and the law on 定金. */
let t: TestApp;
let operator: Caller;
let factory: { id: string; user: Caller };
const clock = new TestClock();
beforeAll(async () => {
  t = await startTestApp({ clock });
  operator = await anOperator(t);
  factory = await aFactory(t, operator);
});
afterEach(() => expectLedgerReconciles(t));
afterAll(() => t.close());

describe('variant values', () => {
  // Written the old way ("name=value;name=value"), the first two variants had the same key, and '=' or ';' came back cut off.
  const options = [
    { name: 'fit', values: ['slim;size=L', 'slim', '100%羊毛', 'a%3Bb', 'a;b'] },
    { name: 'size', values: ['M', 'L;size=M', 'x=y'] },
  ];
  const variants = [
    { fit: 'slim;size=L', size: 'M' },
    { fit: 'slim', size: 'L;size=M' },
    { fit: '100%羊毛', size: 'x=y' },
    { fit: 'a%3Bb', size: 'M' },
    { fit: 'a;b', size: 'M' },
  ];

  test('any text an operator types as an option value comes back exactly and stays its own variant, in pledges, progress and the forecast', async () => {
    const c = await anOpenCampaign(t, operator, factory.id, clock, { options, tiers: [{ minUnits: 1, unitPrice: '899.00' }] });
    const consumer = await aConsumer(t);
    const placed = [];
    for (const [i, variant] of variants.entries()) placed.push(await paidPledge(t, consumer, c.id, variant, i + 1));

    for (const [i, p] of placed.entries()) {
      const read = await t.http.get(`/v1/pledges/${p.id}`).set(consumer.auth).expect(200);
      expect(read.body).toMatchObject({ variant: variants[i], quantity: i + 1 });
    }
    const mine = await t.http.get('/v1/me/pledges?limit=100').set(consumer.auth).expect(200);
    expect(mine.body.items.map((p: { variant: unknown; quantity: number }) => [p.quantity, p.variant]).sort()).toEqual(
      variants.map((v, i) => [i + 1, v]).sort(),
    );

    const progress = (await t.http.get(`/v1/campaigns/${c.id}`).expect(200)).body.progress;
    expect(progress.variants).toHaveLength(variants.length);
    expect(progress.variants.map((v: { paidUnits: number }) => v.paidUnits).sort()).toEqual([1, 2, 3, 4, 5]);

    const forecast = (await t.http.get('/v1/factory/forecast').set(factory.user.auth).expect(200)).body;
    const keys: string[] = forecast.campaigns.find((x: { campaignId: string }) => x.campaignId === c.id).variants.map((v: { variant: string }) => v.variant);
    expect(new Set(keys).size).toBe(variants.length);
  });

  test('a plain variant keeps the key it always had, so stored keys and factories’ systems read it as before', async () => {
    const c = await anOpenCampaign(t, operator, factory.id, clock);
    await paidPledge(t, await aConsumer(t), c.id, { colour: 'navy', size: 'L' }, 1);
    const progress = (await t.http.get(`/v1/campaigns/${c.id}`).expect(200)).body.progress;
    expect(progress.variants.map((v: { variant: string }) => v.variant)).toEqual(['colour=navy;size=L']);
  });

  test('an option named "constructor" left out of a pledge or a quote is asked for, not read from what every object inherits', async () => {
    const c = await anOpenCampaign(t, operator, factory.id, clock, {
      options: [
        { name: 'constructor', values: ['a', 'b'] },
        { name: 'size', values: ['M'] },
      ],
    });
    const consumer = await aConsumer(t);
    const pledged = await t.http
      .post(`/v1/campaigns/${c.id}/pledges`)
      .set(consumer.auth)
      .set('Idempotency-Key', 'no-constructor')
      .send({ variant: { size: 'M' }, quantity: 1 });
    const quoted = await t.http.post(`/v1/campaigns/${c.id}/quote`).send({ variant: { size: 'M' }, quantity: 1 });
    for (const res of [pledged, quoted]) {
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ code: 'invalid_variant', detail: 'The variant is not valid: choose a constructor (one of a, b).' });
    }
    await t.http
      .post(`/v1/campaigns/${c.id}/quote`)
      .send({ variant: { constructor: 'a', size: 'M' }, quantity: 1 })
      .expect(200);
  });

  test('options whose longest variant would not fit where keys are stored are refused when the campaign is created (on MariaDB its pledges were a 500)', async () => {
    // Five options of 30-character names and 40-character values: a key of 359 characters.
    const options = ['a', 'b', 'c', 'd', 'e'].map((n) => ({ name: `${n}${'x'.repeat(29)}`, values: ['v'.repeat(40)] }));
    const res = await t.http
      .post('/v1/campaigns')
      .set(operator.auth)
      .send({
        factoryId: factory.id,
        title: 'Long',
        productName: 'Long',
        options,
        referencePrice: '100.00',
        depositRate: '0.10',
        tiers: [{ minUnits: 1, unitPrice: '90.00' }],
        opensAt: clock.now().toISOString(),
        closesAt: new Date(clock.now().getTime() + 3600_000).toISOString(),
        balanceWindowHours: 24,
        expectedShipDate: '2099-01-01',
      })
      .expect(400);
    expect(res.body.errors).toEqual([{ path: 'body.options', message: expect.stringContaining('255'), reason: 'variant_too_long', limit: 255 }]);
  });
});

describe('定金: the deposit law (Civil Code arts. 586–587)', () => {
  // Reference ¥1,000; tiers ¥900 then ¥700: the least a unit can cost is ¥700, so a deposit may be at most ¥140.00.
  const terms = (patch: Record<string, unknown>) => ({
    factoryId: factory.id,
    title: 'Down jacket',
    productName: 'Down jacket',
    options: [{ name: 'size', label: { zh: '尺码' }, values: ['M'] }],
    referencePrice: '1000.00',
    tiers: [
      { minUnits: 10, unitPrice: '900.00' },
      { minUnits: 20, unitPrice: '700.00' },
    ],
    opensAt: clock.now().toISOString(),
    // Noon China time three days on: terms with no other warning (docs/operator-console.md § Campaigns).
    closesAt: new Date(startOfBusinessDay(businessDay(new Date(clock.now().getTime() + 3 * 86_400_000))).getTime() + 12 * 3600_000).toISOString(),
    balanceWindowHours: 24,
    expectedShipDate: '2099-01-01',
    ...patch,
  });
  const create = (patch: Record<string, unknown>) => t.http.post('/v1/campaigns').set(operator.auth).send(terms(patch));

  test('a deposit of 20% of the lowest tier price is accepted; a fen more is a 400 that names the law', async () => {
    expect((await create({ depositRate: '0.14' }).expect(201)).body).toMatchObject({ depositPerUnit: '140.00', warnings: [] });
    const over = await create({ depositRate: '0.1401' }).expect(400);
    expect(over.body.errors).toEqual([
      { path: 'body.depositRate', message: expect.stringContaining('第586条'), reason: 'deposit_over_legal_share', limit: 140 },
    ]);
    expect(over.body.errors[0].message).toContain('140.10');
    expect(over.body.errors[0].message).toContain('at most 140.00');
    // A rate that is legal against the first tier (900 × 20% = 180) but not against the cheapest one.
    await create({ depositRate: '0.15' }).expect(400);
    await create({ depositRate: '1' }).expect(400);
  });

  test('a deposit credit that covers a tier’s whole price is accepted with a warning in the create and publish answers', async () => {
    // 140.00 × 5 = 700.00: the whole price at the 20-unit tier.
    const created = await create({ depositRate: '0.14', depositCreditRate: '5' }).expect(201);
    const warning = {
      code: 'deposit_credit_covers_price',
      field: 'depositCreditRate',
      params: { credit: '700.00', minUnits: 20, unitPrice: '700.00' },
      message: expect.stringContaining('¥700.00'),
    };
    expect(created.body.warnings).toEqual([warning]);
    const published = await t.http.post(`/v1/campaigns/${created.body.id}/publish`).set(operator.auth).expect(200);
    expect(published.body.warnings).toEqual([warning]);
    // Below every price, no warning.
    const plain = await create({ depositRate: '0.14', depositCreditRate: '4.99' }).expect(201);
    expect(plain.body.warnings).toEqual([]);
    expect((await t.http.post(`/v1/campaigns/${plain.body.id}/publish`).set(operator.auth).expect(200)).body.warnings).toEqual([]);
  });

  test('a deposit credit below 1 is refused, in a new campaign and in an edit: the consumer would pay more than the final price', async () => {
    const before = (await t.http.get('/v1/campaigns?limit=1').set(operator.auth).expect(200)).body.total;
    for (const depositCreditRate of ['0.5', '0.9999', '0', '10.0001']) {
      const refused = await create({ depositRate: '0.10', depositCreditRate }).expect(400);
      expect(refused.body.errors).toEqual([{ path: 'body.depositCreditRate', message: expect.any(String), reason: 'credit_rate_out_of_range', limit: 10 }]);
    }
    expect((await t.http.get('/v1/campaigns?limit=1').set(operator.auth).expect(200)).body.total).toBe(before);

    const draft = (await create({ depositRate: '0.10', depositCreditRate: '1' }).expect(201)).body;
    const edit = await t.http.patch(`/v1/campaigns/${draft.id}`).set(operator.auth).send({ depositCreditRate: '0.5' }).expect(400);
    expect(edit.body.errors[0]).toMatchObject({ path: 'body.depositCreditRate', reason: 'credit_rate_out_of_range' });
    expect((await t.http.get(`/v1/campaigns/${draft.id}`).set(operator.auth).expect(200)).body.depositCreditRate).toBe('1');
    await create({ depositRate: '0.10', depositCreditRate: '10' }).expect(201);
  });
});

describe('the pledge window', () => {
  test('must close after the service’s now, whatever the machine’s wall clock says', async () => {
    const body = {
      factoryId: factory.id,
      title: 'Tea',
      productName: 'Tea',
      options: [{ name: 'size', values: ['M'] }],
      referencePrice: '100.00',
      depositRate: '0.10',
      tiers: [{ minUnits: 1, unitPrice: '90.00' }],
      balanceWindowHours: 24,
      expectedShipDate: '2099-01-01',
    };
    clock.offsetMs += 2 * 3600_000;
    // An hour from the wall clock's now is an hour before the service's.
    const wallClockHour = new Date(Date.now() + 3600_000);
    const before = (await t.http.get('/v1/campaigns').set(operator.auth).expect(200)).body.total;
    const refused = await t.http
      .post('/v1/campaigns')
      .set(operator.auth)
      .send({ ...body, opensAt: new Date(Date.now()).toISOString(), closesAt: wallClockHour.toISOString() })
      .expect(400);
    expect(refused.body).toMatchObject({ code: 'validation_failed', errors: [{ path: 'body.closesAt', message: 'must be in the future' }] });
    expect((await t.http.get('/v1/campaigns').set(operator.auth).expect(200)).body.total).toBe(before);
    await t.http
      .post('/v1/campaigns')
      .set(operator.auth)
      .send({ ...body, opensAt: clock.now().toISOString(), closesAt: new Date(clock.now().getTime() + 3600_000).toISOString() })
      .expect(201);
  });
});
