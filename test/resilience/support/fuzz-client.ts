import { Agent, request, createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';

/** A request exactly as it goes on the wire (the path already percent-encoded, the body already bytes). */
export interface WireRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
  /** Send the body with chunked transfer encoding instead of a Content-Length. */
  chunked?: boolean;
}

export interface WireResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** The app on a real port, and a keep-alive client for it; node:http lets us send what fetch refuses (a body on GET). */
export async function serve(app: Express): Promise<{ url: string; send(req: WireRequest): Promise<WireResponse>; close(): Promise<void> }> {
  const server: Server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  return {
    url: `http://127.0.0.1:${port}`,
    send: (req) => sendTo(port, agent, req),
    close: async () => {
      agent.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function sendTo(port: number, agent: Agent, req: WireRequest): Promise<WireResponse> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...req.headers };
    // Node's client frames a body on GET and DELETE only when told how: a length, or chunks.
    if (req.body) headers[req.chunked ? 'transfer-encoding' : 'content-length'] = req.chunked ? 'chunked' : String(req.body.length);
    const outgoing = request({ host: '127.0.0.1', port, method: req.method, path: req.path, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    // The server may answer (413, 415) before it has read the whole body and drop the rest: once an
    // answer has come, an error writing the rest is not a failure.
    let answered = false;
    outgoing.on('response', () => (answered = true));
    outgoing.on('error', (error) => (answered ? undefined : reject(error)));
    if (req.body) outgoing.write(req.body);
    outgoing.end();
  });
}

/** Whether a response is an RFC 9457 problem as docs/openapi.yaml describes it; the reasons it is not. */
export function problemViolations(res: WireResponse): string[] {
  const violations: string[] = [];
  const type = String(res.headers['content-type'] ?? '');
  if (!type.startsWith('application/problem+json')) violations.push(`content-type is "${type}", not application/problem+json`);
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(res.text) as Record<string, unknown>;
  } catch {
    return [...violations, `body is not JSON: ${res.text.slice(0, 200)}`];
  }
  for (const field of ['type', 'title', 'code', 'detail'] as const) if (typeof body[field] !== 'string') violations.push(`"${field}" is not a string`);
  if (body.status !== res.status) violations.push(`"status" is ${JSON.stringify(body.status)}, the response ${res.status}`);
  if (typeof body.code === 'string' && body.type !== `urn:c2m:problem:${body.code}`)
    violations.push(`"type" ${JSON.stringify(body.type)} does not match code "${body.code}"`);
  if (typeof body.code === 'string' && !/^[a-z][a-z0-9_]*$/.test(body.code)) violations.push(`"code" ${JSON.stringify(body.code)} is not snake_case`);
  if (body.errors !== undefined && !(Array.isArray(body.errors) && body.errors.every((e) => typeof e?.path === 'string' && typeof e?.message === 'string')))
    violations.push('"errors" is not a list of {path, message}');
  // Internals never reach a client: no stack frames, no driver errors. (Not SQL words: a detail may quote the caller's own input.)
  if (/\\n\s+at |node_modules|QueryFailedError|SQLITE_[A-Z]|\bER_[A-Z_]{3,}/.test(res.text)) violations.push(`leaks internals: ${res.text.slice(0, 300)}`);
  return violations;
}
