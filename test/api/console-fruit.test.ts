import { DateTime } from 'luxon';
import { startTestApp, type TestApp } from '../support/app';
import { aConsumer, aFactory, anOperator, type Caller } from '../support/builders';
import { TestClock, runDue } from '../support/clock';
import { subscribe } from '../support/subscriptions';

/**
 * The operators' fruit desk (the console's 水果 page) over HTTP on the real app and jobs: the catalogue
 * edited and refused with a reason per field; an orchard short of a fruit, the boxes' fair shares and what
 * each got instead, given back by a larger commitment; the picking list of a ship date, as JSON and CSV.
 */
let t: TestApp;
const clock = new TestClock();
let operator: Caller;
let orchard: { id: string; user: Caller };

const setChinaTime = (iso: string) => {
  clock.offsetMs = DateTime.fromISO(iso, { zone: 'Asia/Shanghai' }).toMillis() - Date.now();
};
type Fruit = {
  id: string;
  nameZh: string;
  ripeningDays: [number, number];
  goodDays: number;
  edibleDays: { from: number; until: number } | null;
  seasons: { origin: string; months: number[] }[];
  ethylene: { producer: boolean; sensitive: boolean };
  unitCost: string;
  orchardId: string | null;
  orchardName: string | null;
  active: boolean;
};
const catalogue = async () =>
  (await t.http.get('/v1/fruit-catalogue').set(operator.auth).expect(200)).body as { items: Fruit[]; orchards: { id: string; name: string }[] };
const fruit = async (id: string) => (await catalogue()).items.find((f) => f.id === id)!;
const patch = (id: string, body: object) => t.http.patch(`/v1/fruits/${id}`).set(operator.auth).send(body);

beforeAll(async () => {
  setChinaTime('2027-04-05T09:00');
  t = await startTestApp({ clock });
  operator = await anOperator(t);
  orchard = await aFactory(t, operator, 'orchard');
  for (const f of (await t.http.get('/v1/fruits').expect(200)).body.items) await patch(f.id, { orchardId: orchard.id }).expect(200);
});
afterAll(() => t.close());

describe('the catalogue', () => {
  test('operators read every fruit with its supplier and guaranteed edible days; a fruit that ripens longer than it keeps is shown never edible', async () => {
    const { items, orchards } = await catalogue();
    expect(orchards.map((o) => o.id)).toEqual([orchard.id]);
    const mango = items.find((f) => f.id === 'mango')!;
    expect(mango).toMatchObject({ nameZh: '芒果', ripeningDays: [3, 4], goodDays: 4, edibleDays: { from: 4, until: 6 }, orchardId: orchard.id });
    expect(mango.orchardName).toBe(orchards[0].name);
    // Avocado ripens in 2–5 days and keeps 2: no day is sure to find it ripe and still good.
    expect(items.find((f) => f.id === 'avocado')).toMatchObject({ ripeningDays: [2, 5], goodDays: 2, edibleDays: null });
  });

  test('each bad field is refused with its reason and limit, and nothing changes', async () => {
    const before = await fruit('mango');
    const refusals: [object, object[]][] = [
      [{ ripeningMinDays: 5 }, [{ path: 'body.ripeningMinDays', reason: 'above_ripening_max', limit: 4 }]],
      [{ ripeningMaxDays: 2 }, [{ path: 'body.ripeningMaxDays', reason: 'below_ripening_min', limit: 3 }]],
      [{ goodDays: 0 }, [{ path: 'body.goodDays', reason: 'too_small', limit: 1 }]],
      [{ unitCost: '100000.01' }, [{ path: 'body.unitCost', reason: 'too_big', limit: 100000 }]],
      [{ seasons: [{ origin: '海南', months: [3, 4, 4] }] }, [{ path: 'body.seasons.0.months', reason: 'duplicate_month' }]],
      [
        {
          seasons: [
            { origin: '海南', months: [3, 4] },
            { origin: '海南', months: [5] },
          ],
        },
        [{ path: 'body.seasons.1.origin', reason: 'duplicate_origin' }],
      ],
      [{ seasons: [] }, [{ path: 'body.seasons', reason: 'too_few', limit: 1 }]],
      [
        { seasons: [{ origin: '', months: [13] }] },
        [
          { path: 'body.seasons.0.origin', reason: 'required' },
          { path: 'body.seasons.0.months.0', reason: 'too_big', limit: 12 },
        ],
      ],
      [{}, [{ path: 'body', reason: 'nothing_to_change' }]],
      [
        { ripening: 3 },
        [
          { path: 'body', reason: 'unknown_field' },
          { path: 'body', reason: 'nothing_to_change' },
        ],
      ],
    ];
    for (const [body, errors] of refusals) {
      const refused = await patch('mango', body).expect(400);
      expect({ body, code: refused.body.code, errors: refused.body.errors }).toEqual({
        body,
        code: 'validation_failed',
        errors: errors.map((e) => expect.objectContaining(e)),
      });
    }
    const manufacturer = await aFactory(t, operator);
    const notOrchard = await patch('mango', { orchardId: manufacturer.id }).expect(400);
    expect(notOrchard.body.errors).toEqual([expect.objectContaining({ path: 'body.orchardId', reason: 'not_an_orchard' })]);
    expect(await fruit('mango')).toEqual(before);
  });

  test('ripening, keeping, seasons, ethylene, cost and supplier are changed; a fruit taken out of the catalogue stays for operators and comes back', async () => {
    const changed = await patch('kiwi', {
      ripeningMinDays: 1,
      ripeningMaxDays: 3,
      goodDays: 6,
      seasons: [
        { origin: '陕西周至', months: [9, 10, 11, 12] },
        { origin: 'New Zealand 新西兰', months: [4, 5, 6] },
      ],
      ethylene: { producer: false, sensitive: true },
      unitCost: '1.35',
    }).expect(200);
    expect(changed.body).toMatchObject({ id: 'kiwi', ripeningDays: [1, 3], goodDays: 6, edibleDays: { from: 3, until: 6 }, unitCost: '1.35' });
    expect((await t.http.get('/v1/fruits').expect(200)).body.items.find((f: Fruit) => f.id === 'kiwi')).toMatchObject({
      ripeningDays: [1, 3],
      seasons: [
        { origin: '陕西周至', months: [9, 10, 11, 12] },
        { origin: 'New Zealand 新西兰', months: [4, 5, 6] },
      ],
      ethylene: { producer: false, sensitive: true },
    });

    await patch('kiwi', { active: false }).expect(200);
    expect((await t.http.get('/v1/fruits').expect(200)).body.items.map((f: Fruit) => f.id)).not.toContain('kiwi');
    expect(await fruit('kiwi')).toMatchObject({ active: false, goodDays: 6 });
    await patch('kiwi', { active: true, orchardId: null }).expect(200);
    expect(await fruit('kiwi')).toMatchObject({ active: true, orchardId: null, orchardName: null });
    await patch('kiwi', { orchardId: orchard.id }).expect(200);

    // Each change is in the audit log under the fruit, by this operator.
    const entries = (await t.http.get('/v1/audit-log?subjectId=kiwi&limit=100').set(operator.auth).expect(200)).body.items;
    expect(entries.slice(0, 4).map((e: { method: string; route: string; status: string }) => [e.method, e.route, e.status])).toEqual(
      Array(4).fill(['PATCH', '/v1/fruits/:id', 'succeeded']),
    );
    expect(entries.every((e: { actor: { userId: string } }) => e.actor.userId === operator.userId)).toBe(true);
    const refused = (await t.http.get('/v1/audit-log?subjectId=mango&limit=100').set(operator.auth).expect(200)).body.items;
    expect(refused.some((e: { status: string }) => e.status === 'refused')).toBe(true);
  });

  test('only operators', async () => {
    for (const who of [orchard.user, await aConsumer(t)]) {
      await t.http.get('/v1/fruit-catalogue').set(who.auth).expect(403);
      await t.http.get('/v1/shortfalls?shipDate=2027-04-09').set(who.auth).expect(403);
      await t.http.get('/v1/picking-lists?shipDate=2027-04-09').set(who.auth).expect(403);
      await t.http.get('/v1/ship-dates?from=2027-04-05').set(who.auth).expect(403);
      await patch('mango', {}).set(who.auth).expect(403);
    }
  });
});

describe('an orchard short of a fruit', () => {
  type ShortBox = {
    boxId: string;
    subscriptionId: string;
    status: string;
    askedUnits: number;
    shareUnits: number;
    gotUnits: number;
    short: boolean;
    instead: { fruitId: string; nameZh: string; units: number }[];
    shortDays: { date: string; missingPortions: number }[];
    price: string;
  };
  type Shortfalls = {
    week: string;
    fruits: {
      fruitId: string;
      nameZh: string;
      orchardName: string;
      committedUnits: number | null;
      askedUnits: number;
      sharedUnits: number;
      shortBoxes: number;
      boxes: ShortBox[];
    }[];
  };
  const shortfalls = async (shipDate: string) => (await t.http.get(`/v1/shortfalls?shipDate=${shipDate}`).set(operator.auth).expect(200)).body as Shortfalls;
  type Box = { id: string; subscriptionId: string; shipDate: string; status: string; items: { fruitId: string; units: number }[] };
  const boxesOn = async (shipDate: string) => (await t.http.get(`/v1/boxes?shipDate=${shipDate}&limit=100`).set(operator.auth).expect(200)).body.items as Box[];
  const unitsIn = (box: Box, fruitId: string) => box.items.filter((i) => i.fruitId === fruitId).reduce((s, i) => s + i.units, 0);

  /** The orchard answers the line of a fruit and week on a freshly published batch. */
  const commit = async (fruitId: string, week: string, quantity: (expected: number) => number, shipBy: string) => {
    const batchId = (await t.http.post(`/v1/factories/${orchard.id}/forecast-batches`).set(operator.auth).expect(200)).body.batch.id;
    const batch = (await t.http.get(`/v1/factory/forecast-batches/${batchId}`).set(orchard.user.auth).expect(200)).body;
    const line = batch.lines.find((l: { sourceKey: string; shipWeek: string }) => l.sourceKey === `fruit:${fruitId}` && l.shipWeek === week);
    await t.http.post(`/v1/factory/forecast-batches/${batchId}/acknowledge`).set(orchard.user.auth).expect(200);
    const units = quantity(line.expectedUnits);
    await t.http
      .post(`/v1/factory/forecast-batches/${batchId}/commit`)
      .set(orchard.user.auth)
      .send({ lines: [{ lineId: line.id, quantity: units, shipBy, ...(units < line.firmUnits || units < line.expectedUnits ? { reason: 'capacity' } : {}) }] })
      .expect(200);
    await runDue(t, clock);
    return { units, expected: line.expectedUnits as number };
  };

  test('the boxes of the date share what was committed in proportion to what they asked; each short box shows what it got instead or the days left short; a larger commitment gives it back', async () => {
    setChinaTime('2027-04-05T09:00');
    // Three households of different sizes, the same delivery day: their first boxes ship on Friday 9 April.
    const consumers = await Promise.all([aConsumer(t), aConsumer(t), aConsumer(t)]);
    for (const [i, c] of consumers.entries()) await subscribe(t, c, clock, { householdSize: [1, 3, 5][i] }).expect(201);
    const shipDate = '2027-04-09';
    const week = '2027-W14';
    const before = await boxesOn(shipDate);
    expect(before).toHaveLength(3);
    expect((await shortfalls(shipDate)).fruits).toEqual([]);

    // The fruit these boxes hold most of.
    const need = new Map<string, number>();
    for (const item of before.flatMap((b) => b.items)) need.set(item.fruitId, (need.get(item.fruitId) ?? 0) + item.units);
    const [fruitId, asked] = [...need.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0];
    const askedBy = new Map(before.map((b) => [b.id, unitsIn(b, fruitId)]));

    const { units: committed } = await commit(fruitId, week, (expected) => Math.floor(expected / 2), shipDate);
    expect(committed).toBeLessThan(asked);

    const report = await shortfalls(shipDate);
    expect(report.week).toBe(week);
    const short = report.fruits.find((f) => f.fruitId === fruitId)!;
    expect(short).toMatchObject({ committedUnits: committed, askedUnits: asked, sharedUnits: committed });
    const after = new Map((await boxesOn(shipDate)).map((b) => [b.id, b]));
    expect(short.boxes.map((b) => b.boxId).sort()).toEqual([...askedBy.keys()].filter((id) => askedBy.get(id)! > 0).sort());
    for (const box of short.boxes) {
      expect(box.askedUnits).toBe(askedBy.get(box.boxId));
      // Everyone gets the same share of what they asked for, give or take the whole unit of rounding.
      expect(Math.abs(box.shareUnits - (box.askedUnits * committed) / asked)).toBeLessThan(1);
      expect(box.gotUnits).toBe(unitsIn(after.get(box.boxId)!, fruitId));
      expect(box.gotUnits).toBeLessThanOrEqual(box.shareUnits);
      expect(box.short).toBe(box.shareUnits < box.askedUnits);
      // A box cut short either got other fruit instead, or says which days are short.
      if (box.short) expect(box.instead.length + box.shortDays.length).toBeGreaterThan(0);
      for (const other of box.instead) {
        const was = before.find((b) => b.id === box.boxId)!;
        expect(unitsIn(after.get(box.boxId)!, other.fruitId) - unitsIn(was, other.fruitId)).toBe(other.units);
        expect(other.nameZh).toMatch(/\p{Script=Han}/u);
      }
    }
    expect(short.shortBoxes).toBe(short.boxes.filter((b) => b.short).length);
    expect(short.shortBoxes).toBeGreaterThan(0);
    const dates = (await t.http.get('/v1/ship-dates?from=2027-04-05&days=7').set(operator.auth).expect(200)).body.items;
    expect(dates).toEqual([{ shipDate, boxesByStatus: { planned: 3, locked: 0, paid: 0, shipped: 0, cancelled: 0 }, shortBoxes: short.shortBoxes }]);

    // The orchard finds the fruit after all: every box gets back what it asked for.
    await commit(fruitId, week, () => asked, shipDate);
    const backAgain = (await shortfalls(shipDate)).fruits.find((f) => f.fruitId === fruitId)!;
    expect(backAgain).toMatchObject({ committedUnits: asked, askedUnits: asked, sharedUnits: asked, shortBoxes: 0 });
    for (const box of backAgain.boxes) expect(box).toMatchObject({ askedUnits: askedBy.get(box.boxId), shareUnits: askedBy.get(box.boxId), short: false });
  });

  test("the picking list of a ship date: every orchard's fruit in the boxes locked at their cutoff, as JSON and as CSV", async () => {
    const shipDate = '2027-04-09';
    const empty = (await t.http.get(`/v1/picking-lists?shipDate=${shipDate}`).set(operator.auth).expect(200)).body;
    expect(empty).toMatchObject({ shipDate, items: [], boxesByStatus: { planned: 3, locked: 0 } });

    // Past the cutoff (Wednesday 20:00): the boxes are locked and picked.
    setChinaTime('2027-04-07T20:05');
    await t.db.transaction((tx) => t.app.jobs.enqueue(tx, 'subscriptions.lock-due-boxes', {}));
    await runDue(t, clock);
    const locked = await boxesOn(shipDate);
    expect(locked.map((b) => b.status)).toEqual(['locked', 'locked', 'locked']);

    const list = (await t.http.get(`/v1/picking-lists?shipDate=${shipDate}`).set(operator.auth).expect(200)).body;
    expect(list.boxesByStatus).toMatchObject({ planned: 0, locked: 3 });
    const want = new Map<string, number>();
    for (const item of locked.flatMap((b) => b.items)) want.set(item.fruitId, (want.get(item.fruitId) ?? 0) + item.units);
    expect(new Map(list.items.map((i: { fruitId: string; units: number }) => [i.fruitId, i.units]))).toEqual(want);
    const orchardName = (await catalogue()).orchards[0].name;
    for (const item of list.items) expect(item).toMatchObject({ orchardId: orchard.id, orchardName, nameZh: expect.stringMatching(/\p{Script=Han}/u) });
    // The orchard's own list says the same.
    const own = (await t.http.get(`/v1/factory/picking-lists?shipDate=${shipDate}`).set(orchard.user.auth).expect(200)).body.items;
    expect(own.map((i: { fruitId: string; units: number }) => [i.fruitId, i.units])).toEqual(
      list.items.map((i: { fruitId: string; units: number }) => [i.fruitId, i.units]),
    );

    const csv = await t.http
      .get(`/v1/picking-lists?shipDate=${shipDate}&format=csv`)
      .set(operator.auth)
      .buffer(true)
      .parse((res, done) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => done(null, Buffer.concat(chunks)));
      });
    expect(csv.status).toBe(200);
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    expect(csv.headers['content-disposition']).toContain(`picking-list-${shipDate}.csv`);
    const text = (csv.body as Buffer).toString('utf8');
    expect(text.startsWith('\uFEFF')).toBe(true);
    const rows = text.slice(1).trim().split('\r\n');
    expect(rows[0]).toBe('发货日期 ship date,果园 orchard,水果 fruit,fruit,单位 unit,数量 units,箱数 boxes');
    expect(rows).toHaveLength(list.items.length + 1);
    const first = list.items[0];
    expect(rows[1]).toBe(
      `${shipDate},${orchardName},${first.nameZh},${first.nameEn},${first.unit === 'kg' ? '公斤 kg' : '个 piece'},${first.units},${first.boxes}`,
    );
  });
});
