import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import type { Logger } from '../logger';
import { StartupError } from '../startup-error';
import type { Metrics } from './metrics';
import { problemType, type Problem } from './problem';

/**
 * Connections the kernel completes and queues for the process before it accepts them. A burst of
 * connections arriving while the event loop is busy (SQLite queries are synchronous) overflowed Node's
 * default of 511 and the kernel reset the rest. Linux silently caps it at net.core.somaxconn (4096 by
 * default since kernel 5.4, 128 before: docs/operations.md).
 */
const LISTEN_BACKLOG = 4096;

/** Liveness and metrics answer even when the process is overloaded: they are cheap, and needed most then. */
const NEVER_SHED = new Set(['/healthz', '/metrics']);

export interface ListenOptions {
  port: number;
  host: string;
  /** Requests the process works on at once; beyond that a request is answered 503 `overloaded` at once. */
  maxConcurrentRequests: number;
  logger: Logger;
}

export interface Listener {
  server: Server;
  /** The port actually bound (PORT=0 picks a free one). */
  port: number;
  /** Hands requests to the app; until then every request is answered 503 `starting`. */
  serve(app: RequestListener, metrics: Metrics): void;
}

/**
 * Claims the port before anything else happens, so a second start on a busy port fails at once with
 * one line instead of migrating and seeding first. Requests arriving while the service starts are
 * answered 503 `starting`; once serving, requests beyond `maxConcurrentRequests` are answered 503
 * `overloaded` before their body is read or the database is touched, so a burst is shed with an
 * answer rather than queued without bound or reset.
 */
export async function listen(options: ListenOptions): Promise<Listener> {
  let handle: RequestListener = (req, res) => refuse(req, res, 'starting', 'The service is starting (preparing its database). Try again in a moment.', 1);
  const server = createServer((req, res) => handle(req, res));
  server.requestTimeout = 30_000;
  server.headersTimeout = 20_000;
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    const failed = (error: NodeJS.ErrnoException) => reject(listenFailure(error, options));
    server.once('error', failed);
    server.listen({ port: options.port, host: options.host, backlog: LISTEN_BACKLOG }, () => {
      // Later server errors are not start-up failures: they must not be swallowed by this promise.
      server.off('error', failed);
      resolve();
    });
  });
  for (const warning of capacityWarnings(options.maxConcurrentRequests)) options.logger.warn(warning);
  const address = server.address();
  return {
    server,
    port: typeof address === 'object' && address ? address.port : options.port,
    serve: (app, metrics) => {
      handle = admission(app, metrics, options);
    },
  };
}

function admission(app: RequestListener, metrics: Metrics, options: ListenOptions): RequestListener {
  let inFlight = 0;
  let shedInWindow = 0;
  return (req, res) => {
    if (inFlight >= options.maxConcurrentRequests && !NEVER_SHED.has(req.url ?? '')) {
      metrics.httpShed.inc();
      // One line per 10 s of overload, not one per shed request: logging each would add to the load being shed.
      if (shedInWindow++ === 0) {
        setTimeout(() => {
          options.logger.warn(
            { shed: shedInWindow, maxConcurrentRequests: options.maxConcurrentRequests },
            `overloaded: ${shedInWindow} requests answered 503 in 10 s (MAX_CONCURRENT_REQUESTS already in flight)`,
          );
          shedInWindow = 0;
        }, 10_000).unref();
      }
      // Retries spread over a few seconds, so a shed burst does not come back as one burst.
      refuse(
        req,
        res,
        'overloaded',
        'The service is working on more requests than it can take at once. Try again after Retry-After seconds (a request with an Idempotency-Key: with the same key).',
        1 + Math.floor(Math.random() * 5),
      );
      return;
    }
    inFlight += 1;
    // 'close' comes once per response, answered or abandoned by the client.
    res.once('close', () => (inFlight -= 1));
    app(req, res);
  };
}

/**
 * A 503 problem+json written straight to the socket: no body parsing, no database, no middleware. The
 * connection is closed after it, so a shed burst gives its sockets (file descriptors) back at once.
 */
function refuse(req: IncomingMessage, res: ServerResponse, code: string, detail: string, retryAfterSeconds: number): void {
  const problem: Problem = { type: problemType(code), title: 'Service Unavailable', status: 503, code, detail, instance: req.url ?? '/' };
  res.writeHead(503, { 'Content-Type': 'application/problem+json', 'Retry-After': String(retryAfterSeconds), Connection: 'close' });
  res.end(JSON.stringify(problem));
}

/**
 * Limits of the machine that would turn a burst into reset connections whatever the process does:
 * the kernel's cap on the listen backlog, and the open-file limit (each connection is a file
 * descriptor; when none is left, Node accepts and closes the waiting connections at once). Linux only.
 */
function capacityWarnings(maxConcurrentRequests: number): string[] {
  const warnings: string[] = [];
  const somaxconn = Number(readOrEmpty('/proc/sys/net/core/somaxconn'));
  if (somaxconn > 0 && somaxconn < LISTEN_BACKLOG) {
    warnings.push(
      `net.core.somaxconn is ${somaxconn}: the kernel queues at most that many new connections; raise it to ${LISTEN_BACKLOG} (sysctl -w net.core.somaxconn=${LISTEN_BACKLOG}) for bursts of connections`,
    );
  }
  const openFiles = Number(/^Max open files\s+(\d+)/m.exec(readOrEmpty('/proc/self/limits'))?.[1]);
  const wanted = LISTEN_BACKLOG + maxConcurrentRequests;
  if (openFiles > 0 && openFiles < wanted) {
    warnings.push(
      `the open-file limit is ${openFiles}: a burst of more connections than that is reset; raise it to ${wanted} or more (ulimit -n, systemd LimitNOFILE, docker --ulimit nofile)`,
    );
  }
  return warnings;
}

function readOrEmpty(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

function listenFailure(error: NodeJS.ErrnoException, options: ListenOptions): Error {
  const where = `port ${options.port} on ${options.host}`;
  if (error.code === 'EADDRINUSE')
    return new StartupError(`cannot listen on ${where}: it is already in use (another copy of this service?). Stop that process or set PORT to a free port.`);
  if (error.code === 'EACCES')
    return new StartupError(`cannot listen on ${where}: permission denied (ports below 1024 need privileges). Set PORT to 1024 or above.`);
  if (error.code === 'EADDRNOTAVAIL')
    return new StartupError(`cannot listen on ${where}: this machine has no such address. Set HOST to one of its addresses, or 0.0.0.0.`);
  return error;
}
