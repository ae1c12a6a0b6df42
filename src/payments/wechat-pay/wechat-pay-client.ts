import type { Clock } from '../../platform/clock';
import { AppError } from '../../platform/http/app-error';
import type { Logger } from '../../platform/logger';
import { SignatureRejected, authorization, nonce, verifyWechatpaySignature } from './wechat-pay-crypto';
import type { WechatPayConfig } from './wechat-pay.config';

/**
 * WeChat Pay refused a call: its HTTP status, its error code (SIGN_ERROR, ORDER_NOT_EXIST, …) and message,
 * and the Request-ID its support asks for. To our own client it is a 502 payment_provider_error.
 */
export class WechatPayError extends AppError {
  override name = 'WechatPayError';
  constructor(
    readonly call: string,
    readonly providerStatus: number,
    readonly providerCode: string,
    readonly providerMessage: string,
    readonly requestId: string | undefined,
  ) {
    super(
      502,
      'payment_provider_error',
      `WeChat Pay refused ${call}: ${providerStatus} ${providerCode} ${providerMessage} (Request-ID ${requestId ?? 'none'}).`,
    );
  }

  /** Whether asking again later may go differently (WeChat Pay busy or failing); otherwise the request itself is refused. */
  get transient(): boolean {
    return (
      this.providerStatus >= 500 || this.providerStatus === 429 || ['SYSTEM_ERROR', 'FREQUENCY_LIMITED', 'FREQUENCY_LIMIT_EXCEED'].includes(this.providerCode)
    );
  }
}

/**
 * No usable answer: none in time, the connection failed, or an answer that is not WeChat Pay's (a bad
 * signature, not the documented shape). Whether the call took effect is unknown; asking again is safe
 * (orders and refunds are idempotent by our numbers). To our own client it is a 504 payment_provider_timeout
 * when none came in time, else a 502 payment_provider_error (the codes of every provider's adapter).
 */
export class WechatPayUnanswered extends AppError {
  override name = 'WechatPayUnanswered';
  constructor(detail: string, options: { timedOut?: boolean; cause?: unknown } = {}) {
    super(options.timedOut ? 504 : 502, options.timedOut ? 'payment_provider_timeout' : 'payment_provider_error', detail);
    if (options.cause !== undefined) this.cause = options.cause;
  }
}

export interface WechatPayAnswer {
  status: number;
  json: unknown;
  requestId: string | undefined;
}

/**
 * Calls WeChat Pay API v3: each request signed (Authorization), each successful answer's signature
 * verified before it is read, every call bounded by the configured timeout.
 */
export class WechatPayClient {
  private readonly origin: string;

  constructor(
    private readonly config: Pick<WechatPayConfig, 'merchant' | 'platformKeys' | 'publicKeyId' | 'baseUrl' | 'timeoutMs'>,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {
    this.origin = new URL(config.baseUrl).origin;
  }

  /** A call whose answer is JSON, signed by WeChat Pay (any 2xx); a 4xx/5xx throws WechatPayError. */
  async call(method: 'GET' | 'POST', pathAndQuery: string, body?: object): Promise<WechatPayAnswer> {
    const url = new URL(this.config.baseUrl + pathAndQuery);
    const text = body === undefined ? '' : JSON.stringify(body);
    const { status, headers, bytes } = await this.send(method, url, text);
    const requestId = headers['request-id'];
    const callName = `${method} ${url.pathname}`;
    if (status < 200 || status > 299) {
      const { code, message } = errorOf(bytes);
      const error = new WechatPayError(callName, status, code, message, requestId);
      this.logger.warn({ call: callName, status, code, providerMessage: message, requestId }, 'WeChat Pay refused a call');
      throw error;
    }
    try {
      verifyWechatpaySignature(headers, bytes, this.config.platformKeys, this.clock.now());
    } catch (error) {
      if (!(error instanceof SignatureRejected)) throw error;
      this.logger.error({ call: callName, status, requestId, reason: error.message }, 'an answer to a WeChat Pay call is not signed by WeChat Pay');
      throw new WechatPayUnanswered(`The answer to ${callName} is not WeChat Pay's: ${error.message} (Request-ID ${requestId ?? 'none'}).`);
    }
    let json: unknown = undefined;
    if (bytes.length > 0) {
      try {
        json = JSON.parse(bytes.toString('utf8'));
      } catch {
        throw new WechatPayUnanswered(`The answer to ${callName} is not JSON (Request-ID ${requestId ?? 'none'}).`);
      }
    }
    return { status, json, requestId };
  }

  /**
   * A signed GET of a download URL WeChat Pay gave (a bill file): its answer is the file, unsigned (its
   * hash, from the signed answer that gave the URL, vouches for it). Only WeChat Pay's own origin is
   * asked, so a URL pointing elsewhere never gets a signed request.
   */
  async download(downloadUrl: string): Promise<Buffer> {
    const url = new URL(downloadUrl);
    if (url.origin !== this.origin) throw new WechatPayUnanswered(`WeChat Pay gave a download URL on ${url.origin}, not ${this.origin}: refused.`);
    const { status, headers, bytes } = await this.send('GET', url, '');
    if (status !== 200) {
      const { code, message } = errorOf(bytes);
      throw new WechatPayError(`GET ${url.pathname}`, status, code, message, headers['request-id']);
    }
    return bytes;
  }

  private async send(method: string, url: URL, body: string): Promise<{ status: number; headers: Record<string, string>; bytes: Buffer }> {
    const headers: Record<string, string> = {
      authorization: authorization(this.config.merchant, {
        method,
        pathAndQuery: url.pathname + url.search,
        body,
        timestamp: Math.floor(this.clock.now().getTime() / 1000),
        nonce: nonce(),
      }),
      accept: 'application/json',
      'user-agent': 'c2m-presale (WeChat Pay API v3; node)',
    };
    if (body) headers['content-type'] = 'application/json';
    // Answers are then signed with the 微信支付公钥 rather than a platform certificate.
    if (this.config.publicKeyId) headers['wechatpay-serial'] = this.config.publicKeyId;
    const call = `${method} ${url.pathname}`;
    try {
      const response = await fetch(url, { method, headers, body: body || undefined, redirect: 'manual', signal: AbortSignal.timeout(this.config.timeoutMs) });
      const bytes = Buffer.from(await response.arrayBuffer());
      return { status: response.status, headers: Object.fromEntries(response.headers), bytes };
    } catch (error) {
      // AbortSignal.timeout's reason is a DOMException named TimeoutError (not an Error in Node 20).
      const timedOut = (error as { name?: unknown } | undefined)?.name === 'TimeoutError';
      this.logger.warn({ call, timedOut, err: error }, 'no answer from WeChat Pay');
      throw new WechatPayUnanswered(
        timedOut
          ? `No answer from WeChat Pay to ${call} within ${this.config.timeoutMs} ms.`
          : `WeChat Pay could not be reached for ${call}: ${String(error)}.`,
        { timedOut, cause: error },
      );
    }
  }
}

/** WeChat Pay's error body {code, message}; whatever else answered (a proxy's HTML page) is reported as it is, shortened. */
function errorOf(bytes: Buffer): { code: string; message: string } {
  const text = bytes.toString('utf8');
  try {
    const json = JSON.parse(text) as { code?: unknown; message?: unknown };
    if (typeof json.code === 'string') return { code: json.code, message: typeof json.message === 'string' ? json.message : '' };
  } catch {
    // not JSON: below
  }
  return { code: 'UNKNOWN', message: text.slice(0, 200) };
}
