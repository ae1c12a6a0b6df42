import jwt from 'jsonwebtoken';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { signatureHeader } from '../../src/platform/signature';
import { freshDatabase } from '../support/database';
import { logLines, startService, type RunningService } from '../support/process';
import { waitFor } from '../support/wait';
import { startSink } from './support/fuzz-world';

/**
 * The real service, as deployed (its own process, secrets from the environment, logging at its most
 * talkative level): forged, expired and unsigned tokens are refused; and after a day's work with
 * passwords, tokens, API keys, webhook secrets and signed payment notifications, none of those
 * secrets is anywhere in its log.
 */
const secret = () => randomBytes(32).toString('base64url');
const AUTH_SECRET = secret();
const SANDBOX_SECRET = secret();
const OPERATOR = { email: 'root@example.com', password: `operator-${secret()}` };
const ISSUER = 'c2m-presale';

let service: RunningService;
let sink: Awaited<ReturnType<typeof startSink>>;
let drop: () => Promise<void>;
/** Every secret the service sees in this file; none may reach its log. */
const secrets = new Map<string, string>([
  ['AUTH_SECRET', AUTH_SECRET],
  ['SANDBOX_SECRET', SANDBOX_SECRET],
  ['the operator password', OPERATOR.password],
]);

beforeAll(async () => {
  const db = await freshDatabase();
  drop = db.drop;
  sink = await startSink();
  service = await startService({
    NODE_ENV: 'development',
    DATA_DIR: path.join(mkdtempSync(path.join(tmpdir(), 'c2m-security-')), 'data'),
    LOG_LEVEL: 'trace',
    AUTH_SECRET,
    SANDBOX_SECRET,
    BOOTSTRAP_OPERATOR_EMAIL: OPERATOR.email,
    BOOTSTRAP_OPERATOR_PASSWORD: OPERATOR.password,
    PASSWORD_HASH_MEMORY_KIB: '64',
    PASSWORD_HASH_ITERATIONS: '1',
    SEED_DEMO_DATA: 'false',
    SANDBOX_AUTO_CONFIRM: 'false',
    JOBS_POLL_INTERVAL_MS: '100',
    WEBHOOK_ALLOW_PRIVATE_ADDRESSES: 'true',
    ...(db.config.kind === 'mysql' ? { DATABASE_URL: db.config.url } : {}),
  });
}, 120_000);
afterAll(async () => {
  if (service && service.child.exitCode === null) service.child.kill('SIGKILL');
  await service?.exited;
  await sink?.close();
  await drop?.();
});

async function api(method: string, route: string, options: { auth?: string; body?: unknown; headers?: Record<string, string>; raw?: Buffer } = {}) {
  const res = await fetch(`${service.url}${route}`, {
    method,
    headers: {
      ...(options.auth ? { Authorization: `Bearer ${options.auth}` } : {}),
      ...(options.body !== undefined || options.raw ? { 'Content-Type': 'application/json' } : {}),
      ...options.headers,
    },
    body: options.raw ? new Uint8Array(options.raw) : options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: text ? (JSON.parse(text) as Record<string, any>) : {} };
}
const signIn = async (email: string, password: string) => {
  const res = await api('POST', '/v1/auth/login', { body: { email, password } });
  expect(res.status).toBe(200);
  return res.body as { token: string; user: { id: string } };
};
const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);
const withClaims = (token: string, changes: object) => {
  const [header, payload, signature] = token.split('.');
  return `${header}.${b64({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), ...changes })}.${signature}`;
};

describe('tokens', () => {
  test('a token signed with another key, expired, unsigned (alg none), of another algorithm or issuer, or not yet valid is refused with 401; the same claims signed properly are accepted', async () => {
    const operator = await signIn(OPERATOR.email, OPERATOR.password);
    // The session of a real sign-in: a token is honoured only while its session lasts.
    const { sid } = jwt.decode(operator.token) as { sid: string };
    const claims = { sub: operator.user.id, sid, role: 'operator' };
    const forged: [string, string][] = [
      ['signed with another key', jwt.sign(claims, secret(), { algorithm: 'HS256', issuer: ISSUER, expiresIn: 600 })],
      ['expired a minute ago', jwt.sign({ ...claims, iat: now() - 3600, exp: now() - 60 }, AUTH_SECRET, { algorithm: 'HS256', issuer: ISSUER })],
      ['alg none, no signature', `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ ...claims, iss: ISSUER, iat: now(), exp: now() + 600 })}.`],
      [
        'alg none, with a signature by the right key',
        `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ ...claims, iss: ISSUER, exp: now() + 600 })}.${jwt.sign(claims, AUTH_SECRET).split('.')[2]}`,
      ],
      ['HS512 with the right key', jwt.sign(claims, AUTH_SECRET, { algorithm: 'HS512', issuer: ISSUER, expiresIn: 600 })],
      ['another issuer', jwt.sign(claims, AUTH_SECRET, { algorithm: 'HS256', issuer: 'someone-else', expiresIn: 600 })],
      ['not valid for another hour', jwt.sign(claims, AUTH_SECRET, { algorithm: 'HS256', issuer: ISSUER, expiresIn: 7200, notBefore: 3600 })],
      ['a real token with its claims changed, its signature kept', withClaims(operator.token, { sub: 'someone-else', exp: now() + 86_400 })],
    ];
    for (const [label, token] of forged) {
      secrets.set(`a forged token (${label})`, token);
      for (const [method, route] of [
        ['GET', '/v1/me'],
        ['GET', '/v1/factories'],
        ['GET', '/v1/campaigns'],
      ]) {
        const res = await api(method, route, { auth: token });
        expect({ label, route, status: res.status, code: res.body.code, type: res.type }).toEqual({
          label,
          route,
          status: 401,
          code: 'unauthenticated',
          type: expect.stringMatching(/^application\/problem\+json/),
        });
      }
    }
    const proper = jwt.sign(claims, AUTH_SECRET, { algorithm: 'HS256', issuer: ISSUER, expiresIn: 600 });
    secrets.set('a token made with AUTH_SECRET', proper);
    expect((await api('GET', '/v1/factories', { auth: proper })).status).toBe(200);
  });

  test('a revoked API key, and a real key id with a wrong secret, are refused with 401', async () => {
    const operator = await signIn(OPERATOR.email, OPERATOR.password);
    const factory = await api('POST', '/v1/factories', { auth: operator.token, body: { name: 'Key plant', contactEmail: 'keys@example.com' } });
    const key = await api('POST', `/v1/factories/${factory.body.id}/api-keys`, { auth: operator.token, body: { name: 'erp' } });
    secrets.set('an API key', key.body.apiKey);
    expect((await api('GET', '/v1/me', { auth: key.body.apiKey })).status).toBe(200);
    const wrongSecret = `${String(key.body.apiKey).slice(0, -43)}${secret()}`;
    expect((await api('GET', '/v1/me', { auth: wrongSecret })).status).toBe(401);
    await api('DELETE', `/v1/factories/${factory.body.id}/api-keys/${key.body.id}`, { auth: operator.token });
    const revoked = await api('GET', '/v1/me', { auth: key.body.apiKey });
    expect({ status: revoked.status, code: revoked.body.code }).toEqual({ status: 401, code: 'unauthenticated' });
  });
});

describe('secrets in the log', () => {
  test('after sign-ins, pledges, API keys, webhook secrets set and rotated, a signed push and a signed payment notification, the log holds none of them', async () => {
    const operator = await signIn(OPERATOR.email, OPERATOR.password);
    secrets.set('the operator token', operator.token);
    const wrongPassword = `a typo of the password ${secret()}`;
    secrets.set('a mistyped password', wrongPassword);
    expect((await api('POST', '/v1/auth/login', { body: { email: OPERATOR.email, password: wrongPassword } })).status).toBe(401);

    const consumerPassword = `consumer-${secret()}`;
    const consumer = await api('POST', '/v1/auth/register', { body: { email: 'buyer@example.com', password: consumerPassword } });
    secrets.set('the consumer password', consumerPassword).set('the consumer token', consumer.body.token);

    const factory = await api('POST', '/v1/factories', { auth: operator.token, body: { name: 'Down plant', contactEmail: 'down@example.com' } });
    const plannerPassword = `planner-${secret()}`;
    await api('POST', `/v1/factories/${factory.body.id}/users`, { auth: operator.token, body: { email: 'planner@example.com', password: plannerPassword } });
    const planner = await signIn('planner@example.com', plannerPassword);
    secrets.set('the factory user password', plannerPassword).set('the factory user token', planner.token);
    const key = await api('POST', `/v1/factories/${factory.body.id}/api-keys`, { auth: operator.token, body: { name: 'erp' } });
    secrets.set('the factory API key', key.body.apiKey).set("the API key's secret part", String(key.body.apiKey).slice(-43));
    expect((await api('GET', '/v1/factory/forecast', { auth: key.body.apiKey })).status).toBe(200);

    const webhook = await api('PUT', '/v1/factory/webhook', { auth: planner.token, body: { url: `${sink.url}/forecasts` } });
    const rotated = await api('POST', '/v1/factory/webhook/rotate-secret', { auth: key.body.apiKey });
    secrets.set('the first webhook secret', webhook.body.secret).set('the rotated webhook secret', rotated.body.secret);

    const closesAt = new Date(Date.now() + 86_400_000);
    const campaign = await api('POST', '/v1/campaigns', {
      auth: operator.token,
      body: {
        factoryId: factory.body.id,
        title: 'Down jacket',
        productName: 'Down jacket',
        options: [{ name: 'size', values: ['M', 'L'] }],
        referencePrice: '999.00',
        depositRate: '0.10',
        tiers: [{ minUnits: 1, unitPrice: '899.00' }],
        opensAt: new Date().toISOString(),
        closesAt: closesAt.toISOString(),
        balanceWindowHours: 24,
        expectedShipDate: new Date(closesAt.getTime() + 30 * 86_400_000).toISOString().slice(0, 10),
      },
    });
    await api('POST', `/v1/campaigns/${campaign.body.id}/publish`, { auth: operator.token });
    const pledge = await api('POST', `/v1/campaigns/${campaign.body.id}/pledges`, {
      auth: consumer.body.token,
      headers: { 'Idempotency-Key': 'first-pledge' },
      body: { variant: { size: 'M' }, quantity: 2 },
    });
    expect(pledge.status).toBe(201);

    // The gateway confirms the deposit with a notification signed with SANDBOX_SECRET.
    const payment = pledge.body.depositPayment as { id: string; amount: string };
    const notification = Buffer.from(
      JSON.stringify({ id: `evt_${secret()}`, type: 'payment.succeeded', paymentId: payment.id, amount: payment.amount, transactionId: `txn_${payment.id}` }),
    );
    const signature = signatureHeader([SANDBOX_SECRET], notification, new Date());
    secrets.set('the notification signature', signature.split('v1=')[1]);
    const confirmed = await api('POST', '/v1/payments/notifications/sandbox', { raw: notification, headers: { 'X-Sandbox-Signature': signature } });
    expect(confirmed).toMatchObject({ status: 200, body: { outcome: 'processed' } });

    // A new forecast version, pushed to the factory's webhook and signed with both secrets (the rotation's grace).
    expect((await api('POST', `/v1/factories/${factory.body.id}/forecast-batches`, { auth: operator.token })).body.published).toBe(true);
    await waitFor(() => sink.received.some((r) => r.path === '/forecasts'), 20_000, 'the forecast push');
    const pushed = sink.received.find((r) => r.path === '/forecasts')!;
    expect(String(pushed.headers['x-c2m-signature'])).toMatch(/^t=\d+,v1=[0-9a-f]{64},v1=[0-9a-f]{64}$/);

    // A webhook URL with a user name and password in it would reach the log the first time a push failed.
    const credentialUrl = await api('PUT', '/v1/factory/webhook', {
      auth: planner.token,
      body: { url: 'http://erp:webhook-basic-auth-password@127.0.0.1:9/forecasts' },
    });
    secrets.set('a password inside a webhook URL', 'webhook-basic-auth-password');
    expect({ status: credentialUrl.status, field: credentialUrl.body.errors?.[0]?.path }).toEqual({ status: 400, field: 'body.url' });

    service.child.kill('SIGTERM');
    expect(await service.exited).toBe(0);
    const log = service.output();
    // The log did record this work: the requests, by method and path, and the job that pushed the batch.
    const requests = logLines(log).map((l) => `${(l.req as { method?: string } | undefined)?.method} ${(l.req as { url?: string } | undefined)?.url}`);
    expect(requests).toEqual(
      expect.arrayContaining(['POST /v1/auth/login', 'POST /v1/payments/notifications/sandbox', 'POST /v1/factory/webhook/rotate-secret']),
    );
    const leaked = [...secrets].filter(([, value]) => value && log.includes(value)).map(([what]) => what);
    expect(leaked).toEqual([]);
    expect(secrets.size).toBeGreaterThan(20);
  });
});
