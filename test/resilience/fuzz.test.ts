import fc from 'fast-check';
import { PaymentRow } from '../../src/payments';
import { formatMoney, parseMoney } from '../../src/platform/money';
import { signatureHeader } from '../../src/platform/signature';
import type { RouteDef } from '../../src/platform/http';
import type { Role } from '../../src/platform/http/principal';
import { aSession } from '../support/builders';
import { anOpenCampaign, expectLedgerReconciles, paidPledge } from '../support/campaigns';
import { advance } from '../support/clock';
import { type Body, type FuzzCase, type WireContext, invalidCase, toWire, validCase } from './support/fuzz-cases';
import { problemViolations, serve, type WireRequest, type WireResponse } from './support/fuzz-client';
import { moneyInvariantViolations } from './support/fuzz-invariants';
import { NASTY_STRINGS, loadSpec, operationsOf, ref, type Hints, type Operation } from './support/fuzz-openapi';
import { buildWorld, campaignInputOf, type World } from './support/fuzz-world';

/**
 * Requests generated from docs/openapi.yaml against every route of the real app on a real port and the
 * test database: valid ones (built from the schemas, with ids of real records and tokens of the right
 * role) and ones broken in one way each. Never a 5xx; every error a problem+json; whatever the document
 * says must be refused, refused; and afterwards the ledger reconciles and the money invariants hold.
 *
 *   FUZZ_REQUESTS=10000 FUZZ_CONCURRENCY=16 FUZZ_SEED=<seed> npx jest -c jest.resilience.config.js test/resilience/fuzz.test.ts
 */
const REQUESTS = Number(process.env.FUZZ_REQUESTS ?? 10_000);
const CONCURRENCY = Number(process.env.FUZZ_CONCURRENCY ?? 16);
const SEED = process.env.FUZZ_SEED !== undefined ? Number(process.env.FUZZ_SEED) : Math.floor(Math.random() * 2 ** 31);
const MINUTE = 60_000;

let world: World;
let server: Awaited<ReturnType<typeof serve>>;

beforeAll(async () => {
  // Sign-in and SMS limits have their own tests (security-limits.test.ts, phone-auth.test.ts); here they would only hide the code behind 429s.
  world = await buildWorld({ env: { LOGIN_RATE_LIMIT_PER_15_MIN: '1000000', SMS_CODES_PER_ADDRESS_PER_HOUR: '1000000' } });
  server = await serve(world.t.app.http);
});
afterAll(async () => {
  await server?.close();
  await world?.close();
});

test(`${REQUESTS} generated requests, valid and invalid, on every route: no 5xx, problems well-formed, the ledger reconciles`, async () => {
  const { t } = world;
  const operations = operationsOf(loadSpec());
  const routes = new Map(t.app.routes.map((r) => [`${r.method} ${r.path.replace(/:(\w+)/g, '{$1}')}`, r]));
  expect(operations.filter((op) => !routes.has(op.name)).map((op) => op.name)).toEqual([]);
  const routeOf = (op: Operation): RouteDef => routes.get(op.name)!;
  const methodsOfPath = (path: string) => operations.filter((op) => op.path === path).map((op) => op.method);

  const pools = poolsOf(world);
  // Valid requests come from alice mostly, so that they often name her own pledges, payments and
  // subscriptions; the others' records answer 404 (which security-tenants.test.ts checks in full).
  const consumerTokens = [world.alice, world.alice, world.alice, world.bob, world.carol].map((c) => c.auth);
  // Sign-outs end sessions of their own, so that the tokens every other request uses stay signed in.
  const spareSessions = await Promise.all(Array.from({ length: 4 }, async () => (await aSession(world.t, world.carol.email, world.carol.password)).auth));
  const context = { routeOf, hints: hints(world), bodies: bodies(world), pathPools: PATH_POOLS };
  // Each operation's generators are built once: building them per case would cost more than sending it.
  const anyCase = fc.oneof(
    ...operations.map((op) =>
      fc.oneof({ weight: 9, arbitrary: validCase(op, context) }, { weight: 11, arbitrary: invalidCase(op, context, methodsOfPath(op.path)) }),
    ),
  );

  let keys = 0;
  const wire: WireContext = {
    pick: (pool, n) => {
      const items = pools[pool] ?? [];
      return items.length === 0 ? crypto.randomUUID() : items[n % items.length];
    },
    credentials: (roles: readonly Role[], operation: string) =>
      operation === 'post /v1/auth/logout'
        ? spareSessions
        : [
            ...(roles.includes('consumer') ? consumerTokens : []),
            ...(roles.includes('operator') ? [world.operator.auth] : []),
            ...(roles.includes('factory') ? [world.a.user.auth, world.a.key.auth, world.b.user.auth, world.b.key.auth] : []),
          ],
    tokens: () => [world.alice, world.bob, world.operator, world.a.user, world.b.user].map((c) => c.token),
    revokedKey: world.revokedKey,
    routeOf,
    freshKey: () => `fuzz-${SEED}-${keys++}`,
    notification: (paymentId, body) => signedNotification(world, paymentId, body, () => `evt_fuzz_${SEED}_${keys++}`),
  };

  const stats = new Stats();
  const written: Written[] = [];
  /** Sends one batch of cases at once; throws with every failing request described. */
  const sendAll = async (cases: FuzzCase[]) => {
    const requests: WireRequest[] = [];
    for (const c of cases) requests.push(await toWire(c, wire));
    const responses = await Promise.all(requests.map((r) => server.send(r).catch((error: Error) => error)));
    const failures: string[] = [];
    cases.forEach((c, i) => {
      const res = responses[i];
      if (res instanceof Error) {
        failures.push(describe(c, requests[i], undefined, [`no answer: ${res.message}`]));
        return;
      }
      stats.count(c, res);
      const problems = violations(c, res);
      if (problems.length > 0) failures.push(describe(c, requests[i], res, problems));
      else {
        harvest(c, requests[i], res, pools, consumerTokens, world.alice.auth.Authorization);
        remember(c, res, written);
      }
    });
    if (failures.length > 0) throw new Error(failures.join('\n\n'));
  };
  const failed = (error: unknown, where: string) =>
    new Error(`The fuzz failed (${where}). Replay it with FUZZ_SEED=${SEED}.\n\n${error instanceof Error ? error.message : String(error)}`);

  // First every operation once well-formed and once broken, so that even a short run reaches every route; then at random.
  const sweep = operations.flatMap((op, i) =>
    [validCase(op, context), invalidCase(op, context, methodsOfPath(op.path))].map((arb, j) => fc.sample(arb, { seed: SEED + 2 * i + j, numRuns: 1 })[0]),
  );
  for (let i = 0; i < sweep.length; i += CONCURRENCY) {
    await sendAll(sweep.slice(i, i + CONCURRENCY)).catch((error: unknown) => {
      throw failed(error, 'sweep of every operation');
    });
  }
  const property = fc.asyncProperty(fc.array(anyCase, { minLength: CONCURRENCY, maxLength: CONCURRENCY }), sendAll);
  const run = await fc.check(property, { seed: SEED, numRuns: Math.max(0, Math.ceil((REQUESTS - sweep.length) / CONCURRENCY)), endOnFailure: true });
  process.stdout.write(stats.report(SEED));
  if (run.failed) throw failed(run.errorInstance, `fast-check path ${run.counterexamplePath}`);

  // Every amount accepted reads back as it was answered: nothing rounded, overflowed or truncated on the way to the database.
  const changed: string[] = [];
  for (const w of written) {
    const res = await server.send({ method: 'GET', path: w.path, headers: { authorization: world.operator.auth.Authorization } });
    const now = JSON.parse(res.text) as Record<string, unknown>;
    for (const field of w.fields)
      if (JSON.stringify(now[field]) !== JSON.stringify(w.answered[field]))
        changed.push(`${w.path} ${field}: answered ${JSON.stringify(w.answered[field])}, reads back ${JSON.stringify(now[field])}`);
  }
  expect(changed).toEqual([]);

  // The money: right after the storm (settlements still queued), once the jobs it left have run, and
  // again once the deposits left unpaid have expired.
  await expectLedgerReconciles(t);
  expect(await moneyInvariantViolations(t)).toEqual([]);
  // The storm may have told the sandbox bank to reject the next refunds (POST /v1/sandbox/refund-faults, a test-mode
  // route it reaches like any other), hundreds of them: refunds are then retried until the bank takes them, as they
  // must be, and would still be retrying when the clock moves on below. The bank recovers: what is checked next is
  // that the jobs the storm left finish, and the money with them.
  world.t.app.services.sandbox.clearRefundFaults();
  // Hundreds of jobs (settlements, forecast versions, box plans) are due: on a busy two-core machine they
  // take longer than advance() waits, so they run first, with time to spare (seconds, when all is well).
  expect((await t.app.jobs.runDueJobs(180_000)).pending.map((j) => `${j.name}: ${j.failCount} failures ${j.failReason ?? ''}`)).toEqual([]);
  await expectLedgerReconciles(t);
  expect(await moneyInvariantViolations(t)).toEqual([]);
  await advance(t, world.clock, 20 * MINUTE);
  await expectLedgerReconciles(t);
  expect(await moneyInvariantViolations(t)).toEqual([]);
});

test('amounts at the edge of what the API accepts are exact on the way back, and the edge is enforced', async () => {
  const { t, operator, alice } = world;
  // The highest unit price, the highest deposit the law allows (20%, 定金), the largest pledge: ¥2,000,000,000.00 in one payment.
  const c = await anOpenCampaign(t, operator, world.a.id, world.clock, {
    referencePrice: '1000000.00',
    depositRate: '0.2',
    tiers: [{ minUnits: 1, unitPrice: '1000000.00' }],
  });
  const paid = await paidPledge(t, alice, c.id, { colour: 'navy', size: 'M' }, 10_000);
  const read = (await t.http.get(`/v1/pledges/${paid.id}`).set(alice.auth).expect(200)).body;
  expect({ deposit: read.deposit, status: read.status, payment: read.payments[0].amount }).toEqual({
    deposit: '2000000000.00',
    status: 'active',
    payment: '2000000000.00',
  });
  expect((await t.http.get(`/v1/campaigns/${c.id}`).expect(200)).body).toMatchObject({ referencePrice: '1000000.00', depositPerUnit: '200000.00' });
  const over = await t.http
    .post('/v1/campaigns')
    .set(operator.auth)
    .send({ ...(await campaignInputOf(t, c.id)), referencePrice: '1000000.01' })
    .expect(400);
  expect(over.body.errors).toContainEqual(expect.objectContaining({ path: 'body.referencePrice', message: 'must be at most 1000000.00' }));

  // Active again: the fuzz before may have taken mango off the catalogue, which lists active fruit only.
  await t.http.patch('/v1/fruits/mango').set(operator.auth).send({ unitCost: '100000.00', active: true }).expect(200);
  expect((await t.http.get('/v1/fruits').expect(200)).body.items.find((f: { id: string }) => f.id === 'mango').unitCost).toBe('100000.00');
  expect((await t.http.patch('/v1/fruits/mango').set(operator.auth).send({ unitCost: '100000.01' }).expect(400)).body.errors).toEqual([
    expect.objectContaining({ path: 'body.unitCost' }),
  ]);
  await expectLedgerReconciles(t);
});

/** What a response must be, whatever the request. */
function violations(c: FuzzCase, res: WireResponse): string[] {
  const found: string[] = [];
  if (res.status >= 500) found.push(`a ${res.status}: a 5xx is a bug`);
  if (res.status >= 400) found.push(...problemViolations(res));
  if (c.refused && res.status < 400) found.push(`accepted (${res.status}) a request that must be refused`);
  if (c.label === 'valid') {
    const code = res.status >= 400 ? (JSON.parse(res.text) as { code?: string }).code : undefined;
    // A sign-out's session may have been ended by an earlier sign-out of this run: then its token is refused, rightly.
    const signedOutBefore = code === 'unauthenticated' && c.op.name === 'post /v1/auth/logout';
    if ((code === 'unauthenticated' && !signedOutBefore) || code === 'forbidden') found.push(`refused the credentials of a caller the route is for (${code})`);
    if (res.status < 300 && !c.op.statuses.includes(String(res.status)))
      found.push(`answered ${res.status}, which docs/openapi.yaml does not list for this operation`);
  }
  return found;
}

function describe(c: FuzzCase, req: WireRequest, res: WireResponse | undefined, problems: string[]): string {
  const body = req.body ? req.body.toString('utf8') : '';
  const shown = body.length > 600 ? `${body.slice(0, 600)}… (${body.length} bytes)` : body;
  return [
    `${c.op.name} [${c.label}]: ${problems.join('; ')}`,
    `  request: ${req.method} ${req.path.slice(0, 300)}  headers ${JSON.stringify({ ...req.headers, authorization: req.headers.authorization ? '(set)' : undefined })}`,
    `  body: ${shown}`,
    res ? `  response: ${res.status} ${res.headers['content-type'] ?? ''} ${res.text.slice(0, 600)}` : '',
  ].join('\n');
}

/** Records that later requests can name: the ids a successful answer makes known. */
function harvest(
  c: FuzzCase,
  req: WireRequest,
  res: WireResponse,
  pools: Record<string, unknown[]>,
  consumerTokens: { Authorization: string }[],
  alice: string,
): void {
  if (res.status >= 300 || !String(res.headers['content-type']).startsWith('application/json')) return;
  const body = JSON.parse(res.text);
  const add = (pool: string, ...values: unknown[]) => {
    for (const value of values) if (value !== undefined && value !== null && pools[pool].length < 400 && !pools[pool].includes(value)) pools[pool].push(value);
  };
  const remove = (pool: string, value: unknown) => {
    if (pools[pool].includes(value)) pools[pool].splice(pools[pool].indexOf(value), 1);
  };
  switch (c.op.name) {
    case 'post /v1/campaigns':
      add('drafts', body.id);
      return add('campaigns', body.id);
    case 'post /v1/campaigns/{id}/publish':
      remove('drafts', body.id);
      return body.status === 'open' ? add('open-campaigns', body.id) : undefined;
    case 'post /v1/campaigns/{id}/close':
    case 'post /v1/campaigns/{id}/cancel':
      return remove('open-campaigns', body.id);
    case 'post /v1/campaigns/{id}/pledges':
      add('pledges', body.id);
      if (req.headers.authorization === alice) add('own-pledges', body.id);
      return add('payments', body.depositPayment.id);
    case 'post /v1/pledges/{id}/balance-payment':
      return add('payments', body.balancePayment.id);
    case 'post /v1/subscriptions':
      if (req.headers.authorization === alice) add('own-subscriptions', body.id);
      return add('subscriptions', body.id);
    case 'post /v1/factories':
      return add('factories', body.id);
    case 'post /v1/factories/{id}/api-keys':
      return add('api-keys', body.id);
    case 'post /v1/factories/{id}/forecast-batches':
      return add('forecast-batches', body.batch?.id);
    case 'get /v1/factory/forecast-batches/{id}':
      return add('lines', ...body.lines.map((l: { id: string }) => l.id));
    case 'get /v1/boxes':
      return add('boxes', ...body.items.map((b: { id: string }) => b.id));
    case 'post /v1/auth/phone/code':
      // The code itself, echoed by the sandbox: a later verify of it signs in (or finds it used).
      return add('phone-codes', { phone: JSON.parse(req.body!.toString('utf8')).phone, code: body.sandboxCode });
    case 'post /v1/auth/register': {
      const { email, password } = JSON.parse(req.body!.toString('utf8'));
      add('credentials', { email, password });
      if (consumerTokens.length < 12) consumerTokens.push({ Authorization: `Bearer ${body.token}` });
    }
  }
}

/** The records requests can name, by kind: seeded, then grown (and, for the state-bound ones, shrunk) by harvest(). */
function poolsOf(w: World): Record<string, unknown[]> {
  return {
    ...w.pools,
    variants: [...w.variants, { colour: 'black' }, { colour: 'navy' }],
    credentials: [w.alice, w.bob, w.carol, w.operator].map(({ email, password }) => ({ email, password })),
    'phone-codes': [{ phone: '13800138000', code: '000000' }],
    'open-campaigns': [w.campaigns.openA, w.campaigns.openB],
    drafts: [w.campaigns.draftA],
    'awaiting-balance': [w.alice.awaitingBalancePledgeId, w.bob.awaitingBalancePledgeId],
    // Alice's own records (seeded, and made by her requests), for the routes that act on the caller's own.
    'own-pledges': [w.alice.activePledgeId, w.alice.unpaidPledgeId],
    'own-subscriptions': [w.alice.subscriptionId],
  };
}

/** Where an operation's {id} mostly comes from, when a record of its kind would rarely be in the state it acts on. */
const PATH_POOLS: Record<string, [pool: string, weight: number][]> = {
  'post /v1/campaigns/{id}/pledges': [
    ['open-campaigns', 6],
    ['campaigns', 1],
  ],
  'post /v1/campaigns/{id}/quote': [
    ['open-campaigns', 6],
    ['campaigns', 1],
  ],
  'post /v1/campaigns/{id}/publish': [
    ['drafts', 3],
    ['campaigns', 1],
  ],
  'patch /v1/campaigns/{id}': [
    ['drafts', 3],
    ['campaigns', 1],
  ],
  'post /v1/pledges/{id}/balance-payment': [
    ['awaiting-balance', 3],
    ['pledges', 1],
  ],
  'post /v1/pledges/{id}/cancel': [
    ['own-pledges', 3],
    ['pledges', 1],
  ],
  'post /v1/subscriptions/{id}/skip': [
    ['own-subscriptions', 3],
    ['subscriptions', 1],
  ],
  'post /v1/subscriptions/{id}/pause': [
    ['own-subscriptions', 3],
    ['subscriptions', 1],
  ],
  'post /v1/subscriptions/{id}/resume': [
    ['own-subscriptions', 3],
    ['subscriptions', 1],
  ],
  // The money desk's record view: an id of any kind of record it shows ({kind} is one of them, chosen apart).
  'get /v1/console/money/{kind}/{id}': [
    ['pledges', 2],
    ['payments', 2],
    ['refunds', 1],
    ['subscriptions', 1],
    ['boxes', 1],
  ],
};

/** The amounts of a record as the API answered when it was made. */
interface Written {
  path: string;
  fields: string[];
  answered: Record<string, unknown>;
}

const AMOUNTS: Record<string, { path(id: string): string; fields: string[] }> = {
  'post /v1/campaigns': { path: (id) => `/v1/campaigns/${id}`, fields: ['referencePrice', 'depositRate', 'depositPerUnit', 'tiers'] },
  'post /v1/campaigns/{id}/pledges': { path: (id) => `/v1/pledges/${id}`, fields: ['quantity', 'depositPerUnit', 'deposit'] },
};

function remember(c: FuzzCase, res: WireResponse, written: Written[]): void {
  const amounts = AMOUNTS[c.op.name];
  if (!amounts || res.status >= 300) return;
  const answered = JSON.parse(res.text) as Record<string, unknown>;
  written.push({ path: amounts.path(String(answered.id)), fields: amounts.fields, answered });
}

/** Values the schemas alone would almost never make meaningful: ids of real records, regions, our own webhook receiver. */
function hints(w: World): Hints {
  const money = fc
    .oneof(fc.integer({ min: 1, max: 200_000 }), fc.integer({ min: 1, max: 10_000_000_000 }))
    .map((fen) => formatMoney(parseMoney('0').plus(fen).dividedBy(100)));
  const date = (from: number, to: number) =>
    fc.integer({ min: from, max: to }).map((d) => new Date(w.clock.now().getTime() + d * 86_400_000).toISOString().slice(0, 10));
  return {
    factoryId: ref('factories'),
    orchardId: fc.oneof(fc.constant(w.orchardId), ref('factories'), fc.constant(null)),
    lineId: ref('lines'),
    boxIds: fc.array(ref('boxes'), { minLength: 1, maxLength: 3 }),
    planId: ref('plans'),
    exclusions: fc.array(ref('fruits'), { maxLength: 3 }),
    region: fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom('shanghai', 'beijing', 'chengdu', 'urumqi', 'atlantis') },
      { weight: 1, arbitrary: fc.constantFrom(...NASTY_STRINGS) },
    ),
    url: fc.stringMatching(/^[a-z]{1,8}$/).map((p) => `${w.sinkUrl}/${p}`),
    variant: ref('variants'),
    imageUrl: fc.oneof(fc.constantFrom('https://img.example.com/jacket.jpg', 'https://img.example.com/a b/<x>".png'), fc.constantFrom(...NASTY_STRINGS)),
    email: fc.uuid({ version: 4 }).map((u) => `fuzz-${u.slice(0, 13)}@example.com`),
    // Mainland mobile numbers as people type them, from a few numbers (so codes meet their limits) and many.
    phone: fc.oneof(
      fc.constantFrom('13800138000', '+86 139 0000 0001', '+8615000000002', '0086-186-0000-0003'),
      fc
        .tuple(fc.constantFrom('3', '5', '7', '8', '9'), fc.integer({ min: 0, max: 999_999_999 }))
        .map(([second, n]) => `1${second}${String(n).padStart(9, '0')}`),
    ),
    code: fc.oneof(fc.stringMatching(/^\d{6}$/), fc.constant('000000')),
    unitCost: money,
    referencePrice: money,
    startDate: date(0, 30),
    // The seeded subscriptions deliver on Wednesdays: mostly a Wednesday, sometimes any day.
    deliveryDate: fc.oneof(wednesday(w, 0, 5), date(0, 30)),
    until: date(1, 40),
    from: date(0, 20),
    shipBy: date(0, 60),
    seasons: fc.array(
      fc.record({ origin: fc.constantFrom('Hainan', 'Yunnan'), months: fc.uniqueArray(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 12 }) }),
      { minLength: 1, maxLength: 2 },
    ),
  };
}

/** Bodies whose fields depend on each other beyond what a schema says (a campaign's tiers, prices and window; a sign-in's password). */
function bodies(w: World): Record<string, fc.Arbitrary<unknown>> {
  const now = () => w.clock.now().getTime();
  const campaign = fc
    .record({
      factoryId: ref('factories'),
      title: fc.oneof(
        fc.string({ minLength: 1, maxLength: 60 }),
        fc.constantFrom('=HYPERLINK("http://evil.example","x")', '+cmd', '-1+2', '@SUM(1)', '羽绒服 联名预售'),
      ),
      productName: fc.string({ minLength: 1, maxLength: 40 }),
      twoDimensions: fc.boolean(),
      // Up to a hundred trillion yuan a unit: amounts no campaign has, at the edge of what a fen column holds.
      // Mostly ordinary prices; sometimes around the highest price a unit may have (1,000,000.00), or far past it.
      referenceFen: fc.oneof(
        { weight: 8, arbitrary: fc.bigInt({ min: 100n, max: 500_000n }) },
        { weight: 1, arbitrary: fc.bigInt({ min: 100_000_000n - 1000n, max: 100_000_000n + 10n }) },
        { weight: 1, arbitrary: fc.bigInt({ min: 10n ** 15n, max: 10n ** 16n - 1n }) },
      ),
      rateBasisPoints: fc.constantFrom(1000n, 2000n, 500n, 10_000n),
      tierCount: fc.integer({ min: 1, max: 3 }),
      firstMinUnits: fc.integer({ min: 1, max: 30 }),
      cap: fc.option(fc.integer({ min: 30, max: 5000 })),
      perConsumerLimit: fc.option(fc.integer({ min: 1, max: 30 })),
      opensInHours: fc.constantFrom(-1, -1, -1, 2),
      openHours: fc.integer({ min: 1, max: 24 * 20 }),
      balanceWindowHours: fc.integer({ min: 1, max: 720 }),
    })
    .map((c) => {
      // In fen, as bigints: the amounts go past 2^53, where a JavaScript number would round them.
      const deposit = (c.referenceFen * c.rateBasisPoints + 9_999n) / 10_000n;
      const step = (c.referenceFen - deposit) / BigInt(c.tierCount + 1) || 1n;
      const tiers = Array.from({ length: c.tierCount }, (_, i) => ({ minUnits: c.firstMinUnits + i * 10, unitPrice: fen(c.referenceFen - BigInt(i) * step) }));
      const opensAt = now() + c.opensInHours * 3600_000;
      const closesAt = opensAt + c.openHours * 3600_000;
      return {
        factoryId: c.factoryId,
        title: c.title,
        productName: c.productName,
        options: [{ name: 'colour', values: ['black', 'navy'] }, ...(c.twoDimensions ? [{ name: 'size', values: ['M', 'L'] }] : [])],
        referencePrice: fen(c.referenceFen),
        depositRate: (Number(c.rateBasisPoints) / 10_000).toFixed(2),
        tiers,
        ...(c.cap !== null ? { maxUnits: c.cap } : {}),
        ...(c.perConsumerLimit !== null ? { perConsumerLimit: c.perConsumerLimit } : {}),
        opensAt: new Date(opensAt).toISOString(),
        closesAt: new Date(closesAt).toISOString(),
        balanceWindowHours: c.balanceWindowHours,
        expectedShipDate: new Date(closesAt + 30 * 86_400_000).toISOString().slice(0, 10),
      };
    });
  return {
    'post /v1/campaigns': campaign,
    'post /v1/campaigns/preview': campaign,
    'post /v1/auth/phone/verify': ref('phone-codes'),
    'post /v1/auth/login': fc.oneof(
      ref('credentials'),
      fc.record({ email: fc.constantFrom(w.alice.email, 'nobody@example.com'), password: fc.string({ minLength: 1, maxLength: 30 }) }),
    ),
  };
}

/** A Wednesday (ISO weekday 3) from `from` to `to` weeks ahead. */
const wednesday = (w: World, from: number, to: number) =>
  fc.integer({ min: from, max: to }).map((weeks) => {
    const day = new Date(w.clock.now().getTime() + weeks * 7 * 86_400_000);
    day.setUTCDate(day.getUTCDate() + ((3 - day.getUTCDay() + 7) % 7));
    return day.toISOString().slice(0, 10);
  });

const fen = (value: bigint) => `${value / 100n}.${String(value % 100n).padStart(2, '0')}`;

/** A sandbox notification for a payment, signed as the gateway signs it, or broken in the way asked. */
async function signedNotification(
  w: World,
  paymentId: string,
  b: Extract<Body, { kind: 'signed' }>,
  freshEvent: () => string,
): Promise<{ headers: Record<string, string>; body: Buffer }> {
  const payment = await w.t.db.read((tx) => tx.findOneBy(PaymentRow, { id: paymentId }));
  const amount = payment ? payment.amount : parseMoney('1.00');
  // One transaction per payment, as the sandbox gateway reports it; money of another amount is another transaction.
  const transactionId = (type: string) => (type === 'succeeded' ? `txn_${paymentId}${b.tamper === 'amount' ? '_amount' : ''}` : undefined);
  const event = (type: string, sent: typeof amount) =>
    Buffer.from(
      JSON.stringify({
        id: b.event < 0 ? freshEvent() : `evt_replayed_${b.event}`,
        type: `payment.${type}`,
        paymentId,
        amount: formatMoney(sent),
        transactionId: transactionId(type),
      }),
    );
  const body = event(b.outcome, b.tamper === 'amount' ? amount.plus('0.01') : amount);
  const at = b.tamper === 'stale' ? new Date(w.clock.now().getTime() - 10 * MINUTE) : w.clock.now();
  const sandbox = w.t.app.services.sandbox;
  const signature = {
    none: sandbox.sign(body, at),
    amount: sandbox.sign(body, at),
    stale: sandbox.sign(body, at),
    unsigned: undefined,
    garbage: 't=1,v1=zz',
    'other-secret': signatureHeader(['a secret that is not the gateway secret, 0123456789'], body, at),
    'body-changed': sandbox.sign(body, at),
  }[b.tamper];
  // Signed, then changed on the way: a success turned into a failure or the other way round.
  const sent = b.tamper === 'body-changed' ? event(b.outcome === 'succeeded' ? 'failed' : 'succeeded', amount) : body;
  return { headers: { 'content-type': 'application/json', ...(signature !== undefined ? { 'x-sandbox-signature': signature } : {}) }, body: sent };
}

/** Requests and statuses per operation and per kind of request, printed after the run. */
class Stats {
  private readonly byOperation = new Map<string, Map<string, number>>();
  private readonly byLabel = new Map<string, Map<string, number>>();
  private total = 0;

  /** Why valid requests of each operation were refused, by status and problem code. */
  private readonly refusals = new Map<string, Map<string, number>>();

  count(c: FuzzCase, res: WireResponse): void {
    this.total++;
    bump(this.byOperation, c.op.name, `${c.label === 'valid' ? 'valid' : 'invalid'} ${res.status}`);
    bump(this.byLabel, c.label, String(res.status));
    if (c.label === 'valid' && res.status >= 400) bump(this.refusals, c.op.name, `${res.status} ${(JSON.parse(res.text) as { code?: string }).code}`);
  }

  report(seed: number): string {
    const statuses = new Map<string, number>();
    for (const counts of this.byLabel.values()) for (const [status, n] of counts) statuses.set(status, (statuses.get(status) ?? 0) + n);
    const line = (counts: Map<string, number>) =>
      [...counts]
        .sort()
        .map(([k, n]) => `${k}: ${n}`)
        .join(', ');
    const noSuccess = [...this.byOperation].filter(([, counts]) => ![...counts.keys()].some((k) => /^valid 2/.test(k))).map(([op]) => op);
    return [
      `\nfuzz: seed ${seed}, ${this.total} requests, ${this.byOperation.size} operations`,
      `statuses: ${line(statuses)}`,
      ...[...this.byLabel].sort().map(([label, counts]) => `  ${label}: ${line(counts)}`),
      `operations: valid requests answered 2xx / all valid requests`,
      ...[...this.byOperation].sort().map(([op, counts]) => {
        const valid = [...counts].filter(([k]) => k.startsWith('valid')).reduce((n, [, v]) => n + v, 0);
        const ok = [...counts].filter(([k]) => k.startsWith('valid 2')).reduce((n, [, v]) => n + v, 0);
        return `  ${op}: ${ok}/${valid}`;
      }),
      `operations with no successful valid request: ${noSuccess.length === 0 ? 'none' : noSuccess.map((op) => `${op} (${line(this.refusals.get(op) ?? new Map())})`).join(', ')}`,
      '',
    ].join('\n');
  }
}

function bump(map: Map<string, Map<string, number>>, key: string, sub: string): void {
  const counts = map.get(key) ?? new Map<string, number>();
  counts.set(sub, (counts.get(sub) ?? 0) + 1);
  map.set(key, counts);
}
