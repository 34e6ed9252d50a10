/**
 * pino, with secrets redacted wherever a log line could carry them. The request log line holds
 * the URL with its secret parameters redacted (http/redact.ts) and no header; the paths below
 * catch a secret that an object logged elsewhere (an error, a config) might carry.
 */
import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger };

const SECRET_FIELDS = [
  'adminToken',
  'licenseServerTokens',
  'masterKey',
  'privateKey',
  'token',
  'accessToken',
  'access_token',
  'refreshToken',
  'refresh_token',
  'idToken',
  'id_token',
  'clientSecret',
  'client_secret',
  'software_statement',
  'softwareStatement',
  'password',
  'authorization',
  'cookie',
];

/** A logger at `level`, writing JSON lines to standard output (or to `destination`, for tests). */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = {
    level,
    base: { service: 'domus' },
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        'headers.authorization',
        'headers.cookie',
        'headers["set-cookie"]',
        ...SECRET_FIELDS,
        ...SECRET_FIELDS.map((field) => `*.${field}`),
      ],
      censor: '[redacted]',
    },
  };
  return destination ? pino(options, destination) : pino(options);
}
