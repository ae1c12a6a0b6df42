import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WechatJsSdk, jsSdkSignature } from '../../src/storefront';
import { startTestApp, type TestApp } from '../support/app';
import { TestClock } from '../support/clock';

const APP_ID = 'wx1234567890abcdef';
const APP_SECRET = 'official-account-secret-0123456789';

/**
 * A stand-in for WeChat's API over real HTTP: GET /cgi-bin/token and GET /cgi-bin/ticket/getticket as
 * documented, answering after `delayMs`, with a script of answers a test can change, counting calls.
 */
class FakeWechat {
  server!: Server;
  base = '';
  delayMs = 100;
  tokenCalls = 0;
  ticketCalls = 0;
  tokenNumber = 0;
  ticketNumber = 0;
  expiresIn = 7200;
  /** The next answers of each endpoint, taken before the normal ones. */
  tokenScript: (object | 'http-500' | 'not-json')[] = [];
  ticketScript: object[] = [];

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://wechat');
      setTimeout(() => {
        const send = (status: number, body: string) => res.writeHead(status, { 'content-type': 'application/json' }).end(body);
        if (url.pathname === '/cgi-bin/token') {
          this.tokenCalls++;
          const scripted = this.tokenScript.shift();
          if (scripted === 'http-500') return send(500, 'oops');
          if (scripted === 'not-json') return send(200, '<html>gateway</html>');
          if (scripted) return send(200, JSON.stringify(scripted));
          if (
            url.searchParams.get('grant_type') !== 'client_credential' ||
            url.searchParams.get('appid') !== APP_ID ||
            url.searchParams.get('secret') !== APP_SECRET
          ) {
            return send(200, JSON.stringify({ errcode: 40013, errmsg: 'invalid appid' }));
          }
          return send(200, JSON.stringify({ access_token: `TOKEN-${++this.tokenNumber}`, expires_in: this.expiresIn }));
        }
        if (url.pathname === '/cgi-bin/ticket/getticket') {
          this.ticketCalls++;
          const scripted = this.ticketScript.shift();
          if (scripted) return send(200, JSON.stringify(scripted));
          if (url.searchParams.get('access_token') !== `TOKEN-${this.tokenNumber}` || url.searchParams.get('type') !== 'jsapi')
            return send(200, JSON.stringify({ errcode: 40001, errmsg: 'invalid credential' }));
          return send(200, JSON.stringify({ errcode: 0, errmsg: 'ok', ticket: this.currentTicket(++this.ticketNumber), expires_in: this.expiresIn }));
        }
        return send(404, '{}');
      }, this.delayMs);
    });
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  currentTicket(n = this.ticketNumber): string {
    return `sM4AOVdWfPE4DxkXGEs8VMCPGGVi4C3VM0P37wVUCFvkVAy_ticket-${n}`;
  }

  stop(): void {
    this.server.close();
    this.server.closeAllConnections();
  }
}

const sha1 = (text: string) => createHash('sha1').update(text).digest('hex');

test('the signature is the one the JS-SDK documentation gives for its example', () => {
  // 附录1-JS-SDK使用权限签名算法: the example ticket, noncestr, timestamp and url, and the signature it shows.
  expect(
    jsSdkSignature(
      'sM4AOVdWfPE4DxkXGEs8VMCPGGVi4C3VM0P37wVUCFvkVAy_90u5h9nbSlYy3-Sl-HhTdfl2fzFy1AOcHKP7qg',
      'Wm3WZYTPz0wzccnW',
      1414587457,
      'http://mp.weixin.qq.com?params=value',
    ),
  ).toBe('0f9de62fce790f9a083d5c99e95740ceb90c27ed');
  // The #fragment is not part of what is signed.
  expect(jsSdkSignature('t', 'n', 1, 'https://a.example/c/1?x=1#top')).toBe(sha1('jsapi_ticket=t&noncestr=n&timestamp=1&url=https://a.example/c/1?x=1'));
});

describe('GET /v1/wechat/js-sdk-config with an official account configured', () => {
  const wechat = new FakeWechat();
  let t: TestApp;
  const clock = new TestClock();
  beforeAll(async () => {
    await wechat.start();
    t = await startTestApp({
      clock,
      env: {
        WECHAT_APP_ID: APP_ID,
        WECHAT_APP_SECRET: APP_SECRET,
        WECHAT_API_BASE: wechat.base,
        PUBLIC_BASE_URL: 'https://shop.example.com',
        TRUST_PROXY: '1',
      },
    });
  });
  afterAll(async () => {
    await t.close();
    wechat.stop();
  });
  const ask = (url: string) => t.http.get('/v1/wechat/js-sdk-config').query({ url });

  test('many pages asking at once cause one token and one ticket fetch; each gets its own signed config', async () => {
    const page = 'https://shop.example.com/c/0b6d7a3e-6f37-4d43-9d55-0d0b58d9a1b2?from=singlemessage&isappinstalled=0';
    const answers = await Promise.all(Array.from({ length: 30 }, () => ask(`${page}#share`)));
    expect(wechat.tokenCalls).toBe(1);
    expect(wechat.ticketCalls).toBe(1);
    const nonces = new Set<string>();
    for (const res of answers) {
      expect(res.status).toBe(200);
      expect(res.headers['cache-control']).toBe('no-store');
      const { enabled, appId, timestamp, nonceStr, signature } = res.body;
      expect({ enabled, appId }).toEqual({ enabled: true, appId: APP_ID });
      expect(Math.abs(timestamp - Date.now() / 1000)).toBeLessThan(60);
      expect(signature).toBe(sha1(`jsapi_ticket=${wechat.currentTicket(1)}&noncestr=${nonceStr}&timestamp=${timestamp}&url=${page}`));
      nonces.add(nonceStr);
    }
    expect(nonces.size).toBe(30);
    // Held until shortly before it expires: later pages cost WeChat nothing.
    await ask(page).expect(200);
    expect(wechat.tokenCalls + wechat.ticketCalls).toBe(2);
  });

  test("the storefront's pages may load the JS-SDK from WeChat, and only from there", async () => {
    const csp = (await t.http.get('/')).headers['content-security-policy'];
    expect(csp).toContain("script-src 'self' https://res.wx.qq.com https://res2.wx.qq.com;");
  });

  test('only pages of our own origin are signed', async () => {
    for (const url of ['https://evil.example/c/1', 'http://shop.example.com/c/1', 'https://shop.example.com:8443/c/1']) {
      const res = await ask(url).expect(400);
      expect(res.body.code).toBe('url_not_our_origin');
    }
    // A Host or X-Forwarded-Host naming another site changes nothing: only PUBLIC_BASE_URL's pages are signed.
    const forged = await t.http
      .get('/v1/wechat/js-sdk-config')
      .query({ url: 'https://evil.example/c/1' })
      .set('X-Forwarded-Proto', 'https')
      .set('X-Forwarded-Host', 'evil.example')
      .expect(400);
    expect(forged.body.code).toBe('url_not_our_origin');
  });
});

describe('WechatJsSdk against WeChat answers that are not a ticket', () => {
  const wechat = new FakeWechat();
  beforeAll(() => wechat.start());
  afterAll(() => wechat.stop());
  beforeEach(() => {
    wechat.delayMs = 10;
    wechat.tokenScript = [];
    wechat.ticketScript = [];
  });
  let now = Date.parse('2026-12-05T00:00:00Z');
  const sdk = (apiBase = wechat.base) => new WechatJsSdk({ appId: APP_ID, appSecret: APP_SECRET, apiBase, now: () => now, timeoutMs: 2000 });
  const refusal = (promise: Promise<unknown>) =>
    promise.then(
      () => undefined,
      (error: { status: number; code: string; detail: string }) => ({ status: error.status, code: error.code, detail: error.detail }),
    );

  test('the ticket and the token are fetched again shortly before they expire, not after', async () => {
    const s = sdk();
    const calls = () => wechat.tokenCalls + wechat.ticketCalls;
    await s.configFor('https://shop.example.com/');
    const before = calls();
    now += (7200 - 301) * 1000;
    await s.configFor('https://shop.example.com/');
    expect(calls()).toBe(before);
    now += 2000;
    const config = await s.configFor('https://shop.example.com/');
    expect(calls()).toBe(before + 2);
    expect(config.signature).toBe(
      sha1(`jsapi_ticket=${wechat.currentTicket()}&noncestr=${config.nonceStr}&timestamp=${config.timestamp}&url=https://shop.example.com/`),
    );
  });

  test('an access_token WeChat no longer accepts is replaced once and the ticket asked again', async () => {
    const s = sdk();
    await s.configFor('https://shop.example.com/');
    now += 7200 * 1000;
    wechat.ticketScript = [{ errcode: 42001, errmsg: 'access_token expired' }];
    const tokensBefore = wechat.tokenCalls;
    await s.configFor('https://shop.example.com/');
    expect(wechat.tokenCalls).toBe(tokensBefore + 2);
  });

  test.each([
    ['an errcode on the token (IP not on the allow-list)', { token: [{ errcode: 40164, errmsg: 'invalid ip' }] }],
    ['an errcode on the ticket', { ticket: [{ errcode: 45009, errmsg: 'reach max api daily quota limit' }] }],
    [
      'the token rejected twice',
      {
        ticket: [
          { errcode: 40001, errmsg: 'invalid credential' },
          { errcode: 40001, errmsg: 'invalid credential' },
        ],
      },
    ],
    ['an HTTP 500', { token: ['http-500' as const] }],
    ['a page that is not JSON', { token: ['not-json' as const] }],
  ])('%s is a 503 wechat_unavailable, and the secret is never in what is said', async (_label, script) => {
    wechat.tokenScript = [...((script as { token?: FakeWechat['tokenScript'] }).token ?? [])];
    wechat.ticketScript = [...((script as { ticket?: object[] }).ticket ?? [])];
    const failed = await refusal(sdk().configFor('https://shop.example.com/'));
    expect(failed).toMatchObject({ status: 503, code: 'wechat_unavailable' });
    expect(failed!.detail).not.toContain(APP_SECRET);
  });

  test('WeChat unreachable is a 503 too; after a failure WeChat is left alone for a few seconds, then asked again', async () => {
    const dead = new FakeWechat();
    await dead.start();
    dead.stop();
    const s = sdk(dead.base);
    expect(await refusal(s.configFor('https://shop.example.com/'))).toMatchObject({ status: 503, code: 'wechat_unavailable' });
    const calls = s.calls;
    expect(await refusal(s.configFor('https://shop.example.com/'))).toMatchObject({ status: 503 });
    expect(s.calls).toBe(calls);
    now += 5000;
    expect(await refusal(s.configFor('https://shop.example.com/'))).toMatchObject({ status: 503 });
    expect(s.calls).toBe(calls + 1);
  });
});

describe('the route when WeChat refuses', () => {
  const wechat = new FakeWechat();
  let t: TestApp;
  beforeAll(async () => {
    await wechat.start();
    t = await startTestApp({
      env: {
        WECHAT_APP_ID: APP_ID,
        WECHAT_APP_SECRET: 'a-secret-wechat-does-not-know-0123',
        WECHAT_API_BASE: wechat.base,
        PUBLIC_BASE_URL: 'https://shop.example.com',
      },
    });
  });
  afterAll(async () => {
    await t.close();
    wechat.stop();
  });

  test('errcode ≠ 0 is a 503 problem with Retry-After, never a 500', async () => {
    const res = await t.http.get('/v1/wechat/js-sdk-config').query({ url: 'https://shop.example.com/c/1' }).expect(503);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.headers['retry-after']).toBeDefined();
    expect(res.body).toMatchObject({ status: 503, code: 'wechat_unavailable' });
    expect(res.body.detail).toContain('errcode 40013');
  });
});
