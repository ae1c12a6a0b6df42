import { startTestApp, type TestApp } from '../support/app';
import { aConsumer, aFactory, anOperator, type Caller } from '../support/builders';
import { anOpenCampaign, expectLedgerReconciles, paidPledge, payBalance, pledge } from '../support/campaigns';
import { TestClock, advance, runDue } from '../support/clock';
import { randomUUID } from 'node:crypto';
import { ForecastBatchRow, ForecastLineRow } from '../../src/forecasts';
import { isoWeekDates } from '../../src/platform/calendar';

/** The factory side through HTTP: live forecast, versioned batches, acknowledgement, commitments, accuracy, CSV. */
let t: TestApp;
let clock: TestClock;
let operator: Caller;
let factory: { id: string; user: Caller };
let other: { id: string; user: Caller };
const blackM = { colour: 'black', size: 'M' };
const navyL = { colour: 'navy', size: 'L' };
const HOUR = 3600_000;

beforeAll(async () => {
  clock = new TestClock();
  t = await startTestApp({ clock });
  operator = await anOperator(t);
  factory = await aFactory(t, operator);
  other = await aFactory(t, operator);
});
afterEach(() => expectLedgerReconciles(t));
afterAll(() => t.close());

type Line = {
  id: string;
  campaignId: string;
  variant: string;
  firmUnits: number;
  expectedUnits: number;
  lowUnits: number;
  highUnits: number;
  change: string;
  firmUnitsChange: number;
  expectedUnitsChange: number;
};
const publish = (factoryId = factory.id) =>
  t.http
    .post(`/v1/factories/${factoryId}/forecast-batches`)
    .set(operator.auth)
    .expect(200)
    .then((r) => r.body as { published: boolean; batch: { id: string; version: number } | null });
const batches = (who: Caller = factory.user) =>
  t.http
    .get('/v1/factory/forecast-batches?limit=100')
    .set(who.auth)
    .expect(200)
    .then((r) => r.body.items as { id: string; version: number; status: string; trigger: string }[]);
const batch = (id: string, who: Caller = factory.user) =>
  t.http
    .get(`/v1/factory/forecast-batches/${id}`)
    .set(who.auth)
    .expect(200)
    .then((r) => r.body as { version: number; status: string; lines: Line[] });
/** The factory acknowledges a batch and commits to a campaign's lines: `quantities` by variant, shipping in a month. */
const commitAll = async (batchId: string, campaignId: string, quantities: Record<string, number>) => {
  await t.http.post(`/v1/factory/forecast-batches/${batchId}/acknowledge`).set(factory.user.auth).expect(200);
  const lines = (await batch(batchId)).lines.filter((l: { campaignId: string }) => l.campaignId === campaignId);
  const shipBy = new Date(clock.now().getTime() + 30 * 24 * HOUR).toISOString().slice(0, 10);
  await t.http
    .post(`/v1/factory/forecast-batches/${batchId}/commit`)
    .set(factory.user.auth)
    .send({ lines: lines.map((l: { id: string; variant: string }) => ({ lineId: l.id, quantity: quantities[l.variant], shipBy })) })
    .expect(200);
};

const linesOf = async (id: string, campaignId: string) =>
  (await batch(id)).lines
    .filter((l) => l.campaignId === campaignId)
    .map(({ variant, firmUnits, expectedUnits, lowUnits, highUnits, change }) => ({ variant, firmUnits, expectedUnits, lowUnits, highUnits, change }));
const overdue = () =>
  t.http
    .get('/v1/forecast-batches/overdue')
    .set(operator.auth)
    .expect(200)
    .then((r) => r.body.items.map((b: { id: string }) => b.id) as string[]);
const live = () =>
  t.http
    .get('/v1/factory/forecast')
    .set(factory.user.auth)
    .expect(200)
    .then((r) => r.body);

describe('forecast batches follow the pledges', () => {
  test('versions, deltas and accuracy match hand-computed figures through pledges, a cancellation, an expiry, a close, a balance and a forfeit', async () => {
    // Cap 10, window 24 h: deposits this fast project far past the cap, so the rest of the window is the room left under it.
    const c = await anOpenCampaign(t, operator, factory.id, clock, { maxUnits: 10, closesAt: new Date(clock.now().getTime() + 24 * HOUR).toISOString() });
    const [a, b, unpaid, canceller] = await Promise.all([aConsumer(t), aConsumer(t), aConsumer(t), aConsumer(t)]);
    await paidPledge(t, a, c.id, blackM, 2);
    await paidPledge(t, b, c.id, navyL, 1);
    await pledge(t, unpaid, c.id, blackM, 1).expect(201);
    const cancelled = await paidPledge(t, canceller, c.id, navyL, 1);
    await t.http.post(`/v1/pledges/${cancelled.id}/cancel`).set(canceller.auth).set('Idempotency-Key', `cancel-${cancelled.id}`).expect(200);

    // Held 4 of 10: room 6, shared by paid deposits (black 2 : navy 1) → 4 and 2.
    // black/M: firm 2, 1 awaiting deposit: expected 2 + 0.8 + 4 = 6.8 → 7, low 2 + 0.5 + 4 = 6.5 → 6, high 2 + 1 + 4 = 7.
    // navy/L: firm 1: 1 + 2 = 3 at every end.
    const forecast = await live();
    const mine = forecast.campaigns.find((x: { campaignId: string }) => x.campaignId === c.id);
    expect(mine.variants).toEqual([
      {
        variant: 'colour=black;size=M',
        paidUnits: 2,
        awaitingDepositUnits: 1,
        awaitingBalanceUnits: 0,
        paidBalanceUnits: 0,
        firmUnits: 2,
        expectedUnits: 7,
        lowUnits: 6,
        highUnits: 7,
      },
      {
        variant: 'colour=navy;size=L',
        paidUnits: 1,
        awaitingDepositUnits: 0,
        awaitingBalanceUnits: 0,
        paidBalanceUnits: 0,
        firmUnits: 1,
        expectedUnits: 3,
        lowUnits: 3,
        highUnits: 3,
      },
    ]);
    expect(mine.daily).toEqual([expect.objectContaining({ pledgedUnits: 5, pledges: 4, depositPaidUnits: 4 })]);
    expect(forecast.weeks).toContainEqual(expect.objectContaining({ week: mine.shipWeek, firmUnits: 3, expectedUnits: 10 }));

    const v1 = await publish();
    expect(v1.published).toBe(true);
    expect(await linesOf(v1.batch!.id, c.id)).toEqual([
      { variant: 'colour=black;size=M', firmUnits: 2, expectedUnits: 7, lowUnits: 6, highUnits: 7, change: 'new' },
      { variant: 'colour=navy;size=L', firmUnits: 1, expectedUnits: 3, lowUnits: 3, highUnits: 3, change: 'new' },
    ]);
    const v1AsPublished = await batch(v1.batch!.id);
    expect(await publish()).toEqual({ published: false, batch: null });

    // The unpaid pledge expires: held 3, room 7 → black 2 + 4.67, navy 1 + 2.33.
    await advance(t, clock, 16 * 60_000);
    const v2 = await publish();
    expect(v2.batch!.version).toBe(v1.batch!.version + 1);
    expect(await linesOf(v2.batch!.id, c.id)).toEqual([
      { variant: 'colour=black;size=M', firmUnits: 2, expectedUnits: 7, lowUnits: 6, highUnits: 7, change: 'unchanged' },
      { variant: 'colour=navy;size=L', firmUnits: 1, expectedUnits: 3, lowUnits: 3, highUnits: 4, change: 'changed' },
    ]);
    // The factory plans on v2 (7 black, 3 navy); its later answers on the decision's batch replace this plan.
    await commitAll(v2.batch!.id, c.id, { 'colour=black;size=M': 7, 'colour=navy;size=L': 3 });

    // Close: 3 paid units reach the first tier. With no history the balance conversion is 0.9 (low 0.7).
    // black/M: 2 owe their balance: expected 1.8 → 2, low 1.4 → 1, high 2. navy/L: 0.9 → 1, low 0, high 1.
    await t.http.post(`/v1/campaigns/${c.id}/close`).set(operator.auth).expect(200);
    await runDue(t, clock);
    const afterClose = await batches();
    expect(afterClose[0]).toMatchObject({ version: v2.batch!.version + 1, trigger: 'campaign_decided' });
    expect(await linesOf(afterClose[0].id, c.id)).toEqual([
      { variant: 'colour=black;size=M', firmUnits: 2, expectedUnits: 2, lowUnits: 1, highUnits: 2, change: 'changed' },
      { variant: 'colour=navy;size=L', firmUnits: 1, expectedUnits: 1, lowUnits: 0, highUnits: 1, change: 'changed' },
    ]);

    // Produced to plan from the decision's batch: 2 black, 1 navy.
    await commitAll(afterClose[0].id, c.id, { 'colour=black;size=M': 2, 'colour=navy;size=L': 1 });

    // a pays the balance, b does not and forfeits: the campaign completes with 2 units made.
    const aPledge = (await t.http.get('/v1/me/pledges').set(a.auth).expect(200)).body.items[0];
    await payBalance(t, a, aPledge.id);
    await advance(t, clock, 49 * HOUR);
    expect((await t.http.get(`/v1/campaigns/${c.id}`)).body.status).toBe('completed');
    expect((await live()).balanceConversion).toEqual({ rate: 2 / 3, source: 'history' });

    // Accuracy against 2 black and 0 navy actually paid: MAPE over lines with an actual (black only).
    // v1: black 7 vs 2 → 250 %; bias (7 + 3 − 2) / 2 = 400 %. After close: black 2 vs 2 → 0 %; bias (2 + 1 − 2) / 2 = 50 %.
    const accuracy = (await t.http.get('/v1/factory/forecast-accuracy').set(factory.user.auth).expect(200)).body;
    expect(accuracy.versions.find((v: { version: number }) => v.version === v1.batch!.version)).toMatchObject({ lines: 2, mapePercent: 250, biasPercent: 400 });
    expect(accuracy.versions.find((v: { version: number }) => v.version === afterClose[0].version)).toMatchObject({ mapePercent: 0, biasPercent: 50 });
    const moved = accuracy.campaigns.find((x: { campaignId: string }) => x.campaignId === c.id);
    expect(moved.actualUnits).toBe(2);
    // Produced to plan: the newest commitment per line, 2 + 1, against 2 paid.
    expect(moved).toMatchObject({ plannedUnits: 3, plannedRatio: 1.5 });
    expect(accuracy.plan).toEqual({ campaigns: 1, plannedUnits: 3, paidUnits: 2, ratio: 1.5 });
    expect(moved.versions.map((v: { expectedUnits: number }) => v.expectedUnits).slice(0, 3)).toEqual([10, 10, 3]);

    // A published batch never changes.
    expect({ ...(await batch(v1.batch!.id)), status: 'any' }).toEqual({ ...v1AsPublished, status: 'any' });
  });

  test('a cancelled campaign shows once as a drop to zero, then is gone', async () => {
    const f = await aFactory(t, operator);
    const c = await anOpenCampaign(t, operator, f.id, clock);
    await paidPledge(t, await aConsumer(t), c.id, blackM, 2);
    const first = await publish(f.id);
    await t.http
      .post(`/v1/campaigns/${c.id}/cancel`)
      .set(operator.auth)
      .set('Idempotency-Key', `cancel-${c.id}`)
      .send({ reason: '工厂停产，活动取消' })
      .expect(200);
    await runDue(t, clock);
    const list = (await t.http.get('/v1/factory/forecast-batches').set(f.user.auth).expect(200)).body.items;
    expect(list[0]).toMatchObject({ version: first.batch!.version + 1, trigger: 'campaign_decided' });
    const dropped = (await t.http.get(`/v1/factory/forecast-batches/${list[0].id}`).set(f.user.auth).expect(200)).body.lines;
    expect(dropped).toEqual([
      expect.objectContaining({ variant: 'colour=black;size=M', change: 'removed', firmUnits: 0, expectedUnits: 0, firmUnitsChange: -2, previousFirmUnits: 2 }),
    ]);
    expect(await publish(f.id)).toEqual({ published: false, batch: null });
  });

  test('operators publishing at the same moment get one new version between them, never an error', async () => {
    const f = await aFactory(t, operator);
    // Capped: deposits this fast project far past the cap, so the forecast does not drift with the real time between publishes.
    const c = await anOpenCampaign(t, operator, f.id, clock, { maxUnits: 10 });
    await paidPledge(t, await aConsumer(t), c.id, blackM, 1);
    const answers = await Promise.all(Array.from({ length: 8 }, () => publish(f.id)));
    expect(answers.filter((a) => a.published).map((a) => a.batch!.version)).toEqual([1]);
    await paidPledge(t, await aConsumer(t), c.id, navyL, 1);
    const again = await Promise.all(Array.from({ length: 8 }, () => publish(f.id)));
    expect(again.filter((a) => a.published).map((a) => a.batch!.version)).toEqual([2]);
    expect((await batches(f.user)).map((b) => b.version)).toEqual([2, 1]);
  });

  test('the daily job publishes for every factory with campaigns, once a day', async () => {
    const f = await aFactory(t, operator);
    const c = await anOpenCampaign(t, operator, f.id, clock);
    await paidPledge(t, await aConsumer(t), c.id, navyL, 1);
    const enqueueDaily = () => t.db.transaction((tx) => t.app.jobs.enqueue(tx, 'forecasts.publish-daily', {}));
    await enqueueDaily();
    await runDue(t, clock);
    await enqueueDaily();
    await runDue(t, clock);
    const list = (await t.http.get('/v1/factory/forecast-batches').set(f.user.auth).expect(200)).body.items;
    expect(list).toEqual([expect.objectContaining({ version: 1, trigger: 'daily', status: 'new' })]);
  });
});

describe('acknowledging and committing', () => {
  let batchId: string;
  let line: Line;
  beforeAll(async () => {
    const f = factory;
    const c = await anOpenCampaign(t, operator, f.id, clock);
    await paidPledge(t, await aConsumer(t), c.id, blackM, 3);
    batchId = (await publish()).batch!.id;
    line = (await batch(batchId)).lines.find((l) => l.campaignId === c.id)!;
  });
  const shipBy = () => new Date(clock.now().getTime() + 30 * 86_400_000).toISOString().slice(0, 10);
  const commit = (answer: object, who: Caller = factory.user) =>
    t.http
      .post(`/v1/factory/forecast-batches/${batchId}/commit`)
      .set(who.auth)
      .send({ lines: [{ lineId: line.id, ...answer }] });

  test('a line is committed only after the batch is acknowledged, with a reason when short, and the latest answer counts', async () => {
    expect((await commit({ quantity: 3, shipBy: shipBy() }).expect(409)).body.code).toBe('batch_not_acknowledged');
    const acked = await t.http.post(`/v1/factory/forecast-batches/${batchId}/acknowledge`).set(factory.user.auth).expect(200);
    expect(acked.body.acknowledgedAt).toBeTruthy();
    const again = await t.http.post(`/v1/factory/forecast-batches/${batchId}/acknowledge`).set(factory.user.auth).expect(200);
    expect(again.body.acknowledgedAt).toBe(acked.body.acknowledgedAt);

    const short = await commit({ quantity: 2, shipBy: shipBy() }).expect(400);
    expect(short.headers['content-type']).toMatch(/application\/problem\+json/);
    // Each bad field with a reason clients translate (and its bound), beside the English message.
    expect(short.body.errors).toEqual([expect.objectContaining({ path: 'body.lines.0.reason', reason: 'reason_required', limit: 3 })]);
    expect((await commit({ quantity: 3, shipBy: '2020-01-01' }).expect(400)).body.errors).toEqual([
      expect.objectContaining({ path: 'body.lines.0.shipBy', reason: 'date_in_past' }),
    ]);
    const badReason = (await commit({ quantity: 3, shipBy: shipBy(), reason: 'too many' }).expect(400)).body;
    expect(badReason.code).toBe('validation_failed');
    expect(badReason.errors).toEqual([expect.objectContaining({ path: 'body.lines.0.reason', reason: 'invalid_option' })]);
    expect((await commit({ quantity: -1, shipBy: 'soon' }).expect(400)).body.errors).toEqual([
      expect.objectContaining({ path: 'body.lines.0.quantity', reason: 'too_small', limit: 0 }),
      expect.objectContaining({ path: 'body.lines.0.shipBy', reason: 'invalid_date' }),
    ]);
    expect((await commit({ shipBy: shipBy() }).expect(400)).body.errors).toEqual([
      expect.objectContaining({ path: 'body.lines.0.quantity', reason: 'required' }),
    ]);

    const committed = await commit({ quantity: 2, shipBy: shipBy(), reason: 'capacity', note: 'one line down for maintenance' }).expect(200);
    expect(committed.body.lines.find((l: Line) => l.id === line.id).commitment).toMatchObject({ quantity: 2, reason: 'capacity', shipBy: shipBy() });
    // One line's answer may also be sent on its own; the latest answer counts.
    await t.http
      .post(`/v1/factory/forecast-batches/${batchId}/commit`)
      .set(factory.user.auth)
      .send({ lineId: line.id, quantity: 3, shipBy: shipBy() })
      .expect(200);
    const foreign = await commit({ quantity: 1, shipBy: shipBy(), reason: 'other', lineId: '00000000-0000-4000-8000-000000000000' }).expect(400);
    expect(foreign.body.errors).toEqual([expect.objectContaining({ path: 'body.lines.0.lineId' })]);
    const after = await batch(batchId);
    expect(after.lines.find((l) => l.id === line.id)).toMatchObject({ commitment: { quantity: 3, reason: null } });
    expect(after.status).toBe(after.lines.length === 1 ? 'committed' : 'acknowledged');
  });

  test("another factory's users and keys get a 404 for every batch route, and change nothing", async () => {
    const key = await t.http.post(`/v1/factories/${other.id}/api-keys`).set(operator.auth).send({ name: 'erp' }).expect(201);
    for (const auth of [other.user.auth, { Authorization: `Bearer ${key.body.apiKey}` }]) {
      await t.http.get(`/v1/factory/forecast-batches/${batchId}`).set(auth).expect(404);
      await t.http.get(`/v1/factory/forecast-batches/${batchId}?format=csv`).set(auth).expect(404);
      await t.http.post(`/v1/factory/forecast-batches/${batchId}/acknowledge`).set(auth).expect(404);
      await t.http
        .post(`/v1/factory/forecast-batches/${batchId}/commit`)
        .set(auth)
        .send({ lines: [{ lineId: line.id, quantity: 0, shipBy: shipBy(), reason: 'other' }] })
        .expect(404);
      const theirs = await t.http.get('/v1/factory/forecast').set(auth).expect(200);
      expect(JSON.stringify(theirs.body)).not.toContain(line.campaignId);
      expect((await t.http.get('/v1/factory/forecast-batches').set(auth).expect(200)).body.items.map((b: { id: string }) => b.id)).not.toContain(batchId);
    }
    expect((await batch(batchId)).lines.find((l) => l.id === line.id)).toMatchObject({ commitment: { quantity: 3 } });
  });

  test('a factory sees counts, never who pledged', async () => {
    const consumer = await aConsumer(t);
    const c = await anOpenCampaign(t, operator, factory.id, clock);
    await paidPledge(t, consumer, c.id, navyL, 1);
    const id = (await publish()).batch!.id;
    const seen = JSON.stringify([
      await live(),
      await batch(id),
      (await t.http.get(`/v1/factory/forecast-batches/${id}?format=csv`).set(factory.user.auth)).text,
    ]);
    expect(seen).not.toContain(consumer.userId);
    expect(seen).not.toContain(consumer.email);
  });

  test('operators see batches not acknowledged within 24 hours; the factory sees them as late', async () => {
    const f = await aFactory(t, operator);
    const c = await anOpenCampaign(t, operator, f.id, clock, { closesAt: new Date(clock.now().getTime() + 72 * HOUR).toISOString() });
    await paidPledge(t, await aConsumer(t), c.id, blackM, 1);
    const { batch: published } = await publish(f.id);
    expect(await overdue()).not.toContain(published!.id);
    clock.offsetMs += 25 * HOUR;
    expect(await overdue()).toContain(published!.id);
    expect((await t.http.get('/v1/factory/forecast-batches').set(f.user.auth).expect(200)).body.items[0]).toMatchObject({ id: published!.id, status: 'late' });
    await t.http.post(`/v1/factory/forecast-batches/${published!.id}/acknowledge`).set(f.user.auth).expect(200);
    expect(await overdue()).not.toContain(published!.id);
    await runDue(t, clock);
  });
});

describe('line kinds', () => {
  test("a campaign's lines are kind campaign with the campaign's id as source key and campaign id, in the live forecast and in a batch", async () => {
    const f = await aFactory(t, operator);
    const c = await anOpenCampaign(t, operator, f.id, clock);
    await paidPledge(t, await aConsumer(t), c.id, blackM, 1);
    const forecast = (await t.http.get('/v1/factory/forecast').set(f.user.auth).expect(200)).body;
    expect(forecast.campaigns).toEqual([expect.objectContaining({ kind: 'campaign', sourceKey: c.id, campaignId: c.id })]);
    expect(forecast.supplies).toEqual([]);
    const { batch: published } = await publish(f.id);
    const lines = (await batch(published!.id, f.user)).lines;
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(line).toMatchObject({ kind: 'campaign', sourceKey: c.id, campaignId: c.id });
  });
});

describe('CSV export', () => {
  test('UTF-8 with a BOM, Chinese headers, formulas neutralised, the same with ?format=csv and Accept: text/csv', async () => {
    const f = await aFactory(t, operator);
    const c = await anOpenCampaign(t, operator, f.id, clock, { title: '=HYPERLINK("http://evil.example","羽绒服")', productName: '@SUM(1,2)' });
    await paidPledge(t, await aConsumer(t), c.id, blackM, 2);
    const { batch: published } = await publish(f.id);
    const byQuery = await t.http
      .get(`/v1/factory/forecast-batches/${published!.id}?format=csv`)
      .set(f.user.auth)
      .buffer(true)
      .parse((res, done) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => done(null, Buffer.concat(chunks)));
      })
      .expect(200);
    expect(byQuery.headers['content-type']).toMatch(/^text\/csv; charset=utf-8/);
    expect(byQuery.headers['content-disposition']).toMatch(/^attachment; filename="?forecast-v1\.csv"?$/);
    const bytes = byQuery.body as Buffer;
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = bytes.toString('utf8').slice(1);
    const [header, row] = text.split('\r\n');
    expect(header).toContain('确定量 firm units');
    expect(row).toContain(`"'=HYPERLINK(""http://evil.example"",""羽绒服"")"`);
    expect(row).toContain("'@SUM(1,2)");
    expect(row).toContain(',colour=black;size=M,');
    // Then what the line is (a campaign line's source key is its campaign's id), then each option in its own column.
    expect(header.endsWith(',类型 kind,来源键 source key,规格 colour,规格 size')).toBe(true);
    expect(row.endsWith(`,campaign,${c.id},black,M`)).toBe(true);
    const byAccept = await t.http.get(`/v1/factory/forecast-batches/${published!.id}`).set(f.user.auth).set('Accept', 'text/csv').expect(200);
    expect(byAccept.text.replace(/^\uFEFF/, '')).toBe(text);
  });
});

describe('a new version keeps what is still true of the previous one', () => {
  type Commitment = { quantity: number; shipBy: string; reason: string | null; note: string | null; committedAt: string; carriedFromVersion: number | null };
  type Answered = Line & { shipWeek: string; commitment?: Commitment };
  const lineOf = async (batchId: string, who: Caller, campaignId: string) =>
    (await batch(batchId, who)).lines.find((l) => l.campaignId === campaignId) as Answered;
  const shipBy = (days: number) => new Date(clock.now().getTime() + days * 86_400_000).toISOString().slice(0, 10);
  const commit = (who: Caller, batchId: string, lines: object[]) =>
    t.http.post(`/v1/factory/forecast-batches/${batchId}/commit`).set(who.auth).send({ lines }).expect(200);
  const acknowledge = (who: Caller, batchId: string) => t.http.post(`/v1/factory/forecast-batches/${batchId}/acknowledge`).set(who.auth).expect(200);

  test('commitments carry over to lines whose firm units are unchanged; "commit all unchanged" answers the rest in one action', async () => {
    const f = await aFactory(t, operator);
    const [kept, grown, answeredLate, untouched] = await Promise.all([1, 2, 3, 4].map(() => anOpenCampaign(t, operator, f.id, clock)));
    await paidPledge(t, await aConsumer(t), kept.id, blackM, 2);
    await paidPledge(t, await aConsumer(t), grown.id, navyL, 1);
    await paidPledge(t, await aConsumer(t), answeredLate.id, blackM, 1);
    await paidPledge(t, await aConsumer(t), untouched.id, navyL, 1);
    const v1 = (await publish(f.id)).batch!;
    await acknowledge(f.user, v1.id);
    const keptV1 = await lineOf(v1.id, f.user, kept.id);
    const grownV1 = await lineOf(v1.id, f.user, grown.id);
    await commit(f.user, v1.id, [
      { lineId: keptV1.id, quantity: 2, shipBy: shipBy(20), note: '三号线' },
      { lineId: grownV1.id, quantity: 1, shipBy: shipBy(20) },
    ]);
    const keptAnswer = (await lineOf(v1.id, f.user, kept.id)).commitment!;

    await paidPledge(t, await aConsumer(t), grown.id, navyL, 1);
    const v2 = (await publish(f.id)).batch!;
    expect((await lineOf(v2.id, f.user, kept.id)).commitment).toEqual({ ...keptAnswer, carriedFromVersion: 1 });
    expect(await lineOf(v2.id, f.user, grown.id)).toMatchObject({ firmUnits: 2, change: 'changed' });
    expect((await lineOf(v2.id, f.user, grown.id)).commitment).toBeUndefined();
    // A new version is acknowledged like any other, carried answers or not.
    expect(await batches(f.user)).toEqual([
      expect.objectContaining({ version: 2, status: 'new', committedLines: 1 }),
      expect.objectContaining({ version: 1, status: 'acknowledged' }),
    ]);

    // Answered on v1 after v2 was published: "commit all unchanged" on v2 brings it over then.
    await commit(f.user, v1.id, [{ lineId: (await lineOf(v1.id, f.user, answeredLate.id)).id, quantity: 5, shipBy: shipBy(25), note: '加急' }]);
    const commitUnchanged = () => t.http.post(`/v1/factory/forecast-batches/${v2.id}/commit-unchanged`).set(f.user.auth);
    expect((await commitUnchanged().expect(409)).body.code).toBe('batch_not_acknowledged');
    expect((await lineOf(v2.id, f.user, untouched.id)).commitment).toBeUndefined();
    await acknowledge(f.user, v2.id);
    const answered = (await commitUnchanged().expect(200)).body as { linesCommitted: number; lines: Answered[] };
    expect(answered.linesCommitted).toBe(2);
    const byCampaign = (id: string) => answered.lines.find((l) => l.campaignId === id)!;
    expect(byCampaign(answeredLate.id).commitment).toMatchObject({ quantity: 5, shipBy: shipBy(25), note: '加急', carriedFromVersion: 1 });
    const sunday = isoWeekDates(byCampaign(untouched.id).shipWeek).last;
    expect(byCampaign(untouched.id).commitment).toMatchObject({ quantity: 1, shipBy: sunday, reason: null, carriedFromVersion: null });
    expect(byCampaign(grown.id).commitment).toBeUndefined();
    expect((await commitUnchanged().expect(200)).body.linesCommitted).toBe(0);

    // Another factory cannot.
    await t.http.post(`/v1/factory/forecast-batches/${v2.id}/commit-unchanged`).set(other.user.auth).expect(404);
  });

  test('a version never acknowledged is superseded by the next one, not late, and leaves the overdue list', async () => {
    const f = await aFactory(t, operator);
    const c = await anOpenCampaign(t, operator, f.id, clock, { closesAt: new Date(clock.now().getTime() + 96 * HOUR).toISOString() });
    await paidPledge(t, await aConsumer(t), c.id, blackM, 1);
    const v1 = (await publish(f.id)).batch!;
    clock.offsetMs += 25 * HOUR;
    expect(await overdue()).toContain(v1.id);
    await paidPledge(t, await aConsumer(t), c.id, blackM, 1);
    const v2 = (await publish(f.id)).batch!;
    expect((await batches(f.user)).map((b) => [b.version, b.status])).toEqual([
      [2, 'new'],
      [1, 'superseded'],
    ]);
    expect((await batch(v1.id, f.user)).status).toBe('superseded');
    expect(await overdue()).not.toContain(v1.id);
    // Nobody answers a superseded version: acknowledging it, committing to it and "commit all unchanged" are refused, and change nothing.
    const v1Line = (await batch(v1.id, f.user)).lines[0] as Line & { lineNo: number };
    const refusals = [
      t.http.post(`/v1/factory/forecast-batches/${v1.id}/acknowledge`).set(f.user.auth),
      t.http
        .post(`/v1/factory/forecast-batches/${v1.id}/commit`)
        .set(f.user.auth)
        .send({
          lines: [{ lineId: v1Line.id, quantity: v1Line.firmUnits, shipBy: new Date(clock.now().getTime() + 7 * 86_400_000).toISOString().slice(0, 10) }],
        }),
      t.http.post(`/v1/factory/forecast-batches/${v1.id}/commit-unchanged`).set(f.user.auth),
      t.http
        .post(`/v1/factory/forecast-batches/${v1.id}/commit-rows`)
        .set(f.user.auth)
        .send({ rows: [{ line: String(v1Line.lineNo), quantity: String(v1Line.firmUnits) }], preview: true }),
    ];
    for (const refused of refusals) {
      const answer = await refused.expect(409);
      expect(answer.body.code).toBe('batch_superseded');
    }
    expect(await batch(v1.id, f.user)).toMatchObject({ status: 'superseded', acknowledgedAt: null, committedLines: 0 });
    clock.offsetMs += 25 * HOUR;
    expect(await overdue()).toEqual(expect.arrayContaining([v2.id]));
    expect(await overdue()).not.toContain(v1.id);
    await runDue(t, clock);
  });
});

describe('commitments from an uploaded CSV', () => {
  type Row = { version?: string; line?: string; quantity?: string; shipBy?: string; reason?: string };
  type Result = {
    preview: boolean;
    linesCommitted: number;
    counts: Record<string, number>;
    rows: {
      outcome: string;
      lineNo: number | null;
      answer: { quantity: number; shipBy: string; reason: string | null } | null;
      errors: object[];
      warnings: object[];
    }[];
    batch: {
      lines: (Line & { lineNo: number; shipWeek: string; commitment?: { quantity: number; shipBy: string; reason: string | null; committedAt: string } })[];
    };
  };
  const upload = (who: Caller, batchId: string, rows: Row[], preview = false) =>
    t.http.post(`/v1/factory/forecast-batches/${batchId}/commit-rows`).set(who.auth).send({ rows, preview });
  /** A date as Excel writes it back after the planner typed it: 2027/1/31. */
  const excelDate = (days: number) => {
    const d = new Date(clock.now().getTime() + days * 86_400_000);
    return `${d.getUTCFullYear()}/${d.getUTCMonth() + 1}/${d.getUTCDate()}`;
  };
  const isoDate = (days: number) => new Date(clock.now().getTime() + days * 86_400_000).toISOString().slice(0, 10);

  test('the rows are previewed with each one’s errors, committed all or none, and sending them again changes nothing', async () => {
    const f = await aFactory(t, operator);
    const c = await anOpenCampaign(t, operator, f.id, clock);
    await paidPledge(t, await aConsumer(t), c.id, blackM, 3);
    await paidPledge(t, await aConsumer(t), c.id, navyL, 1);
    const v1 = (await publish(f.id)).batch!;
    const lines = (await batch(v1.id, f.user)).lines as (Line & { lineNo: number })[];
    const black = lines.find((l) => l.variant === 'colour=black;size=M')!;
    const navy = lines.find((l) => l.variant === 'colour=navy;size=L')!;
    const v = String(v1.version);

    expect((await upload(f.user, v1.id, [{ line: String(black.lineNo), quantity: '3' }], true).expect(409)).body.code).toBe('batch_not_acknowledged');
    await t.http.post(`/v1/factory/forecast-batches/${v1.id}/acknowledge`).set(f.user.auth).expect(200);

    // The file as a planner sends it back: one quantity that is not a number, a line the batch does not have, a row left empty.
    const withErrors: Row[] = [
      { version: v, line: String(black.lineNo), quantity: '3', shipBy: '', reason: '' },
      { version: v, line: String(navy.lineNo), quantity: '一', shipBy: excelDate(20), reason: '' },
      { version: v, line: '99', quantity: '5', shipBy: '', reason: '' },
      { version: v, line: '', quantity: '', shipBy: '', reason: '' },
    ];
    const preview = (await upload(f.user, v1.id, withErrors, true).expect(200)).body as Result;
    expect(preview).toMatchObject({ preview: true, linesCommitted: 0, counts: { new: 1, changed: 0, unchanged: 0, skipped: 1, invalid: 2 } });
    expect(preview.rows.map((r) => r.outcome)).toEqual(['new', 'invalid', 'invalid', 'skipped']);
    expect(preview.rows[1].errors).toEqual([expect.objectContaining({ field: 'quantity', reason: 'not_a_number' })]);
    expect(preview.rows[2].errors).toEqual([expect.objectContaining({ field: 'line', reason: 'not_in_batch' })]);
    expect(preview.batch.lines.every((l) => l.commitment === undefined)).toBe(true);

    // Committed with an error: refused whole, each error where it is, nothing written.
    const refused = await upload(f.user, v1.id, withErrors).expect(400);
    expect(refused.body.code).toBe('invalid_upload');
    expect(refused.body.errors).toEqual([
      expect.objectContaining({ path: 'body.rows.1.quantity', reason: 'not_a_number' }),
      expect.objectContaining({ path: 'body.rows.2.line', reason: 'not_in_batch' }),
    ]);
    expect((await batch(v1.id, f.user)).lines.map((l) => (l as { commitment?: object }).commitment)).toEqual([undefined, undefined]);

    // Fixed: both lines answered in one go, the date as Excel wrote it, the black line by the Sunday of its ship week.
    const fixed: Row[] = [
      { version: v, line: String(black.lineNo), quantity: '3', shipBy: '', reason: '' },
      { version: v, line: String(navy.lineNo), quantity: '1', shipBy: excelDate(20), reason: '' },
      { version: v, line: '', quantity: '', shipBy: '', reason: '' },
    ];
    const committed = (await upload(f.user, v1.id, fixed).expect(200)).body as Result;
    expect(committed).toMatchObject({ preview: false, linesCommitted: 2, counts: { new: 2, skipped: 1, invalid: 0 } });
    const answers = (await batch(v1.id, f.user)).lines as Result['batch']['lines'];
    const sunday = isoWeekDates(answers.find((l) => l.id === black.id)!.shipWeek).last;
    expect(answers.find((l) => l.id === black.id)!.commitment).toMatchObject({ quantity: 3, shipBy: sunday < isoDate(0) ? isoDate(0) : sunday, reason: null });
    expect(answers.find((l) => l.id === navy.id)!.commitment).toMatchObject({ quantity: 1, shipBy: isoDate(20), reason: null });
    expect((await batches(f.user))[0]).toMatchObject({ status: 'committed', committedLines: 2 });

    // The same file again: every row unchanged, nothing written (the answers keep when they were made).
    clock.offsetMs += 60_000;
    const again = (await upload(f.user, v1.id, fixed).expect(200)).body as Result;
    expect(again).toMatchObject({ linesCommitted: 0, counts: { new: 0, changed: 0, unchanged: 2, skipped: 1 } });
    expect((await batch(v1.id, f.user)).lines).toEqual(answers);

    // Fewer than the firm units needs a reason, in the codes or in Chinese; more than the forecast's high end is allowed with a warning.
    const short = (await upload(f.user, v1.id, [{ version: v, line: String(black.lineNo), quantity: '2' }], true).expect(200)).body as Result;
    expect(short.rows[0].errors).toEqual([expect.objectContaining({ field: 'reason', reason: 'reason_required', limit: 3 })]);
    const changed = (
      await upload(f.user, v1.id, [
        { version: v, line: String(black.lineNo), quantity: '2', reason: '产能不足' },
        { version: v, line: String(navy.lineNo), quantity: String(navy.highUnits + 10), shipBy: excelDate(20) },
      ]).expect(200)
    ).body as Result;
    expect(changed).toMatchObject({ linesCommitted: 2, counts: { changed: 2 } });
    expect(changed.rows[1].warnings).toEqual([{ reason: 'above_high', limit: navy.highUnits }]);
    expect(changed.batch.lines.find((l) => l.id === black.id)!.commitment).toMatchObject({ quantity: 2, reason: 'capacity' });

    // Another version's file is refused; another factory gets a 404 and changes nothing.
    const otherVersion = (await upload(f.user, v1.id, [{ version: String(v1.version + 1), line: String(black.lineNo), quantity: '3' }], true).expect(200)).body;
    expect(otherVersion.rows[0].errors).toEqual([expect.objectContaining({ field: 'version', reason: 'other_version', limit: v1.version })]);
    await upload(other.user, v1.id, [{ line: String(black.lineNo), quantity: '0', reason: 'other' }]).expect(404);
    expect((await batch(v1.id, f.user)).lines.find((l) => l.id === black.id)).toMatchObject({ commitment: { quantity: 2 } });
  });
});

describe('figures a planner checks by hand', () => {
  test('after close, the low end of 10 units owed at a 70 % balance history is 10 × (0.7 − 0.2) = 5, exactly', async () => {
    const f = await aFactory(t, operator);
    // History: 7 of 10 units pay their balance, 3 forfeit: the factory's balance conversion is 0.7.
    const first = await anOpenCampaign(t, operator, f.id, clock, { tiers: [{ minUnits: 10, unitPrice: '899.00' }] });
    const [payer, forfeiter] = [await aConsumer(t), await aConsumer(t)];
    const paying = await paidPledge(t, payer, first.id, blackM, 7);
    await paidPledge(t, forfeiter, first.id, blackM, 3);
    await t.http.post(`/v1/campaigns/${first.id}/close`).set(operator.auth).expect(200);
    await runDue(t, clock);
    await payBalance(t, payer, paying.id);
    await advance(t, clock, 49 * HOUR);
    expect((await t.http.get(`/v1/campaigns/${first.id}`)).body.status).toBe('completed');

    // 10 units owe their balance: expected 10 × 0.7 = 7, low 10 × 0.5 = 5, high 10.
    const c = await anOpenCampaign(t, operator, f.id, clock, { tiers: [{ minUnits: 10, unitPrice: '899.00' }] });
    await paidPledge(t, await aConsumer(t), c.id, navyL, 10);
    await t.http.post(`/v1/campaigns/${c.id}/close`).set(operator.auth).expect(200);
    await runDue(t, clock);
    const forecast = (await t.http.get('/v1/factory/forecast').set(f.user.auth).expect(200)).body;
    expect(forecast.balanceConversion).toEqual({ rate: 0.7, source: 'history' });
    expect(forecast.campaigns.find((x: { campaignId: string }) => x.campaignId === c.id).variants).toEqual([
      expect.objectContaining({ variant: 'colour=navy;size=L', awaitingBalanceUnits: 10, firmUnits: 10, expectedUnits: 7, lowUnits: 5, highUnits: 10 }),
    ]);
    const decided = (await batches(f.user))[0];
    expect(decided.trigger).toBe('campaign_decided');
    expect((await batch(decided.id, f.user)).lines.filter((l) => l.campaignId === c.id)).toEqual([
      expect.objectContaining({ variant: 'colour=navy;size=L', firmUnits: 10, expectedUnits: 7, lowUnits: 5, highUnits: 10 }),
    ]);
  });

  test('a campaign made and shipped leaves the batches after its ship date without a drop to zero, and accuracy scores only the forecasts made', async () => {
    const f = await aFactory(t, operator);
    // Capped at the 3 units pledged: no room left in the window, so every forecast of it is 3 units whatever the clock.
    const c = await anOpenCampaign(t, operator, f.id, clock, { maxUnits: 3, tiers: [{ minUnits: 3, unitPrice: '899.00' }] });
    const consumers = [await aConsumer(t), await aConsumer(t), await aConsumer(t)];
    const pledges = [];
    for (const who of consumers) pledges.push(await paidPledge(t, who, c.id, blackM, 1));
    await publish(f.id);
    await t.http.post(`/v1/campaigns/${c.id}/close`).set(operator.auth).expect(200);
    await runDue(t, clock);
    for (const [i, who] of consumers.entries()) await payBalance(t, who, pledges[i].id);
    await runDue(t, clock);
    expect((await t.http.get(`/v1/campaigns/${c.id}`)).body.status).toBe('completed');
    const made = (await publish(f.id)).batch!;
    expect((await batch(made.id, f.user)).lines).toEqual([
      expect.objectContaining({ campaignId: c.id, variant: 'colour=black;size=M', firmUnits: 3, expectedUnits: 3, lowUnits: 3, highUnits: 3 }),
    ]);

    // The expected ship date (60 days on) passes: the campaign is no longer in the live forecast, and its
    // leaving tells the factory nothing new: no version is published for it.
    await advance(t, clock, 61 * 24 * HOUR);
    expect((await t.http.get('/v1/factory/forecast').set(f.user.auth).expect(200)).body.campaigns).toEqual([]);
    expect(await publish(f.id)).toEqual({ published: false, batch: null });

    // A new campaign's version lists only what is still to make: the shipped campaign is not shown as removed, in it or any version since.
    const next = await anOpenCampaign(t, operator, f.id, clock, { maxUnits: 5 });
    await paidPledge(t, await aConsumer(t), next.id, navyL, 2);
    const later = (await publish(f.id)).batch!;
    expect((await batch(later.id, f.user)).lines).toEqual([expect.objectContaining({ campaignId: next.id, change: 'new' })]);
    const since = (await batches(f.user)).filter((b) => b.version > made.version);
    expect(since.map((b) => b.version)).toEqual([later.version]);

    // Every version that forecast the campaign said 3 units, and 3 were paid: no error, no bias, in each one.
    const accuracy = (await t.http.get('/v1/factory/forecast-accuracy').set(f.user.auth).expect(200)).body;
    const forecastIt = Array.from({ length: made.version }, (_, i) => i + 1);
    expect(accuracy.versions).toEqual(forecastIt.map((version) => expect.objectContaining({ version, lines: 1, mapePercent: 0, biasPercent: 0 })));
    expect(accuracy.campaigns).toEqual([
      expect.objectContaining({
        campaignId: c.id,
        actualUnits: 3,
        versions: forecastIt.map((version) => expect.objectContaining({ version, expectedUnits: 3 })),
      }),
    ]);

    // A version published before this rule, as it was then: the shipped campaign's line removed, at zero. It forecast nothing and is not scored.
    const shown = (await batch(made.id, f.user)).lines[0] as Line & { campaignTitle: string; shipWeek: string };
    const old = Object.assign(new ForecastBatchRow(), {
      id: randomUUID(),
      factoryId: f.id,
      version: later.version + 1,
      trigger: 'daily' as const,
      publishedAt: clock.now(),
      lineCount: 1,
      firmUnits: 0,
      expectedUnits: 0,
      acknowledgedAt: null,
      acknowledgedBy: null,
    });
    await t.db.transaction(async (tx) => {
      await tx.insert(ForecastBatchRow, old);
      await tx.insert(ForecastLineRow, {
        id: randomUUID(),
        batchId: old.id,
        lineNo: 1,
        kind: 'campaign',
        sourceKey: c.id,
        campaignId: c.id,
        campaignTitle: shown.campaignTitle,
        productName: 'Down jacket',
        variant: shown.variant,
        shipWeek: shown.shipWeek,
        firmUnits: 0,
        expectedUnits: 0,
        lowUnits: 0,
        highUnits: 0,
        previousFirmUnits: 3,
        previousExpectedUnits: 3,
        change: 'removed',
      });
    });
    expect((await t.http.get('/v1/factory/forecast-accuracy').set(f.user.auth).expect(200)).body).toEqual(accuracy);
  });
});
