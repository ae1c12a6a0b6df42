import { gzipSync } from 'node:zlib';
import type { RouteDef } from '../../src/platform/http';
import { FORBIDDEN_FIELDS, loadSpec, operationsOf, type Schema } from './support/fuzz-openapi';
import { problemViolations, serve, type WireRequest } from './support/fuzz-client';
import { snapshot } from './support/security-snapshot';
import { buildWorld, type World } from './support/fuzz-world';
import { aConcept, aRating, launchTerms } from '../support/concepts';

/**
 * OWASP API3 (mass assignment) and API4 (unrestricted resource consumption), on every route that takes
 * a body: fields a client must not set are refused, and bodies over the size limit are refused, before
 * anything is written.
 */
let w: World;
let server: Awaited<ReturnType<typeof serve>>;
beforeAll(async () => {
  // Each attack on the sign-in is a failed sign-in: the limit (security-limits.test.ts) would answer 429 before the body is looked at.
  w = await buildWorld({ env: { LOGIN_RATE_LIMIT_PER_15_MIN: '100000' } });
  server = await serve(w.t.app.http);
  // Commitments are taken on an acknowledged batch.
  await w.t.http.post(`/v1/factory/forecast-batches/${w.a.batchId}/acknowledge`).set(w.a.user.auth).expect(200);
  // Codes to verify, one per request that should be accepted (the sandbox echoes them).
  for (let i = 0; i < 4; i++) {
    const phone = aPhone();
    phoneCodes.push({ phone, code: (await w.t.http.post('/v1/auth/phone/code').send({ phone }).expect(202)).body.sandboxCode });
  }
});
afterAll(async () => {
  await server?.close();
  await w?.close();
});

const nameOf = (r: RouteDef) => `${r.method} ${r.path}`;
const inDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
let serial = 0;
const unique = () => `${Date.now().toString(36)}${serial++}`;
/** A mainland mobile number no other request uses. */
const aPhone = () => `139${String((Date.now() + serial++) % 1e8).padStart(8, '0')}`;
const phoneCodes: { phone: string; code: string }[] = [];

interface Call {
  auth?: { Authorization: string };
  /** The path with its ids. */
  path: string;
  body: Record<string, unknown>;
}

/** A request its caller may make, for every route with a body: the base that each attack adds one field to. */
const CALLS: Record<string, (w: World) => Call> = {
  'post /v1/auth/register': () => ({ path: '/v1/auth/register', body: { email: `new-${unique()}@example.com`, password: 'a long enough password' } }),
  'post /v1/auth/phone/code': () => ({ path: '/v1/auth/phone/code', body: { phone: aPhone() } }),
  'post /v1/auth/phone/verify': () => ({ path: '/v1/auth/phone/verify', body: phoneCodes.shift() ?? { phone: '13800138000', code: '000000' } }),
  'post /v1/auth/login': (w) => ({ path: '/v1/auth/login', body: { email: w.carol.email, password: w.carol.password } }),
  // The same password again: accepted, and the world's passwords stay what they were.
  'post /v1/auth/password': (w) => ({
    auth: w.carol.auth,
    path: '/v1/auth/password',
    body: { currentPassword: w.carol.password, newPassword: w.carol.password },
  }),
  'post /v1/factories': (w) => ({ auth: w.operator.auth, path: '/v1/factories', body: { name: 'New plant', contactEmail: `plant-${unique()}@example.com` } }),
  'post /v1/factories/:id/users': (w) => ({
    auth: w.operator.auth,
    path: `/v1/factories/${w.a.id}/users`,
    body: { email: `planner-${unique()}@example.com`, password: 'a long enough password' },
  }),
  'post /v1/factories/:id/api-keys': (w) => ({ auth: w.operator.auth, path: `/v1/factories/${w.a.id}/api-keys`, body: { name: 'erp' } }),
  'post /v1/factories/:id/users/:userId/disable': (w) => ({
    auth: w.operator.auth,
    path: `/v1/factories/${w.a.id}/users/${w.spareUserA}/disable`,
    body: { reason: '已离职' },
  }),
  'post /v1/factories/:id/users/:userId/enable': (w) => ({
    auth: w.operator.auth,
    path: `/v1/factories/${w.a.id}/users/${w.spareUserA}/enable`,
    body: { reason: '已复职' },
  }),
  'post /v1/factories/:id/webhook-deliveries/:deliveryId/redeliver': (w) => ({
    auth: w.operator.auth,
    path: `/v1/factories/${w.a.id}/webhook-deliveries/${w.deliveryA}/redeliver`,
    body: { reason: '接收端已修复' },
  }),
  'post /v1/campaigns': (w) => ({
    auth: w.operator.auth,
    path: '/v1/campaigns',
    body: {
      factoryId: w.a.id,
      title: 'Rain jacket',
      productName: 'Rain jacket',
      options: [{ name: 'colour', values: ['black'] }],
      referencePrice: '500.00',
      depositRate: '0.10',
      tiers: [{ minUnits: 10, unitPrice: '450.00' }],
      opensAt: new Date().toISOString(),
      closesAt: new Date(Date.now() + 86_400_000).toISOString(),
      balanceWindowHours: 48,
      expectedShipDate: inDays(40),
    },
  }),
  // The same body shows what it would make, saving nothing.
  'post /v1/campaigns/preview': (w) => ({ ...CALLS['post /v1/campaigns'](w), path: '/v1/campaigns/preview' }),
  // factory A's draft: edited, and (after, in the routes' order) cancelled with a reason.
  'patch /v1/campaigns/:id': (w) => ({ auth: w.operator.auth, path: `/v1/campaigns/${w.campaigns.draftA}`, body: { title: 'Rain jacket, second draft' } }),
  'post /v1/campaigns/:id/cancel': (w) => ({ auth: w.operator.auth, path: `/v1/campaigns/${w.campaigns.draftA}/cancel`, body: { reason: '不再需要这个草稿' } }),
  'post /v1/campaigns/:id/pledges': (w) => ({
    auth: w.carol.auth,
    path: `/v1/campaigns/${w.campaigns.openA}/pledges`,
    body: { variant: { colour: 'black', size: 'M' }, quantity: 1 },
  }),
  'post /v1/campaigns/:id/quote': (w) => ({ path: `/v1/campaigns/${w.campaigns.openA}/quote`, body: { variant: { colour: 'black', size: 'M' }, quantity: 1 } }),
  // Paid by its consumer, or already paid by the notification below: 200 either way.
  'post /v1/payments/:id/sandbox-checkout': (w) => ({
    auth: w.bob.auth,
    path: `/v1/payments/${w.bob.unpaidPaymentId}/sandbox-checkout`,
    body: { outcome: 'pay' },
  }),
  // Alice's deposit stays unpaid (Bob's is paid by the routes above): a checkout can be asked for again and again.
  'post /v1/payments/:id/checkout': (w) => ({
    auth: w.alice.auth,
    path: `/v1/payments/${w.alice.unpaidPaymentId}/checkout`,
    body: { provider: 'sandbox', channel: 'sheet' },
  }),
  'post /v1/payments/notifications/:provider': (w) => ({
    path: '/v1/payments/notifications/sandbox',
    body: { id: `evt_${unique()}`, type: 'payment.succeeded', paymentId: w.bob.unpaidPaymentId, amount: '100.00', transactionId: `txn_${unique()}` },
  }),
  'patch /v1/fruits/:id': (w) => ({ auth: w.operator.auth, path: '/v1/fruits/kiwi', body: { goodDays: 6 } }),
  'post /v1/subscriptions': (w) => ({
    auth: w.carol.auth,
    path: '/v1/subscriptions',
    body: { planId: 'weekly-small', startDate: inDays(3), deliveryWeekday: 5, region: 'beijing', householdSize: 1 },
  }),
  'patch /v1/subscriptions/:id': (w) => ({ auth: w.bob.auth, path: `/v1/subscriptions/${w.bob.subscriptionId}`, body: { householdSize: 1 } }),
  'post /v1/subscriptions/:id/skip': (w) => ({
    auth: w.alice.auth,
    path: `/v1/subscriptions/${w.alice.subscriptionId}/skip`,
    body: { deliveryDate: w.alice.deliveryDate },
  }),
  'post /v1/subscriptions/:id/pause': (w) => ({ auth: w.bob.auth, path: `/v1/subscriptions/${w.bob.subscriptionId}/pause`, body: { until: inDays(40) } }),
  'post /v1/factory/forecast-batches/:id/commit': (w) => ({
    auth: w.a.user.auth,
    path: `/v1/factory/forecast-batches/${w.a.batchId}/commit`,
    body: { lines: [{ lineId: w.a.lineIds[0], quantity: 1000, shipBy: inDays(30) }] },
  }),
  'post /v1/factory/forecast-batches/:id/commit-rows': (w) => ({
    auth: w.a.user.auth,
    path: `/v1/factory/forecast-batches/${w.a.batchId}/commit-rows`,
    body: { rows: [{ line: '1', quantity: '1000', shipBy: inDays(30) }] },
  }),
  'put /v1/factory/webhook': (w) => ({ auth: w.b.user.auth, path: '/v1/factory/webhook', body: { url: `${w.sinkUrl}/b` } }),
  'post /v1/jobs/:id/retry': (w) => ({ auth: w.operator.auth, path: `/v1/jobs/${w.jobs.cancelled}/retry`, body: { reason: '已处理' } }),
  'post /v1/jobs/:id/cancel': (w) => ({ auth: w.operator.auth, path: `/v1/jobs/${w.jobs.scheduled}/cancel`, body: { reason: '不再需要' } }),
  'post /v1/boxes/ship': (w) => ({ auth: w.operator.auth, path: '/v1/boxes/ship', body: { boxIds: w.pools.boxes.slice(0, 2) } }),
  'post /v1/payout-batches/:id/approve': (w) => ({
    auth: w.operator.auth,
    path: `/v1/payout-batches/${w.settlement.pendingBatchId}/approve`,
    body: { method: 'bank_file' },
  }),
  // Test mode: forgetting the sandbox's refund faults not played yet (there are none) changes nothing.
  'post /v1/sandbox/refund-faults': (w) => ({ auth: w.operator.auth, path: '/v1/sandbox/refund-faults', body: { kind: 'clear' } }),
  // A refund already paid out: sent again, it is answered as it is, and nothing moves.
  'post /v1/refunds/:id/retry': (w) => ({ auth: w.operator.auth, path: `/v1/refunds/${w.refundId}/retry`, body: { reason: 'the bank asked us to' } }),
  'post /v1/payouts/:id/fail': (w) => ({ auth: w.operator.auth, path: `/v1/payouts/${w.settlement.payoutB}/fail`, body: { reason: 'returned by the bank' } }),
  'post /v1/shop-applications': (w) => ({
    auth: w.carol.auth,
    path: '/v1/shop-applications',
    body: { name: 'Carol', phone: '13700001111', wechatId: 'carol_fruit', greeting: 'hello' },
  }),
  'put /v1/me/shop': (w) => ({
    auth: w.shops.owner.auth,
    path: '/v1/me/shop',
    body: { greeting: 'hi', campaignIds: [w.campaigns.openA], planIds: ['weekly-small'] },
  }),
  'post /v1/shop-applications/:id/refuse': (w) => ({
    auth: w.operator.auth,
    path: `/v1/shop-applications/${w.shops.pendingId}/refuse`,
    body: { reason: 'no WeChat id' },
  }),
  'post /v1/me/shop-binding': (w) => ({ auth: w.bob.auth, path: '/v1/me/shop-binding', body: { code: w.shops.code } }),
  'post /v1/shop-visits': (w) => ({ path: '/v1/shop-visits', body: { code: w.shops.code, visitorId: `visitor-${unique()}` } }),
  'put /v1/me/shop-consents/:code': (w) => ({ auth: w.bob.auth, path: `/v1/me/shop-consents/${w.shops.code}`, body: { share: true } }),
  'post /v1/pledges/:id/after-sale-refund': (w) => ({
    auth: w.operator.auth,
    path: `/v1/pledges/${w.settlement.completedPledgeId}/after-sale-refund`,
    body: { reason: '质量问题退货' },
  }),
  'put /v1/campaigns/:id/commission-rate': (w) => ({
    auth: w.operator.auth,
    path: `/v1/campaigns/${w.campaigns.openA}/commission-rate`,
    body: { rate: '0.03' },
  }),
  'put /v1/subscription-plans/:id/commission-rate': (w) => ({
    auth: w.operator.auth,
    path: '/v1/subscription-plans/weekly-small/commission-rate',
    body: { rate: '0.02' },
  }),
  'put /v1/me/shop/payee': (w) => ({
    auth: w.shops.owner.auth,
    path: '/v1/me/shop/payee',
    body: { accountName: 'Dave', accountNumber: '6222020200554433221', bankName: 'ICBC Shanghai', bankCode: '102290000010' },
  }),
  'post /v1/commission-holds/:id/release': (w) => ({
    auth: w.operator.auth,
    path: `/v1/commission-holds/${w.shops.holdIds[0]}/release`,
    body: { reason: 'real group orders' },
  }),
  'post /v1/commission-holds/:id/void': (w) => ({
    auth: w.operator.auth,
    path: `/v1/commission-holds/${w.shops.holdIds[1]}/void`,
    body: { reason: 'one address, many buyers' },
  }),
  'post /v1/factory/concepts': (w) => ({ auth: w.a.user.auth, path: '/v1/factory/concepts', body: aConcept(w.clock) }),
  'put /v1/concepts/:id/my-rating': (w) => ({ auth: w.shops.owner.auth, path: `/v1/concepts/${w.concepts.trialA}/my-rating`, body: aRating() }),
  'post /v1/concepts': (w) => ({ auth: w.operator.auth, path: '/v1/concepts', body: { ...aConcept(w.clock), factoryId: w.a.id } }),
  'post /v1/concepts/:id/reject': (w) => ({ auth: w.operator.auth, path: `/v1/concepts/${w.concepts.draftA}/reject`, body: { reason: '同类产品太多' } }),
  // Picking the picked one again: accepted, nothing changes.
  'post /v1/concepts/:id/picks': (w) => ({
    auth: w.operator.auth,
    path: `/v1/concepts/${w.concepts.trialA}/picks`,
    body: { applicationIds: [w.concepts.pickedApplicationId] },
  }),
  'post /v1/concepts/:id/launch': (w) => ({
    auth: w.operator.auth,
    path: `/v1/concepts/${w.concepts.closedA}/launch`,
    body: { ...launchTerms(w.clock), overrideReason: '渠道商已确认订单，先小批量生产' },
  }),
  'put /v1/marks/mine': (w) => ({
    auth: w.shops.owner.auth,
    path: '/v1/marks/mine',
    body: { kind: 'brand', subject: '农夫山泉', color: 'black', reason: '价格偏高' },
  }),
  'post /v1/factory/marks/:id/answer': (w) => ({ auth: w.a.user.auth, path: `/v1/factory/marks/${w.markSubjectA}/answer`, body: { answer: '谢谢推荐' } }),
  'put /v1/factories/:id/payee': (w) => ({
    auth: w.operator.auth,
    path: `/v1/factories/${w.b.id}/payee`,
    body: { accountName: 'Factory B', accountNumber: '6222020200998877665', bankName: 'CCB Ningbo', bankCode: '105332000018' },
  }),
};

/** What an attacker would put in each field: a state, an amount, an owner, another tenant, a secret of their own choosing. */
const ATTACK_VALUES: Record<string, (w: World) => unknown> = {
  id: (w) => w.bob.activePledgeId,
  status: () => 'paid',
  userId: (w) => w.bob.userId,
  ownerId: (w) => w.bob.userId,
  owner: (w) => w.bob.userId,
  factoryId: (w) => w.b.id,
  role: () => 'operator',
  amount: () => '0.01',
  deposit: () => '0.01',
  depositPerUnit: () => '0.01',
  reservedUnits: () => 0,
  version: () => 99,
  createdAt: () => '2020-01-01T00:00:00Z',
  paidAt: () => new Date().toISOString(),
  secret: () => 'whsec_chosen_by_the_client',
  apiKeyId: (w) => w.a.key.id,
  isAdmin: () => true,
  // Computed: a plain `__proto__:` key would set this object's prototype instead.
  ['__proto__']: () => ({ isAdmin: true }),
};

/** Fields inside a body's objects that a client must not set either. */
const NESTED: Record<string, [path: string, add: (body: Record<string, unknown>) => Record<string, unknown>][]> = {
  'post /v1/campaigns': [
    ['tiers.0.paidUnits', (b) => ({ ...b, tiers: [{ ...(b.tiers as object[])[0], paidUnits: 1000 }] })],
    ['options.0.status', (b) => ({ ...b, options: [{ ...(b.options as object[])[0], status: 'open' }] })],
  ],
  'post /v1/factory/forecast-batches/:id/commit': [
    ['lines.0.firmUnits', (b) => ({ lines: [{ ...(b.lines as object[])[0], firmUnits: 0 }] })],
    ['lines.0.factoryId', (b) => ({ lines: [{ ...(b.lines as object[])[0], factoryId: w.b.id }] })],
  ],
  'post /v1/factory/forecast-batches/:id/commit-rows': [
    ['rows.0.lineId', (b) => ({ rows: [{ ...(b.rows as object[])[0], lineId: w.a.lineIds[0] }] })],
    ['rows.0.firmUnits', (b) => ({ rows: [{ ...(b.rows as object[])[0], firmUnits: 0 }] })],
  ],
  'post /v1/campaigns/:id/pledges': [
    ['variant.status', (b) => ({ ...b, variant: { ...(b.variant as object), status: 'paid' } })],
    // zod drops this key silently: the pledge was placed as if it were not there.
    ['variant.__proto__', (b) => ({ ...b, variant: { ...(b.variant as object), ['__proto__']: 'x' } })],
  ],
  'patch /v1/fruits/:id': [['seasons.0.price', (b) => ({ ...b, seasons: [{ origin: 'Hainan', months: [1], price: '0.01' }] })]],
};

const bodyRoutes = () => w.t.app.routes.filter((r) => r.schemas.body !== undefined || r.rawBody);
const spec = operationsOf(loadSpec());
/** The fields docs/openapi.yaml lets a client send to a route (every branch of a oneOf or anyOf). */
function declaredFields(r: RouteDef): Set<string> {
  const op = spec.find((o) => o.name === `${r.method} ${r.path.replace(/:(\w+)/g, '{$1}')}`);
  const schemas: Schema[] = op?.body ? [op.body, ...(op.body.oneOf ?? []), ...(op.body.anyOf ?? [])] : [];
  return new Set(schemas.flatMap((s) => Object.keys(s.properties ?? {})));
}

/** The request on the wire; a notification is signed by the sandbox gateway, extra field included, so that only the field can be wrong. */
function wire(r: RouteDef, call: Call, json: string): WireRequest {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...(call.auth ? { authorization: call.auth.Authorization } : {}) };
  if (r.idempotent) headers['idempotency-key'] = `mass-${unique()}`;
  if (r.rawBody) headers['x-sandbox-signature'] = w.t.app.services.sandbox.sign(Buffer.from(json), w.clock.now());
  return { method: r.method.toUpperCase(), path: call.path, headers, body: Buffer.from(json) };
}

/** The body's JSON with one more field at the top (as text: "__proto__" survives, as it would from an attacker). */
const withField = (body: Record<string, unknown>, field: string, value: unknown) =>
  JSON.stringify(body).replace(/^\{/, `{${JSON.stringify(field)}:${JSON.stringify(value)},`);

describe('mass assignment', () => {
  test('every route with a body has a request to attack', () => {
    expect(
      bodyRoutes()
        .map(nameOf)
        .filter((name) => !CALLS[name]),
    ).toEqual([]);
  });

  test('a field a client must not set (state, amounts, owner, tenant, secrets) is refused with a 400 naming it, and nothing changes', async () => {
    const before = await snapshot(w.t);
    let attempts = 0;
    for (const r of bodyRoutes()) {
      const call = CALLS[nameOf(r)](w);
      const declared = declaredFields(r);
      const attacks: [string, string][] = [
        ...FORBIDDEN_FIELDS.filter((f) => !declared.has(f)).map((f): [string, string] => [f, withField(call.body, f, ATTACK_VALUES[f](w))]),
        ...(NESTED[nameOf(r)] ?? []).map(([path, add]): [string, string] => [path, JSON.stringify(add(call.body))]),
      ];
      for (const [field, json] of attacks) {
        attempts++;
        const res = await server.send(wire(r, call, json));
        const body = JSON.parse(res.text) as { code?: string; errors?: { path: string; message: string }[]; detail?: string };
        const named = [...(body.errors ?? []).map((e) => `${e.path} ${e.message}`), body.detail ?? ''].some((text) => text.includes(field.split('.').at(-1)!));
        expect({ route: nameOf(r), field, status: res.status, named, problem: problemViolations(res) }).toEqual({
          route: nameOf(r),
          field,
          status: 400,
          named: true,
          problem: [],
        });
      }
    }
    expect(await snapshot(w.t)).toBe(before);
    expect(attempts).toBeGreaterThan(bodyRoutes().length * 10);
  });

  test('and each of those requests, without the extra field, is accepted: the field alone was refused', async () => {
    for (const r of bodyRoutes()) {
      const call = CALLS[nameOf(r)](w);
      const res = await server.send(wire(r, call, JSON.stringify(call.body)));
      expect({ route: nameOf(r), status: res.status, body: res.status < 300 ? 'ok' : res.text }).toEqual({ route: nameOf(r), status: r.status, body: 'ok' });
    }
  });
});

describe('oversized bodies', () => {
  // The default BODY_LIMIT, 100kb; one byte over is as refused as a megabyte.
  const LIMIT = 100 * 1024;
  const over = (bytes: number) => JSON.stringify({ filler: 'x'.repeat(bytes) });
  const variants: [string, (r: RouteDef) => Omit<WireRequest, 'method' | 'path' | 'headers'> & { headers?: Record<string, string> }][] = [
    ['one byte over, with Content-Length', () => ({ body: Buffer.from(over(LIMIT - 12)) })],
    ['a megabyte, chunked (no Content-Length)', () => ({ body: Buffer.from(over(1_000_000)), chunked: true })],
    ['3 KB of gzip that inflates to 3 MB', () => ({ body: gzipSync(Buffer.from(over(3_000_000))), headers: { 'content-encoding': 'gzip' } })],
  ];

  test('every route answers 413 problem+json before reading further, and nothing changes', async () => {
    expect(Buffer.byteLength(over(LIMIT - 12))).toBe(LIMIT + 1);
    const before = await snapshot(w.t);
    for (const r of w.t.app.routes) {
      const call = CALLS[nameOf(r)]?.(w);
      const path = call?.path ?? r.path.replace(':id', w.a.id).replace(':keyId', w.a.key.id).replace(':provider', 'sandbox');
      const auth =
        call?.auth ??
        (r.access === 'public' ? undefined : r.access.includes('operator') ? w.operator.auth : r.access.includes('factory') ? w.a.user.auth : w.alice.auth);
      for (const [label, variant] of variants) {
        const v = variant(r);
        const res = await server.send({
          method: r.method.toUpperCase(),
          path,
          ...v,
          headers: {
            'content-type': 'application/json',
            ...(auth ? { authorization: auth.Authorization } : {}),
            ...(r.idempotent ? { 'idempotency-key': `big-${unique()}` } : {}),
            ...v.headers,
          },
        });
        expect({ route: nameOf(r), label, status: res.status, code: JSON.parse(res.text).code, problem: problemViolations(res) }).toEqual({
          route: nameOf(r),
          label,
          status: 413,
          code: 'body_too_large',
          problem: [],
        });
      }
    }
    expect(await snapshot(w.t)).toBe(before);
    // The connections that were cut short leave the server serving.
    expect((await server.send({ method: 'GET', path: '/healthz', headers: {} })).status).toBe(200);
  });
});
