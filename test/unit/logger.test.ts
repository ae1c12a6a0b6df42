import { Writable } from 'node:stream';
import { createLogger } from '../../src/platform/logger';

/** What reaches the log, line by line, as an operator reading it would see it. */
function capture() {
  const lines: string[] = [];
  const destination = new Writable({ write: (chunk, _encoding, done) => void (lines.push(String(chunk)), done()) });
  return { logger: createLogger('trace', destination), text: () => lines.join(''), records: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('the log never shows a secret, however deep it sits', () => {
  test('passwords, tokens, secrets and authorization headers at depths 1 to 5, in arrays, in errors and in child bindings are redacted; the rest is kept', () => {
    const { logger, text, records } = capture();
    logger.info({ password: 'secret-depth-1', email: 'li@example.com' }, 'top level');
    logger.info({ request: { headers: { authorization: 'Bearer secret-depth-3', 'content-type': 'application/json' } } }, 'nested header');
    logger.info({ a: { b: { c: { d: { newPassword: 'secret-depth-5', apiKey: 'c2mk_secret-api-key', keep: 'visible-value' } } } } }, 'deep');
    logger.info({ users: [{ email: 'x@example.com', passwordHash: '$argon2id$secret-hash' }, { session: { accessToken: 'secret-in-array' } }] }, 'array');
    const error = Object.assign(new Error('gateway refused'), { config: { headers: { Authorization: 'Bearer secret-in-error' } } });
    logger.error({ err: error }, 'with an error');
    logger.child({ webhook: { signingSecret: 'secret-in-binding' } }).warn({ cookie: 'sid=secret-cookie' }, 'child');

    for (const secret of [
      'secret-depth-1',
      'secret-depth-3',
      'secret-depth-5',
      'c2mk_secret-api-key',
      'secret-hash',
      'secret-in-array',
      'secret-in-error',
      'secret-in-binding',
      'secret-cookie',
    ]) {
      expect(text()).not.toContain(secret);
    }
    const [top, header, deep, array, withError] = records();
    expect(top).toMatchObject({ password: '[redacted]', email: 'li@example.com', msg: 'top level' });
    expect(header).toMatchObject({ request: { headers: { authorization: '[redacted]', 'content-type': 'application/json' } } });
    expect(deep).toMatchObject({ a: { b: { c: { d: { newPassword: '[redacted]', keep: 'visible-value' } } } } });
    expect(array).toMatchObject({ users: [{ email: 'x@example.com', passwordHash: '[redacted]' }, { session: { accessToken: '[redacted]' } }] });
    expect(withError).toMatchObject({ err: { type: 'Error', message: 'gateway refused', config: { headers: { Authorization: '[redacted]' } } } });
  });
});
