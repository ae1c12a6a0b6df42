import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startTestApp, type TestApp } from '../support/app';
import { aConsumer, aFactory, anOperator, type Caller } from '../support/builders';
import { anOpenCampaign, paidPledge } from '../support/campaigns';
import { TestClock } from '../support/clock';
import { freshDatabase } from '../support/database';
import { waitFor } from '../support/wait';

/**
 * A factory's webhook URL is where the service sends requests on the factory's behalf: it must not
 * reach the service's own network (its ports, a database, cloud metadata at 169.254.169.254), neither
 * when the URL is set nor when a push connects, with the default settings (no
 * WEBHOOK_ALLOW_PRIVATE_ADDRESSES here).
 */
const clock = new TestClock();
let internal: Server;
let internalPort: number;
let internalRequests = 0;

beforeAll(async () => {
  // Something inside the service's network that must never be reached, and whose answer must never be shown.
  internal = createServer((_req, res) => {
    internalRequests += 1;
    res.writeHead(200, { 'content-type': 'text/plain' }).end('internal admin console: secret=hunter2');
  });
  await new Promise<void>((resolve) => internal.listen(0, '127.0.0.1', resolve));
  internalPort = (internal.address() as AddressInfo).port;
});
afterAll(async () => {
  await new Promise((resolve) => internal.close(resolve));
});

describe('setting a webhook URL', () => {
  let t: TestApp;
  let factory: { id: string; user: Caller };
  beforeAll(async () => {
    t = await startTestApp({ clock });
    factory = await aFactory(t, await anOperator(t));
  });
  afterAll(() => t.close());

  test.each([
    ['the service itself', () => `http://127.0.0.1:${internalPort}/admin`],
    ['a loopback name', () => `http://localhost:${internalPort}/admin`],
    ['loopback as a decimal number', () => 'http://2130706433/'],
    ['loopback in hex', () => 'http://0x7f.1/'],
    ['loopback in octal', () => 'http://0177.0.0.1/'],
    ['IPv6 loopback', () => 'http://[::1]/'],
    ['IPv4-mapped IPv6 loopback', () => 'http://[::ffff:127.0.0.1]/'],
    ['NAT64 of loopback', () => 'http://[64:ff9b::7f00:1]/'],
    ['cloud metadata', () => 'http://169.254.169.254/latest/meta-data/'],
    ['10/8', () => 'http://10.0.0.5/hook'],
    ['172.16/12', () => 'http://172.16.3.4/hook'],
    ['192.168/16', () => 'http://192.168.1.1/hook'],
    ['carrier-grade NAT', () => 'http://100.64.0.1/hook'],
    ['the unspecified address', () => 'http://0.0.0.0:3000/'],
    ['IPv6 unique-local', () => 'http://[fd00::1]/'],
    ['IPv6 link-local', () => 'http://[fe80::1]/'],
    ['multicast', () => 'http://224.0.0.1/'],
    ['broadcast', () => 'http://255.255.255.255/'],
  ])('%s is refused with 422 webhook_url_not_public, and nothing is saved', async (_what, url) => {
    const refused = await t.http.put('/v1/factory/webhook').set(factory.user.auth).send({ url: url() }).expect(422);
    expect(refused.body).toMatchObject({ code: 'webhook_url_not_public', errors: [expect.objectContaining({ path: 'body.url' })] });
    expect(refused.body.detail).toMatch(/^不能推送到内部网络地址/);
    await t.http.get('/v1/factory/webhook').set(factory.user.auth).expect(404);
  });

  test('a public address is accepted', async () => {
    const set = await t.http.put('/v1/factory/webhook').set(factory.user.auth).send({ url: 'http://8.8.8.8/c2m/batches' }).expect(200);
    expect(set.body.url).toBe('http://8.8.8.8/c2m/batches');
  });
});

describe('pushing to a URL that is internal when the push connects', () => {
  // The URLs were saved while internal addresses were allowed (an older version, or a development
  // setting since switched off); a name can equally resolve to another address later. Each push checks
  // where it connects, whatever was checked when the URL was set.
  test('by address or by name, the push is refused before connecting, and the delivery log shows nothing of what is there', async () => {
    const database = await freshDatabase();
    const before = await startTestApp({ clock, env: { WEBHOOK_ALLOW_PRIVATE_ADDRESSES: 'true' }, database: { config: database.config, drop: async () => {} } });
    const operator = await anOperator(before);
    const byAddress = await aFactory(before, operator);
    const byName = await aFactory(before, operator);
    await before.http
      .put('/v1/factory/webhook')
      .set(byAddress.user.auth)
      .send({ url: `http://127.0.0.1:${internalPort}/admin` })
      .expect(200);
    await before.http
      .put('/v1/factory/webhook')
      .set(byName.user.auth)
      .send({ url: `http://localhost:${internalPort}/admin` })
      .expect(200);
    await before.close();

    const t = await startTestApp({ clock, runsWorker: true, env: { WEBHOOK_RETRY_BASE_MS: '60000' }, database });
    try {
      for (const factory of [byAddress, byName]) {
        const campaign = await anOpenCampaign(t, operator, factory.id, clock);
        await paidPledge(t, await aConsumer(t), campaign.id, { colour: 'black', size: 'M' }, 1);
        await t.http.post(`/v1/factories/${factory.id}/forecast-batches`).set(operator.auth).expect(200);
        const attempts = async () =>
          (await t.http.get('/v1/factory/webhook-deliveries').set(factory.user.auth).expect(200)).body.items as {
            statusCode: number | null;
            error: string | null;
            delivered: boolean;
          }[];
        await waitFor(async () => (await attempts()).length > 0, 20_000, 'the push attempt is logged');
        const [attempt] = await attempts();
        expect(attempt).toMatchObject({ delivered: false, statusCode: null, error: expect.stringMatching(/^refused: .*not public/) });
        expect(attempt.error).not.toMatch(/127\.0\.0\.1|::1|hunter2|admin console/);
      }
      expect(internalRequests).toBe(0);
    } finally {
      await t.close();
    }
  });
});
