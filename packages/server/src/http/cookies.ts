import type { IncomingMessage } from 'node:http'

/** With Secure, the __Host- prefix: the browser refuses it from plain HTTP, another path or a Domain. */
export const SECURE_SESSION_COOKIE = '__Host-verity_session'
/** On plain-HTTP loopback (a laptop, curl), where a Secure cookie would never come back. */
export const LOOPBACK_SESSION_COOKIE = 'verity_session'

const LOOPBACK_HOST = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])(?::\d+)?$/i

/** Plain HTTP straight to a loopback address: the one case where the session cookie is not Secure. */
export function isPlainLoopback(req: IncomingMessage): boolean {
  const host = req.headers.host ?? ''
  return LOOPBACK_HOST.test(host) && req.headers['x-forwarded-proto'] === undefined && !('encrypted' in req.socket && req.socket.encrypted)
}

export function readCookie(req: IncomingMessage, name: string): string | null {
  const header = req.headers.cookie
  if (!header) return null
  for (const part of header.split(';')) {
    const eq = part.indexOf('=')
    if (eq === -1) continue
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim()
  }
  return null
}

/** The session cookie's value, under either name. */
export function readSessionCookie(req: IncomingMessage): string | null {
  return readCookie(req, SECURE_SESSION_COOKIE) ?? readCookie(req, LOOPBACK_SESSION_COOKIE)
}

/** Set-Cookie for a session: HttpOnly (no script reads it), SameSite=Strict, Path=/, Secure off loopback. */
export function sessionCookie(req: IncomingMessage, value: string, maxAgeSeconds: number): string {
  const loopback = isPlainLoopback(req)
  const name = loopback ? LOOPBACK_SESSION_COOKIE : SECURE_SESSION_COOKIE
  return `${name}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${Math.floor(maxAgeSeconds)}${loopback ? '' : '; Secure'}`
}

export function clearedSessionCookie(req: IncomingMessage): string {
  return sessionCookie(req, '', 0)
}
