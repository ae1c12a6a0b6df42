import pino from 'pino';

export type Logger = pino.Logger;

/** Keys whose values are secrets wherever they appear: `password`, `newPassword`, `passwordHash`, `accessToken`, `signingSecret`, `Authorization` … */
const SECRET_KEY = /password|passphrase|secret|token|authori[sz]ation|cookie|api[-_]?key|credential/i;
const CENSOR = '[redacted]';

/** A copy of a parsed log record with the value of every secret-named key replaced, at any depth. */
function redact(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redact);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, SECRET_KEY.test(key) ? CENSOR : redact(item)]));
}

/**
 * Redacts the finished line, after serializers, child bindings and pino-http have all had their say, so
 * that nothing can ride past it at a depth a fixed path list does not name. Only a line that mentions a
 * secret-looking key at all is parsed, so the usual request line costs one regular-expression test.
 */
function redactLine(line: string): string {
  if (!SECRET_KEY.test(line)) return line;
  try {
    return `${JSON.stringify(redact(JSON.parse(line)))}\n`;
  } catch {
    // Not one JSON record: nothing we wrote, so nothing to redact by key.
    return line;
  }
}

/** The service's logger: JSON lines on stdout, or on `destination` (tests read what an operator would). */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service: 'c2m-presale' },
    timestamp: pino.stdTimeFunctions.isoTime,
    // Secrets never reach the log, whichever object they ride on and however deep.
    hooks: { streamWrite: redactLine },
  };
  return destination ? pino(options, destination) : pino(options);
}
