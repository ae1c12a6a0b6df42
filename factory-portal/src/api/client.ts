import type { LoginResponse } from './types';

/**
 * One bad field of a request, as the API reports it: `{ path: "body.lines.0.reason", message, reason, limit? }`.
 * The screen says `reason` in the user's language (fieldErrorText); `message` is the API's English.
 */
export interface FieldError {
  path: string;
  message: string;
  reason?: string;
  limit?: number;
}

/** An answer other than 2xx: the API's problem document (RFC 9457), or what we could tell without one. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
    readonly fieldErrors: FieldError[] = [],
  ) {
    super(detail);
    this.name = 'ApiError';
  }
}

/** Status 0: the request never got an answer (offline, server down). */
export const NETWORK_ERROR = 'network_error';

async function send(path: string, init: RequestInit): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(path, init);
  } catch {
    throw new ApiError(0, NETWORK_ERROR, 'The server could not be reached.');
  }
  if (response.ok) return response;
  const type = response.headers.get('content-type') ?? '';
  if (type.includes('json')) {
    const problem = (await response.json()) as { code?: string; detail?: string; errors?: FieldError[] };
    throw new ApiError(response.status, problem.code ?? 'http_error', problem.detail ?? response.statusText, problem.errors ?? []);
  }
  throw new ApiError(response.status, 'http_error', `HTTP ${response.status} ${response.statusText}`);
}

const jsonHeaders = { Accept: 'application/json', 'Content-Type': 'application/json' };

/** Sign-in, the one call made without a token. */
export async function login(email: string, password: string): Promise<LoginResponse> {
  const response = await send('/v1/auth/login', { method: 'POST', headers: jsonHeaders, body: JSON.stringify({ email, password }) });
  return (await response.json()) as LoginResponse;
}

/**
 * The /v1 API with the signed-in factory user's bearer token, same origin. A 401 means the token has
 * expired or was refused: `onUnauthorized` ends the session (back to sign-in), then the call fails.
 */
export class Api {
  constructor(
    private readonly token: string,
    private readonly onUnauthorized: () => void,
  ) {}

  async get<T>(path: string): Promise<T> {
    return (await (await this.request(path, { method: 'GET' })).json()) as T;
  }

  /** `headers`: what a route asks beyond the token (an Idempotency-Key where the request moves money). */
  async post<T>(path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
    return (await (await this.request(path, { method: 'POST', body: body === undefined ? undefined : JSON.stringify(body), headers })).json()) as T;
  }

  async patch<T>(path: string, body: unknown): Promise<T> {
    return (await (await this.request(path, { method: 'PATCH', body: JSON.stringify(body) })).json()) as T;
  }

  async put<T>(path: string, body: unknown): Promise<T> {
    return (await (await this.request(path, { method: 'PUT', body: JSON.stringify(body) })).json()) as T;
  }

  /** A DELETE answered 204 (revoking a key). */
  async delete(path: string): Promise<void> {
    await this.request(path, { method: 'DELETE' });
  }

  /** Ends this session on the server: the token stops working everywhere at once, not only in this browser. */
  async signOut(): Promise<void> {
    // Not through request(): a token already refused is no reason to report the session as expired.
    await send('/v1/auth/logout', { method: 'POST', headers: { Accept: 'application/json', Authorization: `Bearer ${this.token}` } });
  }

  /** A file answer (the batch CSV) with the name the server gave it. */
  async download(path: string, fallbackName: string): Promise<{ blob: Blob; filename: string }> {
    const response = await this.request(path, { method: 'GET' }, 'text/csv');
    const disposition = response.headers.get('content-disposition') ?? '';
    const filename = /filename="?([^";]+)"?/.exec(disposition)?.[1] ?? fallbackName;
    return { blob: await response.blob(), filename };
  }

  private async request(path: string, init: RequestInit, accept = 'application/json'): Promise<Response> {
    try {
      const headers: Record<string, string> = { ...(init.headers as Record<string, string> | undefined), Accept: accept, Authorization: `Bearer ${this.token}` };
      if (init.body !== undefined) headers['Content-Type'] = 'application/json';
      return await send(path, { ...init, headers });
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) this.onUnauthorized();
      throw error;
    }
  }
}
