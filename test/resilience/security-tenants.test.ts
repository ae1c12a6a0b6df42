import type { RouteDef } from '../../src/platform/http';
import type { Caller } from '../support/builders';
import { snapshot } from './support/security-snapshot';
import { anOpenCampaign, paidPledge } from '../support/campaigns';
import { aConsumer } from '../support/builders';
import { aShopOwner } from '../support/shops';
import { buildWorld, isShopOwnersView, type World } from './support/fuzz-world';

/**
 * OWASP API1 (broken object level authorization), on every route that takes an id: another tenant (a
 * consumer, another factory's portal user or API key) gets a 404 for a record that is not theirs,
 * exactly as for one that does not exist, and nothing changes. Read from the route table, so a route
 * added later fails here until it says whose records its ids name. test/api/every-route.test.ts does
 * the factory side with empty bodies; here every request is one its owner could make, and consumers too.
 */
let w: World;
beforeAll(async () => {
  w = await buildWorld();
});
afterAll(() => w?.close());

type Auth = { Authorization: string } | undefined;
interface Owned {
  /** The id of a record of alice (consumers) or of factory A (factories). */
  id(w: World): string;
  body?(w: World): unknown;
  /** Extra ways to call the route (?format=csv). */
  queries?: string[];
  /** Who may reach it and gets something other than a 404: the control that the id is real. */
  owner?(w: World): Auth;
  /** The route's other path parameters (`:deliveryId`), the owner's records too. */
  params?(w: World): Record<string, string>;
}

/** The route's path with the owner's ids in it. */
const pathOf = (r: RouteDef, owned: Owned): string =>
  Object.entries(owned.params?.(w) ?? {}).reduce((path, [name, value]) => path.replace(`:${name}`, value), r.path.replace(':id', owned.id(w)));

const inDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);

/** Whose record each route's id names. Operator-only routes have no tenant: operators act for every factory. */
const OWNED: Record<string, Owned> = {
  'get /v1/factories/:id': { id: (w) => w.a.id, owner: (w) => w.a.user.auth },
  'get /v1/factories/:id/users': { id: (w) => w.a.id, owner: (w) => w.a.key.auth },
  'get /v1/factories/:id/api-keys': { id: (w) => w.a.id, owner: (w) => w.a.user.auth },
  'get /v1/campaigns/:id': { id: (w) => w.campaigns.draftA, owner: (w) => w.operator.auth },
  'post /v1/campaigns/:id/quote': {
    id: (w) => w.campaigns.draftA,
    body: () => ({ variant: { colour: 'black', size: 'M' }, quantity: 1 }),
    owner: (w) => w.operator.auth,
  },
  'post /v1/campaigns/:id/pledges': { id: (w) => w.campaigns.draftA, body: () => ({ variant: { colour: 'black', size: 'M' }, quantity: 1 }) },
  'get /v1/pledges/:id': { id: (w) => w.alice.activePledgeId, owner: (w) => w.alice.auth },
  'post /v1/pledges/:id/cancel': { id: (w) => w.alice.activePledgeId, owner: (w) => w.alice.auth },
  'post /v1/pledges/:id/balance-payment': { id: (w) => w.alice.awaitingBalancePledgeId, owner: (w) => w.alice.auth },
  'get /v1/payments/:id': { id: (w) => w.alice.unpaidPaymentId, owner: (w) => w.alice.auth },
  'post /v1/payments/:id/checkout': { id: (w) => w.alice.unpaidPaymentId, body: () => ({ provider: 'sandbox', channel: 'sheet' }), owner: (w) => w.alice.auth },
  'post /v1/payments/:id/sandbox-checkout': { id: (w) => w.alice.unpaidPaymentId, body: () => ({ outcome: 'pay' }), owner: (w) => w.alice.auth },
  'get /v1/subscriptions/:id': { id: (w) => w.alice.subscriptionId, owner: (w) => w.alice.auth },
  'get /v1/subscriptions/:id/schedule': { id: (w) => w.alice.subscriptionId, owner: (w) => w.alice.auth },
  'patch /v1/subscriptions/:id': { id: (w) => w.alice.subscriptionId, body: () => ({ householdSize: 1 }), owner: (w) => w.alice.auth },
  'post /v1/subscriptions/:id/skip': { id: (w) => w.alice.subscriptionId, body: (w) => ({ deliveryDate: w.alice.deliveryDate }), owner: (w) => w.alice.auth },
  'post /v1/subscriptions/:id/pause': { id: (w) => w.alice.subscriptionId, body: () => ({ until: inDays(30) }), owner: (w) => w.alice.auth },
  'post /v1/subscriptions/:id/resume': { id: (w) => w.alice.subscriptionId, owner: (w) => w.alice.auth },
  'post /v1/subscriptions/:id/cancel': { id: (w) => w.alice.subscriptionId, owner: (w) => w.alice.auth },
  'get /v1/factory/forecast-batches/:id': { id: (w) => w.a.batchId, queries: ['', '?format=csv'], owner: (w) => w.a.user.auth },
  'post /v1/factory/forecast-batches/:id/acknowledge': { id: (w) => w.a.batchId, owner: (w) => w.a.key.auth },
  'post /v1/factory/forecast-batches/:id/commit-unchanged': { id: (w) => w.a.batchId, owner: (w) => w.a.user.auth },
  'post /v1/factory/forecast-batches/:id/commit-rows': {
    id: (w) => w.a.batchId,
    body: () => ({ rows: [{ line: '1', quantity: '1000', shipBy: inDays(30) }], preview: true }),
    owner: (w) => w.a.user.auth,
  },
  'post /v1/factory/forecast-batches/:id/commit': {
    id: (w) => w.a.batchId,
    body: (w) => ({ lines: [{ lineId: w.a.lineIds[0], quantity: 1000, shipBy: inDays(30) }] }),
    owner: (w) => w.a.user.auth,
  },
  'get /v1/statements/:id': { id: (w) => w.settlement.statementA, owner: (w) => w.a.user.auth },
  'get /v1/statements/:id/entries': { id: (w) => w.settlement.statementA, queries: ['', '?format=csv'], owner: (w) => w.a.key.auth },
  'get /v1/payouts/:id': { id: (w) => w.settlement.payoutA, owner: (w) => w.a.user.auth },
  'get /v1/factories/:id/payee': { id: (w) => w.a.id, owner: (w) => w.a.user.auth },
  // A factory's webhook and its pushes: the operator routes take the factory's own users and keys too, for their own factory only.
  'get /v1/factories/:id/webhook': { id: (w) => w.a.id, owner: (w) => w.a.user.auth },
  'post /v1/factories/:id/webhook/test': { id: (w) => w.a.id, owner: (w) => w.a.key.auth },
  'get /v1/factories/:id/webhook-deliveries': { id: (w) => w.a.id, owner: (w) => w.a.user.auth },
  'post /v1/factories/:id/webhook-deliveries/:deliveryId/redeliver': {
    id: (w) => w.a.id,
    params: (w) => ({ deliveryId: w.deliveryA }),
    body: () => ({}),
    owner: (w) => w.a.user.auth,
  },
  'post /v1/factory/webhook-deliveries/:id/redeliver': { id: (w) => w.deliveryA, owner: (w) => w.a.key.auth },
  'post /v1/factory/forecast-batches/:id/push': { id: (w) => w.a.batchId, owner: (w) => w.a.user.auth },
  // A shop owner's own statement; a consumer who is not its shop owner gets a 404, as for any other's.
  'get /v1/me/shop/statements/:id/lines': { id: (w) => w.shops.statementId, queries: ['', '?format=csv'], owner: (w) => w.shops.owner.auth },
  'get /v1/factory/concepts/:id': { id: (w) => w.concepts.trialA, owner: (w) => w.a.user.auth },
  // A 红黑榜 subject of factory A (its campaign): its marks' reasons and its answer are the factory's; the public sees the subject itself.
  'get /v1/factory/marks/:id': { id: (w) => w.markSubjectA, owner: (w) => w.a.user.auth },
  'post /v1/factory/marks/:id/answer': { id: (w) => w.markSubjectA, body: () => ({ answer: '谢谢' }), owner: (w) => w.a.key.auth },
  // Drafts have no poster, not even for operators.
  'get /c/:id/poster.png': { id: (w) => w.campaigns.draftA },
};
/** Ids that name no tenant's record. */
const NOT_A_TENANT_ID = [
  'post /v1/payments/notifications/:provider',
  'get /v1/shops/:code',
  // A shop code names a public shop; the consent set is the caller's own (test/api/shop-privacy.test.ts).
  'put /v1/me/shop-consents/:code',
  // A concept in trial is open to every shop owner; the application and the rating are the caller's own (test/api/concepts.test.ts).
  'post /v1/concepts/:id/trial-applications',
  'put /v1/concepts/:id/my-rating',
  // A 红黑榜 subject is public (its counts and answer); a mark withdrawn is the caller's own, by subject.
  'get /v1/marks/subjects/:id',
  'delete /v1/marks/mine/:id',
];

const nameOf = (r: RouteDef) => `${r.method} ${r.path}`;
const isOperatorOnly = (r: RouteDef) => r.access !== 'public' && r.access.every((role) => role === 'operator');
const idRoutes = () => w.t.app.routes.filter((r) => r.path.includes(':') && !isOperatorOnly(r) && !NOT_A_TENANT_ID.includes(nameOf(r)));

/** The other tenants a route could be called by: bob for consumers, factory B's user and key for factories; everyone but operators for drafts. */
function intrudersOf(r: RouteDef): [string, Auth][] {
  const all: [string, Auth, string][] = [
    ['bob', w.bob.auth, 'consumer'],
    ['factory B user', w.b.user.auth, 'factory'],
    ['factory B key', w.b.key.auth, 'factory'],
  ];
  if (r.access === 'public')
    return [
      ['anonymous', undefined],
      ["factory A user (drafts are operators' only)", w.a.user.auth],
      ...all.map(([who, auth]) => [who, auth] as [string, Auth]),
    ];
  return all.filter(([, , role]) => (r.access as readonly string[]).includes(role)).map(([who, auth]) => [who, auth]);
}

function call(r: RouteDef, path: string, auth: Auth, body: unknown) {
  const req = w.t.http[r.method](path);
  if (auth) req.set(auth);
  if (r.idempotent) req.set('Idempotency-Key', `tenant-${Math.random()}`);
  return body === undefined ? req.send() : req.send(body as object);
}

describe('another tenant, naming a record by its id', () => {
  test('every route that takes an id says whose record it names', () => {
    expect(
      idRoutes()
        .map(nameOf)
        .filter((name) => !OWNED[name]),
    ).toEqual([]);
  });

  test('gets a 404 problem, as for a record that does not exist, sees nothing of it, and changes nothing', async () => {
    const before = await snapshot(w.t);
    const secrets = [w.alice.email, w.alice.userId, w.a.id];
    const seen: string[] = [];
    for (const r of idRoutes()) {
      const owned = OWNED[nameOf(r)];
      for (const query of owned.queries ?? ['']) {
        const path = pathOf(r, owned) + query;
        for (const [who, auth] of intrudersOf(r)) {
          const res = await call(r, path, auth, owned.body?.(w));
          seen.push(`${nameOf(r)}${query} as ${who}: ${res.status} ${res.body?.code}`);
          expect({ route: `${nameOf(r)}${query}`, who, status: res.status, code: res.body.code, type: res.headers['content-type'] }).toEqual({
            route: `${nameOf(r)}${query}`,
            who,
            status: 404,
            code: 'not_found',
            type: expect.stringMatching(/^application\/problem\+json/),
          });
          // The problem's "instance" is the caller's own path, id included; nothing else may name the record.
          const { instance: _path, ...problem } = res.body as Record<string, unknown>;
          for (const secret of secrets)
            expect({ route: nameOf(r), who, leaks: JSON.stringify(problem).includes(secret) }).toEqual({ route: nameOf(r), who, leaks: false });
        }
      }
    }
    expect(await snapshot(w.t)).toBe(before);
    expect(seen.length).toBeGreaterThanOrEqual(idRoutes().length);
  });

  test('while the owner, making the same request, reaches the record (the ids are real)', async () => {
    for (const r of idRoutes()) {
      const owned = OWNED[nameOf(r)];
      if (!owned.owner) continue;
      const res = await call(r, pathOf(r, owned), owned.owner(w), owned.body?.(w));
      expect({ route: nameOf(r), reached: ![401, 403, 404].includes(res.status) && res.status < 500 }).toEqual({ route: nameOf(r), reached: true });
    }
  });
});

/** Lists and views scoped by the caller: another tenant's records never appear in them. */
const SAMPLE_QUERIES: Record<string, string> = { 'get /v1/factory/picking-lists': `?shipDate=${inDays(5)}` };

describe("another tenant's lists and views", () => {
  const ownRoutes = (role: 'consumer' | 'factory') =>
    w.t.app.routes.filter((r) => r.method === 'get' && !r.path.includes(':') && r.access !== 'public' && r.access.includes(role));

  test("a consumer's lists show nothing of another consumer's pledges, payments, subscriptions or notifications", async () => {
    const alices = [
      w.alice.email,
      w.alice.activePledgeId,
      w.alice.unpaidPledgeId,
      w.alice.unpaidPaymentId,
      w.alice.awaitingBalancePledgeId,
      w.alice.subscriptionId,
    ];
    // A shop owner's views (others get 403 not_a_shop_owner) are asked by the world's shop owner, another consumer than alice.
    for (const r of ownRoutes('consumer')) {
      const res = await w.t.http
        .get(r.path + (SAMPLE_QUERIES[nameOf(r)] ?? ''))
        .set((isShopOwnersView(r.path) ? w.shops.owner : w.bob).auth)
        .expect(200);
      for (const id of alices) expect({ route: nameOf(r), leaks: res.text.includes(id) }).toEqual({ route: nameOf(r), leaks: false });
    }
  });

  test("a shop owner's views show only their own shop's orders, customers masked; other consumers get 403", async () => {
    const { t, operator, clock } = w;
    // A customer of dave's shop, with a phone number, who pledged through it; and a second shop owner.
    const customer = await aConsumer(t);
    await t.app.services.accounts.setPhone(customer.userId, '+8613600001234');
    await t.http.post('/v1/me/shop-binding').set(customer.auth).send({ code: w.shops.code }).expect(200);
    const bought = await paidPledge(t, customer, (await anOpenCampaign(t, operator, w.a.id, clock)).id, { colour: 'black', size: 'M' }, 1);
    const other = (await aShopOwner(t, operator)).owner;

    // Views of one record (a statement's lines) are in OWNED above.
    const ownerViews = w.t.app.routes.filter((r) => r.method === 'get' && isShopOwnersView(r.path) && !r.path.includes(':'));
    expect(ownerViews.length).toBeGreaterThan(0);
    const hidden = [bought.id, customer.userId, customer.email, '13600001234'];
    for (const r of ownerViews) {
      const own = await t.http.get(r.path).set(w.shops.owner.auth).expect(200);
      expect({ route: nameOf(r), masked: !own.text.includes('13600001234') }).toEqual({ route: nameOf(r), masked: true });
      const res = await t.http.get(r.path).set(other.auth).expect(200);
      for (const secret of hidden) expect({ route: nameOf(r), leaks: res.text.includes(secret) }).toEqual({ route: nameOf(r), leaks: false });
      for (const intruder of [w.bob, w.alice]) {
        const refused = await t.http.get(r.path).set(intruder.auth).expect(403);
        expect(refused.body.code).toBe('not_a_shop_owner');
      }
    }
    expect((await t.http.get('/v1/me/shop/orders').set(w.shops.owner.auth).expect(200)).text).toContain(bought.id);
  });

  test("a factory's views show nothing of another factory's campaigns, batches or keys, and no consumer at all", async () => {
    const factoryA = [
      w.a.id,
      w.a.batchId,
      ...w.a.lineIds,
      w.a.key.id,
      w.a.spareKeyId,
      w.campaigns.openA,
      w.campaigns.decidedA,
      w.campaigns.draftA,
      w.settlement.statementA,
      w.settlement.payoutA,
      w.concepts.trialA,
      w.concepts.draftA,
      w.concepts.closedA,
    ];
    const people = [w.alice.email, w.alice.userId, w.bob.email, w.bob.userId];
    for (const r of ownRoutes('factory')) {
      for (const [who, auth, hidden] of [
        ['factory B user', w.b.user.auth, [...factoryA, ...people]],
        ['factory B key', w.b.key.auth, factoryA],
        ['factory A user', w.a.user.auth, people],
      ] as const) {
        const res = await w.t.http.get(r.path + (SAMPLE_QUERIES[nameOf(r)] ?? '')).set(auth);
        expect({ route: nameOf(r), who, ok: [200, 404].includes(res.status) }).toEqual({ route: nameOf(r), who, ok: true });
        for (const id of hidden) expect({ route: nameOf(r), who, leaks: res.text.includes(id) }).toEqual({ route: nameOf(r), who, leaks: false });
      }
    }
  });

  test("a draft campaign is in no list but an operator's", async () => {
    const callers: [string, Caller['auth'] | undefined][] = [
      ['anonymous', undefined],
      ['bob', w.bob.auth],
      ['factory A user', w.a.user.auth],
      ['factory B key', w.b.key.auth],
    ];
    for (const [who, auth] of callers) {
      for (const query of ['', '?status=draft', `?factoryId=${w.a.id}&limit=100`]) {
        const req = w.t.http.get(`/v1/campaigns${query}`);
        const res = await (auth ? req.set(auth) : req).expect(200);
        expect({ who, query, leaks: res.text.includes(w.campaigns.draftA) }).toEqual({ who, query, leaks: false });
      }
    }
    expect((await w.t.http.get('/v1/campaigns?status=draft&limit=100').set(w.operator.auth).expect(200)).text).toContain(w.campaigns.draftA);
  });
});
