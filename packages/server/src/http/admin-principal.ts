import type { IncomingMessage } from 'node:http'
import type { ConfigCache } from '../config-cache/config-cache.js'
import { isAllowed, isSensitive, type AdminAction } from '../authorization/admin-permissions.js'
import { VerityError } from '../errors/verity-error.js'
import type { GuessGuard } from '../limits/guess-guard.js'
import { hashAdminKey } from '../storage/admin-key-repository.js'
import type { SessionRecord } from '../storage/teammate-session-repository.js'
import type { ApiTokens } from '../teammates/api-tokens.js'
import type { Role } from '../authorization/roles.js'
import type { TeammateSessions } from '../teammates/teammate-sessions.js'
import { bearerChallenge } from '../tokens/access-token-keyring.js'
import { readSessionCookie } from './cookies.js'
import { assertCsrf } from './csrf.js'

/** Who calls an admin route, with which role. */
export type Principal =
  | { readonly kind: 'admin_key'; readonly role: 'owner'; readonly name: string; readonly keyHash: string }
  | { readonly kind: 'token'; readonly role: Role; readonly name: string; readonly teammateId: string; readonly tokenId: string }
  | { readonly kind: 'session'; readonly role: Role; readonly name: string; readonly session: SessionRecord }

export interface AdminAuthDeps {
  readonly cache: ConfigCache
  readonly guesses: GuessGuard
  readonly tokens: ApiTokens
  readonly sessions: TeammateSessions
  readonly publicUrl: string | null
}

function unauthorized(): VerityError {
  return new VerityError('unauthorized', 'Sign in, or send Authorization: Bearer <admin key or API token>.', { headers: bearerChallenge() })
}

function bearer(header: string): string {
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header)
  return match ? match[1]! : ''
}

/**
 * The credential of an admin request: a Bearer admin key (owner rights) or API token, else the
 * session cookie. Wrong credentials count as guesses per client address (GuessGuard).
 */
export async function authenticateAdminRequest(req: IncomingMessage, client: string, deps: AdminAuthDeps): Promise<Principal> {
  const header = req.headers.authorization
  if (header !== undefined) {
    return deps.guesses.checkAsync(client, true, async () => {
      const value = bearer(header)
      if (value.startsWith('vpt_')) {
        const found = await deps.tokens.authenticate(value)
        if (!found) throw unauthorized()
        return { kind: 'token', role: found.role, name: `token:${found.token.id}`, teammateId: found.token.teammateId, tokenId: found.token.id }
      }
      const keyHash = hashAdminKey(value)
      const actor = value ? deps.cache.adminActor(keyHash) : undefined
      if (!actor) throw unauthorized()
      return { kind: 'admin_key', role: 'owner', name: actor, keyHash }
    })
  }
  const cookie = readSessionCookie(req)
  if (cookie === null) throw unauthorized()
  return deps.guesses.checkAsync(client, true, async () => {
    const session = await deps.sessions.authenticate(cookie)
    if (!session) throw new VerityError('unauthorized', 'The session has ended. Sign in again.')
    assertCsrf(req, session.csrfToken, deps.publicUrl)
    return { kind: 'session', role: session.role, name: `teammate:${session.email}`, session }
  })
}

/** The one gate of every admin route: the role allows the action, and a session has confirmed recently when it is sensitive. */
export function authorize(principal: Principal, action: AdminAction, sessionOnly: boolean, requireTotp: boolean, now: number = Date.now()): void {
  if (sessionOnly && principal.kind !== 'session') throw new VerityError('forbidden', 'This call is for a signed-in teammate (a dashboard session).')
  // An owner requires two-factor sign-in: until it is on, a teammate may only see to their own account.
  if (requireTotp && principal.kind === 'session' && !principal.session.totpEnabled && action !== 'self') {
    throw new VerityError('forbidden', 'Two-factor sign-in is required here: turn it on first (POST /admin/v1/me/totp).')
  }
  if (!isAllowed(principal.role, action)) throw new VerityError('forbidden', `The ${principal.role} role does not allow this call.`)
  if (principal.kind === 'session' && isSensitive(action)) {
    const until = principal.session.confirmedUntil
    if (until === null || Date.parse(until) <= now) throw new VerityError('reauthentication_required')
  }
}
