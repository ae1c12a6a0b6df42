import { ConceptRow, RatingRow, TrialApplicationRow } from '../../src/concepts';
import { CampaignRow } from '../../src/campaigns';
import type { TestApp } from '../support/app';
import { aConsumer, aFactory, aFactoryWorld, type Caller } from '../support/builders';
import type { TestClock } from '../support/clock';
import { DAY, aConcept, aConceptInTrial, aPickedShopOwner, aRating, launchTerms, rate } from '../support/concepts';
import { aShopOwner } from '../support/shops';

/** Product concepts (docs/selection.md): proposals, sample trials, ratings, the index and the launch gate, through HTTP. */
let t: TestApp;
let clock: TestClock;
let operator: Caller;
let factoryId: string;

beforeAll(async () => {
  ({ t, clock, operator, factoryId } = await aFactoryWorld());
});
afterAll(() => t.close());

/** Undone after the test, passed or failed (the clock moved past a trial's close). */
const undo: (() => void)[] = [];
const afterThis = (fn: () => void) => undo.push(fn);
afterEach(() => undo.splice(0).forEach((fn) => fn()));

const count = (entity: typeof ConceptRow | typeof RatingRow | typeof TrialApplicationRow | typeof CampaignRow) => t.db.read((tx) => tx.count(entity));

describe('proposing a concept', () => {
  test('a factory proposes its own (a draft), sees it in its list and page; another factory gets 404; operators see every one', async () => {
    const mine = await aFactory(t, operator);
    const other = await aFactory(t, operator);
    const proposed = await t.http.post('/v1/factory/concepts').set(mine.user.auth).send(aConcept(clock)).expect(201);
    expect(proposed.body).toMatchObject({
      factoryId: mine.id,
      proposedBy: 'factory',
      status: 'draft',
      phase: 'draft',
      title: '轻薄羽绒服 Light down jacket',
      targetPrice: '699.00',
      minimumRun: 300,
      trialPlaces: 5,
      photoUrls: ['https://img.example.com/jacket-front.jpg', 'https://img.example.com/jacket-back.jpg'],
      applications: { applied: 0, picked: 0 },
      index: { value: 6, ratings: 0, platformMean: 6, priorWeight: 10 },
      intent: { price: '699.00', yes: 0, share: null, units: 0 },
      gate: { minIndex: 5, minRatings: 20, passes: false },
      launch: null,
    });
    const id = proposed.body.id as string;
    const list = await t.http.get('/v1/factory/concepts').set(mine.user.auth).expect(200);
    expect(list.body.items.map((c: { id: string }) => c.id)).toEqual([id]);
    expect((await t.http.get(`/v1/factory/concepts/${id}`).set(mine.user.auth).expect(200)).body.id).toBe(id);

    expect((await t.http.get(`/v1/factory/concepts/${id}`).set(other.user.auth).expect(404)).body.code).toBe('not_found');
    expect((await t.http.get('/v1/factory/concepts').set(other.user.auth).expect(200)).body.items).toEqual([]);
    const all = await t.http.get(`/v1/concepts?factoryId=${mine.id}`).set(operator.auth).expect(200);
    expect(all.body.items.map((c: { id: string }) => c.id)).toEqual([id]);
    expect((await t.http.get(`/v1/concepts/${id}`).set(operator.auth).expect(200)).body.id).toBe(id);
  });

  test('an operator proposes for a factory; an unknown factory is 404', async () => {
    const proposed = await t.http
      .post('/v1/concepts')
      .set(operator.auth)
      .send({ ...aConcept(clock), factoryId })
      .expect(201);
    expect(proposed.body).toMatchObject({ factoryId, proposedBy: 'operator', status: 'draft' });
    const unknown = await t.http
      .post('/v1/concepts')
      .set(operator.auth)
      .send({ ...aConcept(clock), factoryId: '00000000-0000-4000-8000-000000000000' })
      .expect(404);
    expect(unknown.body.code).toBe('not_found');
  });

  test('bad input is a 400 naming the field, and nothing is written', async () => {
    const { user } = await aFactory(t, operator);
    const before = await count(ConceptRow);
    const bad: [Record<string, unknown>, string][] = [
      [{ photoUrls: ['http://img.example.com/a.jpg'] }, 'body.photoUrls.0'],
      [{ targetPrice: '699' }, 'body.targetPrice'],
      [{ targetPrice: '0.00' }, 'body.targetPrice'],
      [{ minimumRun: 0 }, 'body.minimumRun'],
      [{ trialPlaces: 0 }, 'body.trialPlaces'],
      [{ options: [] }, 'body.options'],
      [{ trialClosesAt: new Date(clock.now().getTime() - DAY).toISOString() }, 'body.trialClosesAt'],
      [{ status: 'launched' }, 'body'],
    ];
    for (const [override, path] of bad) {
      const res = await t.http.post('/v1/factory/concepts').set(user.auth).send(aConcept(clock, override)).expect(400);
      expect({ override, paths: res.body.errors.map((e: { path: string }) => e.path).join(' ') }).toEqual({ override, paths: expect.stringContaining(path) });
    }
    expect(await count(ConceptRow)).toBe(before);
  });
});

describe('the sample trial', () => {
  test('shop owners apply once while the trial is open; consumers who are not shop owners cannot; an operator picks up to the places', async () => {
    const draft = await t.http
      .post('/v1/concepts')
      .set(operator.auth)
      .send({ ...aConcept(clock, { trialPlaces: 2 }), factoryId })
      .expect(201);
    const id = draft.body.id as string;
    const [a, b, c] = [await aShopOwner(t, operator), await aShopOwner(t, operator), await aShopOwner(t, operator)];
    // A draft is not shown to shop owners.
    expect((await t.http.post(`/v1/concepts/${id}/trial-applications`).set(a.owner.auth).expect(404)).body.code).toBe('not_found');
    expect((await t.http.get('/v1/concepts/trials').set(a.owner.auth).expect(200)).body.items.map((x: { id: string }) => x.id)).not.toContain(id);
    await t.http.post(`/v1/concepts/${id}/open-trial`).set(operator.auth).expect(200);
    expect((await t.http.post(`/v1/concepts/${id}/open-trial`).set(operator.auth).expect(409)).body.code).toBe('concept_not_draft');

    const consumer = await aConsumer(t);
    expect((await t.http.post(`/v1/concepts/${id}/trial-applications`).set(consumer.auth).expect(403)).body.code).toBe('not_a_shop_owner');
    const trials = (await t.http.get('/v1/concepts/trials').set(consumer.auth).expect(200)).body;
    expect(trials.shopOwner).toBe(false);

    const applied = await Promise.all([a, b, c].map((s) => t.http.post(`/v1/concepts/${id}/trial-applications`).set(s.owner.auth).expect(201)));
    expect(applied[0].body).toMatchObject({ id, phase: 'trial_open', application: { status: 'applied' }, rating: null, targetPrice: '699.00' });
    expect((await t.http.post(`/v1/concepts/${id}/trial-applications`).set(a.owner.auth).expect(409)).body.code).toBe('concept_trial_applied');

    const listed = (await t.http.get(`/v1/concepts/${id}/trial-applications`).set(operator.auth).expect(200)).body.items;
    expect(listed).toHaveLength(3);
    expect(listed[0]).toMatchObject({ shopName: '小芳的果园铺', status: 'applied', pickedAt: null });
    const [appA, appB, appC] = applied.map((r) => r.body.application.id as string);
    const picked = await t.http
      .post(`/v1/concepts/${id}/picks`)
      .set(operator.auth)
      .send({ applicationIds: [appA, appB] })
      .expect(200);
    expect(
      picked.body.items
        .filter((x: { status: string }) => x.status === 'picked')
        .map((x: { id: string }) => x.id)
        .sort(),
    ).toEqual([appA, appB].sort());
    // Picking a picked one again changes nothing; a third would be over the two places.
    await t.http
      .post(`/v1/concepts/${id}/picks`)
      .set(operator.auth)
      .send({ applicationIds: [appA] })
      .expect(200);
    expect(
      (
        await t.http
          .post(`/v1/concepts/${id}/picks`)
          .set(operator.auth)
          .send({ applicationIds: [appC] })
          .expect(409)
      ).body.code,
    ).toBe('trial_places_full');

    const detail = (await t.http.get(`/v1/concepts/${id}`).set(operator.auth).expect(200)).body;
    expect(detail.applications).toEqual({ applied: 3, picked: 2 });
    const aView = (await t.http.get('/v1/concepts/trials').set(a.owner.auth).expect(200)).body;
    expect(aView.shopOwner).toBe(true);
    expect(aView.items.find((x: { id: string }) => x.id === id).application.status).toBe('picked');
  });

  test('only picked shop owners rate; one rating each, changed until the trial closes, then 409', async () => {
    const id = await aConceptInTrial(t, operator, factoryId, clock);
    const picked = await aPickedShopOwner(t, operator, id);
    const notPicked = (await aShopOwner(t, operator)).owner;
    await t.http.post(`/v1/concepts/${id}/trial-applications`).set(notPicked.auth).expect(201);
    expect((await rate(t, notPicked, id, aRating()).expect(403)).body.code).toBe('not_picked_for_trial');
    expect((await rate(t, await aConsumer(t), id, aRating()).expect(403)).body.code).toBe('not_a_shop_owner');

    const first = await rate(t, picked, id, aRating({ comment: '面料很好', wouldPreorder: true, preorderUnits: 20 })).expect(200);
    expect(first.body.rating).toMatchObject({
      performance: 8,
      priceAcceptance: 7,
      design: 9,
      packaging: 6,
      comment: '面料很好',
      wouldPreorder: true,
      preorderUnits: 20,
    });
    const changed = await rate(t, picked, id, aRating({ design: 4, comment: '颜色一般' })).expect(200);
    expect(changed.body.rating).toMatchObject({ design: 4, comment: '颜色一般', wouldPreorder: false, preorderUnits: 0 });
    expect(await t.db.read((tx) => tx.countBy(RatingRow, { conceptId: id }))).toBe(1);

    const seen = (await t.http.get(`/v1/concepts/${id}`).set(operator.auth).expect(200)).body;
    expect(seen.dimensions).toEqual({ performance: 8, priceAcceptance: 7, design: 4, packaging: 6 });
    expect(seen.comments.map((c: { comment: string }) => c.comment)).toEqual(['颜色一般']);
    expect(JSON.stringify(seen)).not.toContain(picked.userId);

    clock.offsetMs += 2 * DAY;
    afterThis(() => (clock.offsetMs -= 2 * DAY));
    expect((await rate(t, picked, id, aRating({ design: 10 })).expect(409)).body.code).toBe('concept_trial_closed');
    const mine = (await t.http.get('/v1/concepts/trials').set(picked.auth).expect(200)).body.items.find((x: { id: string }) => x.id === id);
    expect(mine).toMatchObject({ phase: 'trial_closed', rating: { design: 4 } });
  });

  test('two first ratings sent at once by the same shop owner make one rating', async () => {
    const id = await aConceptInTrial(t, operator, factoryId, clock);
    const picked = await aPickedShopOwner(t, operator, id);
    const answers = await Promise.all([rate(t, picked, id, aRating({ design: 3 })), rate(t, picked, id, aRating({ design: 5 }))]);
    expect(answers.map((r) => r.status)).toEqual([200, 200]);
    const rows = await t.db.read((tx) => tx.findBy(RatingRow, { conceptId: id }));
    expect(rows).toHaveLength(1);
    expect([3, 5]).toContain(rows[0].design);
  });

  test('a bad rating is a 400 and changes nothing', async () => {
    const id = await aConceptInTrial(t, operator, factoryId, clock);
    const picked = await aPickedShopOwner(t, operator, id);
    for (const bad of [
      { design: 11 },
      { performance: -1 },
      { packaging: 7.5 },
      { wouldPreorder: true, preorderUnits: 0 },
      { wouldPreorder: false, preorderUnits: 3 },
    ]) {
      expect((await rate(t, picked, id, aRating(bad)).expect(400)).body.code).toBe('validation_failed');
    }
    expect(await t.db.read((tx) => tx.countBy(RatingRow, { conceptId: id }))).toBe(0);
  });
});

describe('the launch gate', () => {
  test('below the gate: refused with the figures; an override needs a written reason, stored with who and when; the campaign carries the concept', async () => {
    const factory = await aFactory(t, operator);
    const id = await aConceptInTrial(t, operator, factory.id, clock);
    const picked = await aPickedShopOwner(t, operator, id);
    await rate(t, picked, id, aRating({ wouldPreorder: true, preorderUnits: 12 })).expect(200);
    expect((await t.http.post(`/v1/concepts/${id}/launch`).set(operator.auth).send(launchTerms(clock)).expect(409)).body.code).toBe('concept_trial_not_closed');

    clock.offsetMs += 2 * DAY;
    afterThis(() => (clock.offsetMs -= 2 * DAY));
    const campaigns = await count(CampaignRow);
    const refused = await t.http.post(`/v1/concepts/${id}/launch`).set(operator.auth).send(launchTerms(clock)).expect(409);
    expect(refused.body.code).toBe('concept_below_launch_gate');
    expect(refused.body.detail).toMatch(/1 ratings/);
    expect(refused.body.detail).toMatch(/index 5\.0, 20 ratings/);
    const short = await t.http
      .post(`/v1/concepts/${id}/launch`)
      .set(operator.auth)
      .send({ ...launchTerms(clock), overrideReason: 'ok' })
      .expect(400);
    expect(short.body.errors[0].path).toBe('body.overrideReason');
    const badTerms = await t.http
      .post(`/v1/concepts/${id}/launch`)
      .set(operator.auth)
      .send({ ...launchTerms(clock, { closesAt: new Date(clock.now().getTime() - DAY).toISOString() }), overrideReason: '大客户已确认订单' + '，先小批量试产' })
      .expect(400);
    expect(badTerms.body.code).toBe('validation_failed');
    // A reference price below the concept's target price (699.00, the tier's): the 400 names the launch's own field.
    const cheap = await t.http
      .post(`/v1/concepts/${id}/launch`)
      .set(operator.auth)
      .send({ ...launchTerms(clock, { referencePrice: '500.00' }), overrideReason: '大客户已确认订单' + '，先小批量试产' })
      .expect(400);
    expect(cheap.body.errors).toEqual([expect.objectContaining({ path: 'body.referencePrice' })]);
    expect(await count(CampaignRow)).toBe(campaigns);
    expect((await t.http.get(`/v1/concepts/${id}`).set(operator.auth).expect(200)).body).toMatchObject({ status: 'trial', launch: null });

    const reason = '渠道商已确认 500 件订单，先小批量生产 Distributor confirmed 500 units';
    const launched = await t.http
      .post(`/v1/concepts/${id}/launch`)
      .set(operator.auth)
      .send({ ...launchTerms(clock), overrideReason: reason })
      .expect(201);
    expect(launched.body.concept).toMatchObject({ status: 'launched', phase: 'launched', launch: { by: operator.userId, overrideReason: reason } });
    expect(Math.abs(new Date(launched.body.concept.launch.at).getTime() - clock.now().getTime())).toBeLessThan(60_000);
    expect(launched.body.campaign).toMatchObject({
      id: launched.body.concept.launch.campaignId,
      factoryId: factory.id,
      status: 'draft',
      title: '轻薄羽绒服 Light down jacket',
      productName: '轻薄羽绒服 Light down jacket',
      description: '90% white duck down, 120 g fill.',
      imageUrl: 'https://img.example.com/jacket-front.jpg',
      referencePrice: '699.00',
      depositRate: '0.10',
      depositPerUnit: '69.90',
      tiers: [{ minUnits: 300, unitPrice: '699.00' }],
    });
    expect(launched.body.campaign.options.map((o: { name: string; values: string[] }) => [o.name, o.values])).toEqual([
      ['colour', ['black', 'navy']],
      ['size', ['M', 'L']],
    ]);
    expect(launched.body.campaign.options[0].label.zh).toBe('颜色');
    const campaign = await t.http.get(`/v1/campaigns/${launched.body.campaign.id}`).set(operator.auth).expect(200);
    expect(campaign.body.tiers).toEqual([{ minUnits: 300, unitPrice: '699.00' }]);

    // Shown on the concept to its factory too.
    const seen = await t.http.get(`/v1/factory/concepts/${id}`).set(factory.user.auth).expect(200);
    expect(seen.body.launch).toMatchObject({ campaignId: launched.body.campaign.id, by: operator.userId, overrideReason: reason });
    expect((await t.http.post(`/v1/concepts/${id}/launch`).set(operator.auth).send(launchTerms(clock)).expect(409)).body.code).toBe('concept_launched');
  });

  test('two launches at once make one campaign', async () => {
    const id = await aConceptInTrial(t, operator, factoryId, clock);
    clock.offsetMs += 2 * DAY;
    afterThis(() => (clock.offsetMs -= 2 * DAY));
    const campaigns = await count(CampaignRow);
    const launch = () =>
      t.http
        .post(`/v1/concepts/${id}/launch`)
        .set(operator.auth)
        .send({ ...launchTerms(clock), overrideReason: '运营确认：先小批量试产' });
    const answers = await Promise.all([launch(), launch()]);
    expect(answers.map((r) => r.status).sort()).toEqual([201, 409]);
    expect(answers.find((r) => r.status === 409)!.body.code).toBe('concept_launched');
    expect(await count(CampaignRow)).toBe(campaigns + 1);
  });

  test('a rejected concept cannot be launched or rated', async () => {
    const id = await aConceptInTrial(t, operator, factoryId, clock);
    const picked = await aPickedShopOwner(t, operator, id);
    expect((await t.http.post(`/v1/concepts/${id}/reject`).set(operator.auth).send({ reason: '同类产品太多' }).expect(200)).body).toMatchObject({
      status: 'rejected',
      rejectionReason: '同类产品太多',
    });
    expect((await rate(t, picked, id, aRating()).expect(409)).body.code).toBe('concept_trial_closed');
    expect((await t.http.post(`/v1/concepts/${id}/launch`).set(operator.auth).send(launchTerms(clock)).expect(409)).body.code).toBe('concept_not_in_trial');
  });
});

/**
 * The worked example of docs/selection.md § The index, on an app of its own (the platform mean is over every rated
 * concept): concept Q rated 7.5, 6 and 9; concept P rated 2. m = (7.5 + 2) / 2 = 4.75; with C = 10,
 * Q = (10 × 4.75 + 22.5) / 13 = 5.38 (band ± 1.96 × 1.5 / √13 = 0.82), P = (47.5 + 2) / 11 = 4.5 (band ± 1.96 × 2.5 / √11 = 1.48).
 */
describe('the index on worked numbers, and a passing concept launched without an override', () => {
  let w: Awaited<ReturnType<typeof aFactoryWorld>>;
  beforeAll(async () => {
    // A gate of three ratings, so that the example passes it with three.
    w = await aFactoryWorld({ env: { CONCEPT_LAUNCH_MIN_RATINGS: '3' } });
  });
  afterAll(() => w.t.close());

  test('Q: index 5.38 on 3 ratings, band 4.57–6.20, dimension means and stated intent; P: 4.50 on 1; Q launches, P does not', async () => {
    const { t, clock, operator, factoryId } = w;
    const q = await aConceptInTrial(t, operator, factoryId, clock);
    const p = await aConceptInTrial(t, operator, factoryId, clock);
    const qRatings = [
      aRating({ performance: 8, priceAcceptance: 7, design: 9, packaging: 6, wouldPreorder: true, preorderUnits: 10, comment: '质感好' }),
      aRating({ performance: 6, priceAcceptance: 5, design: 7, packaging: 6 }),
      aRating({ performance: 9, priceAcceptance: 8, design: 10, packaging: 9, wouldPreorder: true, preorderUnits: 5 }),
    ];
    for (const rating of qRatings) await rate(t, await aPickedShopOwner(t, operator, q), q, rating).expect(200);
    await rate(t, await aPickedShopOwner(t, operator, p), p, aRating({ performance: 2, priceAcceptance: 3, design: 2, packaging: 1 })).expect(200);

    const qView = (await t.http.get(`/v1/concepts/${q}`).set(operator.auth).expect(200)).body;
    expect(qView).toMatchObject({
      index: { value: 5.38, ratings: 3, low: 4.57, high: 6.2, platformMean: 4.75, priorWeight: 10 },
      dimensions: { performance: 7.67, priceAcceptance: 6.67, design: 8.67, packaging: 7 },
      intent: { price: '699.00', yes: 2, share: 0.67, units: 15 },
      gate: { minIndex: 5, minRatings: 3, passes: true },
    });
    expect(qView.comments.map((c: { comment: string }) => c.comment)).toEqual(['质感好']);
    const pView = (await t.http.get(`/v1/concepts/${p}`).set(operator.auth).expect(200)).body;
    expect(pView).toMatchObject({ index: { value: 4.5, ratings: 1, low: 3.02, high: 5.98 }, gate: { passes: false } });

    clock.offsetMs += 2 * DAY;
    const launched = await t.http.post(`/v1/concepts/${q}/launch`).set(operator.auth).send(launchTerms(clock)).expect(201);
    expect(launched.body.concept.launch).toMatchObject({ by: operator.userId, overrideReason: null });
    expect((await t.http.post(`/v1/concepts/${p}/launch`).set(operator.auth).send(launchTerms(clock)).expect(409)).body.code).toBe('concept_below_launch_gate');
  });
});

describe('the index is rounded half up from its exact value', () => {
  let w: Awaited<ReturnType<typeof aFactoryWorld>>;
  beforeAll(async () => {
    // Its own app, so this concept is the only rated one (m is its own mean); a gate at exactly the shown value.
    w = await aFactoryWorld({ env: { CONCEPT_LAUNCH_MIN_INDEX: '4.98', CONCEPT_LAUNCH_MIN_RATINGS: '10' } });
  });
  afterAll(() => w.t.close());

  test('ten ratings averaging exactly 4.975 (4.97499… in floating point) show 4.98, and a gate of 4.98 passes', async () => {
    const { t, clock, operator, factoryId } = w;
    const id = await aConceptInTrial(t, operator, factoryId, clock, { trialPlaces: 20 });
    // Dimension sums: one rating of 19, nine of 20: 199/40 = 4.975; index (10·4.975 + 49.75)/20 = 4.975.
    for (let i = 0; i < 10; i++) {
      const rating = aRating({ performance: 5, priceAcceptance: 5, design: 5, packaging: i === 0 ? 4 : 5 });
      await rate(t, await aPickedShopOwner(t, operator, id), id, rating).expect(200);
    }
    const view = (await t.http.get(`/v1/concepts/${id}`).set(operator.auth).expect(200)).body;
    expect(view.index).toMatchObject({ value: 4.98, ratings: 10, platformMean: 4.98 });
    expect(view.gate).toMatchObject({ minIndex: 4.98, passes: true });
  });
});
