import { DateTime } from 'luxon';
import { randomUUID } from 'node:crypto';
import { type IncomingHttpHeaders, type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { migrations } from '../../migrations';
import { AttemptNumbersAndAuditParams1766500000000 } from '../../migrations/1766500000000-attempt-numbers-and-audit-params';
import { openDatabase } from '../../src/platform/database';
import { verifySignatureHeader } from '../../src/platform/signature';
import { startTestApp, type TestApp } from '../support/app';
import { aConsumer, aFactory, anOperator, type Caller } from '../support/builders';
import { anOpenCampaign, paidPledge } from '../support/campaigns';
import { TestClock } from '../support/clock';
import { freshDatabase } from '../support/database';
import { waitFor } from '../support/wait';

/**
 * Batches pushed to a real local HTTP receiver, by the real job worker: the receiver fails, goes down,
 * comes back; every attempt is logged, signatures verify, and each batch arrives once in effect.
 */
let t: TestApp;
let operator: Caller;
let factory: { id: string; user: Caller };
const clock = new TestClock();

interface Received {
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** A factory's ERP endpoint: answers the next `failures` requests with 503, then 200. */
class Receiver {
  readonly requests: Received[] = [];
  failures = 0;
  private server: Server | undefined;
  port = 0;

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        this.requests.push({ headers: req.headers, body: Buffer.concat(chunks) });
        if (this.failures > 0) {
          this.failures -= 1;
          res.writeHead(503).end('busy');
        } else res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    await new Promise((resolve) => this.server?.close(resolve));
    this.server?.closeAllConnections();
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/c2m/batches`;
  }

  /** What the receiver keeps: one batch per event id, as an idempotent consumer would. */
  accepted(): Map<string, string> {
    const byEvent = new Map<string, string>();
    for (const r of this.requests) byEvent.set(String(r.headers['x-c2m-event-id']), r.body.toString('utf8'));
    return byEvent;
  }
}

const receiver = new Receiver();

beforeAll(async () => {
  // The receiver runs on this machine: a development setting (the default refuses internal addresses; see webhook-addresses.test.ts).
  t = await startTestApp({ clock, runsWorker: true, env: { WEBHOOK_RETRY_BASE_MS: '100', WEBHOOK_ALLOW_PRIVATE_ADDRESSES: 'true' } });
  operator = await anOperator(t);
  factory = await aFactory(t, operator);
  await receiver.start();
});
afterAll(async () => {
  await t.close();
  await receiver.stop();
});

type Delivery = { batchId: string; version: number; attempt: number; statusCode: number | null; error: string | null; delivered: boolean };
const deliveries = (who = factory.user) =>
  t.http
    .get('/v1/factory/webhook-deliveries?limit=100')
    .set(who.auth)
    .expect(200)
    .then((r) => r.body.items as Delivery[]);
const deliveriesOf = async (batchId: string) => (await deliveries()).filter((d) => d.batchId === batchId).sort((a, b) => a.attempt - b.attempt);
const newBatch = async () => {
  const c = await anOpenCampaign(t, operator, factory.id, clock);
  await paidPledge(t, await aConsumer(t), c.id, { colour: 'black', size: 'M' }, 1);
  const published = await t.http.post(`/v1/factories/${factory.id}/forecast-batches`).set(operator.auth).expect(200);
  return published.body.batch as { id: string; version: number };
};
const delivered = (batchId: string) => waitFor(async () => (await deliveriesOf(batchId)).some((d) => d.delivered), 20_000, `batch ${batchId} delivered`);

describe('pushing batches to the factory', () => {
  let secret: string;

  test('a receiver that fails twice gets the batch on the third attempt, signed, every attempt logged', async () => {
    const set = await t.http.put('/v1/factory/webhook').set(factory.user.auth).send({ url: receiver.url }).expect(200);
    secret = set.body.secret;
    expect(secret).toMatch(/^whsec_/);
    expect((await t.http.get('/v1/factory/webhook').set(factory.user.auth).expect(200)).body).not.toHaveProperty('secret');

    receiver.failures = 2;
    const batch = await newBatch();
    await delivered(batch.id);

    const attempts = await deliveriesOf(batch.id);
    expect(attempts.map(({ attempt, statusCode, delivered: ok }) => ({ attempt, statusCode, ok }))).toEqual([
      { attempt: 1, statusCode: 503, ok: false },
      { attempt: 2, statusCode: 503, ok: false },
      { attempt: 3, statusCode: 200, ok: true },
    ]);
    const sent = receiver.requests.filter((r) => r.headers['x-c2m-event-id'] === `${batch.id}:v${batch.version}`);
    expect(sent).toHaveLength(3);
    expect(new Set(sent.map((r) => r.body.toString()))).toHaveProperty('size', 1);
    for (const r of sent) expect(verifySignatureHeader(secret, String(r.headers['x-c2m-signature']), r.body).valid).toBe(true);
    const body = JSON.parse(sent[0].body.toString());
    expect(body).toMatchObject({ type: 'forecast_batch.published', batch: { id: batch.id, version: batch.version, factoryId: factory.id } });
    expect(body.batch.lines.length).toBeGreaterThan(0);

    // Operators see the same log.
    const seenByOperator = (await t.http.get(`/v1/factories/${factory.id}/webhook-deliveries?limit=100`).set(operator.auth).expect(200)).body.items;
    expect(seenByOperator.filter((d: Delivery) => d.batchId === batch.id)).toHaveLength(3);

    // Pushing a delivered batch again sends nothing.
    await t.app.services.forecasts.push(batch.id);
    expect(receiver.requests.filter((r) => r.headers['x-c2m-event-id'] === `${batch.id}:v${batch.version}`)).toHaveLength(3);
  });

  test('a receiver that is down loses nothing: the batch arrives when it is back', async () => {
    await receiver.stop();
    const batch = await newBatch();
    await waitFor(async () => (await deliveriesOf(batch.id)).length >= 2, 20_000, 'two failed attempts');
    expect((await deliveriesOf(batch.id)).every((d) => !d.delivered && d.statusCode === null && d.error?.startsWith('could not connect'))).toBe(true);
    await receiver.start();
    await delivered(batch.id);
    expect(receiver.accepted().get(`${batch.id}:v${batch.version}`)).toContain(batch.id);
  });

  test('after a rotation, pushes carry signatures by the new and the old secret; a bad signature never verifies', async () => {
    const rotated = await t.http.post('/v1/factory/webhook/rotate-secret').set(factory.user.auth).expect(200);
    const fresh = rotated.body.secret as string;
    expect(fresh).not.toBe(secret);
    const batch = await newBatch();
    await delivered(batch.id);
    const r = receiver.requests.find((x) => x.headers['x-c2m-event-id'] === `${batch.id}:v${batch.version}`)!;
    const header = String(r.headers['x-c2m-signature']);
    expect(header.split(',').filter((p) => p.startsWith('v1='))).toHaveLength(2);
    expect(verifySignatureHeader(fresh, header, r.body).valid).toBe(true);
    expect(verifySignatureHeader(secret, header, r.body).valid).toBe(true);
    expect(verifySignatureHeader('whsec_not-the-secret', header, r.body).valid).toBe(false);
    expect(verifySignatureHeader(fresh, header, Buffer.concat([r.body, Buffer.from(' ')])).valid).toBe(false);
  });

  test("the pushed lines say what they are: a campaign's kind campaign with its id; an orchard's fruit kind supply with its key and no campaign", async () => {
    const orchard = await aFactory(t, operator, 'orchard');
    for (const fruit of (await t.http.get('/v1/fruits').expect(200)).body.items) {
      await t.http.patch(`/v1/fruits/${fruit.id}`).set(operator.auth).send({ orchardId: orchard.id }).expect(200);
    }
    // A subscriber's boxes are the orchard's supply; a campaign of the same orchard sits beside them.
    const today = DateTime.fromJSDate(clock.now(), { zone: 'Asia/Shanghai' }).toISODate();
    await t.http
      .post('/v1/subscriptions')
      .set((await aConsumer(t)).auth)
      .set('Idempotency-Key', randomUUID())
      .send({ planId: 'weekly-family', startDate: today, deliveryWeekday: 6, region: 'shanghai', householdSize: 3 })
      .expect(201);
    const c = await anOpenCampaign(t, operator, orchard.id, clock);
    await paidPledge(t, await aConsumer(t), c.id, { colour: 'black', size: 'M' }, 1);
    const orchardSecret = (await t.http.put('/v1/factory/webhook').set(orchard.user.auth).send({ url: receiver.url }).expect(200)).body.secret as string;
    const published = (await t.http.post(`/v1/factories/${orchard.id}/forecast-batches`).set(operator.auth).expect(200)).body.batch as {
      id: string;
      version: number;
    };
    await waitFor(
      async () => (await deliveries(orchard.user)).some((d) => d.batchId === published.id && d.delivered),
      20_000,
      `batch ${published.id} delivered`,
    );

    const sent = receiver.requests.find((r) => r.headers['x-c2m-event-id'] === `${published.id}:v${published.version}`)!;
    expect(verifySignatureHeader(orchardSecret, String(sent.headers['x-c2m-signature']), sent.body).valid).toBe(true);
    type Line = { kind: string; sourceKey: string; campaignId: string | null };
    const lines = JSON.parse(sent.body.toString()).batch.lines as Line[];
    const campaignLines = lines.filter((l) => l.kind === 'campaign');
    const supplyLines = lines.filter((l) => l.kind === 'supply');
    expect(campaignLines).toEqual([expect.objectContaining({ sourceKey: c.id, campaignId: c.id })]);
    expect(supplyLines.length).toBeGreaterThan(0);
    for (const l of supplyLines) expect(l).toMatchObject({ sourceKey: expect.stringMatching(/^fruit:/), campaignId: null });
    expect(campaignLines.length + supplyLines.length).toBe(lines.length);
  });

  test('pushes of one batch at once (the factory pushing 4 times beside the automatic retries) number their attempts 1, 2, 3… once each; the failing list shows the batch', async () => {
    await t.http.put('/v1/factory/webhook').set(factory.user.auth).send({ url: receiver.url }).expect(200);
    receiver.failures = 1_000;
    try {
      const batch = await newBatch();
      const pushes = await Promise.all([0, 1, 2, 3].map(() => t.http.post(`/v1/factory/forecast-batches/${batch.id}/push`).set(factory.user.auth)));
      expect(pushes.map((r) => r.status)).toEqual([200, 200, 200, 200]);
      expect(new Set(pushes.map((r) => r.body.attempt)).size).toBe(4);

      const attempts = (await deliveriesOf(batch.id)).map((d) => d.attempt);
      expect(attempts.length).toBeGreaterThanOrEqual(4);
      expect(attempts).toEqual(attempts.map((_, i) => i + 1));
      // The console's failing list: the batch, once, on its newest attempt, which alone says what comes next.
      const failing = (await t.http.get('/v1/factory/webhook-deliveries?status=failing&limit=100').set(factory.user.auth).expect(200)).body as {
        items: (Delivery & { nextAttemptAt: string | null; gaveUpAt: string | null })[];
        total: number;
      };
      expect(failing.items).toHaveLength(failing.total);
      const ours = failing.items.filter((d) => d.batchId === batch.id);
      expect(ours).toHaveLength(1);
      expect(ours[0].attempt).toBeGreaterThanOrEqual(attempts.length);
      const all = (await deliveriesOf(batch.id)) as (Delivery & { nextAttemptAt: string | null; gaveUpAt: string | null })[];
      expect(all.filter((d) => d.nextAttemptAt !== null || d.gaveUpAt !== null).map((d) => d.attempt)).toEqual([all.length]);
    } finally {
      receiver.failures = 0;
    }
  });

  test("a factory cannot see another factory's deliveries; a non-http URL is refused", async () => {
    const other = await aFactory(t, operator);
    expect(await deliveries(other.user)).toEqual([]);
    const refused = await t.http.put('/v1/factory/webhook').set(other.user.auth).send({ url: 'file:///etc/passwd' }).expect(400);
    expect(refused.body.errors).toEqual([expect.objectContaining({ path: 'body.url' })]);
    await t.http.get('/v1/factory/webhook').set(other.user.auth).expect(404);
  });
});

describe('attempt numbers already logged twice', () => {
  test('a database with an attempt number twice is migrated: that batch is renumbered 1…n in the order of its attempts, no row lost; other batches keep theirs; a number twice is then refused', async () => {
    const database = await freshDatabase();
    const before = await openDatabase(database.config, [], migrations.slice(0, migrations.indexOf(AttemptNumbersAndAuditParams1766500000000)));
    await before.migrate();
    const raced = '00000000-0000-4000-8000-0000000000b1';
    const clean = '00000000-0000-4000-8000-0000000000b2';
    // The race logged 1, 1, 3, 3 (the second of each pair a few ms later); the clean batch has 1, 2.
    const logged: [string, string, number, string][] = [
      ['00000000-0000-4000-8000-000000000d01', raced, 1, '2027-07-01T00:00:00.100Z'],
      ['00000000-0000-4000-8000-000000000d02', raced, 1, '2027-07-01T00:00:00.120Z'],
      ['00000000-0000-4000-8000-000000000d03', raced, 3, '2027-07-01T00:00:00.300Z'],
      ['00000000-0000-4000-8000-000000000d04', raced, 3, '2027-07-01T00:00:00.310Z'],
      ['00000000-0000-4000-8000-000000000d05', clean, 1, '2027-07-01T00:00:00.000Z'],
      ['00000000-0000-4000-8000-000000000d06', clean, 2, '2027-07-01T00:01:00.000Z'],
    ];
    await before.transaction((tx) =>
      before.insertRows(
        tx,
        'webhook_deliveries',
        logged.map(([id, batchId, attempt, at]) => ({
          id,
          factory_id: '00000000-0000-4000-8000-0000000000f1',
          batch_id: batchId,
          version: 1,
          attempt,
          url: 'https://erp.example.com/hook',
          attempted_at: new Date(at),
          status_code: 500,
          error: 'the endpoint answered 500',
          duration_ms: 12,
          delivered: 0,
          manual: 1,
          error_kind: 'http_status',
        })),
      ),
    );
    await before.close();

    const after = await openDatabase(database.config, [], migrations.slice(0, migrations.indexOf(AttemptNumbersAndAuditParams1766500000000) + 1));
    try {
      expect(await after.migrate()).toEqual(['AttemptNumbersAndAuditParams1766500000000']);
      const rows = (await after.read((tx) => tx.query('SELECT id, batch_id, attempt, status_code FROM webhook_deliveries ORDER BY id'))) as {
        id: string;
        batch_id: string;
        attempt: number | string;
        status_code: number | string;
      }[];
      expect(rows.map((r) => [r.id, r.batch_id, Number(r.attempt), Number(r.status_code)])).toEqual([
        [logged[0][0], raced, 1, 500],
        [logged[1][0], raced, 2, 500],
        [logged[2][0], raced, 3, 500],
        [logged[3][0], raced, 4, 500],
        [logged[4][0], clean, 1, 500],
        [logged[5][0], clean, 2, 500],
      ]);
      const copy = (await after.read((tx) => tx.query('SELECT * FROM webhook_deliveries WHERE id = ?', [logged[3][0]])))[0] as Record<string, string>;
      await expect(
        after.transaction((tx) => after.insertRows(tx, 'webhook_deliveries', [{ ...copy, id: '00000000-0000-4000-8000-000000000d09' }])),
      ).rejects.toThrow(/unique|duplicate/i);
    } finally {
      await after.close();
      await database.drop();
    }
  });
});
