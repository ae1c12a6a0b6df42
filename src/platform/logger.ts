import pino from 'pino';

export type Logger = pino.Logger;

export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'c2m-presale' },
    timestamp: pino.stdTimeFunctions.isoTime,
    // Secrets never reach the log, whichever object they ride on.
    redact: { paths: ['req.headers.authorization', 'req.headers.cookie', '*.password', '*.secret', '*.token'], censor: '[redacted]' },
  });
}
