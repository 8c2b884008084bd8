const UNAVAILABLE_CODES = new Set([
  // Node networking
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ECONNABORTED',
  // PostgreSQL: connection exceptions, shutdown, too many connections, query canceled by timeout
  '08000', '08001', '08003', '08004', '08006', '57P01', '57P02', '57P03', '53300', '57014',
  // PostgreSQL: out of disk or memory; a write reaching a read-only standby during a failover
  '53100', '53200', '25006',
  // SQLite: locked past the busy timeout, cannot open, disk full or read-only
  'SQLITE_BUSY', 'SQLITE_LOCKED', 'SQLITE_CANTOPEN', 'SQLITE_FULL', 'SQLITE_READONLY', 'SQLITE_IOERR',
])

/** True when an error means "the database cannot serve now" (503), not "this request is wrong". */
export function isStorageUnavailable(error: unknown, depth = 0): boolean {
  if (typeof error !== 'object' || error === null || depth > 3) return false
  const { code, message, errors, cause } = error as { code?: unknown; message?: unknown; errors?: unknown; cause?: unknown }
  if (typeof code === 'string' && (UNAVAILABLE_CODES.has(code) || code.startsWith('SQLITE_IOERR'))) return true
  // pg's pool reports its own timeouts and closed connections only in the message.
  if (typeof message === 'string' && /timeout exceeded when trying to connect|Connection terminated|connection is insecure|Client has encountered a connection error|Client was closed and is not queryable|Query read timeout/i.test(message)) return true
  // Node reports a refused connection to a name with several addresses (localhost: ::1 and
  // 127.0.0.1) as an AggregateError; wrappers keep the original as `cause`.
  if (Array.isArray(errors) && errors.some((e) => isStorageUnavailable(e, depth + 1))) return true
  return isStorageUnavailable(cause, depth + 1)
}

/**
 * True when the database refused what it was given (PostgreSQL's data exceptions and integrity
 * violations, e.g. a NUL in text; SQLite's constraint, type and size errors): sending the same
 * rows again can never succeed.
 */
export function isStorageRefusal(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false
  const { code } = error as { code?: unknown }
  if (typeof code !== 'string') return false
  if (/^2[23][0-9A-Z]{3}$/.test(code)) return true
  return code.startsWith('SQLITE_CONSTRAINT') || code === 'SQLITE_MISMATCH' || code === 'SQLITE_TOOBIG' || code === 'SQLITE_RANGE'
}
