import supertest from 'supertest';
import { z } from 'zod';
import { AppError, IdempotencyKeyRow, IdempotencyStore, route } from '../../src/platform/http';
import { serveRoutes, startTestApp, type TestApp } from '../support/app';
import { aConsumer, type Caller } from '../support/builders';
import { waitFor } from '../support/wait';

/**
 * The Idempotency-Key contract, exercised on a route built with the platform's own route() and
 * mountRoutes() against the real database. The route stands in for the money-moving routes of later
 * modules: it counts how often its work really ran, and can be held open to test "still running".
 */
let t: TestApp;
let http: ReturnType<typeof supertest>;
let consumer: Caller;
let runs = 0;
let gate: Promise<void> | undefined;
const outcome: { fail?: 'domain' | 'crash' } = {};

beforeAll(async () => {
  t = await startTestApp();
  consumer = await aConsumer(t);
  const charge = route({
    method: 'post',
    path: '/test/charges',
    summary: 'test charge',
    access: ['consumer'],
    idempotent: true,
    status: 201,
    body: z.strictObject({ amount: z.string(), note: z.string().optional() }),
    response: z.object({ chargeNumber: z.int(), amount: z.string() }),
    handle: async ({ body }) => {
      runs += 1;
      await gate;
      if (outcome.fail === 'domain') throw new AppError(422, 'card_declined', 'The card was declined.');
      if (outcome.fail === 'crash') throw new Error('database went away');
      return { chargeNumber: runs, amount: body.amount };
    },
  });
  http = serveRoutes(t, [charge]);
});
afterAll(() => t.close());
beforeEach(() => {
  gate = undefined;
  delete outcome.fail;
});

const post = (key: string | undefined, body: object, caller = consumer) => {
  const req = http.post('/test/charges').set(caller.auth);
  return key === undefined ? req.send(body) : req.set('Idempotency-Key', key).send(body);
};

describe('Idempotency-Key', () => {
  test('the same key and body replays the first response without running the work again', async () => {
    const before = runs;
    const first = await post('key-replay', { amount: '10.00' }).expect(201);
    const again = await post('key-replay', { amount: '10.00' }).expect(201);
    expect(again.body).toEqual(first.body);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(runs).toBe(before + 1);
  });

  test('key order in the body does not make it a different request', async () => {
    const first = await post('key-order', { amount: '1.00', note: 'n' }).expect(201);
    const again = await http
      .post('/test/charges')
      .set(consumer.auth)
      .set('Idempotency-Key', 'key-order')
      .set('Content-Type', 'application/json')
      .send('{"note":"n","amount":"1.00"}')
      .expect(201);
    expect(again.body).toEqual(first.body);
  });

  test('the same key with a different body is a 422 and runs nothing', async () => {
    await post('key-reused', { amount: '10.00' }).expect(201);
    const before = runs;
    const res = await post('key-reused', { amount: '99.00' }).expect(422);
    expect(res.body.code).toBe('idempotency_key_reused');
    expect(runs).toBe(before);
  });

  test('while the first request is still running, the same key is a 409', async () => {
    let open!: () => void;
    gate = new Promise((resolve) => (open = resolve));
    const first = post('key-in-flight', { amount: '5.00' }).then((r) => r);
    await waitFor(async () => (await t.db.read((tx) => tx.countBy(IdempotencyKeyRow, { key: 'key-in-flight' }))) === 1);
    const second = await post('key-in-flight', { amount: '5.00' }).expect(409);
    expect(second.body.code).toBe('idempotency_request_in_flight');
    open();
    expect((await first).status).toBe(201);
    await post('key-in-flight', { amount: '5.00' }).expect(201);
  });

  test('twenty identical requests at once run the work exactly once', async () => {
    const before = runs;
    const responses = await Promise.all(Array.from({ length: 20 }, () => post('key-burst', { amount: '7.00' })));
    expect(runs).toBe(before + 1);
    const created = responses.filter((r) => r.status === 201);
    expect(created.length).toBeGreaterThanOrEqual(1);
    expect(responses.every((r) => r.status === 201 || r.status === 409)).toBe(true);
    expect(new Set(created.map((r) => r.body.chargeNumber)).size).toBe(1);
  });

  test('keys belong to their caller: another caller with the same key gets their own result', async () => {
    const other = await aConsumer(t);
    const mine = await post('shared-key', { amount: '3.00' }).expect(201);
    const theirs = await post('shared-key', { amount: '3.00' }, other).expect(201);
    expect(theirs.headers['idempotent-replayed']).toBeUndefined();
    expect(theirs.body.chargeNumber).not.toBe(mine.body.chargeNumber);
  });

  test('a refusal is final and replayed; an unexpected failure frees the key for a retry', async () => {
    outcome.fail = 'domain';
    const declined = await post('key-declined', { amount: '8.00' }).expect(422);
    delete outcome.fail;
    const replayed = await post('key-declined', { amount: '8.00' }).expect(422);
    expect(replayed.body.code).toBe('card_declined');
    expect(replayed.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(replayed.body.detail).toBe(declined.body.detail);

    outcome.fail = 'crash';
    const crashed = await post('key-crash', { amount: '8.00' }).expect(500);
    expect(crashed.body).toMatchObject({ code: 'internal_error' });
    expect(JSON.stringify(crashed.body)).not.toContain('database went away');
    delete outcome.fail;
    await post('key-crash', { amount: '8.00' }).expect(201);
  });

  test.each([
    ['missing', undefined, 'idempotency_key_required'],
    ['empty', '', 'invalid_idempotency_key'],
    ['too long', 'k'.repeat(256), 'invalid_idempotency_key'],
    ['with spaces', 'my key', 'invalid_idempotency_key'],
  ])('a %s key is a 400 and runs nothing', async (_label, key, code) => {
    const before = runs;
    const res = await post(key, { amount: '1.00' }).expect(400);
    expect(res.body.code).toBe(code);
    expect(runs).toBe(before);
  });

  test('keys are kept at least 24 hours, then purged', async () => {
    await post('key-old', { amount: '1.00' }).expect(201);
    const store = t.app.services.idempotency;
    expect(await store.purgeExpired(new Date(Date.now() + 24 * 3600_000))).toBe(0);
    expect(await store.purgeExpired(new Date(Date.now() + 49 * 3600_000))).toBeGreaterThan(0);
    expect(await t.db.read((tx) => tx.countBy(IdempotencyKeyRow, { key: 'key-old' }))).toBe(0);
  });

  test('a key whose first request died mid-way is taken over once it is abandoned', async () => {
    const store = new IdempotencyStore(t.db, { retentionMs: 3600_000, abandonAfterMs: 50 });
    const hash = IdempotencyStore.fingerprint('POST', '/x', { a: 1 });
    const first = await store.start('user:crashed', 'k1', hash);
    expect(first.kind).toBe('started');
    await expect(store.start('user:crashed', 'k1', hash)).rejects.toMatchObject({ code: 'idempotency_request_in_flight' });
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect((await store.start('user:crashed', 'k1', hash)).kind).toBe('started');
  });
});
