import { randomBytes } from 'node:crypto';

/** What a client saw: an answer, or none (the connection broke, or nothing came back in time). */
export type Outcome =
  // body: the JSON the client read (or the text, when it is not JSON), untyped as any client's view of it.
  { kind: 'answer'; status: number; contentType: string; retryAfter: string | null; body: any } | { kind: 'no_answer'; error: string; hung: boolean };

export interface CallOptions {
  token?: string;
  body?: unknown;
  /** Bytes sent as they are (a signed notification must arrive byte for byte), as JSON. */
  rawBody?: Buffer;
  idempotencyKey?: string;
  /** A request still unanswered after this long counts as hung: a bug, unless the process was killed. */
  timeoutMs?: number;
  headers?: Record<string, string>;
}

/** One HTTP request to a service process, as an outside client makes it. Never throws: a broken connection is an outcome. */
export async function send(baseUrl: string, method: string, path: string, options: CallOptions = {}): Promise<Outcome> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.Authorization = `Bearer ${options.token}`;
  if (options.idempotencyKey) headers['Idempotency-Key'] = options.idempotencyKey;
  if (options.body !== undefined || options.rawBody !== undefined) headers['Content-Type'] = 'application/json';
  const timeoutMs = options.timeoutMs ?? 60_000;
  try {
    const res = await fetch(`${baseUrl}${path}`, {
      method,
      headers,
      body: options.rawBody ? new Uint8Array(options.rawBody) : options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text();
    const contentType = res.headers.get('content-type') ?? '';
    return {
      kind: 'answer',
      status: res.status,
      contentType,
      retryAfter: res.headers.get('retry-after'),
      body: text && contentType.includes('json') ? JSON.parse(text) : text,
    };
  } catch (error) {
    const e = error as Error & { cause?: { code?: string; message?: string } };
    const hung = e.name === 'TimeoutError';
    return {
      kind: 'no_answer',
      error: hung ? `no answer within ${timeoutMs} ms` : `${e.message}${e.cause ? `: ${e.cause.code ?? ''} ${e.cause.message ?? ''}` : ''}`,
      hung,
    };
  }
}

/**
 * As a careful client sends a request that moves money: with an Idempotency-Key, retried with the same
 * key when the connection breaks before an answer (the server may or may not have done it: the key
 * makes the retry safe), when the service says it is briefly unavailable (503, after its Retry-After),
 * or while the first attempt is still running (409 in flight). On a saturated machine the first
 * happens before the server has even read the request: a full listen queue, or the server's idle
 * keep-alive close meeting a reused connection.
 * Given several base URLs (replicas behind a load balancer), a broken connection moves the client on
 * to the next one, as a load balancer fails over from a dead replica. `history` holds every answer.
 */
export async function sendWithRetries(
  baseUrls: string | readonly string[],
  method: string,
  path: string,
  options: CallOptions & { idempotencyKey?: string },
  attempts = 5,
): Promise<{ outcome: Outcome; attempts: number; via: string; history: Outcome[] }> {
  const urls = typeof baseUrls === 'string' ? [baseUrls] : baseUrls;
  const history: Outcome[] = [];
  let replica = 0;
  for (let attempt = 1; ; attempt++) {
    const via = urls[replica];
    const outcome = await send(via, method, path, options);
    history.push(outcome);
    const broken = outcome.kind === 'no_answer' && !outcome.hung;
    const unavailable = outcome.kind === 'answer' && outcome.status === 503;
    const inFlight = outcome.kind === 'answer' && outcome.status === 409 && outcome.body?.code === 'idempotency_request_in_flight';
    if (!(broken || unavailable || inFlight) || attempt >= attempts) return { outcome, attempts: attempt, via, history };
    if (broken) replica = Math.min(replica + 1, urls.length - 1);
    const retryAfterMs = unavailable && outcome.kind === 'answer' && outcome.retryAfter ? Number(outcome.retryAfter) * 1000 : 0;
    await new Promise((resolve) => setTimeout(resolve, Math.max(retryAfterMs, 200 * attempt)));
  }
}

/** The same, for requests that must be answered with the given status; returns the body. */
export async function expectStatus(status: number, baseUrl: string, method: string, path: string, options: CallOptions = {}): Promise<any> {
  const outcome = await send(baseUrl, method, path, options);
  if (outcome.kind !== 'answer' || outcome.status !== status) {
    throw new Error(
      `${method} ${path}: expected ${status}, got ${outcome.kind === 'answer' ? `${outcome.status} ${JSON.stringify(outcome.body)}` : outcome.error}`,
    );
  }
  return outcome.body;
}

export interface Consumer {
  email: string;
  userId: string;
  token: string;
}

/** Consumers who sign up through a service process (its tokens are valid at every process of the fleet). */
export async function registerConsumers(baseUrl: string, count: number, concurrency = 20): Promise<Consumer[]> {
  const run = randomBytes(3).toString('hex');
  return mapLimit(
    Array.from({ length: count }, (_, i) => i),
    concurrency,
    async (i) => {
      const email = `consumer-${run}-${i}@example.com`;
      const body = await expectStatus(201, baseUrl, 'POST', '/v1/auth/register', { body: { email, password: 'correct horse battery' } });
      return { email, userId: body.user.id as string, token: body.token as string };
    },
  );
}

/** Signs in through a service process (an operator or factory user made in the test's own process). */
export async function signIn(baseUrl: string, email: string, password: string): Promise<string> {
  return (await expectStatus(200, baseUrl, 'POST', '/v1/auth/login', { body: { email, password } })).token as string;
}

/** Runs `work` over `items` with at most `limit` at once, keeping the order of the results. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index], index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}

/** A problem+json document as RFC 9457 and docs/openapi.yaml describe it. */
export function isProblem(outcome: Outcome): boolean {
  return (
    outcome.kind === 'answer' &&
    outcome.contentType.startsWith('application/problem+json') &&
    typeof outcome.body?.code === 'string' &&
    outcome.body?.status === outcome.status
  );
}
