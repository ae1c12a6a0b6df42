import { randomUUID } from 'node:crypto';
import { aFactory, anOperator } from '../support/builders';
import { anOpenCampaign } from '../support/campaigns';
import { TestClock } from '../support/clock';
import { waitFor } from '../support/wait';
import { Fleet, type FleetProcess } from './support/fleet';
import { expectStatus, mapLimit, registerConsumers, sendWithRetries, type Consumer, type Outcome } from './support/http';
import { countOf, expectConsistent, halfWritten, sqlRows, unitViolations } from './support/invariants';

/**
 * An API process SIGKILLed in the middle of a pledge spike (while it places pledges and records the
 * sandbox's deposit confirmations), its clients failing over to the other API with the same
 * Idempotency-Key, as behind a load balancer. Nothing is half-written (units reserved with no pledge,
 * a pledge with no payment or expiry job, a payment with no ledger entry), every client that got a 201
 * finds its pledge through the other API, and a client whose request died with the process ends up
 * with exactly one pledge, never two.
 */
const CONSUMERS = 200;
const PLEDGES_EACH = 4;
const CAP = 2000;

let fleet: Fleet;
const clock = new TestClock();
let a: FleetProcess;
let b: FleetProcess;
let consumers: Consumer[];
let campaignId: string;

beforeAll(async () => {
  fleet = await Fleet.start({ clock });
  // Each API confirms the deposits of the pledges it places, a moment after their commit (the sandbox's
  // auto-confirm, through the signed-notification path): the dying API is writing those too.
  [a, b] = await Promise.all([fleet.api('api-a', { SANDBOX_AUTO_CONFIRM: 'true' }), fleet.api('api-b', { SANDBOX_AUTO_CONFIRM: 'true' })]);
  consumers = await registerConsumers(b.url, CONSUMERS);
  const operator = await anOperator(fleet.t);
  const factory = await aFactory(fleet.t, operator);
  campaignId = (await anOpenCampaign(fleet.t, operator, factory.id, clock, { maxUnits: CAP, perConsumerLimit: 2 * PLEDGES_EACH })).id;
}, 300_000);
afterAll(() => fleet?.close(), 120_000);

interface Attempt {
  consumer: Consumer;
  key: string;
  first: FleetProcess;
  result: { outcome: Outcome; attempts: number; via: string };
}

test('an API killed during a pledge spike: nothing half-written, every 201 found through the other API', async () => {
  const attempts: Attempt[] = [];
  let aPlaced = 0;
  const body = { variant: { colour: 'navy', size: 'L' }, quantity: 1 };
  const place = async (consumer: Consumer, key: string, first: FleetProcess) => {
    const result = await sendWithRetries([first.url, b.url], 'POST', `/v1/campaigns/${campaignId}/pledges`, {
      token: consumer.token,
      idempotencyKey: key,
      body,
    });
    if (result.via === a.url && result.outcome.kind === 'answer' && result.outcome.status === 201) aPlaced += 1;
    attempts.push({ consumer, key, first, result });
  };
  // Every consumer pledges a few times in a row, alternating the APIs; A dies once it has placed 60.
  const spike = mapLimit(consumers, CONSUMERS, async (consumer, i) => {
    for (let n = 0; n < PLEDGES_EACH; n++) await place(consumer, randomUUID(), (i + n) % 2 === 0 ? a : b);
  });
  await waitFor(() => aPlaced >= 60, 120_000, 'api-a to place 60 pledges');
  await fleet.kill(a);
  await spike;

  const outcomes = countOf(
    attempts.map(({ result: { outcome } }) =>
      outcome.kind === 'answer' ? `${outcome.status}${outcome.status === 201 ? '' : ` ${outcome.body.code}`}` : 'no answer',
    ),
  );
  const cutOff = attempts.filter(({ first, result }) => first === a && result.attempts > 1);
  // A dropped request ends in a 201 or, while the dead process's hold on its key lasts, a clean 409 "in flight": nothing else.
  expect(Object.keys(outcomes).every((o) => ['201', '409 idempotency_request_in_flight'].includes(o))).toBe(true);
  expect(cutOff.length).toBeGreaterThan(0);

  // Nothing half-written, the units and the ledger agree.
  expect([...(await halfWritten(fleet.t)), ...(await unitViolations(fleet.t, campaignId))]).toEqual([]);
  await expectConsistent(fleet.t);

  // Every client that got a 201 finds its pledge through the surviving API.
  const created = attempts.filter(({ result: { outcome } }) => outcome.kind === 'answer' && outcome.status === 201);
  await mapLimit(created, 20, async ({ consumer, result: { outcome } }) => {
    const pledge = (outcome as Extract<Outcome, { kind: 'answer' }>).body;
    expect(await expectStatus(200, b.url, 'GET', `/v1/pledges/${pledge.id}`, { token: consumer.token })).toMatchObject({ id: pledge.id, quantity: 1 });
  });

  // The requests that died with api-a hold their keys "in flight" for 5 minutes (so that a slow first
  // attempt is never run twice at once). Once that has passed — moved here, by ageing the keys —, the
  // clients retry through api-b with the same keys, and each ends with exactly one pledge.
  const stuck = attempts.filter(({ result: { outcome } }) => outcome.kind === 'answer' && outcome.status === 409);
  await fleet.t.db.statement((tx) =>
    fleet.t.db.sql(tx, "UPDATE idempotency_keys SET locked_at = ? WHERE state = 'in_flight'", [new Date(Date.now() - 6 * 60_000)]),
  );
  for (const attempt of stuck)
    attempt.result = await sendWithRetries(b.url, 'POST', `/v1/campaigns/${campaignId}/pledges`, {
      token: attempt.consumer.token,
      idempotencyKey: attempt.key,
      body,
    });
  expect(stuck.filter(({ result: { outcome } }) => !(outcome.kind === 'answer' && outcome.status === 201)).map((s) => s.result.outcome)).toEqual([]);

  // Every pledge in the database is one a client holds a 201 for: none was written twice for one key,
  // none was written without its client ever learning of it.
  const held = new Set(attempts.flatMap(({ result: { outcome } }) => (outcome.kind === 'answer' && outcome.status === 201 ? [String(outcome.body.id)] : [])));
  const stored = (await sqlRows(fleet.t, 'SELECT id FROM pledges WHERE campaign_id = ?', [campaignId])).map((p) => String(p.id));
  expect(stored.filter((id) => !held.has(id))).toEqual([]);
  expect(stored.length).toBe(held.size);
  expect(held.size).toBe(CONSUMERS * PLEDGES_EACH);
  expect([...(await halfWritten(fleet.t)), ...(await unitViolations(fleet.t, campaignId))]).toEqual([]);
  await expectConsistent(fleet.t);
  console.log(
    `api crash: ${attempts.length} pledges, ${JSON.stringify(outcomes)} before the keys aged; ${cutOff.length} requests cut off by the kill and retried through api-b, ${stuck.length} of them held in flight until the keys aged`,
  );
}, 600_000);

test('a process that died after its pledge committed, before it recorded the answer: the retry gets that pledge, not a second one', async () => {
  // The window between the two writes is a few milliseconds wide, so a SIGKILL rarely lands in it: the
  // state it leaves is made here directly. The pledge is placed; then its key is put back as the dead
  // process would have left it, "in flight" since more than 5 minutes.
  const consumer = consumers[0];
  const key = randomUUID();
  const body = { variant: { colour: 'black', size: 'M' }, quantity: 1 };
  const first = await expectStatus(201, b.url, 'POST', `/v1/campaigns/${campaignId}/pledges`, { token: consumer.token, idempotencyKey: key, body });
  await fleet.t.db.statement((tx) =>
    fleet.t.db.sql(tx, "UPDATE idempotency_keys SET state = 'in_flight', response_status = NULL, response_body = NULL, locked_at = ? WHERE idem_key = ?", [
      new Date(Date.now() - 6 * 60_000),
      key,
    ]),
  );
  const retried = await expectStatus(201, b.url, 'POST', `/v1/campaigns/${campaignId}/pledges`, { token: consumer.token, idempotencyKey: key, body });
  expect(retried.id).toBe(first.id);
  const [{ n }] = await sqlRows(fleet.t, 'SELECT COUNT(*) AS n FROM pledges WHERE campaign_id = ? AND user_id = ? AND variant_key = ?', [
    campaignId,
    consumer.userId,
    'colour=black;size=M',
  ]);
  expect(Number(n)).toBe(1);
  await expectConsistent(fleet.t, { openCampaigns: [campaignId] });
}, 120_000);
