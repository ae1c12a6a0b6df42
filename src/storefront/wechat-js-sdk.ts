import { createHash, randomBytes } from 'node:crypto';
import { AppError } from '../platform/http/app-error';

/**
 * The WeChat JS-SDK config a page inside WeChat passes to wx.config() before it may set its share card
 * (updateAppMessageShareData / updateTimelineShareData). Signed with the official account's (公众号)
 * jsapi_ticket, which is got with its access_token; both live 7,200 s and are limited in how often they
 * may be fetched a day, so each is kept until shortly before it expires and fetched by one request at
 * a time however many pages ask at once (single-flight).
 */

export interface JsSdkConfig {
  appId: string;
  timestamp: number;
  nonceStr: string;
  signature: string;
}

/**
 * The JS-SDK signature (附录1 of the JS-SDK docs): sha1 of
 * `jsapi_ticket=…&noncestr=…&timestamp=…&url=…`, the fields in that (ASCII) order, values as they are,
 * the url without its #fragment.
 */
export function jsSdkSignature(ticket: string, nonceStr: string, timestamp: number, url: string): string {
  return createHash('sha1')
    .update(`jsapi_ticket=${ticket}&noncestr=${nonceStr}&timestamp=${timestamp}&url=${withoutFragment(url)}`)
    .digest('hex');
}

export function withoutFragment(url: string): string {
  const hash = url.indexOf('#');
  return hash < 0 ? url : url.slice(0, hash);
}

/** errcodes that mean the access_token is no longer good (invalid, expired, not the latest): get a new one and try once more. */
const TOKEN_REJECTED = new Set([40001, 40014, 42001]);
/** After WeChat failed, ask it again no sooner than this: a failing account must not spend its daily quota in a burst. */
const FAILURE_PAUSE_MS = 5_000;

interface Held {
  value: string;
  /** When to fetch a new one: some minutes before WeChat's expiry, so a page is never signed with a dying ticket. */
  renewAt: number;
}

export class WechatJsSdk {
  private token: Held | undefined;
  private ticket: Held | undefined;
  private ticketFetch: Promise<string> | undefined;
  private failedAt = -Infinity;
  private lastFailure = '';
  /** Calls made to WeChat (token and ticket), for tests and logs. */
  calls = 0;

  constructor(
    private readonly options: {
      appId: string;
      appSecret: string;
      apiBase: string;
      timeoutMs?: number;
      /** Wall-clock milliseconds (signature timestamps and expiries). */
      now?: () => number;
    },
  ) {}

  private now(): number {
    return this.options.now ? this.options.now() : Date.now();
  }

  async configFor(url: string): Promise<JsSdkConfig> {
    const ticket = await this.jsapiTicket();
    const timestamp = Math.floor(this.now() / 1000);
    const nonceStr = randomBytes(12).toString('base64url');
    return { appId: this.options.appId, timestamp, nonceStr, signature: jsSdkSignature(ticket, nonceStr, timestamp, url) };
  }

  /** The current jsapi_ticket: held, or fetched once for every request waiting on it. */
  private jsapiTicket(): Promise<string> {
    if (this.ticket && this.now() < this.ticket.renewAt) return Promise.resolve(this.ticket.value);
    if (this.ticketFetch) return this.ticketFetch;
    if (this.now() - this.failedAt < FAILURE_PAUSE_MS) return Promise.reject(unavailable(this.lastFailure));
    this.ticketFetch = this.fetchTicket()
      .catch((error: unknown) => {
        this.failedAt = this.now();
        this.lastFailure = error instanceof AppError ? error.detail : 'WeChat could not be reached.';
        throw error instanceof AppError ? error : unavailable(this.lastFailure);
      })
      .finally(() => (this.ticketFetch = undefined));
    return this.ticketFetch;
  }

  private async fetchTicket(): Promise<string> {
    for (let attempt = 0; ; attempt++) {
      const token = await this.accessToken();
      const answer = await this.call('/cgi-bin/ticket/getticket', { access_token: token, type: 'jsapi' });
      if (TOKEN_REJECTED.has(Number(answer.errcode)) && attempt === 0) {
        this.token = undefined;
        continue;
      }
      const ticket = requireField(answer, 'ticket');
      this.ticket = { value: ticket, renewAt: this.renewAt(answer.expires_in) };
      return ticket;
    }
  }

  private async accessToken(): Promise<string> {
    if (this.token && this.now() < this.token.renewAt) return this.token.value;
    const answer = await this.call('/cgi-bin/token', { grant_type: 'client_credential', appid: this.options.appId, secret: this.options.appSecret });
    const token = requireField(answer, 'access_token');
    this.token = { value: token, renewAt: this.renewAt(answer.expires_in) };
    return token;
  }

  /** Renew 5 minutes before WeChat's expiry (a tenth of the lifetime if that is shorter). */
  private renewAt(expiresIn: unknown): number {
    const seconds = typeof expiresIn === 'number' && expiresIn > 0 ? expiresIn : 7200;
    return this.now() + (seconds - Math.min(300, seconds / 10)) * 1000;
  }

  private async call(path: string, query: Record<string, string>): Promise<Record<string, unknown>> {
    this.calls++;
    const url = `${this.options.apiBase}${path}?${new URLSearchParams(query).toString()}`;
    let response: Response;
    try {
      response = await fetch(url, { signal: AbortSignal.timeout(this.options.timeoutMs ?? 5000), redirect: 'error' });
    } catch {
      // The URL carries the app secret: it is never put into an error or a log.
      throw unavailable(`WeChat could not be reached (${path}).`);
    }
    const answer = (await response.json().catch(() => undefined)) as Record<string, unknown> | undefined;
    if (!response.ok || !answer || typeof answer !== 'object') throw unavailable(`WeChat answered ${path} with HTTP ${response.status}.`);
    return answer;
  }
}

function requireField(answer: Record<string, unknown>, field: string): string {
  const value = answer[field];
  const errcode = Number(answer.errcode ?? 0);
  if (errcode !== 0 || typeof value !== 'string' || value === '') {
    throw unavailable(`WeChat refused (errcode ${Number.isFinite(errcode) ? errcode : '?'}).`);
  }
  return value;
}

function unavailable(reason: string): AppError {
  return new AppError(
    503,
    'wechat_unavailable',
    `The WeChat share card cannot be signed right now: ${reason} The page still shares with its link preview; try again shortly.`,
  );
}
