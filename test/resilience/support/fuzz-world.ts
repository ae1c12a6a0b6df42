import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startTestApp, type TestApp } from '../../support/app';
import { aConsumer, aFactory, anOperator, type Caller } from '../../support/builders';
import { anOpenCampaign, paidPledge, payBalance, pledge } from '../../support/campaigns';
import { TestClock, runDue } from '../../support/clock';
import { DAY, aConcept, aConceptInTrial, aPickedShopOwner } from '../../support/concepts';
import { deref, loadSpec, type Schema } from './fuzz-openapi';

/**
 * A small world of two tenants of each kind, seeded through the API: consumers alice and bob (and carol),
 * factories A and B with a portal user and an API key each, and every kind of record a route can take
 * an id of: campaigns open, decided and draft; pledges paid, unpaid and awaiting their balance; payments;
 * fruit-box subscriptions and their boxes; forecast batches and their lines; API keys; a webhook; a
 * completed campaign of A and of B with their statements, paid by payouts (sent) of a batch; a batch awaiting
 * approval; A's bank account; a shop owner (dave, approved, with a shop code) and a pending shop application (erin's);
 * dave's commission on two campaigns of A completed two months ago through his link, on his monthly statement and
 * held by the concentration rule (two holds: one to release, one to void); concepts of A: one in trial (dave picked for
 * its sample), one draft, one whose trial has closed.
 */
export interface FactoryTenant {
  id: string;
  user: Caller;
  key: { id: string; auth: { Authorization: string } };
  /** A second key, for the routes that revoke one. */
  spareKeyId: string;
  batchId: string;
  lineIds: string[];
}

export interface ConsumerTenant extends Caller {
  password: string;
  /** Deposit paid, campaign open: cancellable. */
  activePledgeId: string;
  /** Deposit not paid yet: its payment can still be completed or failed. */
  unpaidPledgeId: string;
  unpaidPaymentId: string;
  /** In the decided campaign: its balance can be asked for. */
  awaitingBalancePledgeId: string;
  subscriptionId: string;
  /** A delivery date of the subscription that is before its cutoff. */
  deliveryDate: string;
}

export interface World {
  t: TestApp;
  clock: TestClock;
  /** Where factory webhooks point: a local endpoint that answers 204, so pushes never leave the machine. */
  sinkUrl: string;
  operator: Caller & { password: string };
  alice: ConsumerTenant;
  bob: ConsumerTenant;
  carol: Caller & { password: string };
  a: FactoryTenant;
  b: FactoryTenant;
  orchardId: string;
  /** An API key of factory A that was revoked. */
  revokedKey: { Authorization: string };
  campaigns: { openA: string; openB: string; decidedA: string; draftA: string };
  /** Factory A's statement of a completed campaign; the payouts of A and B (sent through the sandbox) and their batch; a batch awaiting approval. */
  settlement: { statementA: string; payoutA: string; payoutB: string; batchId: string; pendingBatchId: string; completedPledgeId: string };
  variants: Record<string, string>[];
  /** dave, a shop owner with his shop's code; erin's application, pending. */
  shops: { owner: Caller; code: string; approvedId: string; pendingId: string; statementId: string; holdIds: string[] };
  /** Factory A's concepts: in trial (dave picked, his application's id), a draft, and one whose trial has closed (to launch). */
  concepts: { trialA: string; pickedApplicationId: string; draftA: string; closedA: string };
  /** The 红黑榜 subject the shop owner marked: factory A's open campaign. */
  markSubjectA: string;
  /** A push attempt of factory A's batch to its webhook (the sink). */
  deliveryA: string;
  /** A portal user of factory A that no test signs in as. */
  spareUserA: string;
  /** Two jobs due later (the last two of the schedule): `cancelled` the operator cancelled (a retry brings it back), `scheduled` one to cancel. */
  jobs: { cancelled: string; scheduled: string };
  /** A deposit's refund, paid out (carol cancelled her pledge on B's campaign): what an operator may ask to send again (answered already_paid_out). */
  refundId: string;
  /** Ids of every record seeded, by the kind of record (the path segment before an id: "campaigns", "pledges" …). */
  pools: Record<string, string[]>;
  close(): Promise<void>;
}

const HOUR = 3600_000;
const CONSUMER_PASSWORD = 'a consumer passphrase';
const OPERATOR_PASSWORD = 'operator password 1';

export async function buildWorld(options: { env?: Record<string, string> } = {}): Promise<World> {
  const clock = new TestClock();
  // The factories' webhooks point at a receiver on this machine: a development setting, as the default refuses internal addresses.
  // One unit through a shop owner's link is enough to hold commission (the concentration rule), so the world has holds.
  const t = await startTestApp({ clock, env: { WEBHOOK_ALLOW_PRIVATE_ADDRESSES: 'true', COMMISSION_HOLD_MIN_UNITS: '1', ...options.env } });
  const sink = await startSink();
  const operator = { ...(await anOperator(t)), password: OPERATOR_PASSWORD };
  const consumer = async () => ({ ...(await aConsumer(t, { password: CONSUMER_PASSWORD })), password: CONSUMER_PASSWORD });
  const [alice, bob, carol] = [await consumer(), await consumer(), await consumer()];
  const [a, b] = [await aFactory(t, operator), await aFactory(t, operator)];
  const orchard = await t.http
    .post('/v1/factories')
    .set(operator.auth)
    .send({ name: 'Orchard', kind: 'orchard', contactEmail: 'orchard@example.com' })
    .expect(201);

  // A campaign of A decided (succeeded) with a pledge of each consumer awaiting its balance.
  const black = { colour: 'black', size: 'M' };
  const navy = { colour: 'navy', size: 'L' };
  const decided = await anOpenCampaign(t, operator, a.id, clock, { tiers: [{ minUnits: 2, unitPrice: '899.00' }] });
  const aliceDecided = await paidPledge(t, alice, decided.id, black, 2);
  const bobDecided = await paidPledge(t, bob, decided.id, navy, 1);
  await t.http.post(`/v1/campaigns/${decided.id}/close`).set(operator.auth).expect(200);
  await runDue(t, clock);

  // Open campaigns of A and B: paid and unpaid pledges of both consumers.
  const openA = await anOpenCampaign(t, operator, a.id, clock, {
    maxUnits: 5000,
    perConsumerLimit: 2000,
    closesAt: new Date(clock.now().getTime() + 6 * HOUR).toISOString(),
  });
  const openB = await anOpenCampaign(t, operator, b.id, clock, { maxUnits: 5000, closesAt: new Date(clock.now().getTime() + 6 * HOUR).toISOString() });
  const pledges = async (c: Caller) => {
    const active = await paidPledge(t, c, openA.id, black, 1);
    const unpaid = (await pledge(t, c, openA.id, navy, 1).expect(201)).body as { id: string; depositPayment: { id: string } };
    const onB = await paidPledge(t, c, openB.id, navy, 1);
    return { active, unpaid, onB };
  };
  const [alicePledges, bobPledges] = [await pledges(alice), await pledges(bob)];
  // Carol cancels a paid pledge on B's campaign: its deposit is refunded, so the world has a refund.
  const carolOnB = await paidPledge(t, carol, openB.id, navy, 1);
  await t.http.post(`/v1/pledges/${carolOnB.id}/cancel`).set(carol.auth).set('Idempotency-Key', `seed-cancel-${carol.userId}`).expect(200);
  await runDue(t, clock);
  const refundId = ((await t.http.get('/v1/refunds?limit=100').set(operator.auth).expect(200)).body.items as { id: string; pledgeId: string }[]).find(
    (r) => r.pledgeId === carolOnB.id,
  )!.id;
  const draftA = await draftCopyOf(t, operator, openA.id);

  const subscriptionOf = async (c: Caller) => {
    const created = await t.http
      .post('/v1/subscriptions')
      .set(c.auth)
      .set('Idempotency-Key', `seed-${c.userId}`)
      .send({ planId: 'weekly-small', startDate: dayFrom(clock, 3), deliveryWeekday: 3, region: 'shanghai', householdSize: 2 })
      .expect(201);
    const schedule = await t.http.get(`/v1/subscriptions/${created.body.id}/schedule`).set(c.auth).expect(200);
    const open = (schedule.body.deliveries as { deliveryDate: string; cutoffAt: string }[]).find((d) => new Date(d.cutoffAt) > clock.now());
    return { id: created.body.id as string, deliveryDate: open!.deliveryDate };
  };
  const [aliceSubscription, bobSubscription] = [await subscriptionOf(alice), await subscriptionOf(bob)];

  const factoryTenant = async (f: { id: string; user: Caller }): Promise<FactoryTenant> => {
    const key = await t.http.post(`/v1/factories/${f.id}/api-keys`).set(operator.auth).send({ name: 'erp' }).expect(201);
    const spare = await t.http.post(`/v1/factories/${f.id}/api-keys`).set(operator.auth).send({ name: 'spare' }).expect(201);
    await t.http.post(`/v1/factories/${f.id}/forecast-batches`).set(operator.auth).expect(200);
    const batches = await t.http.get('/v1/factory/forecast-batches').set(f.user.auth).expect(200);
    const batchId = batches.body.items[0].id as string;
    // Acknowledged at once: the campaign decisions below publish newer versions, and a version never acknowledged
    // before a newer one is superseded, answered by nobody (409 batch_superseded); the routes that answer it need it answerable.
    await t.http.post(`/v1/factory/forecast-batches/${batchId}/acknowledge`).set(f.user.auth).expect(200);
    const detail = await t.http.get(`/v1/factory/forecast-batches/${batchId}`).set(f.user.auth).expect(200);
    return {
      ...f,
      key: { id: key.body.id, auth: { Authorization: `Bearer ${key.body.apiKey}` } },
      spareKeyId: spare.body.id,
      batchId,
      lineIds: detail.body.lines.map((l: { id: string }) => l.id),
    };
  };
  const [tenantA, tenantB] = [await factoryTenant(a), await factoryTenant(b)];
  await t.http
    .put('/v1/factory/webhook')
    .set(a.user.auth)
    .send({ url: `${sink.url}/factory-a` })
    .expect(200);
  // One push attempt of factory A's, for the routes that redeliver one.
  const deliveryA = (await t.http.post(`/v1/factory/forecast-batches/${tenantA.batchId}/push`).set(a.user.auth).expect(200)).body.id as string;
  // A portal user of factory A whom nobody signs in as: the one to disable and enable again.
  const spareUserA = (
    await t.http
      .post(`/v1/factories/${a.id}/users`)
      .set(operator.auth)
      .send({ email: `spare-${a.id.slice(0, 8)}@example.com`, password: 'a long enough password' })
      .expect(201)
  ).body.id as string;
  const revoked = await t.http.post(`/v1/factories/${a.id}/api-keys`).set(operator.auth).send({ name: 'revoked' }).expect(201);
  await t.http.delete(`/v1/factories/${a.id}/api-keys/${revoked.body.id}`).set(operator.auth).expect(204);

  const consumerTenant = (
    c: typeof alice,
    p: typeof alicePledges,
    awaitingBalance: { id: string },
    subscription: { id: string; deliveryDate: string },
  ): ConsumerTenant => ({
    ...c,
    activePledgeId: p.active.id,
    unpaidPledgeId: p.unpaid.id,
    unpaidPaymentId: p.unpaid.depositPayment.id,
    awaitingBalancePledgeId: awaitingBalance.id,
    subscriptionId: subscription.id,
    deliveryDate: subscription.deliveryDate,
  });
  const settlement = await settlementsOf(t, operator, clock, a.id, b.id);
  const boxes = await t.http.get('/v1/boxes?limit=100').set(operator.auth).expect(200);
  const fruits = await t.http.get('/v1/fruits').expect(200);
  const plans = await t.http.get('/v1/subscription-plans').expect(200);
  const shopOwner = await shopsOf(t, operator);
  const shops = { ...shopOwner, ...(await commissionHeldOf(t, operator, clock, a.id, shopOwner.code)) };
  const marked = await t.http
    .put('/v1/marks/mine')
    .set(shops.owner.auth)
    .send({ kind: 'campaign', subject: openA.id, color: 'red', reason: '好卖，回头客多' })
    .expect(200);
  const markSubjectA = marked.body.subject.id as string;
  const allPledges = [aliceDecided, bobDecided, ...Object.values(alicePledges), ...Object.values(bobPledges)];
  const concepts = await conceptsOf(t, operator, clock, a.id, shops.owner);
  // Jobs the world's campaigns, pledges and batches scheduled (the console's retry and cancel act on them).
  const jobs = await t.http.get('/v1/jobs?limit=20').set(operator.auth).expect(200);
  const later = (await t.http.get('/v1/jobs?state=scheduled&limit=100').set(operator.auth).expect(200)).body.items.slice(-2) as { id: string }[];
  await t.http.post(`/v1/jobs/${later[0].id}/cancel`).set(operator.auth).send({ reason: 'a cancelled job for the world' }).expect(200);

  return {
    t,
    clock,
    sinkUrl: sink.url,
    operator,
    carol,
    alice: consumerTenant(alice, alicePledges, aliceDecided, aliceSubscription),
    bob: consumerTenant(bob, bobPledges, bobDecided, bobSubscription),
    a: tenantA,
    b: tenantB,
    orchardId: orchard.body.id,
    revokedKey: { Authorization: `Bearer ${revoked.body.apiKey}` },
    campaigns: { openA: openA.id, openB: openB.id, decidedA: decided.id, draftA },
    settlement,
    variants: [black, navy, { colour: 'black', size: 'L' }, { colour: 'navy', size: 'M' }],
    shops,
    concepts,
    markSubjectA,
    deliveryA,
    spareUserA,
    jobs: { cancelled: later[0].id, scheduled: later[1].id },
    refundId,
    pools: {
      concepts: [concepts.trialA, concepts.draftA, concepts.closedA],
      refunds: [refundId],
      marks: [markSubjectA],
      subjects: [markSubjectA],
      mine: [markSubjectA],
      'shop-applications': [shops.approvedId, shops.pendingId],
      factories: [a.id, b.id, orchard.body.id],
      campaigns: [openA.id, openB.id, decided.id, draftA],
      pledges: allPledges.map((p) => p.id),
      payments: allPledges.map((p) => p.depositPayment.id),
      subscriptions: [aliceSubscription.id, bobSubscription.id],
      'forecast-batches': [tenantA.batchId, tenantB.batchId],
      lines: [...tenantA.lineIds, ...tenantB.lineIds],
      'api-keys': [tenantA.spareKeyId, tenantB.spareKeyId],
      fruits: fruits.body.items.map((f: { id: string }) => f.id),
      plans: plans.body.items.map((p: { id: string }) => p.id),
      boxes: boxes.body.items.map((x: { id: string }) => x.id),
      statements: [settlement.statementA],
      payouts: [settlement.payoutA, settlement.payoutB],
      'payout-batches': [settlement.batchId, settlement.pendingBatchId],
      'shop-statements': [shops.statementId],
      'commission-holds': shops.holdIds,
      'webhook-deliveries': [deliveryA],
      jobs: jobs.body.items.map((j: { id: string }) => j.id),
      users: [spareUserA],
    },
    close: async () => {
      await sink.close();
      await t.close();
    },
  };
}

/** A shop owner's own views (`/v1/me/shop/…`, their 红黑榜 marks): only an approved shop owner reaches them, any other consumer gets 403 `not_a_shop_owner`. */
export const isShopOwnersView = (path: string): boolean => path.startsWith('/v1/me/shop/') || path === '/v1/marks/mine';

/** Concepts of the factory: one in trial with the shop owner picked, a draft, and one whose trial closed (made three days ago). */
async function conceptsOf(t: TestApp, operator: Caller, clock: TestClock, factoryId: string, shopOwner: Caller) {
  const trialA = await aConceptInTrial(t, operator, factoryId, clock);
  await aPickedShopOwner(t, operator, trialA, shopOwner);
  const applications = await t.http.get(`/v1/concepts/${trialA}/trial-applications`).set(operator.auth).expect(200);
  const draft = await t.http
    .post('/v1/concepts')
    .set(operator.auth)
    .send({ ...aConcept(clock), factoryId })
    .expect(201);
  clock.offsetMs -= 3 * DAY;
  const closedA = await aConceptInTrial(t, operator, factoryId, clock);
  clock.offsetMs += 3 * DAY;
  return { trialA, pickedApplicationId: applications.body.items[0].id as string, draftA: draft.body.id as string, closedA };
}

/** A shop owner approved through the API, and an application left pending. */
async function shopsOf(t: TestApp, operator: Caller) {
  const [owner, applicant] = [await aConsumer(t), await aConsumer(t)];
  const apply = (c: Caller) =>
    t.http.post('/v1/shop-applications').set(c.auth).send({ name: 'Fruit shop', phone: '13912345678', wechatId: 'fruit_shop', greeting: '' }).expect(201);
  const approved = await apply(owner);
  const shop = await t.http.post(`/v1/shop-applications/${approved.body.id}/approve`).set(operator.auth).expect(200);
  const pending = await apply(applicant);
  return { owner, code: shop.body.code as string, approvedId: approved.body.id as string, pendingId: pending.body.id as string };
}

/**
 * Two campaigns of the factory with a 3% commission rate, each completed two months ago by one purchase through the
 * shop owner's link, and the shop owner's statement of that month made: each campaign's every completed unit came
 * through the link, so each commission is held.
 */
async function commissionHeldOf(t: TestApp, operator: Caller, clock: TestClock, factoryId: string, code: string) {
  const back = 62 * 24 * HOUR;
  clock.offsetMs -= back;
  for (let i = 0; i < 2; i++) {
    const buyer = await aConsumer(t);
    await t.http.post('/v1/me/shop-binding').set(buyer.auth).send({ code }).expect(200);
    const c = await anOpenCampaign(t, operator, factoryId, clock, { tiers: [{ minUnits: 1, unitPrice: '899.00' }] });
    await t.http.put(`/v1/campaigns/${c.id}/commission-rate`).set(operator.auth).send({ rate: '0.03' }).expect(200);
    const bought = await paidPledge(t, buyer, c.id, { colour: 'black', size: 'M' }, 1);
    await t.http.post(`/v1/campaigns/${c.id}/close`).set(operator.auth).expect(200);
    await runDue(t, clock);
    await payBalance(t, buyer, bought.id);
    await runDue(t, clock);
  }
  clock.offsetMs += back;
  const [statement] = await t.app.services.payouts.shopStatements.makeDue();
  const holds = await t.app.services.payouts.shopStatements.holds({ status: 'held', limit: 10, offset: 0 });
  return { statementId: statement.id, holdIds: holds.items.map((h) => h.id) };
}

/** A campaign of the factory completed: one pledge paid in full (its id answered), so that a statement of it is made. */
async function completedCampaignOf(t: TestApp, operator: Caller, clock: TestClock, factoryId: string): Promise<string> {
  const buyer = await aConsumer(t);
  const c = await anOpenCampaign(t, operator, factoryId, clock, { tiers: [{ minUnits: 1, unitPrice: '899.00' }] });
  const bought = await paidPledge(t, buyer, c.id, { colour: 'black', size: 'M' }, 1);
  await t.http.post(`/v1/campaigns/${c.id}/close`).set(operator.auth).expect(200);
  await runDue(t, clock);
  await payBalance(t, buyer, bought.id);
  await runDue(t, clock);
  return bought.id;
}

/**
 * Statements of A and B paid by a batch approved as a bank file (their payouts sent, awaiting the bank),
 * A's bank account set, and a second statement of A in a batch awaiting approval.
 */
async function settlementsOf(t: TestApp, operator: Caller, clock: TestClock, a: string, b: string) {
  for (const factoryId of [a, b]) await completedCampaignOf(t, operator, clock, factoryId);
  const statements = await t.http.get(`/v1/statements?factoryId=${a}`).set(operator.auth).expect(200);
  await t.http
    .put(`/v1/factories/${a}/payee`)
    .set(operator.auth)
    .send({ accountName: 'Factory A', accountNumber: '6222020200112233445', bankName: 'ICBC Hangzhou', bankCode: '102331000013' })
    .expect(200);
  const batch = await t.http.post('/v1/payout-batches').set(operator.auth).set('Idempotency-Key', 'seed-batch').expect(201);
  await t.http
    .post(`/v1/payout-batches/${batch.body.id}/approve`)
    .set(operator.auth)
    .set('Idempotency-Key', 'seed-approve')
    .send({ method: 'sandbox' })
    .expect(200);
  await runDue(t, clock);
  const completedPledgeId = await completedCampaignOf(t, operator, clock, a);
  const pending = await t.http.post('/v1/payout-batches').set(operator.auth).set('Idempotency-Key', 'seed-pending-batch').expect(201);
  const payoutOf = (factoryId: string) => (batch.body.payouts as { id: string; factoryId: string }[]).find((p) => p.factoryId === factoryId)!.id;
  return {
    statementA: statements.body.items[0].id as string,
    payoutA: payoutOf(a),
    payoutB: payoutOf(b),
    batchId: batch.body.id as string,
    pendingBatchId: pending.body.id as string,
    completedPledgeId,
  };
}

/** A published campaign's terms as a body for POST /v1/campaigns: its fields that CampaignInput (docs/openapi.yaml) lists. */
export async function campaignInputOf(t: TestApp, campaignId: string): Promise<Record<string, unknown>> {
  const input = deref<Schema>(loadSpec(), { $ref: '#/components/schemas/CampaignInput' });
  const campaign = (await t.http.get(`/v1/campaigns/${campaignId}`).expect(200)).body as Record<string, unknown>;
  return Object.fromEntries(
    Object.keys(input.properties!)
      .filter((k) => campaign[k] !== null && campaign[k] !== undefined)
      .map((k) => [k, campaign[k]]),
  );
}

/** A draft with the same terms as an existing campaign. */
async function draftCopyOf(t: TestApp, operator: Caller, campaignId: string): Promise<string> {
  const created = await t.http
    .post('/v1/campaigns')
    .set(operator.auth)
    .send({ ...(await campaignInputOf(t, campaignId)), title: 'Draft: not public yet' })
    .expect(201);
  return created.body.id;
}

function dayFrom(clock: TestClock, days: number): string {
  return new Date(clock.now().getTime() + days * 24 * HOUR).toISOString().slice(0, 10);
}

/** A local HTTP endpoint that accepts anything (the factories' webhook receiver). */
export async function startSink(): Promise<{
  url: string;
  received: { path: string; headers: Record<string, string | string[] | undefined>; body: string }[];
  close(): Promise<void>;
}> {
  const received: { path: string; headers: Record<string, string | string[] | undefined>; body: string }[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      received.push({ path: req.url ?? '', headers: req.headers, body });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, received, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
