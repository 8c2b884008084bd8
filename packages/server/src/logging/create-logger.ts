import { pino, type DestinationStream, type Logger } from 'pino'
import type { LogLevel } from '../config/server-config.js'

/**
 * Paths that may hold a credential, should one ever reach a log call. Request bodies are never
 * logged whole; this is the second line of defence.
 */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'authorization',
  '*.authorization',
  // PostgreSQL's error detail quotes the row it refused (an email, a digest): the code and message say enough.
  'err.detail',
  '*.err.detail',
  'user_hash',
  '*.user_hash',
  'identity_token',
  '*.identity_token',
  'access_token',
  '*.access_token',
  'secret',
  '*.secret',
  'value',
  '*.value',
  'adminKey',
  '*.adminKey',
  'key',
  '*.key',
  'token',
  '*.token',
  'password',
  '*.password',
  'current_password',
  '*.current_password',
  'new_password',
  '*.new_password',
  'totp',
  '*.totp',
  'csrf_token',
  '*.csrf_token',
  'cookie',
  '*.cookie',
  'headers["x-csrf-token"]',
  'req.headers["x-csrf-token"]',
]

export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'verity' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACTED_PATHS, censor: '[Redacted]' },
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  )
}
