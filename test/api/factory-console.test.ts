import { type IncomingHttpHeaders, type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FactoryWebhookRow } from '../../src/factories';
import { SecretBox } from '../../src/platform/secret-box';
import { verifySignatureHeader } from '../../src/platform/signature';
import { startTestApp, type TestApp } from '../support/app';
import { aConsumer, aFactory, aSession, anOperator, type Caller } from '../support/builders';
import { anOpenCampaign, paidPledge } from '../support/campaigns';
import { TestClock, advance } from '../support/clock';
import { waitFor } from '../support/wait';

/**
 * What the operator console's factories area and the portal's webhook buttons stand on: the list of
 * factories with their users, keys and webhook health; disabling a portal user; "send test" against a real
 * local receiver; each failed push with its next retry (or when the retries stopped); redeliver; pushing a
 * batch at once after a new URL. Jobs run as the worker runs them, the receivers are real HTTP servers.
 */
const RETRY_BASE_MS = 60_000;
let t: TestApp;
let operator: Caller;
const clock = new TestClock();

/** A factory's ERP endpoint answering `status` to everything, remembering what it got. */
class Receiver {
  readonly requests: { headers: IncomingHttpHeaders; body: Buffer }[] = [];
  status = 200;
  private server: Server | undefined;
  port = 0;

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        this.requests.push({ headers: req.headers, body: Buffer.concat(chunks) });
        res.writeHead(this.status).end();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    const server = this.server;
    server?.closeAllConnections();
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/c2m/batches`;
  }

  eventsOf(eventId: string): { headers: IncomingHttpHeaders; body: Buffer }[] {
    return this.requests.filter((r) => r.headers['x-c2m-event-id'] === eventId);
  }
}

const receivers: Receiver[] = [];
const aReceiver = async () => {
  const r = await new Receiver().start();
  receivers.push(r);
  return r;
};

beforeAll(async () => {
  // The receivers run on this machine: a development setting (the default refuses internal addresses).
  t = await startTestApp({ clock, runsWorker: true, env: { WEBHOOK_RETRY_BASE_MS: String(RETRY_BASE_MS), WEBHOOK_ALLOW_PRIVATE_ADDRESSES: 'true' } });
  operator = await anOperator(t);
});
afterAll(async () => {
  await t.close();
  for (const r of receivers) await r.stop();
});

type Delivery = {
  id: string;
  batchId: string;
  version: number;
  attempt: number;
  statusCode: number | null;
  error: string | null;
  errorKind: string | null;
  delivered: boolean;
  manual: boolean;
  attemptedAt: string;
  nextAttemptAt: string | null;
  gaveUpAt: string | null;
};
type Summary = {
  id: string;
  users: { total: number; active: number };
  activeApiKeys: number;
  webhook: null | {
    url: string;
    lastAttemptAt: string | null;
    lastDelivered: boolean | null;
    lastStatusCode: number | null;
    lastErrorKind: string | null;
    failingBatches: number;
    retryingBatches: number;
    nextAttemptAt: string | null;
  };
};

const deliveries = async (factoryId: string, query = '') =>
  (await t.http.get(`/v1/factories/${factoryId}/webhook-deliveries?limit=100${query}`).set(operator.auth).expect(200)).body.items as Delivery[];
const summaryOf = async (factoryId: string): Promise<Summary> => {
  const all = (await t.http.get('/v1/factories?limit=100').set(operator.auth).expect(200)).body.items as Summary[];
  return all.find((f) => f.id === factoryId)!;
};
/**
 * The worker has made the first attempt to push the batch and, when it failed, planned the retry (a minute or
 * more away): until the job is saved, its newest attempt shows the time it was due.
 */
const firstAttempt = (factoryId: string, batch: { id: string }) =>
  waitFor(
    async () => {
      const newest = (await deliveries(factoryId)).find((d) => d.batchId === batch.id);
      return newest !== undefined && (newest.delivered || newest.gaveUpAt !== null || Date.parse(newest.nextAttemptAt!) > Date.now());
    },
    60_000,
    `a push of batch ${batch.id}`,
  );
/** A new version of the factory's forecast (a paid pledge changes it), published by an operator; its push job is due now. */
const newBatch = async (factoryId: string) => {
  const c = await anOpenCampaign(t, operator, factoryId, clock);
  await paidPledge(t, await aConsumer(t), c.id, { colour: 'black', size: 'M' }, 1);
  const published = await t.http.post(`/v1/factories/${factoryId}/forecast-batches`).set(operator.auth).expect(200);
  return published.body.batch as { id: string; version: number };
};

describe('the list of factories', () => {
  test('says per factory its kind, its users (disabled ones apart), its keys not revoked, and whether it has a webhook', async () => {
    const orchard = await aFactory(t, operator, 'orchard');
    const second = await t.http
      .post(`/v1/factories/${orchard.id}/users`)
      .set(operator.auth)
      .send({ email: `packer-${orchard.id.slice(0, 6)}@example.com`, password: 'packer password 1' })
      .expect(201);
    await t.http.post(`/v1/factories/${orchard.id}/api-keys`).set(operator.auth).send({ name: 'ERP' }).expect(201);
    const revoked = await t.http.post(`/v1/factories/${orchard.id}/api-keys`).set(operator.auth).send({ name: 'old ERP' }).expect(201);
    await t.http.delete(`/v1/factories/${orchard.id}/api-keys/${revoked.body.id}`).set(operator.auth).expect(204);
    await t.http.post(`/v1/factories/${orchard.id}/users/${second.body.id}/disable`).set(operator.auth).send({ reason: '已离职' }).expect(200);

    expect(await summaryOf(orchard.id)).toMatchObject({ kind: 'orchard', users: { total: 2, active: 1 }, activeApiKeys: 1, webhook: null });
  });
});

describe("disabling a factory's portal user", () => {
  test('ends its sessions at once and refuses its sign-in with account_disabled; enabled again, it signs in', async () => {
    const factory = await aFactory(t, operator);
    const colleague = await aSession(t, factory.user.email, 'factory password 1');
    await t.http.get('/v1/factory/forecast').set(factory.user.auth).expect(200);

    const disabled = await t.http
      .post(`/v1/factories/${factory.id}/users/${factory.user.userId}/disable`)
      .set(operator.auth)
      .send({ reason: '账号外借' })
      .expect(200);
    expect(disabled.body).toMatchObject({ id: factory.user.userId, disabledAt: expect.any(String) });
    for (const session of [factory.user, colleague]) await t.http.get('/v1/factory/forecast').set(session.auth).expect(401);
    const refused = await t.http.post('/v1/auth/login').send({ email: factory.user.email, password: 'factory password 1' }).expect(403);
    expect(refused.body.code).toBe('account_disabled');
    // A wrong password says no more than for any account.
    expect((await t.http.post('/v1/auth/login').send({ email: factory.user.email, password: 'not the password' }).expect(401)).body.code).toBe(
      'invalid_credentials',
    );
    // Twice is fine; the list says so.
    await t.http.post(`/v1/factories/${factory.id}/users/${factory.user.userId}/disable`).set(operator.auth).send({ reason: '再次' }).expect(200);
    const users = (await t.http.get(`/v1/factories/${factory.id}/users`).set(operator.auth).expect(200)).body.items;
    expect(users).toEqual([expect.objectContaining({ id: factory.user.userId, disabledAt: disabled.body.disabledAt })]);

    await t.http.post(`/v1/factories/${factory.id}/users/${factory.user.userId}/enable`).set(operator.auth).send({}).expect(200);
    const again = await aSession(t, factory.user.email, 'factory password 1');
    await t.http.get('/v1/factory/forecast').set(again.auth).expect(200);
  });

  test('is in the audit log with the operator, the user, the reason and the outcome', async () => {
    const factory = await aFactory(t, operator);
    await t.http.post(`/v1/factories/${factory.id}/users/${factory.user.userId}/disable`).set(operator.auth).send({ reason: '长期未登录' }).expect(200);
    await t.http.post(`/v1/factories/${factory.id}/users/${factory.user.userId}/enable`).set(operator.auth).send({ reason: '恢复使用' }).expect(200);
    const log = (await t.http.get(`/v1/audit-log?subjectId=${factory.id}&action=/v1/factories/:id/users/:userId/disable`).set(operator.auth).expect(200)).body
      .items;
    expect(log).toEqual([
      expect.objectContaining({ actor: expect.objectContaining({ userId: operator.userId }), reason: '长期未登录', status: 'succeeded', httpStatus: 200 }),
    ]);
    const enabled = (await t.http.get(`/v1/audit-log?subjectId=${factory.id}&action=/v1/factories/:id/users/:userId/enable`).set(operator.auth).expect(200))
      .body.items;
    expect(enabled).toEqual([expect.objectContaining({ reason: '恢复使用', status: 'succeeded' })]);
  });

  test('needs a reason; a user of another factory, or a consumer, is not found', async () => {
    const a = await aFactory(t, operator);
    const b = await aFactory(t, operator);
    const noReason = await t.http.post(`/v1/factories/${a.id}/users/${a.user.userId}/disable`).set(operator.auth).send({}).expect(400);
    expect(noReason.body.errors).toEqual([expect.objectContaining({ path: 'body.reason', reason: 'required' })]);
    await t.http.post(`/v1/factories/${b.id}/users/${a.user.userId}/disable`).set(operator.auth).send({ reason: 'x' }).expect(404);
    const consumer = await aConsumer(t);
    await t.http.post(`/v1/factories/${a.id}/users/${consumer.userId}/disable`).set(operator.auth).send({ reason: 'x' }).expect(404);
    await t.http.post(`/v1/factories/${a.id}/users/${a.user.userId}/disable`).set(a.user.auth).send({ reason: 'x' }).expect(403);
  });
});

describe('send test', () => {
  test('POSTs a signed webhook.test event now and says what the receiver answered: 200, then 503, then nobody there', async () => {
    const factory = await aFactory(t, operator);
    const receiver = await aReceiver();
    const secret = (await t.http.put('/v1/factory/webhook').set(factory.user.auth).send({ url: receiver.url }).expect(200)).body.secret as string;

    const ok = (await t.http.post('/v1/factory/webhook/test').set(factory.user.auth).expect(200)).body;
    expect(ok).toMatchObject({ url: receiver.url, delivered: true, statusCode: 200, error: null, errorKind: null, eventId: expect.stringMatching(/^test:/) });
    const [sent] = receiver.eventsOf(ok.eventId);
    expect(JSON.parse(sent.body.toString())).toEqual({ type: 'webhook.test', eventId: ok.eventId, factoryId: factory.id, sentAt: expect.any(String) });
    expect(verifySignatureHeader(secret, String(sent.headers['x-c2m-signature']), sent.body).valid).toBe(true);

    receiver.status = 503;
    const failed = (await t.http.post(`/v1/factories/${factory.id}/webhook/test`).set(operator.auth).send({}).expect(200)).body;
    expect(failed).toMatchObject({ delivered: false, statusCode: 503, errorKind: 'http_status', error: 'the endpoint answered 503' });

    await receiver.stop();
    const down = (await t.http.post('/v1/factory/webhook/test').set(factory.user.auth).expect(200)).body;
    expect(down).toMatchObject({ delivered: false, statusCode: null, errorKind: 'connect_failed', error: expect.stringMatching(/^could not connect/) });

    // A test is no batch: nothing among the deliveries.
    expect(await deliveries(factory.id)).toEqual([]);
  });

  test('without a webhook: 409 webhook_not_set; another factory gets 404 for the operator variant', async () => {
    const a = await aFactory(t, operator);
    const b = await aFactory(t, operator);
    expect((await t.http.post('/v1/factory/webhook/test').set(a.user.auth).expect(409)).body.code).toBe('webhook_not_set');
    await t.http
      .put('/v1/factory/webhook')
      .set(a.user.auth)
      .send({ url: (await aReceiver()).url })
      .expect(200);
    await t.http.post(`/v1/factories/${a.id}/webhook/test`).set(b.user.auth).send({}).expect(404);
    await t.http.get(`/v1/factories/${a.id}/webhook`).set(b.user.auth).expect(404);
    expect((await t.http.get(`/v1/factories/${a.id}/webhook`).set(operator.auth).expect(200)).body).not.toHaveProperty('secret');
    await t.http.post(`/v1/factories/${a.id}/webhook/test`).set(a.user.auth).send({}).expect(200);
  });

  test('a secret sealed under an AUTH_SECRET since changed: 409 webhook_secret_unreadable, not a 500; once rotated, it signs with the new secret at once', async () => {
    const factory = await aFactory(t, operator);
    const receiver = await aReceiver();
    await t.http.put('/v1/factory/webhook').set(factory.user.auth).send({ url: receiver.url }).expect(200);
    // As after a change of AUTH_SECRET (docs/operations.md § Factory webhooks): the stored secret was sealed under another key.
    const sealedBefore = new SecretBox('an-earlier-auth-secret-long-enough-0123', 'factory-webhook-secrets').seal('whsec_before');
    await t.db.transaction((tx) => tx.update(FactoryWebhookRow, { factoryId: factory.id }, { secretSealed: sealedBefore }));

    for (const send of [
      t.http.post('/v1/factory/webhook/test').set(factory.user.auth),
      t.http.post(`/v1/factories/${factory.id}/webhook/test`).set(operator.auth),
    ]) {
      const refused = await send.expect(409);
      expect(refused.body.code).toBe('webhook_secret_unreadable');
    }
    expect(receiver.requests).toEqual([]);

    // The factory rotates, as it is told to: the unreadable old secret, though in its grace period, signs nothing.
    const secret = (await t.http.post('/v1/factory/webhook/rotate-secret').set(factory.user.auth).expect(200)).body.secret as string;
    const ok = (await t.http.post('/v1/factory/webhook/test').set(factory.user.auth).expect(200)).body;
    expect(ok).toMatchObject({ delivered: true, statusCode: 200 });
    const [sent] = receiver.eventsOf(ok.eventId);
    const header = String(sent.headers['x-c2m-signature']);
    expect(header.split(',').filter((part) => part.startsWith('v1='))).toHaveLength(1);
    expect(verifySignatureHeader(secret, header, sent.body).valid).toBe(true);
  });
});

describe('failing deliveries', () => {
  test('a failed push says when it will be retried; the list of factories counts it; redeliver after the fix delivers it', async () => {
    const factory = await aFactory(t, operator);
    const receiver = await aReceiver();
    receiver.status = 500;
    await t.http.put('/v1/factory/webhook').set(factory.user.auth).send({ url: receiver.url }).expect(200);

    const before = Date.now();
    const batch = await newBatch(factory.id);
    await firstAttempt(factory.id, batch);
    const after = Date.now();

    const [failed] = await deliveries(factory.id);
    expect(failed).toMatchObject({ batchId: batch.id, attempt: 1, delivered: false, statusCode: 500, errorKind: 'http_status', manual: false, gaveUpAt: null });
    // The first retry waits the base delay, give or take its 20 % jitter.
    const next = Date.parse(failed.nextAttemptAt!);
    expect(next).toBeGreaterThanOrEqual(before + RETRY_BASE_MS * 0.8);
    expect(next).toBeLessThanOrEqual(after + RETRY_BASE_MS * 1.2);
    expect(await deliveries(factory.id, '&status=failing')).toEqual([failed]);
    // The factory sees the same.
    expect((await t.http.get('/v1/factory/webhook-deliveries').set(factory.user.auth).expect(200)).body.items).toEqual([failed]);

    expect((await summaryOf(factory.id)).webhook).toEqual({
      url: receiver.url,
      lastAttemptAt: failed.attemptedAt,
      lastDelivered: false,
      lastStatusCode: 500,
      lastErrorKind: 'http_status',
      failingBatches: 1,
      retryingBatches: 1,
      nextAttemptAt: failed.nextAttemptAt,
    });

    // Redeliver while the receiver still fails: a new attempt, failed, the retry still planned.
    const still = (await t.http.post(`/v1/factories/${factory.id}/webhook-deliveries/${failed.id}/redeliver`).set(operator.auth).send({}).expect(200)).body;
    expect(still).toMatchObject({ batchId: batch.id, attempt: 2, delivered: false, statusCode: 500, manual: true, nextAttemptAt: failed.nextAttemptAt });
    expect((await deliveries(factory.id)).find((d) => d.id === failed.id)).toMatchObject({ nextAttemptAt: null, gaveUpAt: null });

    expect(
      (
        await t.http
          .get(`/v1/audit-log?subjectId=${factory.id}&action=/v1/factories/:id/webhook-deliveries/:deliveryId/redeliver`)
          .set(operator.auth)
          .expect(200)
      ).body.items,
    ).toEqual([expect.objectContaining({ method: 'POST', status: 'succeeded', httpStatus: 200 })]);

    // The receiver fixed, the factory redelivers: the same event, signed, delivered.
    receiver.status = 200;
    const fixed = (await t.http.post(`/v1/factory/webhook-deliveries/${failed.id}/redeliver`).set(factory.user.auth).expect(200)).body;
    expect(fixed).toMatchObject({ attempt: 3, delivered: true, statusCode: 200, manual: true, nextAttemptAt: null, gaveUpAt: null });
    const events = receiver.eventsOf(`${batch.id}:v${batch.version}`);
    expect(events).toHaveLength(3);
    expect(new Set(events.map((e) => e.body.toString())).size).toBe(1);
    expect(await deliveries(factory.id, '&status=failing')).toEqual([]);
    expect((await summaryOf(factory.id)).webhook).toMatchObject({ lastDelivered: true, failingBatches: 0, retryingBatches: 0, nextAttemptAt: null });

    // The retry that was planned comes and sends nothing: the batch is delivered.
    await advance(t, clock, RETRY_BASE_MS * 2);
    expect(receiver.eventsOf(`${batch.id}:v${batch.version}`)).toHaveLength(3);
    expect(await deliveries(factory.id)).toHaveLength(3);
  });

  test('once no retry will come (the webhook was removed meanwhile), the newest failed attempt says since when', async () => {
    const factory = await aFactory(t, operator);
    const receiver = await aReceiver();
    receiver.status = 502;
    await t.http.put('/v1/factory/webhook').set(factory.user.auth).send({ url: receiver.url }).expect(200);
    await firstAttempt(factory.id, await newBatch(factory.id));
    await t.http.delete('/v1/factory/webhook').set(factory.user.auth).expect(204);
    // The retry comes, finds no webhook, and stops for good.
    await advance(t, clock, RETRY_BASE_MS * 2);
    await t.http.put('/v1/factory/webhook').set(factory.user.auth).send({ url: receiver.url }).expect(200);

    const [failed] = await deliveries(factory.id);
    expect(failed).toMatchObject({ attempt: 1, delivered: false, nextAttemptAt: null, gaveUpAt: failed.attemptedAt });
    expect((await summaryOf(factory.id)).webhook).toMatchObject({ failingBatches: 1, retryingBatches: 0, nextAttemptAt: null });
  });

  test('a batch delivered replaces older failures: only newer versions count as failing', async () => {
    const factory = await aFactory(t, operator);
    const receiver = await aReceiver();
    receiver.status = 503;
    await t.http.put('/v1/factory/webhook').set(factory.user.auth).send({ url: receiver.url }).expect(200);
    await firstAttempt(factory.id, await newBatch(factory.id));
    expect((await summaryOf(factory.id)).webhook).toMatchObject({ failingBatches: 1 });
    receiver.status = 200;
    const v2 = await newBatch(factory.id);
    await firstAttempt(factory.id, v2);
    expect((await deliveries(factory.id)).find((d) => d.batchId === v2.id)).toMatchObject({ delivered: true });
    expect((await summaryOf(factory.id)).webhook).toMatchObject({ failingBatches: 0, lastDelivered: true });
    expect(await deliveries(factory.id, '&status=failing')).toEqual([]);
  });

  test("redeliver names its factory's attempt: another factory's is not found, to its users and through the operator route", async () => {
    const a = await aFactory(t, operator);
    const b = await aFactory(t, operator);
    const receiver = await aReceiver();
    receiver.status = 500;
    await t.http.put('/v1/factory/webhook').set(a.user.auth).send({ url: receiver.url }).expect(200);
    await firstAttempt(a.id, await newBatch(a.id));
    const [failed] = await deliveries(a.id);
    await t.http.post(`/v1/factory/webhook-deliveries/${failed.id}/redeliver`).set(b.user.auth).expect(404);
    await t.http.post(`/v1/factories/${a.id}/webhook-deliveries/${failed.id}/redeliver`).set(b.user.auth).send({}).expect(404);
    await t.http.post(`/v1/factories/${b.id}/webhook-deliveries/${failed.id}/redeliver`).set(operator.auth).send({}).expect(404);
    await t.http.get(`/v1/factories/${a.id}/webhook-deliveries`).set(b.user.auth).expect(404);
    expect(receiver.requests).toHaveLength(1);
  });
});

describe('push a batch now', () => {
  test('after a new URL, the current batch goes there at once, though it was delivered to the old one', async () => {
    const factory = await aFactory(t, operator);
    const old = await aReceiver();
    await t.http.put('/v1/factory/webhook').set(factory.user.auth).send({ url: old.url }).expect(200);
    const batch = await newBatch(factory.id);
    await firstAttempt(factory.id, batch);
    expect(old.eventsOf(`${batch.id}:v${batch.version}`)).toHaveLength(1);

    const moved = await aReceiver();
    await t.http.put('/v1/factory/webhook').set(factory.user.auth).send({ url: moved.url }).expect(200);
    const pushed = (await t.http.post(`/v1/factory/forecast-batches/${batch.id}/push`).set(factory.user.auth).expect(200)).body;
    expect(pushed).toMatchObject({ batchId: batch.id, attempt: 2, url: moved.url, delivered: true, manual: true });
    expect(moved.eventsOf(`${batch.id}:v${batch.version}`)).toHaveLength(1);

    const other = await aFactory(t, operator);
    await t.http.post(`/v1/factory/forecast-batches/${batch.id}/push`).set(other.user.auth).expect(404);
    await t.http.delete('/v1/factory/webhook').set(factory.user.auth).expect(204);
    expect((await t.http.post(`/v1/factory/forecast-batches/${batch.id}/push`).set(factory.user.auth).expect(409)).body.code).toBe('webhook_not_set');
  });
});

describe('the audit log says which key, user and delivery an operator acted on', () => {
  type Entry = {
    route: string;
    subjectId: string | null;
    params: Record<string, string> | null;
    reason: string | null;
    summary: string | null;
    status: string;
  };
  const logOf = async (query: Record<string, string>) =>
    (
      await t.http
        .get('/v1/audit-log')
        .query({ limit: '100', ...query })
        .set(operator.auth)
        .expect(200)
    ).body.items as Entry[];

  test('revoking one of two keys, disabling one of two users, redelivering one of two deliveries: each entry names it, found by its id; no secret kept', async () => {
    const factory = await aFactory(t, operator);
    const second = await t.http
      .post(`/v1/factories/${factory.id}/users`)
      .set(operator.auth)
      .send({ email: `second-${factory.id.slice(0, 8)}@example.com`, password: 'second-password-never-logged' })
      .expect(201);
    const keys = [
      await t.http.post(`/v1/factories/${factory.id}/api-keys`).set(operator.auth).send({ name: 'ERP' }).expect(201),
      await t.http.post(`/v1/factories/${factory.id}/api-keys`).set(operator.auth).send({ name: 'old ERP' }).expect(201),
    ];
    const revoked = keys[1].body.id as string;
    await t.http.delete(`/v1/factories/${factory.id}/api-keys/${revoked}`).set(operator.auth).expect(204);
    await t.http.post(`/v1/factories/${factory.id}/users/${second.body.id}/disable`).set(operator.auth).send({ reason: '已离职' }).expect(200);

    const receiver = await aReceiver();
    receiver.status = 500;
    await t.http.put('/v1/factory/webhook').set(factory.user.auth).send({ url: receiver.url }).expect(200);
    const batches = [await newBatch(factory.id), await newBatch(factory.id)];
    for (const b of batches) await firstAttempt(factory.id, b);
    const chosen = (await deliveries(factory.id)).find((d) => d.batchId === batches[0].id)!;
    await t.http.post(`/v1/factories/${factory.id}/webhook-deliveries/${chosen.id}/redeliver`).set(operator.auth).send({}).expect(200);

    // Each found by the id of what it was on, saying which, under its factory as before.
    expect(await logOf({ subjectId: revoked })).toEqual([
      expect.objectContaining({
        route: '/v1/factories/:id/api-keys/:keyId',
        subjectId: factory.id,
        params: { id: factory.id, keyId: revoked },
        status: 'succeeded',
      }),
    ]);
    expect(await logOf({ subjectId: second.body.id })).toEqual([
      expect.objectContaining({
        route: '/v1/factories/:id/users/:userId/disable',
        subjectId: factory.id,
        params: { id: factory.id, userId: second.body.id },
        reason: '已离职',
      }),
    ]);
    expect(await logOf({ subjectId: chosen.id })).toEqual([
      expect.objectContaining({
        route: '/v1/factories/:id/webhook-deliveries/:deliveryId/redeliver',
        subjectId: factory.id,
        params: { id: factory.id, deliveryId: chosen.id },
        status: 'succeeded',
      }),
    ]);
    // The other key, the first user and the other batch's delivery: nothing was done to them.
    expect(await logOf({ subjectId: keys[0].body.id })).toEqual([]);
    expect(await logOf({ subjectId: factory.user.userId })).toEqual([]);
    const byFactory = await logOf({ subjectId: factory.id });
    expect(byFactory.map((e) => e.route)).toEqual(
      expect.arrayContaining([
        '/v1/factories/:id/api-keys/:keyId',
        '/v1/factories/:id/users/:userId/disable',
        '/v1/factories/:id/webhook-deliveries/:deliveryId/redeliver',
      ]),
    );
    // A route with one parameter names it too; one without, none.
    expect(byFactory.find((e) => e.route === '/v1/factories/:id/api-keys')!.params).toEqual({ id: factory.id });
    expect((await logOf({ subjectId: factory.id, action: 'POST /v1/factories' }))[0]!.params).toBeNull();
    // Neither a password nor a key's secret anywhere in the log or its CSV.
    const csv = (await t.http.get('/v1/audit-log').query({ subjectId: factory.id, format: 'csv' }).set(operator.auth).expect(200)).text;
    expect(csv).toContain(`{""id"":""${factory.id}"",""keyId"":""${revoked}""}`);
    for (const text of [JSON.stringify(byFactory), csv]) {
      expect(text).not.toContain('second-password-never-logged');
      for (const k of keys) expect(text).not.toContain(k.body.apiKey);
    }
  });
});
