const UNAVAILABLE_CODES = new Set([
  // Node networking
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH',
  // PostgreSQL: connection exceptions, shutdown, too many connections, query canceled by timeout
  '08000', '08001', '08003', '08004', '08006', '57P01', '57P02', '57P03', '53300', '57014',
  // SQLite: locked past the busy timeout, cannot open, disk full or read-only
  'SQLITE_BUSY', 'SQLITE_LOCKED', 'SQLITE_CANTOPEN', 'SQLITE_FULL', 'SQLITE_READONLY', 'SQLITE_IOERR',
])

/** True when an error means "the database cannot serve now" (503), not "this request is wrong". */
export function isStorageUnavailable(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false
  const { code, message } = error as { code?: unknown; message?: unknown }
  if (typeof code === 'string' && (UNAVAILABLE_CODES.has(code) || code.startsWith('SQLITE_IOERR'))) return true
  // pg's pool reports its own timeouts and closed connections only in the message.
  return typeof message === 'string' && /timeout exceeded when trying to connect|Connection terminated|connection is insecure|Client has encountered a connection error/i.test(message)
}
