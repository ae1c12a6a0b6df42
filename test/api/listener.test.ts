import http, { type RequestListener } from 'node:http';
import { type AddressInfo, connect, createServer } from 'node:net';
import { listen, type Listener } from '../../src/platform/http/listener';
import { createLogger } from '../../src/platform/logger';
import { startTestApp, type TestApp } from '../support/app';
import { waitFor } from '../support/wait';

/**
 * The HTTP listener the service runs on (src/platform/http/listener.ts): the port is claimed before the
 * app is ready and answers "starting" meanwhile; beyond MAX_CONCURRENT_REQUESTS a request is answered
 * 503 at once. And the embedded database's queue of work leaves the event loop free to accept and read.
 */
let t: TestApp;
const listeners: Listener[] = [];
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  for (const l of listeners) l.server.closeAllConnections();
  await Promise.all(listeners.map((l) => new Promise((resolve) => l.server.close(resolve))));
  await t.close();
});

async function aListener(maxConcurrentRequests: number): Promise<Listener> {
  const listener = await listen({ port: 0, host: '127.0.0.1', maxConcurrentRequests, logger: createLogger('silent') });
  listeners.push(listener);
  return listener;
}

/** One request on a connection of its own. */
function get(listener: Listener, path: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: any }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port: listener.port, path, agent: false }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode!, headers: res.headers, body: res.headers['content-type']?.includes('json') ? JSON.parse(text) : text }),
        );
      })
      .on('error', reject);
  });
}

test('until the app is served, every request is a 503 "starting" with Retry-After', async () => {
  const listener = await aListener(10);
  const res = await get(listener, '/v1/campaigns');
  expect(res).toMatchObject({
    status: 503,
    headers: { 'content-type': 'application/problem+json', 'retry-after': '1', connection: 'close' },
    body: { status: 503, code: 'starting', instance: '/v1/campaigns' },
  });
  listener.serve(t.app.http, t.app.metrics);
  expect((await get(listener, '/healthz')).status).toBe(200);
});

test('beyond MAX_CONCURRENT_REQUESTS a request is answered 503 "overloaded" at once; liveness still answers', async () => {
  const listener = await aListener(3);
  // An app that holds every request until told to answer.
  const held: (() => void)[] = [];
  const app: RequestListener = (req, res) => {
    if (req.url === '/healthz') return void res.end('ok');
    held.push(() => res.end('done'));
  };
  listener.serve(app, t.app.metrics);
  const shedBefore = (await t.app.metrics.httpShed.get()).values[0]?.value ?? 0;

  const first = Array.from({ length: 3 }, () => get(listener, '/v1/slow'));
  await waitFor(async () => held.length === 3, 5000, 'three requests held');
  const refused = await Promise.all(Array.from({ length: 5 }, () => get(listener, '/v1/more')));
  for (const res of refused) {
    expect(res).toMatchObject({
      status: 503,
      headers: { 'content-type': 'application/problem+json', connection: 'close' },
      body: { type: 'urn:c2m:problem:overloaded', status: 503, code: 'overloaded' },
    });
    expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  }
  expect((await get(listener, '/healthz')).status).toBe(200);
  expect((await t.app.metrics.httpShed.get()).values[0].value - shedBefore).toBe(5);

  // Answered requests make room again.
  held.splice(0).forEach((answer) => answer());
  expect((await Promise.all(first)).map((r) => r.status)).toEqual([200, 200, 200]);
  const next = get(listener, '/v1/next');
  await waitFor(async () => held.length === 1, 5000, 'the next request held');
  held.splice(0).forEach((answer) => answer());
  expect((await next).status).toBe(200);
});

test('while database work is queued, the event loop keeps turning: a connection is accepted before the queue is empty', async () => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  let finished = 0;
  const work = Array.from({ length: 2000 }, () => t.db.read((tx) => tx.query('SELECT 1')).then(() => (finished += 1)));
  const finishedWhenAccepted = new Promise<number>((resolve) => server.once('connection', (socket) => (resolve(finished), socket.destroy())));
  const client = connect((server.address() as AddressInfo).port, '127.0.0.1').on('error', () => undefined);
  try {
    expect(await finishedWhenAccepted).toBeLessThan(2000);
    await Promise.all(work);
  } finally {
    client.destroy();
    server.close();
  }
});
