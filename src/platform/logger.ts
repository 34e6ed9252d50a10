/** pino, with secrets redacted wherever a log line could carry them. */
import pino, { type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'domus' },
    redact: {
      paths: [
        'req.headers.authorization',
        'headers.authorization',
        '*.adminToken',
        '*.masterKey',
        '*.privateKey',
        '*.token',
      ],
      censor: '[redacted]',
    },
  });
}
