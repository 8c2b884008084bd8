import type { IncomingMessage } from 'node:http'
import { VerityError } from '../errors/verity-error.js'
import { sameSecret } from '../teammates/teammate-sessions.js'

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

/**
 * A request from a page on another site: its Origin names another host, or the browser says so in
 * Sec-Fetch-Site. A request without either (curl, a same-origin GET in older browsers) is not.
 */
export function isCrossSite(req: IncomingMessage, publicUrl: string | null): boolean {
  const site = req.headers['sec-fetch-site']
  if (site === 'cross-site' || site === 'same-site') return true
  const origin = req.headers.origin
  if (origin === undefined) return false
  if (origin === 'null') return true
  let host: string
  try {
    host = new URL(origin).host
  } catch {
    return true
  }
  if (publicUrl !== null && new URL(publicUrl).host === host) return false
  return host !== req.headers.host
}

/**
 * Unsafe requests authenticated by the session cookie need the session's X-CSRF-Token and a
 * same-origin Origin (or none). Bearer calls need neither: a browser never adds them by itself.
 */
export function assertCsrf(req: IncomingMessage, csrfToken: string, publicUrl: string | null): void {
  if (SAFE_METHODS.has(req.method ?? 'GET')) return
  const sent = req.headers['x-csrf-token']
  if (typeof sent !== 'string' || !sameSecret(sent, csrfToken)) throw new VerityError('csrf_failed', 'Send the X-CSRF-Token header that GET /admin/v1/session gives.')
  if (isCrossSite(req, publicUrl)) throw new VerityError('csrf_failed', 'This request comes from another origin.')
}
