import type { RequestHandler } from 'express';
import pino from 'pino';
import supertest from 'supertest';
import { Metrics } from '../../src/platform/http';
import { createHttpApp } from '../../src/platform/http/server';

/**
 * A line at error level means someone must act. A clean 503 (the database unreachable for a moment:
 * answered with Retry-After, it heals by itself) is one warning; a 500 is one error line, with its stack.
 */
function appLogging(handler: RequestHandler) {
  const lines: { level: number; msg: string; err?: { message: string } }[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  const http = createHttpApp({
    logger,
    metrics: new Metrics({ processMetrics: false }),
    bodyLimit: '100kb',
    corsOrigins: [],
    trustProxy: false,
    handlers: [handler],
  });
  return { lines, http: supertest(http) };
}

test('a 503 for a lost database connection is logged once, as a warning', async () => {
  const { lines, http } = appLogging((_req, _res, next) => next(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })));
  const res = await http.get('/v1/anything').expect(503);
  expect(res.headers['retry-after']).toBe('1');
  expect(lines.map((l) => l.level)).toEqual([40]);
  expect(lines[0].err?.message).toBe('read ECONNRESET');
});

test('an unexpected error is one error line with the error, and the answer says nothing internal', async () => {
  const { lines, http } = appLogging(() => {
    throw new Error('the impossible happened');
  });
  const res = await http.get('/v1/anything').expect(500);
  expect(res.body.detail).not.toContain('impossible');
  expect(lines.map((l) => l.level)).toEqual([50]);
  expect(lines[0].err?.message).toBe('the impossible happened');
});
