import type { Logger } from 'pino'
import { z } from 'zod'
import { VerityError } from '../../errors/verity-error.js'
import type { GuessGuard } from '../../limits/guess-guard.js'
import type { SessionRecord } from '../../storage/teammate-session-repository.js'
import type { TeammateSessions } from '../../teammates/teammate-sessions.js'
import { teammateView } from '../../teammates/teammate-views.js'
import type { Principal } from '../admin-principal.js'
import { clearedSessionCookie, sessionCookie } from '../cookies.js'
import { isCrossSite } from '../csrf.js'
import { defineRoute, type Route } from '../route.js'
import { confirmSchema, signInSchema, teammateSchema } from '../schemas/teammate-schemas.js'

/** The dashboard session of a session-only route (the handler checked the kind). */
export function sessionOf(principal: Principal | null): SessionRecord {
  if (principal?.kind !== 'session') throw new TypeError('a session-only route ran without a session')
  return principal.session
}

function sessionTeammate(s: SessionRecord) {
  return { id: s.teammateId, email: s.email, name: s.name, role: s.role, totp_enabled: s.totpEnabled }
}

export function adminSessionRoutes(
  sessions: TeammateSessions,
  guesses: GuessGuard,
  settings: { maxAgeSeconds: number; publicUrl: string | null },
  logger?: Pick<Logger, 'info' | 'warn'>,
): Route[] {
  const signedInTeammate = z.object({ id: z.string(), email: z.string(), name: z.string().nullable(), role: z.string(), totp_enabled: z.boolean() })
  return [
    defineRoute({
      method: 'POST',
      path: '/admin/v1/session',
      audience: 'public',
      tag: 'teammates',
      summary: 'Sign in: sets the session cookie and answers the CSRF token',
      description:
        'The cookie is HttpOnly, SameSite=Strict, Path=/ and Secure (except on plain-HTTP loopback). A wrong email or password is the same 401 in about the same time. ' +
        '5 failed sign-ins of one email within 15 minutes, or 20 wrong credentials a minute from one address, make further attempts 429.',
      body: signInSchema,
      responses: { 200: { description: 'Signed in', schema: z.object({ teammate: teammateSchema, csrf_token: z.string() }) } },
      errors: ['invalid_request', 'invalid_credentials', 'totp_required', 'totp_invalid', 'csrf_failed', 'rate_limited', 'unavailable'],
      handle: async ({ req, body, client }) => {
        // Login CSRF: a page elsewhere must not sign a browser into someone else's account.
        if (isCrossSite(req, settings.publicUrl)) throw new VerityError('csrf_failed', 'Sign in from Verity itself.')
        // Every attempt is logged (never the email or the password): who, from where, and the answer.
        const signedIn = await guesses.checkAsync(client, true, () => sessions.signIn(body, client, req.headers['user-agent'] ?? null)).catch((error: unknown) => {
          if (error instanceof VerityError) logger?.warn({ client, code: error.code }, 'sign-in refused')
          throw error
        })
        logger?.info({ client, teammateId: signedIn.teammate.id, sessionId: signedIn.session.id }, 'teammate signed in')
        return {
          status: 200,
          headers: { 'Set-Cookie': sessionCookie(req, signedIn.cookieValue, settings.maxAgeSeconds) },
          body: { teammate: teammateView(signedIn.teammate), csrf_token: signedIn.session.csrfToken },
        }
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/admin/v1/session',
      audience: 'admin',
      action: 'self',
      sessionOnly: true,
      tag: 'teammates',
      summary: 'The signed-in teammate, the CSRF token, and until when sensitive calls are confirmed',
      responses: { 200: { description: 'The session', schema: z.object({ teammate: signedInTeammate, csrf_token: z.string(), confirmed_until: z.string().nullable() }) } },
      errors: ['unauthorized', 'forbidden'],
      handle: ({ principal }) => {
        const s = sessionOf(principal)
        return { status: 200, body: { teammate: sessionTeammate(s), csrf_token: s.csrfToken, confirmed_until: s.confirmedUntil } }
      },
    }),
    defineRoute({
      method: 'DELETE',
      path: '/admin/v1/session',
      audience: 'admin',
      action: 'self',
      sessionOnly: true,
      tag: 'teammates',
      summary: 'Sign out: the cookie no longer works anywhere',
      responses: { 204: { description: 'Signed out' } },
      errors: ['unauthorized', 'forbidden', 'csrf_failed'],
      handle: async ({ req, principal }) => {
        await sessions.signOut(sessionOf(principal))
        return { status: 204, headers: { 'Set-Cookie': clearedSessionCookie(req) } }
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/admin/v1/session/confirm',
      audience: 'admin',
      action: 'self',
      sessionOnly: true,
      tag: 'teammates',
      summary: 'Confirm the password (or a two-factor code): 10 minutes of sensitive calls',
      body: confirmSchema,
      responses: { 200: { description: 'Confirmed', schema: z.object({ confirmed_until: z.string() }) } },
      errors: ['invalid_request', 'unauthorized', 'invalid_credentials', 'totp_invalid', 'forbidden', 'csrf_failed', 'rate_limited', 'unavailable'],
      handle: async ({ body, principal, client }) => {
        const until = await guesses.checkAsync(client, true, () => sessions.confirm(sessionOf(principal), body))
        return { status: 200, body: { confirmed_until: until.toISOString() } }
      },
    }),
  ]
}
