import type { Language } from '../i18n';

/** One bad field of a request, as the API reports it. */
export interface FieldError {
  path: string;
  message: string;
}

/** An answer other than 2xx: the API's problem document (RFC 9457), or what we could tell without one. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
    readonly fieldErrors: FieldError[] = [],
    readonly retryAfterSeconds: number | null = null,
  ) {
    super(detail);
    this.name = 'ApiError';
  }
}

/** Status 0: the request never got an answer (offline, server down). */
export const NETWORK_ERROR = 'network_error';

export interface CallOptions {
  token?: string | null;
  language: Language;
  body?: unknown;
  /** Money-moving calls: the same key for retries of one attempt, a new key for a new attempt. */
  idempotencyKey?: string;
  signal?: AbortSignal;
}

/**
 * The /v1 API, same origin, like the portal's client: a bearer token when signed in, the buyer's language
 * (notifications are rendered in it), and every failure turned into an ApiError whose `code` the pages
 * map to words (api/errors.ts); the API's English `detail` is never shown.
 */
export async function call<T>(method: string, path: string, options: CallOptions): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json', 'Accept-Language': options.language === 'en' ? 'en' : 'zh-CN' };
  if (options.body !== undefined) headers['Content-Type'] = 'application/json';
  if (options.token) headers.Authorization = `Bearer ${options.token}`;
  if (options.idempotencyKey) headers['Idempotency-Key'] = options.idempotencyKey;
  let response: Response;
  try {
    response = await fetch(path, { method, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body), signal: options.signal });
  } catch (error) {
    if ((error as Error).name === 'AbortError') throw error;
    throw new ApiError(0, NETWORK_ERROR, 'The server could not be reached.');
  }
  if (response.ok) return (response.status === 204 ? undefined : await response.json()) as T;
  const retry = Number(response.headers.get('retry-after'));
  const retryAfter = Number.isFinite(retry) && retry > 0 ? retry : null;
  if ((response.headers.get('content-type') ?? '').includes('json')) {
    const problem = (await response.json().catch(() => ({}))) as { code?: string; detail?: string; errors?: FieldError[] };
    throw new ApiError(response.status, problem.code ?? 'http_error', problem.detail ?? response.statusText, problem.errors ?? [], retryAfter);
  }
  throw new ApiError(response.status, 'http_error', `HTTP ${response.status}`, [], retryAfter);
}

/** A fresh key for one attempt at a money-moving call. */
export function newIdempotencyKey(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  // crypto.randomUUID needs a secure context; a phone on the LAN over plain HTTP has only getRandomValues.
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
