import { randomUUID } from 'node:crypto';
import { aFactory, anOperator } from '../support/builders';
import { anOpenCampaign } from '../support/campaigns';
import { TestClock } from '../support/clock';
import { waitFor } from '../support/wait';
import { ConnectionKiller } from './support/connection-killer';
import { Fleet, type FleetProcess } from './support/fleet';
import { deliver, notification } from './support/gateway';
import { isProblem, mapLimit, registerConsumers, send, sendWithRetries, type Consumer, type Outcome } from './support/http';
import { countOf, expectConsistent, halfWritten, sqlRows, unitViolations } from './support/invariants';

/**
 * The database connections of two API processes and a worker killed from the server side
 * (`KILL <id>` for every connection to the schema, every quarter of a second) while consumers pledge,
 * the gateway confirms deposits and readers read. Every request is answered: it succeeds, or fails
 * cleanly with a 503 problem+json that says to retry (Retry-After); a retry with the same
 * Idempotency-Key never doubles anything. When the killing stops, the service recovers by itself, and
 * nothing is half-written.
 */
const CONSUMERS = 80;
const PLEDGES_EACH = 4;

let fleet: Fleet;
let killer: ConnectionKiller;
const clock = new TestClock();
let apis: FleetProcess[];
let consumers: Consumer[];
let campaignId: string;
let operatorAuth: { Authorization: string };

beforeAll(async () => {
  fleet = await Fleet.start({ clock });
  const [a, b] = await Promise.all([fleet.api('api-a'), fleet.api('api-b'), fleet.worker('worker')]);
  apis = [a, b];
  consumers = await registerConsumers(a.url, CONSUMERS);
  const operator = await anOperator(fleet.t);
  operatorAuth = operator.auth;
  const factory = await aFactory(fleet.t, operator);
  campaignId = (await anOpenCampaign(fleet.t, operator, factory.id, clock, { maxUnits: 10_000, perConsumerLimit: PLEDGES_EACH * 2, tiers: [{ minUnits: 10, unitPrice: '899.00' }] })).id;
  killer = await ConnectionKiller.connect(fleet.env.DATABASE_URL, fleet.schema);
}, 300_000);
afterAll(async () => {
  await killer?.close();
  await fleet?.close();
}, 120_000);

/** A server answer a client may get while connections die: a success, a domain answer, or a clean "try again". */
function answerProblem(o: Outcome): string | undefined {
  if (o.kind === 'no_answer') return `no answer: ${o.error}`;
  if (o.status < 500) return undefined;
  if (o.status === 503 && isProblem(o) && o.body.code === 'database_unavailable' && o.retryAfter !== null) return undefined;
  return `${o.status} ${o.contentType} ${JSON.stringify(o.body)}`;
}

test('while every database connection is killed four times a second, each request succeeds or fails cleanly with a 503', async () => {
  const history: { what: string; outcome: Outcome }[] = [];
  const placed: { consumer: Consumer; key: string; final: Outcome }[] = [];
  let loadDone = false;

  killer.start(250);
  const pledging = mapLimit(consumers, CONSUMERS, async (consumer, i) => {
    for (let n = 0; n < PLEDGES_EACH; n++) {
      const key = randomUUID();
      const api = apis[(i + n) % 2];
      const { outcome, history: attempts } = await sendWithRetries(api.url, 'POST', `/v1/campaigns/${campaignId}/pledges`, { token: consumer.token, idempotencyKey: key, body: { variant: { colour: 'black', size: 'L' }, quantity: 1 }, timeoutMs: 30_000 }, 15);
      for (const attempt of attempts) history.push({ what: 'pledge', outcome: attempt });
      placed.push({ consumer, key, final: outcome });
      // The gateway confirms the deposit, retrying (with the same event) until it is taken.
      if (outcome.kind === 'answer' && outcome.status === 201) {
        const signed = notification(outcome.body.depositPayment, 'succeeded');
        for (let tries = 0; tries < 30; tries++) {
          const delivered = await deliver(apis[(i + n + 1) % 2].url, signed);
          history.push({ what: 'notification', outcome: delivered });
          if (delivered.kind === 'answer' && delivered.status === 200) break;
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
      }
    }
  });
  const reading = mapLimit(Array.from({ length: 10 }, (_, i) => i), 10, async (i) => {
    while (!loadDone) {
      const path = i % 2 ? `/v1/campaigns/${campaignId}` : '/v1/campaigns?limit=5';
      history.push({ what: `read ${i % 2 ? 'campaign' : 'list'}`, outcome: await send(apis[i % 2].url, 'GET', path, { timeoutMs: 30_000 }) });
    }
  });
  await pledging;
  loadDone = true;
  await reading;
  await killer.stop();

  // Every answer, including those later retried, was a success, a domain answer or a clean 503.
  const bad = history.flatMap(({ what, outcome }) => {
    const problem = answerProblem(outcome);
    return problem ? [`${what}: ${problem}`] : [];
  });
  if (bad.length > 0) console.log(`errors logged by the processes:\n${fleet.all.flatMap((p) => fleet.errorLog(p).map((l) => `${p.name}: ${l.slice(0, 400)}`)).slice(0, 20).join('\n')}`);
  expect(bad.slice(0, 20)).toEqual([]);
  const summary = countOf(history.map(({ what, outcome }) => `${what} ${outcome.kind === 'answer' ? outcome.status : 'no answer'}`));
  // The faults did happen, and were seen by clients.
  expect(killer.killed).toBeGreaterThan(0);
  expect(history.filter(({ outcome }) => outcome.kind === 'answer' && outcome.status === 503).length).toBeGreaterThan(0);
  // Every pledge got through in the end, thanks to retries with its key.
  expect(placed.filter((p) => !(p.final.kind === 'answer' && p.final.status === 201)).map((p) => p.final)).toEqual([]);

  // Recovery, by itself: both APIs ready, and a new round of requests succeeds at the first attempt.
  for (const api of apis) {
    await waitFor(async () => {
      const ready = await send(api.url, 'GET', '/readyz');
      return ready.kind === 'answer' && ready.status === 200;
    }, 30_000, `${api.name} to be ready again`);
  }
  const fresh = await mapLimit(consumers.slice(0, 20), 20, (consumer, i) =>
    send(apis[i % 2].url, 'POST', `/v1/campaigns/${campaignId}/pledges`, { token: consumer.token, idempotencyKey: randomUUID(), body: { variant: { colour: 'navy', size: 'M' }, quantity: 1 } }),
  );
  expect(fresh.map((o) => (o.kind === 'answer' ? o.status : o.error))).toEqual(fresh.map(() => 201));

  // Nothing half-written, nothing written twice: every pledge is one a client holds, once.
  expect([...(await halfWritten(fleet.t)), ...(await unitViolations(fleet.t, campaignId))]).toEqual([]);
  const held = new Set([...placed.map((p) => p.final), ...fresh].flatMap((o) => (o.kind === 'answer' && o.status === 201 ? [String(o.body.id)] : [])));
  const stored = (await sqlRows(fleet.t, 'SELECT id FROM pledges WHERE campaign_id = ?', [campaignId])).map((p) => String(p.id));
  expect(stored.filter((id) => !held.has(id))).toEqual([]);
  expect(stored.length).toBe(CONSUMERS * PLEDGES_EACH + fresh.length);
  await expectConsistent(fleet.t);

  // The worker recovered too: the campaign, closed now with every deposit paid, is decided by it.
  for (const o of fresh) if (o.kind === 'answer') expect(await deliver(apis[0].url, notification(o.body.depositPayment, 'succeeded'))).toMatchObject({ kind: 'answer', status: 200 });
  await fleet.t.http.post(`/v1/campaigns/${campaignId}/close`).set(operatorAuth).expect(200);
  await waitFor(async () => (await sqlRows(fleet.t, 'SELECT status FROM campaigns WHERE id = ?', [campaignId]))[0].status === 'succeeded', 120_000, 'the worker to decide the campaign');
  console.log(`dropped connections: ${killer.killed} connections killed in ${killer.rounds} rounds; answers ${JSON.stringify(summary)}`);
}, 600_000);
