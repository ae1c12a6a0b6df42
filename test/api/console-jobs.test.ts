import { randomUUID } from 'node:crypto';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { zh } from '../../factory-portal/src/console/jobs/i18n';
import { defineJob } from '../../src/platform/jobs';
import { startTestApp, type TestApp } from '../support/app';
import { aConsumer, aFactory, anOperator, type Caller } from '../support/builders';
import { anOpenCampaign, paidPledge } from '../support/campaigns';
import { TestClock, runDue } from '../support/clock';
import { waitFor } from '../support/wait';

/**
 * The operators' view of the jobs (the console's 任务 page) over HTTP, with the real worker and real
 * failures: a job whose record is gone fails, is retried by itself and given up; an operator retries it
 * (it runs) and cancels it; a factory's webhook that was down is pushed to by a retry once it is back; a
 * due job cancelled is never run; a running job is neither cancelled nor retried.
 */
let t: TestApp;
let operator: Caller;
const clock = new TestClock();

type Job = {
  id: string;
  name: string;
  state: string;
  recurring: boolean;
  payload: Record<string, unknown>;
  attempts: number;
  maxAttempts: number;
  lastError: string | null;
  failedAt: string | null;
  nextRunAt: string | null;
  lastRunAt: string | null;
};
type NameSummary = { name: string; recurring: boolean; maxAttempts: number; counts: Record<string, number>; oldestDueAt: string | null; lagSeconds: number };

const summaryOf = async (name: string) =>
  ((await t.http.get('/v1/jobs/summary').set(operator.auth).expect(200)).body.names as NameSummary[]).find((n) => n.name === name)!;
const jobs = async (query: string) => (await t.http.get(`/v1/jobs?${query}`).set(operator.auth).expect(200)).body as { items: Job[]; total: number };
const job = async (id: string) => (await t.http.get(`/v1/jobs/${id}`).set(operator.auth).expect(200)).body as Job;
const enqueue = (name: string, payload: object) => t.db.transaction((tx) => t.app.jobs.enqueue(tx, name, payload));
/** The job of a name whose payload has this value, as the console lists it. */
const jobWith = async (name: string, key: string, value: string) =>
  (await jobs(`name=${encodeURIComponent(name)}&limit=100`)).items.find((j) => j.payload[key] === value)!;
/** Every job due now, by the real worker, until none is (a retry scheduled later stays scheduled). */
const runDueNow = () => t.app.jobs.runDueJobs(60_000);

/** A job that runs until the test lets it finish: stands for a long job a worker is in the middle of. */
let release: () => void = () => {};
const held = defineJob({
  name: 'test.held',
  payload: z.strictObject({ n: z.number().int() }),
  handle: () => new Promise<void>((resolve) => (release = resolve)),
});

/** A factory's ERP endpoint: answers 503 while `down`, else 200. */
let down = true;
const received: string[] = [];
let receiver: Server;

beforeAll(async () => {
  // The first retry of a failed webhook push is ten minutes away: only an operator's retry runs it sooner.
  t = await startTestApp({ clock, env: { WEBHOOK_RETRY_BASE_MS: '600000', WEBHOOK_ALLOW_PRIVATE_ADDRESSES: 'true' } });
  t.app.jobs.register(held);
  operator = await anOperator(t);
  receiver = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      received.push(String(req.headers['x-c2m-event-id']));
      res.writeHead(down ? 503 : 200).end(down ? 'busy' : 'ok');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
});
afterAll(async () => {
  await t.close();
  await new Promise((resolve) => receiver.close(resolve));
});

describe('a job that fails', () => {
  test('a forecast for a factory that is gone fails with its error, is retried by itself, is given up after its attempts; retry runs it again, cancel ends it', async () => {
    const missing = randomUUID();
    await enqueue('forecasts.publish', { factoryId: missing, trigger: 'daily' });
    await runDueNow();

    let failing = await jobWith('forecasts.publish', 'factoryId', missing);
    expect(failing).toMatchObject({ state: 'failed', recurring: false, maxAttempts: 6, lastError: 'The factory was not found.' });
    expect(failing.attempts).toBeGreaterThanOrEqual(1);
    expect(failing.nextRunAt).not.toBeNull();
    expect((await summaryOf('forecasts.publish')).counts).toMatchObject({ failed: 1, given_up: 0 });
    expect((await jobs('state=failed')).items.map((j) => j.id)).toEqual([failing.id]);

    // Its retries come due (a day later on the test clock) and fail the same way: after the sixth attempt it is given up.
    clock.offsetMs += 24 * 3600_000;
    await runDue(t, clock);
    failing = await job(failing.id);
    expect(failing).toMatchObject({ state: 'given_up', attempts: 6, nextRunAt: null, lastError: 'The factory was not found.' });
    expect((await summaryOf('forecasts.publish')).counts).toMatchObject({ failed: 0, given_up: 1, due: 0 });
    expect((await jobs('name=forecasts.publish&state=given_up')).items.map((j) => j.id)).toEqual([failing.id]);
    const givenUpAt = failing.failedAt!;

    // The operator retries it: due now, its attempts from the start, its last error still to be read.
    const retried = await t.http.post(`/v1/jobs/${failing.id}/retry`).set(operator.auth).send({ reason: '工厂资料已恢复，重试' }).expect(200);
    expect(retried.body).toMatchObject({ state: 'due', attempts: 0, lastError: 'The factory was not found.' });
    const due = await summaryOf('forecasts.publish');
    expect(due.counts).toMatchObject({ due: 1, given_up: 0 });
    expect(due.oldestDueAt).toBe(retried.body.nextRunAt);
    expect(due.lagSeconds).toBeGreaterThanOrEqual(0);

    // The worker runs it: it fails again (the factory is still gone), a first attempt of a new round.
    await runDueNow();
    failing = await job(failing.id);
    expect(failing).toMatchObject({ state: 'failed', lastError: 'The factory was not found.' });
    expect(failing.failedAt! > givenUpAt).toBe(true);

    // Cancelled, no worker takes it any more, and it leaves the failed count.
    const cancelled = await t.http.post(`/v1/jobs/${failing.id}/cancel`).set(operator.auth).send({ reason: '工厂已注销' }).expect(200);
    expect(cancelled.body.state).toBe('cancelled');
    expect((await summaryOf('forecasts.publish')).counts).toMatchObject({ failed: 0, given_up: 0, cancelled: 1 });
    clock.offsetMs += 24 * 3600_000;
    await runDue(t, clock);
    expect(await job(failing.id)).toMatchObject({ state: 'cancelled', lastRunAt: failing.lastRunAt });
    // Cancelling it again changes nothing.
    expect((await t.http.post(`/v1/jobs/${failing.id}/cancel`).set(operator.auth).send({ reason: 'again' }).expect(200)).body.state).toBe('cancelled');

    // The operator's actions on it are in the audit log, each with its why, oldest first.
    type Entry = { method: string; route: string; reason: string | null; status: string; actor: { userId: string } };
    const entries = (await t.http.get(`/v1/audit-log?subjectId=${failing.id}&limit=100`).set(operator.auth).expect(200)).body.items as Entry[];
    expect(entries.map((e) => [e.method, e.route, e.status, e.reason]).reverse()).toEqual([
      ['POST', '/v1/jobs/:id/retry', 'succeeded', '工厂资料已恢复，重试'],
      ['POST', '/v1/jobs/:id/cancel', 'succeeded', '工厂已注销'],
      ['POST', '/v1/jobs/:id/cancel', 'succeeded', 'again'],
    ]);
    expect(entries.every((e) => e.actor.userId === operator.userId)).toBe(true);
  });

  test("a webhook push that failed while the factory's receiver was down: retried by the operator once it is back, the batch arrives", async () => {
    const factory = await aFactory(t, operator);
    await t.http
      .put('/v1/factory/webhook')
      .set(factory.user.auth)
      .send({ url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/c2m/batches` })
      .expect(200);
    const campaign = await anOpenCampaign(t, operator, factory.id, clock);
    await paidPledge(t, await aConsumer(t), campaign.id, { colour: 'black', size: 'M' }, 1);
    const batch = (await t.http.post(`/v1/factories/${factory.id}/forecast-batches`).set(operator.auth).expect(200)).body.batch as {
      id: string;
      version: number;
    };
    await runDueNow();

    const push = await jobWith('forecasts.push-batch', 'batchId', batch.id);
    expect(push).toMatchObject({ state: 'failed', attempts: 1, maxAttempts: 41 });
    expect(push.lastError).toContain('503');
    // Its own next attempt is ten minutes away.
    expect(Date.parse(push.nextRunAt!) - Date.now()).toBeGreaterThan(5 * 60_000);

    down = false;
    expect((await t.http.post(`/v1/jobs/${push.id}/retry`).set(operator.auth).send({}).expect(200)).body.state).toBe('due');
    await runDueNow();
    expect(await job(push.id)).toMatchObject({ state: 'completed', attempts: 0, nextRunAt: null });
    expect(received.filter((id) => id === `${batch.id}:v${batch.version}`)).toHaveLength(2);
    const deliveries = (await t.http.get('/v1/factory/webhook-deliveries?limit=100').set(factory.user.auth).expect(200)).body.items;
    expect(deliveries.filter((d: { batchId: string; delivered: boolean }) => d.batchId === batch.id && d.delivered)).toHaveLength(1);

    // A completed job is neither cancelled nor retried.
    expect((await t.http.post(`/v1/jobs/${push.id}/cancel`).set(operator.auth).send({ reason: 'x' }).expect(409)).body.code).toBe('job_finished');
    expect((await t.http.post(`/v1/jobs/${push.id}/retry`).set(operator.auth).send({}).expect(409)).body.code).toBe('job_not_failed');
  });
});

describe('cancel', () => {
  test('a due job cancelled is never run: the factory gets no forecast version', async () => {
    // A factory with demand: its forecast would be published.
    const factory = await aFactory(t, operator);
    const campaign = await anOpenCampaign(t, operator, factory.id, clock);
    await paidPledge(t, await aConsumer(t), campaign.id, { colour: 'navy', size: 'L' }, 2);
    await enqueue('forecasts.publish', { factoryId: factory.id, trigger: 'daily' });
    const due = await jobWith('forecasts.publish', 'factoryId', factory.id);
    expect(due).toMatchObject({ state: 'due', attempts: 0, lastError: null, lastRunAt: null });
    const summary = await summaryOf('forecasts.publish');
    expect(summary.counts.due).toBe(1);
    expect(summary.oldestDueAt).toBe(due.nextRunAt);
    expect((await jobs('name=forecasts.publish&state=due')).items.map((j) => j.id)).toEqual([due.id]);

    const cancelled = await t.http.post(`/v1/jobs/${due.id}/cancel`).set(operator.auth).send({ reason: '误触发' }).expect(200);
    expect(cancelled.body).toMatchObject({ id: due.id, state: 'cancelled' });
    expect(await summaryOf('forecasts.publish')).toMatchObject({ counts: expect.objectContaining({ due: 0 }), oldestDueAt: null, lagSeconds: 0 });

    await runDueNow();
    expect(await job(due.id)).toMatchObject({ state: 'cancelled', lastRunAt: null });
    expect((await t.http.get('/v1/factory/forecast-batches').set(factory.user.auth).expect(200)).body.items).toEqual([]);
  });

  test('a running job is neither cancelled nor retried (409 job_running); once it is done it is completed; a recurring job is not cancelled', async () => {
    await enqueue('test.held', { n: 1 });
    const held = (await jobs('name=test.held')).items[0];
    await t.app.jobs.startWorker();
    try {
      await waitFor(async () => (await job(held.id)).state === 'running', 20_000, 'the held job running');
      expect((await summaryOf('test.held')).counts.running).toBe(1);
      expect((await jobs('state=running')).items.map((j) => j.id)).toContain(held.id);
      for (const action of ['cancel', 'retry']) {
        const refused = await t.http.post(`/v1/jobs/${held.id}/${action}`).set(operator.auth).send({ reason: '测试' }).expect(409);
        expect(refused.body.code).toBe('job_running');
      }
      // Refused, and recorded so.
      const tried = (await t.http.get(`/v1/audit-log?subjectId=${held.id}&limit=10`).set(operator.auth).expect(200)).body.items;
      expect(tried.map((e: { route: string; status: string }) => [e.route, e.status]).reverse()).toEqual([
        ['/v1/jobs/:id/cancel', 'refused'],
        ['/v1/jobs/:id/retry', 'refused'],
      ]);
      release();
      await waitFor(async () => (await job(held.id)).state === 'completed', 20_000, 'the held job completed');
    } finally {
      release();
      await t.app.jobs.stopWorker();
    }

    // The worker declared the recurring jobs: they are listed as such and refuse a cancel.
    const purge = await summaryOf('platform.purge-idempotency-keys');
    expect(purge).toMatchObject({ recurring: true, maxAttempts: 6 });
    const recurring = (await jobs('name=platform.purge-idempotency-keys')).items[0];
    expect(recurring.recurring).toBe(true);
    expect((await t.http.post(`/v1/jobs/${recurring.id}/cancel`).set(operator.auth).send({ reason: 'x' }).expect(409)).body.code).toBe('job_recurring');
  });
});

describe('who and what', () => {
  test('every job type the service runs has its Chinese name on the console (任务 page), and no name is left over', () => {
    const defined = t.app.jobs.definedNames().map((d) => d.name);
    // The test's own job type (defined above) is not the product's.
    const product = defined.filter((name) => !name.startsWith('test.'));
    expect(product.filter((name) => !zh.names[name])).toEqual([]);
    expect(Object.keys(zh.names).filter((name) => !product.includes(name))).toEqual([]);
  });

  test('only operators; a cancel says why; a bad state, an unknown job and a malformed id are refused', async () => {
    const factory = await aFactory(t, operator);
    for (const who of [factory.user, await aConsumer(t)]) {
      await t.http.get('/v1/jobs/summary').set(who.auth).expect(403);
      await t.http.get('/v1/jobs').set(who.auth).expect(403);
      await t.http.post(`/v1/jobs/${randomUUID()}/retry`).set(who.auth).send({}).expect(403);
    }
    await t.http.get('/v1/jobs/summary').expect(401);

    await enqueue('forecasts.publish', { factoryId: factory.id, trigger: 'daily' });
    const due = await jobWith('forecasts.publish', 'factoryId', factory.id);
    const noReason = await t.http.post(`/v1/jobs/${due.id}/cancel`).set(operator.auth).send({}).expect(400);
    expect(noReason.body.errors).toEqual([expect.objectContaining({ path: 'body.reason', reason: 'required' })]);
    expect((await job(due.id)).state).toBe('due');

    expect((await t.http.get('/v1/jobs?state=stuck').set(operator.auth).expect(400)).body.errors[0]).toMatchObject({
      path: 'query.state',
      reason: 'invalid_option',
    });
    expect((await t.http.post(`/v1/jobs/${randomUUID()}/cancel`).set(operator.auth).send({ reason: 'x' }).expect(404)).body.code).toBe('not_found');
    await t.http.get('/v1/jobs/not-an-id').set(operator.auth).expect(400);
    // Every defined job name is in the summary, those with no jobs too.
    const names = ((await t.http.get('/v1/jobs/summary').set(operator.auth).expect(200)).body.names as NameSummary[]).map((n) => n.name);
    expect(names).toEqual(expect.arrayContaining(['subscriptions.share-shortfall', 'payments.send-refund', 'pledges.expire-unpaid']));
  });
});
